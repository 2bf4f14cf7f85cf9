"""The formal note of the accounts: one Word document per comune with its current editors.

The request to the comuni ends: «once the information is received, we will configure the accounts
and grant the permissions, which will be communicated formally with a later note». This is that
note: addressed to the comune (contact and PEC from the list), the employees with the permissions
granted (each employee's latest response), the campaign, the date and a protocol number to fill.

The template is a DOCX with docxtpl (Jinja) tags; the default one is made by
``tools/make_note_template.py`` from the texts below and can be replaced with ``[accounts]
note_template``. Values are XML-escaped (autoescape), stripped of control characters and never
parsed again, so nothing typed in the form becomes a Word field, a hyperlink or markup.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from lxml import etree

from rollout.config import Config
from rollout.errors import InputError
from rollout.italian import MONTHS, short_date
from rollout.outputs.files import to_csv_bytes
from rollout.outputs.links import FormLink
from rollout.outputs.tables import accounts_table
from rollout.read.permissions import PERMISSIONS
from rollout.status import Snapshot

DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "nota-account.docx"
INDEX_CSV = "elenco-note.csv"

# What the request says of each permission, in its order and wording.
DESCRIPTIONS: dict[str, str] = {
    "sito_web": "con questa abilitazione il dipendente potrà aggiornare la piattaforma (es. inserimento/modifica "
    "avvisi, inserimento/modifica eventi, creazione nuovi dipendenti, inserimento/modifica documenti, "
    "inserimento/modifica amministratori, ecc.)",
    "newsletter": "con questa abilitazione il dipendente potrà gestire il sistema di newsletter configurato nel "
    "portale e quindi creare una lista di iscritti a cui inviare comunicazioni, notizie ed eventi",
    "amministrazione_trasparente": "con questa abilitazione il dipendente potrà pubblicare e gestire le "
    "informazioni nella sezione Amministrazione Trasparente",
    "servizi_demografico": "con questa abilitazione il dipendente potrà gestire tutti i servizi afferenti al "
    "proprio ambito di competenza, compresi i calendari di prenotazione appuntamenti dell'Ufficio",
    "servizi_segreteria": "come sopra",
    "servizi_tecnico": "come sopra",
    "servizi_tributi": "come sopra",
}

# The texts of the note, shared by the default DOCX template and the plain-text body.
PROTOCOL = "Prot. n. ____________ del ____________"
SUBJECT = (
    "Oggetto: Misura 1.4.1 del PNRR “Esperienza del Cittadino nei servizi pubblici” - {{ campagna }}: "
    "comunicazione degli account e dei permessi rilasciati ai dipendenti del Comune di {{ comune }}"
)
INTRO = (
    "facendo seguito alla richiesta dei dati necessari per la configurazione degli account e il rilascio dei "
    "permessi ai dipendenti incaricati dell'aggiornamento del nuovo sito web comunale e dei servizi digitali per "
    "il cittadino, con la presente si comunica che sono stati configurati gli account e rilasciati i permessi di "
    "editor ai {{ numero_dipendenti }} dipendenti del Comune di {{ comune }} indicati con il modulo on-line "
    "(per ciascun dipendente vale l'ultima risposta inviata), come riportato di seguito."
)
NO_AT_EDITOR = (
    "Tra i dipendenti indicati non risulta nessun Editor Amministrazione Trasparente: senza un dipendente con "
    "questo permesso non sarà possibile pubblicare e gestire le informazioni nella sezione Amministrazione "
    "Trasparente del nuovo sito. Vi chiediamo pertanto di indicarne almeno uno compilando il modulo on-line"
    "{% if link_modulo %} ({{ link_modulo }}){% endif %}; se il permesso va a un dipendente già indicato, "
    "compilate di nuovo il modulo per lui barrando tutti i permessi da assegnargli."
)
EMPLOYEE = "{{ d.numero }}. {{ d.nome }}{% if d.email %} ({{ d.email }}){% endif %}"
EMPLOYEE_PERMISSIONS = "Permessi: {{ d.permessi_testo }}"
CLOSING = "Restiamo a disposizione per ogni chiarimento."
GREETING = "Cordiali saluti"

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_UNSAFE_FILENAME = re.compile(r"[^\w '().,-]+")


def plain(value: object) -> str:
    """One line of plain text: no control characters (not even those docxtpl turns into breaks)."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return " ".join(_NOT_XML.sub(" ", text).split())


def long_day(day: dt.date) -> str:
    """``29 settembre 2023``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def legend() -> list[dict[str, str]]:
    return [
        {"numero": str(i), "nome": p.label, "descrizione": DESCRIPTIONS[p.key]}
        for i, p in enumerate(PERMISSIONS, start=1)
    ]


def signature(config: Config) -> str:
    return plain(config.accounts.signature or config.reminders.signature)


def note_contexts(snap: Snapshot, config: Config | None = None, comuni: pd.DataFrame | None = None) -> list[dict]:
    """The template's values for every comune with current editors (``comuni``: a subset of
    ``snap.comuni``), in the order of the accounts table (comune, province)."""
    config = config or Config()
    form = FormLink.from_config(config)
    if comuni is not None:  # the accounts table of those comuni only (one comune: no work for the others)
        mine = snap.editors["cid"].isin(comuni.index).to_numpy()
        snap = replace(snap, current=snap.current[mine])
    accounts = accounts_table(snap)
    accounts["cid"] = snap.editors.loc[accounts["row"], "cid"].to_numpy()
    day = snap.settings.as_of_local.date()
    common = {
        "campagna": plain(config.campaign),
        "data": long_day(day),
        "data_breve": short_date(day),
        "firma": signature(config),
        "permessi": legend(),
    }
    by_comune: dict[int, list[dict]] = {}
    for e in accounts.to_dict("records"):  # plain Python: thousands of comuni, no frame per comune
        by_comune.setdefault(e["cid"], []).append(e)
    listed = snap.comuni.loc[list(by_comune), ["name", "province", "code", "contact_name", "contact_email", "pec"]]
    out = []
    for cid, c in zip(by_comune, listed.to_dict("records"), strict=True):
        employees = []
        for number, e in enumerate(by_comune[cid], start=1):
            labels = [p.label for p in PERMISSIONS if e[p.key]]
            employees.append({
                "numero": str(number), "nome": plain(e["full_name"]), "cognome": plain(e["surname"]),
                "nome_proprio": plain(e["first_name"]), "email": plain(e["email"]),
                "codice_fiscale": plain(e["fiscal_code"]),
                "permessi": labels, "permessi_testo": "; ".join(labels), "permessi_righe": "\n".join(labels),
            })  # fmt: skip
        referente = plain(c["contact_name"])
        comune = plain(c["name"])
        out.append({
            **common,
            "comune": comune, "provincia": plain(c["province"]), "codice": plain(c["code"]),
            "referente": referente, "email": plain(c["contact_email"]), "pec": plain(c["pec"]),
            "saluto": f"Gentile {referente}" if referente else f"Spettabile Comune di {comune}",
            "dipendenti": employees, "numero_dipendenti": len(employees),
            "editor_at": any(e["amministrazione_trasparente"] for e in by_comune[cid]),
            "link_modulo": form.for_comune(c["name"], c["province"], c["code"]),
        })  # fmt: skip
    return out


def kinds(comuni: pd.DataFrame) -> pd.DataFrame:
    """One comune with editors for each combination of what the template may test (AT editor,
    contact person, PEC, email, province, code): enough to try every branch of a template."""
    with_editors = comuni.loc[comuni["editors"] > 0]
    flags = pd.DataFrame({
        "at": with_editors["has_at_editor"].astype(bool),
        **{k: with_editors[k] != "" for k in ("contact_name", "pec", "contact_email", "province", "code")},
    })  # fmt: skip
    return with_editors.loc[~flags.duplicated()]


# -- the Word document ----------------------------------------------------------------------------------


class NoteTemplate:
    """A DOCX template with docxtpl tags, checked on load; renders one note per context."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else DEFAULT_TEMPLATE
        self.where = "modello della nota" if path is None else f"modello della nota {self.path.name}"
        try:
            self.data = self.path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"Il {self.where} non esiste: {self.path} ([accounts] note_template).") from None
        except (OSError, ValueError) as err:  # ValueError: a path with a NUL byte
            raise InputError(f"Impossibile leggere il {self.where}: {getattr(err, 'strerror', None) or err}.") from None
        self._open()  # a file that is not a DOCX is reported now, not at the first note
        self._env = _Environment(undefined=jinja2.StrictUndefined, autoescape=True)

    @classmethod
    def from_config(cls, config: Config, override: str | None = None) -> NoteTemplate:
        chosen = override or config.accounts.note_template
        return cls(Path(chosen) if chosen else None)

    def _open(self) -> DocxTemplate:
        document = DocxTemplate(io.BytesIO(self.data))
        try:
            document.init_docx()  # docxtpl opens the file lazily
        except (PackageNotFoundError, zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError):
            raise InputError(f"Il {self.where} non è un documento Word (.docx) leggibile.") from None
        return document

    def check(self, contexts: list[dict]) -> None:
        """Render one note of each kind (with or without AT editor, contact person, PEC, email,
        province), so that a tag used only in some branch of the template is found at once."""
        kinds: dict[tuple[bool, ...], dict] = {}
        for c in contexts:
            kinds.setdefault(tuple(bool(c[k]) for k in _BRANCHES), c)
        for context in kinds.values():
            self.render(context)

    def render(self, context: Mapping[str, Any]) -> bytes:
        """One note as DOCX bytes; InputError (one Italian line) for an unknown tag or bad syntax."""
        document = self._open()
        try:
            document.render(_xml_safe(context), self._env, autoescape=True)
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
        except (jinja2.TemplateError, etree.XMLSyntaxError, ValueError, KeyError) as err:
            raise InputError(f"Il {self.where} non è utilizzabile: {err}.") from None
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


class _Environment(SandboxedEnvironment):
    """Sandboxed, and compiles each part of the template once for all the notes (docxtpl asks for
    every part of every note again; compiling is a third of the time of a note)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source, globals=None, template_class=None):  # type: ignore[override]
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        if source not in self._compiled:
            self._compiled[source] = super().from_string(source)
        return self._compiled[source]


_BRANCHES = ("editor_at", "referente", "pec", "email", "provincia", "codice", "link_modulo")
_ALLOWED = (
    "Segnaposto ammessi: comune, provincia, codice, referente, email, pec, saluto, campagna, data, data_breve, "
    "firma, link_modulo, numero_dipendenti, editor_at, dipendenti (numero, nome, cognome, nome_proprio, email, "
    "codice_fiscale, permessi, permessi_testo, permessi_righe), permessi (numero, nome, descrizione)."
)


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


# -- the plain text (the body of an email) ---------------------------------------------------------------


def _fill(text: str, context: Mapping[str, Any]) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    return env.from_string(text).render(context)


def note_address(context: Mapping[str, Any]) -> str:
    """Where the note goes by email: the comune's PEC (a formal note), else its contact address."""
    return context["pec"] or context["email"]


def note_subject(context: Mapping[str, Any]) -> str:
    return _fill(SUBJECT, context).removeprefix("Oggetto: ")


def note_text(context: Mapping[str, Any]) -> str:
    """The note as plain text, for the body of an email: the same content as the default DOCX."""
    lines = [PROTOCOL, context["data"], ""]
    lines += [
        f"Spettabile Comune di {context['comune']}" + (f" ({context['provincia']})" if context["provincia"] else "")
    ]
    if context["referente"]:
        lines.append(f"Alla cortese attenzione di {context['referente']}")
    lines += [f"PEC: {context['pec']}"] if context["pec"] else []
    lines += [f"Email: {context['email']}"] if context["email"] else []
    lines += ["", _fill(SUBJECT, context), "", f"{context['saluto']},", "", _fill(INTRO, context), ""]
    for d in context["dipendenti"]:
        lines += [_fill(EMPLOYEE, {"d": d}), "   " + _fill(EMPLOYEE_PERMISSIONS, {"d": d})]
    if not context["editor_at"]:
        lines += ["", _fill(NO_AT_EDITOR, context)]
    lines += ["", CLOSING, "", GREETING]
    lines += [context["firma"]] if context["firma"] else []
    return "\n".join(lines) + "\n"


# -- files --------------------------------------------------------------------------------------------------


def note_names(contexts: list[dict]) -> list[str]:
    """``Nota account - Castel d'Azzano (VR).docx``: safe on every file system, unique."""
    names = []
    for c in contexts:
        base = _UNSAFE_FILENAME.sub("_", c["comune"]).strip(" ._")[:80] or "comune"
        if c["provincia"]:
            base += f" ({_UNSAFE_FILENAME.sub('_', c['provincia'])})"
        names.append(f"Nota account - {base}")
    seen: dict[str, int] = {}
    out = []
    for name, c in zip(names, contexts, strict=True):
        if names.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            name += f" - {_UNSAFE_FILENAME.sub('_', c['codice']) or seen[name]}"
        out.append(name + ".docx")
    return out


def index_frame(contexts: list[dict], names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": names,
            "comune": [c["comune"] for c in contexts],
            "province": [c["provincia"] for c in contexts],
            "code": [c["codice"] for c in contexts],
            "editors": [c["numero_dipendenti"] for c in contexts],
            "has_at_editor": [c["editor_at"] for c in contexts],
            "pec": [c["pec"] for c in contexts],
            "contact": [c["email"] for c in contexts],
        },
        columns=["file", "comune", "province", "code", "editors", "has_at_editor", "pec", "contact"],
    )


def notes_zip(template: NoteTemplate, contexts: list[dict], when: dt.datetime) -> bytes:
    """A ZIP with one DOCX per comune and ``elenco-note.csv`` (which file is whose)."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    names = note_names(contexts)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, context in zip(names, contexts, strict=True):
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), template.render(context), zipfile.ZIP_DEFLATED)
        index = to_csv_bytes(index_frame(contexts, names))
        archive.writestr(zipfile.ZipInfo(INDEX_CSV, date_time=stamp), index, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def write_notes(snap: Snapshot, config: Config, out: Path, template: str | None = None) -> list[Path]:
    """One DOCX per comune with current editors, and ``elenco-note.csv``, into ``out``."""
    note = NoteTemplate.from_config(config, template)
    contexts = note_contexts(snap, config)
    names = note_names(contexts)
    note.check(contexts)
    out.mkdir(parents=True, exist_ok=True)
    # Every note is rendered aside first: a template error half way writes nothing into ``out``.
    with tempfile.TemporaryDirectory(dir=out, prefix=".note-") as folder:
        for name, context in zip(names, contexts, strict=True):
            (Path(folder) / name).write_bytes(note.render(context))
        (Path(folder) / INDEX_CSV).write_bytes(to_csv_bytes(index_frame(contexts, names)))
        for name in [*names, INDEX_CSV]:
            (Path(folder) / name).replace(out / name)
    return [out / name for name in [*names, INDEX_CSV]]
