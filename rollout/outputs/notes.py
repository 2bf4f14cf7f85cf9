"""The formal note of the accounts: one Word document per comune with its current editors.

The request to the comuni ends: «once the information is received, we will configure the accounts
and grant the permissions, which will be communicated formally with a later note». This is that
note: addressed to the comune (contact and PEC from the list), the employees with the permissions
granted (each employee's latest response), the campaign, the date and a protocol number to fill.

The template is a DOCX with docxtpl (Jinja) tags; the default one is made by
``tools/make_note_template.py`` from the texts below and can be replaced with ``[accounts]
note_template``. Values are XML-escaped (autoescape), stripped of control characters and never
parsed again, so nothing typed in the form becomes a Word field, a hyperlink or markup. The
template is checked, compiled and rendered in ``note_template.py``, in the sandbox of
``note_sandbox.py``. Each comune gets a file name of its own on every file system; a folder of
notes is written all or nothing, spread over the processors.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from itertools import chain, count
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from rollout.config import Config
from rollout.italian import MONTHS, short_date
from rollout.keys import AccountCols as A
from rollout.keys import ComuniCols as C
from rollout.keys import NoteIndexCols as N
from rollout.keys import ResponseCols as R
from rollout.outputs import staging
from rollout.outputs.files import to_csv_bytes
from rollout.outputs.links import FormLink
from rollout.outputs.note_template import DEFAULT_TEMPLATE, NoteTemplate
from rollout.outputs.tables import accounts_table
from rollout.read.permissions import AT_KEY, PERMISSIONS
from rollout.status import Snapshot

__all__ = ["DEFAULT_TEMPLATE", "INDEX_CSV", "NoteTemplate", "Progress", "note_contexts", "note_names",
           "note_territories", "note_text", "notes_zip", "write_notes"]  # fmt: skip
INDEX_CSV = "elenco-note.csv"
Progress = Callable[[int, int], None]  # (notes done, notes in all)

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
BATCH = 16  # notes claimed at a time by each process writing them


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
    return plain(config.signature(notes=True))


def note_contexts(snap: Snapshot, config: Config | None = None, comuni: pd.DataFrame | None = None) -> list[dict]:
    """The template's values for every comune with current editors (``comuni``: a subset of
    ``snap.comuni``), in the order of the accounts table (comune, province)."""
    config = config or Config()
    form = FormLink.from_config(config)
    if comuni is not None:  # the accounts table of those comuni only (one comune: no work for the others)
        mine = snap.editors[R.CID].isin(comuni.index).to_numpy()
        snap = replace(snap, current=snap.current[mine])
    accounts = accounts_table(snap)
    accounts[R.CID] = snap.editors.loc[accounts[A.ROW], R.CID].to_numpy()
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
        by_comune.setdefault(e[R.CID], []).append(e)
    listed = snap.comuni.loc[list(by_comune), [C.NAME, C.PROVINCE, C.CODE, C.CONTACT_NAME, C.CONTACT_EMAIL, C.PEC]]
    out = []
    for cid, c in zip(by_comune, listed.to_dict("records"), strict=True):
        employees = []
        for number, e in enumerate(by_comune[cid], start=1):
            labels = [p.label for p in PERMISSIONS if e[p.key]]
            employees.append({
                "numero": str(number), "nome": plain(e[A.FULL_NAME]), "cognome": plain(e[A.SURNAME]),
                "nome_proprio": plain(e[A.FIRST_NAME]), "email": plain(e[A.EMAIL]),
                "codice_fiscale": plain(e[A.FISCAL_CODE]),
                "permessi": labels, "permessi_testo": "; ".join(labels), "permessi_righe": "\n".join(labels),
            })  # fmt: skip
        referente = plain(c[C.CONTACT_NAME])
        comune = plain(c[C.NAME])
        out.append({
            **common,
            "comune": comune, "provincia": plain(c[C.PROVINCE]), "codice": plain(c[C.CODE]),
            "referente": referente, "email": plain(c[C.CONTACT_EMAIL]), "pec": plain(c[C.PEC]),
            "saluto": f"Gentile {referente}" if referente else f"Spettabile Comune di {comune}",
            "dipendenti": employees, "numero_dipendenti": len(employees),
            "editor_at": any(e[AT_KEY] for e in by_comune[cid]),
            "link_modulo": form.for_comune(c[C.NAME], c[C.PROVINCE], c[C.CODE]),
        })  # fmt: skip
    return out


def note_territories(comuni: pd.DataFrame) -> dict[str, pd.Index]:
    """The regions and provinces of ``comuni`` (label -> those comuni), to take the notes of one:
    ``Regione Campania``, ``Provincia Salerno (SA)``; regions first, each in name order. The region
    is the province's (as on the map); a territory holding every comune is left out."""
    from rollout.outputs.maps import province_regions, region_names
    from rollout.read.reference import PROVINCES

    province = comuni[C.PROVINCE].astype(str)
    regions_of, names = province_regions(), region_names()
    region = province.map(lambda p: names.get(regions_of.get(p, ""), ""))
    out: dict[str, pd.Index] = {}
    for name in sorted(set(region) - {""}):
        out[f"Regione {name}"] = comuni.index[(region == name).to_numpy()]
    for sigla in sorted(set(province) - {""}, key=lambda p: (PROVINCES.get(p, p), p)):
        out[f"Provincia {PROVINCES.get(sigla, sigla)} ({sigla})"] = comuni.index[(province == sigla).to_numpy()]
    return {label: index for label, index in out.items() if len(index) < len(comuni)}


def kinds(comuni: pd.DataFrame) -> pd.DataFrame:
    """One comune with editors for each combination of what the template may test (AT editor,
    contact person, PEC, email, province, code): enough to try every branch of a template."""
    with_editors = comuni.loc[comuni[C.EDITORS] > 0]
    flags = pd.DataFrame({
        "at": with_editors[C.HAS_AT_EDITOR].astype(bool),
        **{k: with_editors[k] != "" for k in (C.CONTACT_NAME, C.PEC, C.CONTACT_EMAIL, C.PROVINCE, C.CODE)},
    })  # fmt: skip
    return with_editors.loc[~flags.duplicated()]


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


def _safe(text: str, length: int) -> str:
    return _UNSAFE_FILENAME.sub("_", unicodedata.normalize("NFC", text)).strip(" ._")[:length].strip(" ._")


def _file_key(name: str) -> str:
    """Names that are one file somewhere (Windows and macOS ignore case; macOS normalises Unicode)."""
    return unicodedata.normalize("NFC", name).casefold()


def note_names(contexts: list[dict]) -> list[str]:
    """``Nota account - Castel d'Azzano (VR).docx``: safe on every file system, and one per comune
    even where case does not count. A name that several comuni would share gets the comune's code,
    else a number (one no other note has), in every comune that shares it."""
    bases = []
    for c in contexts:
        base = _safe(c["comune"], 80) or "comune"
        if province := _safe(c["provincia"], 10):
            base += f" ({province})"
        bases.append(f"Nota account - {base}")
    shared = Counter(_file_key(b) for b in bases)
    taken = {_file_key(b) for b in bases if shared[_file_key(b)] == 1}
    names = []
    for base, c in zip(bases, contexts, strict=True):
        name = base
        if shared[_file_key(base)] > 1:
            code = _safe(c["codice"], 12)
            candidates = [f"{base} - {code}"] if code else []
            numbered = (f"{base} - {i}" for i in count(1))
            name = next(n for n in chain(candidates, numbered) if _file_key(n) not in taken)
            taken.add(_file_key(name))
        names.append(name + ".docx")
    return names


def index_frame(contexts: list[dict], names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        N.FILE: names,
        N.COMUNE: [c["comune"] for c in contexts],
        N.PROVINCE: [c["provincia"] for c in contexts],
        N.CODE: [c["codice"] for c in contexts],
        N.EDITORS: [c["numero_dipendenti"] for c in contexts],
        N.HAS_AT_EDITOR: [c["editor_at"] for c in contexts],
        N.PEC: [c["pec"] for c in contexts],
        N.CONTACT: [c["email"] for c in contexts],
    })  # fmt: skip


def notes_zip(
    template: NoteTemplate, contexts: list[dict], when: dt.datetime, progress: Progress | None = None
) -> bytes:
    """A ZIP with one DOCX per comune and ``elenco-note.csv`` (which file is whose); ``progress`` is
    told after each note. The DOCX are stored as they are (they are compressed already)."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    names = note_names(contexts)
    template.check(contexts)  # a template error is found before the long part
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, (name, context) in enumerate(zip(names, contexts, strict=True), start=1):
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), template.render(context), zipfile.ZIP_STORED)
            if progress:
                progress(done, len(contexts))
        index = to_csv_bytes(index_frame(contexts, names))
        archive.writestr(zipfile.ZipInfo(INDEX_CSV, date_time=stamp), index, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def write_notes(
    snap: Snapshot, config: Config, out: Path, template: str | None = None, progress: Progress | None = None
) -> list[Path]:
    """One DOCX per comune with current editors, and ``elenco-note.csv``, into ``out``: all or
    nothing (written aside, moved in when every one is complete). The notes are spread over the
    processors (``staging.run_jobs``); ``progress`` is told, in this process, as they are written."""
    note = NoteTemplate.from_config(config, template)
    contexts = note_contexts(snap, config)
    names = note_names(contexts)
    note.check(contexts)  # before anything is written
    with staging.staged(out) as folder:
        _render_into(folder, note, contexts, names, progress)
        (folder / INDEX_CSV).write_bytes(to_csv_bytes(index_frame(contexts, names)))
    return [out / name for name in [*names, INDEX_CSV]]


def _render_into(
    folder: Path, note: NoteTemplate, contexts: list[dict], names: list[str], progress: Progress | None
) -> None:
    """Every note into ``folder``: this process and the workers take ``BATCH`` notes at a time from a
    shared counter until none is left (a failure anywhere stops the others at their next batch)."""
    total = len(contexts)
    workers = staging.workers() if total > 4 * BATCH else 0
    shared = multiprocessing.get_context("fork" if workers else None)  # counters the forked workers share
    lock, claimed, done, stop = shared.Lock(), shared.RawValue("q", 0), shared.RawValue("q", 0), shared.RawValue("b", 0)

    def work(tell: Progress | None) -> None:
        while not stop.value:
            with lock:
                start = claimed.value
                claimed.value = end = min(start + BATCH, total)
            if start >= total:
                return
            try:
                for i in range(start, end):
                    (folder / names[i]).write_bytes(note.render(contexts[i]))
            except BaseException:
                stop.value = 1
                raise
            with lock:
                done.value += end - start
                finished = done.value
            if tell:
                tell(finished, total)

    side = {f"note ({i + 1})": lambda: work(None) for i in range(workers)}
    staging.run_jobs({"note": lambda: work(progress)}, side)
    if progress and workers:  # the workers' last notes
        progress(total, total)
