"""The note's DOCX template: checked once, compiled once, rendered cheaply for every comune.

docxtpl renders a whole package per document: it opens the DOCX again (every part parsed), renders
the body, the headers and footers, the core properties and the footnotes, and saves the package
again (every part serialised and compressed). For thousands of notes from one template only the
parts with tags change, so this module prepares the template once (docxtpl's ``patch_xml`` of the
body and of each header and footer, the document's root without its body) and, for each note,
renders those parts through docxtpl's ``render_xml_part`` and ``fix_tables`` and writes them into a
copy of the template's package whose other parts are copied as bytes. A template with tags in its
core properties or footnotes is rendered by docxtpl in full, as before.

Every template runs in ``NoteSandbox`` (``note_sandbox.py``); whatever it does, rendering ends with
the note or with an ``InputError``: one Italian line naming the template's problem.
"""

from __future__ import annotations

import copy
import io
import re
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docx.oxml.ns import nsmap, qn
from docxtpl import DocxTemplate
from jinja2.sandbox import SecurityError
from lxml import etree

from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import number
from rollout.outputs.note_sandbox import NOTE_SECONDS, NoteSandbox, describe

DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "nota-account.docx"
MAX_TEMPLATE_BYTES = 50_000_000  # uncompressed: a letter with a logo is well under 1 MB
_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")  # what docxtpl renders
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_STAMP = (1980, 1, 1, 0, 0, 0)  # every part's date in the DOCX: the same template, the same bytes
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BRANCHES = ("editor_at", "referente", "pec", "email", "provincia", "codice", "link_modulo")
_ALLOWED = (
    "Segnaposto ammessi: comune, provincia, codice, referente, email, pec, saluto, campagna, data, data_breve, "
    "firma, link_modulo, numero_dipendenti, editor_at, dipendenti (numero, nome, cognome, nome_proprio, email, "
    "codice_fiscale, permessi, permessi_testo, permessi_righe), permessi (numero, nome, descrizione)."
)


class NoteTemplate:
    """A DOCX template with docxtpl tags, checked on load; renders one note per context.

    ``seconds`` bounds the rendering of one note and ``clock`` measures it (injectable)."""

    def __init__(
        self, path: Path | None = None, *, seconds: float = NOTE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path = Path(path) if path else DEFAULT_TEMPLATE
        self.where = "modello della nota" if path is None else f"modello della nota {self.path.name}"
        try:
            self.data = self.path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"Il {self.where} non esiste: {self.path} ([accounts] note_template).") from None
        except (OSError, ValueError) as err:  # ValueError: a path with a NUL byte
            raise InputError(f"Impossibile leggere il {self.where}: {getattr(err, 'strerror', None) or err}.") from None
        self._env = NoteSandbox(seconds=seconds, clock=clock)
        self._prepare()  # a file that is not a DOCX is reported now, not at the first note

    @classmethod
    def from_config(cls, config: Config, override: str | None = None) -> NoteTemplate:
        chosen = override or config.accounts.note_template
        return cls(Path(chosen) if chosen else None)

    def _open(self) -> DocxTemplate:
        try:  # a zip bomb is refused before anything reads it
            with zipfile.ZipFile(io.BytesIO(self.data)) as package:
                size = sum(info.file_size for info in package.infolist())
        except (zipfile.BadZipFile, ValueError):
            size = 0  # reported below
        if size > MAX_TEMPLATE_BYTES:
            raise InputError(
                f"Il {self.where} è troppo grande: {number(size // 1_000_000)} MB una volta decompresso "
                f"(al massimo {number(MAX_TEMPLATE_BYTES // 1_000_000)} MB)."
            )
        document = DocxTemplate(io.BytesIO(self.data))
        try:
            document.init_docx()  # docxtpl opens the file lazily
        except (PackageNotFoundError, zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError):
            raise InputError(f"Il {self.where} non è un documento Word (.docx) leggibile.") from None
        return document

    def _prepare(self) -> None:
        """What every note shares: the parts' sources, the document without its body, the package."""
        document = self._document = self._open()
        main = document.docx.part
        try:
            self._members = _members(self.data)
            self._main = main.partname.lstrip("/")
            self._body = document.patch_xml(document.get_xml())
            self._headers = [
                (part.partname.lstrip("/"), part, document.patch_xml(document.get_part_xml(part)))
                for uri in (document.HEADER_URI, document.FOOTER_URI)
                for _, part in document.get_headers_footers(uri)
            ]
            shell = copy.deepcopy(main.element)
        except (etree.XMLSyntaxError, KeyError, ValueError, zipfile.BadZipFile):
            raise InputError(f"Il {self.where} non è un documento Word (.docx) leggibile.") from None
        for child in list(shell.find(qn("w:body"))):
            child.getparent().remove(child)
        self._shell = shell
        core = document.docx.core_properties
        # Tags where docxtpl renders them but this module does not: such a template goes through docxtpl whole.
        self._whole = any("{" in (getattr(core, p) or "") for p in _PROPERTIES) or any(
            part.content_type == _FOOTNOTES and b"{" in part.blob for part in main.package.iter_parts()
        )

    def check(self, contexts: list[dict]) -> None:
        """Render one note of each kind (with or without AT editor, contact person, PEC, email,
        province), so that a tag used only in some branch of the template is found at once."""
        kinds: dict[tuple[bool, ...], dict] = {}
        for c in contexts:
            kinds.setdefault(tuple(bool(c[k]) for k in _BRANCHES), c)
        for context in kinds.values():
            self.render(context)

    def render(self, context: Mapping[str, Any]) -> bytes:
        """One note as DOCX bytes; InputError (one Italian line) for whatever is wrong in the template."""
        context = _xml_safe(context)
        try:
            with self._env.budget():
                return self._render_whole(context) if self._whole else self._render_parts(context)
        except jinja2.UndefinedError as err:
            raise InputError(f"Nel {self.where} c'è un segnaposto sconosciuto: {_undefined(err)}. {_ALLOWED}") from None
        except jinja2.TemplateSyntaxError as err:
            near = " ".join(" ".join(getattr(err, "docx_context", [])).split())[:80]
            raise InputError(
                f"Il {self.where} contiene un tag non valido ({err.message})"
                + (f" vicino a «{near}»." if near else ".")
            ) from None
        except SecurityError as err:
            found = re.search(r"attribute '([^']+)'", str(err))
            raise InputError(
                f"Il {self.where} usa un'espressione non permessa" + (f": «…{found[1]}»." if found else ".")
            ) from None
        except Exception as err:  # noqa: BLE001 -- any failure of a template is the template's problem
            raise InputError(f"Il {self.where} non è utilizzabile: {describe(err).rstrip('.')}.") from None

    def _render_parts(self, context: Mapping[str, Any]) -> bytes:
        """The body, headers and footers rendered; every other part copied as it is."""
        document = self._document
        xml = document.render_xml_part(self._body, document.docx.part, context, self._env)
        body = document.fix_tables(xml)
        for n, picture in enumerate(body.xpath("//wp:docPr", namespaces=nsmap), start=1001):
            picture.attrib["id"] = str(n)  # as docxtpl numbers them
        root = copy.deepcopy(self._shell)
        root.replace(root.find(qn("w:body")), body)
        parts = {self._main: _serialise(root)}
        for name, part, source in self._headers:
            rendered = document.render_xml_part(source, part, context, self._env)
            parts[name] = _serialise(parse_xml(rendered.encode("utf-8")))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
            for name, data in self._members:
                package.writestr(zipfile.ZipInfo(name, date_time=_STAMP), parts.get(name, data), zipfile.ZIP_DEFLATED)
        return buffer.getvalue()

    def _render_whole(self, context: Mapping[str, Any]) -> bytes:
        """docxtpl's own rendering of the whole package (a template with tags in its properties or footnotes)."""
        document = self._open()
        document.render(context, self._env, autoescape=True)
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


def _members(data: bytes) -> list[tuple[str, bytes]]:
    """The package's parts in their order, as bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return [(info.filename, package.read(info)) for info in package.infolist() if not info.is_dir()]


def _serialise(element: etree._Element) -> bytes:
    """A part's XML as python-docx writes it (what docxtpl's rendering ends with)."""
    return etree.tostring(element, encoding="UTF-8", standalone=True)


def _xml_safe(value: Any) -> Any:
    """The context with every text free of characters XML cannot hold (line breaks and tabs kept)."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, Mapping):
        return {k: _xml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe(v) for v in value]
    return value


def _undefined(err: jinja2.UndefinedError) -> str:
    message = str(err.message or "")
    if found := re.search(r"has no attribute '([^']+)'", message):
        return f"«.{found[1]}»"
    if found := re.search(r"'([^']+)' is undefined", message):
        return f"«{found[1]}»"
    return f"«{message}»"
