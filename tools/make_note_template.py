"""Make the default template of the accounts note, ``rollout/outputs/nota-account.docx``.

Run ``python3 -m tools.make_note_template [OUT]`` (in the project folder) after changing the texts in rollout/outputs/notes.py.
The result is an ordinary Word file with docxtpl (Jinja) tags: the project manager may open it in
Word or LibreOffice, change the layout and the wording, and name the copy in ``[accounts]
note_template``.

The body is written with python-docx; the package around it is lean: python-docx's blank document
carries 800 KB of styles (every built-in style, twice), a theme, a thumbnail, numbering and web
settings, which every note would copy (35 KB each, compressed). This one keeps the parts a letter
needs: the document, its default styles (Calibri 11, the same spacing, the fonts named instead of
taken from a theme), the layout settings and the core properties (about 4 KB a note). The same
texts give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import nsmap, qn
from docx.shared import Cm, Pt
from lxml import etree

from rollout.outputs.notes import (
    CLOSING,
    DEFAULT_TEMPLATE,
    EMPLOYEE,
    EMPLOYEE_PERMISSIONS,
    GREETING,
    INTRO,
    NO_AT_EDITOR,
    PROTOCOL,
    SUBJECT,
)

FONT = "Calibri"
STAMP = (2023, 9, 1, 0, 0, 0)
_TYPES = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{_TYPES}.document.main+xml"/>'
    f'<Override PartName="/word/styles.xml" ContentType="{_TYPES}.styles+xml"/>'
    f'<Override PartName="/word/settings.xml" ContentType="{_TYPES}.settings+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="word/document.xml"/>'
    f'<Relationship Id="rId2" Type="{_PACKAGE_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)
DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/settings" Target="settings.xml"/>'
    "</Relationships>"
)
# Settings that only matter with the parts left out (theme, pictures, equations) or to Word's editing history.
DROPPED_SETTINGS = ("rsids", "mathPr", "themeFontLang", "clrSchemeMapping", "shapeDefaults", "savePreviewPicture",
                    "doNotAutoCompressPictures", "proofState", "attachedTemplate")  # fmt: skip


def body() -> Document:
    """The note's text, tags and layout, with python-docx."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin = section.right_margin = Cm(2.2)
    props = doc.core_properties
    props.title, props.author, props.comments = "Nota account editor", "Rollout tracker", ""
    props.created = props.modified = dt.datetime(2023, 9, 1)

    doc.add_paragraph(PROTOCOL)
    doc.add_paragraph("{{ data }}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for text in (
        "Spettabile Comune di {{ comune }}{% if provincia %} ({{ provincia }}){% endif %}",
        "{%p if referente %}",
        "Alla cortese attenzione di {{ referente }}",
        "{%p endif %}",
        "{%p if pec %}",
        "PEC: {{ pec }}",
        "{%p endif %}",
        "{%p if email %}",
        "Email: {{ email }}",
        "{%p endif %}",
    ):
        doc.add_paragraph(text).paragraph_format.left_indent = Cm(9)
    doc.add_paragraph()
    doc.add_paragraph().add_run(SUBJECT).bold = True
    doc.add_paragraph("{{ saluto }},")
    doc.add_paragraph(INTRO)

    doc.add_paragraph("{%p for d in dipendenti %}")
    employee = doc.add_paragraph()
    employee.paragraph_format.left_indent = Cm(0.6)
    employee.paragraph_format.space_after = Pt(0)
    employee.paragraph_format.keep_with_next = True
    employee.add_run(EMPLOYEE).bold = True
    doc.add_paragraph(EMPLOYEE_PERMISSIONS).paragraph_format.left_indent = Cm(1.2)
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if not editor_at %}")
    doc.add_paragraph().add_run(NO_AT_EDITOR).bold = True
    doc.add_paragraph("{%p endif %}")
    for text in (CLOSING, GREETING):  # the signature never alone on a page
        doc.add_paragraph(text).paragraph_format.keep_with_next = True
    doc.add_paragraph("{{ firma }}")
    return doc


def lean_styles(styles: bytes, document: bytes) -> bytes:
    """The default styles and those the document uses; fonts named (no theme); Italian proofing."""
    root = etree.fromstring(styles)
    used = {e.get(qn("w:val")) for e in etree.fromstring(document).iter(qn("w:pStyle"), qn("w:rStyle"))}
    for child in list(root):
        keep = child.tag == qn("w:docDefaults") or (
            child.tag == qn("w:style") and (child.get(qn("w:default")) == "1" or child.get(qn("w:styleId")) in used)
        )
        if not keep:
            root.remove(child)
        else:
            for rsid in child.iter(qn("w:rsid")):
                rsid.getparent().remove(rsid)
    for fonts in root.iter(qn("w:rFonts")):
        if any(etree.QName(name).localname.lower().endswith("theme") for name in fonts.attrib):
            fonts.attrib.clear()
            for name in ("ascii", "eastAsia", "hAnsi", "cs"):
                fonts.set(qn(f"w:{name}"), FONT)
    for lang in root.iter(qn("w:lang")):
        lang.set(qn("w:val"), "it-IT")
    return etree.tostring(root, encoding="UTF-8", standalone=True)


def lean_settings(settings: bytes) -> bytes:
    root = etree.fromstring(settings)
    for child in list(root):
        name = etree.QName(child)
        if name.localname in DROPPED_SETTINGS or name.namespace != nsmap["w"]:  # w14:docId and the like too
            root.remove(child)
    return etree.tostring(root, encoding="UTF-8", standalone=True)


def build(out: Path) -> None:
    buffer = io.BytesIO()
    body().save(buffer)
    with zipfile.ZipFile(buffer) as made:
        document = made.read("word/document.xml")
        parts = {
            "[Content_Types].xml": CONTENT_TYPES.encode(),
            "_rels/.rels": PACKAGE_RELS.encode(),
            "docProps/core.xml": made.read("docProps/core.xml"),
            "word/document.xml": document,
            "word/_rels/document.xml.rels": DOCUMENT_RELS.encode(),
            "word/styles.xml": lean_styles(made.read("word/styles.xml"), document),
            "word/settings.xml": lean_settings(made.read("word/settings.xml")),
        }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(zipfile.ZipInfo(name, date_time=STAMP), data, zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TEMPLATE
    build(target)
    print(f"Modello scritto in {target}")
