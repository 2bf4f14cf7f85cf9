"""Make the default template of the accounts note, ``rollout/outputs/nota-account.docx``.

Run ``python3 -m tools.make_note_template [OUT]`` (in the project folder) after changing the texts in rollout/outputs/notes.py.
The result is an ordinary Word file with docxtpl (Jinja) tags: the project manager may open it in
Word or LibreOffice, change the layout and the wording, and name the copy in ``[accounts]
note_template``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

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


def build(out: Path) -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
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
    doc.add_paragraph(CLOSING)
    doc.add_paragraph(GREETING)
    doc.add_paragraph("{{ firma }}")
    doc.save(str(out))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TEMPLATE
    build(target)
    print(f"Modello scritto in {target}")
