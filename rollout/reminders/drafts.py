"""Reminder drafts in Italian: subject and body from a configurable template, per comune a
``mailto:`` link, and a ZIP of ``.eml`` files that any mail client opens.

Templates live in the configuration, one per reason (``[reminders.pending]``,
``[reminders.missing]``, ``[reminders.no_at_editor]``, each with ``subject`` and ``body``) and use
``{placeholders}`` (see PLACEHOLDERS). Addresses are validated; a comune without a usable address
keeps its draft, without a recipient, and is listed as such.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import quote

import pandas as pd

from rollout.config import Config
from rollout.italian import count_comuni, countdown, days, long_date, short_date
from rollout.keys import ComuniCols as C
from rollout.keys import DraftCols as D
from rollout.keys import MarkCols as M
from rollout.keys import ReminderCols as L
from rollout.outputs.columns import DRAFTS_INDEX, REMINDERS, for_people
from rollout.outputs.files import to_csv_bytes
from rollout.outputs.links import FormLink
from rollout.outputs.tables import reminders_table
from rollout.reminder_texts import DEFAULT_TEMPLATES, PLACEHOLDERS, REASONS, check_template
from rollout.reminders.headers import header, mailbox_header, one_line, text_message, usable_address
from rollout.reminders.identity import identifiers
from rollout.reminders.log import CHANNELS, SUMMARY_COLUMNS, comune_keys
from rollout.reminders.outcomes import outcome_text
from rollout.status import Settings, Snapshot

__all__ = ["DEFAULT_TEMPLATES", "PLACEHOLDERS", "REASONS", "check_template"]  # the texts live in rollout.reminder_texts

REASON_LABELS = {
    "pending": "nessuna risposta (scadenza non ancora passata)",
    "missing": "nessuna risposta (scadenza superata)",
    "no_at_editor": "nessun editor Amministrazione Trasparente",
}
_NO_LINK = "(il link del modulo è nella richiesta che avete ricevuto)"
_UNSAFE_FILENAME = re.compile(r"[^\w '().,-]+")


@dataclass(frozen=True)
class Templates:
    """The subject and body per reason, the sender of the drafts and the signature."""

    texts: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_TEMPLATES)
    sender: str = ""
    signature: str = ""


def templates_from_config(config: Config) -> Templates:
    """The drafts' texts, sender and signature of ``[reminders]`` (checked when the configuration was read)."""
    section = config.reminders
    return Templates(section.texts, section.sender, config.signature())


def reason_of(status: str) -> str:
    """Why a comune on the reminders list is chased."""
    return status if status in ("pending", "missing") else "no_at_editor"


def reminders_list(
    snap: Snapshot,
    comuni: pd.DataFrame | None = None,
    marks: pd.DataFrame | None = None,
    form: FormLink | None = None,
    bounced: Iterable[str] = frozenset(),
) -> pd.DataFrame:
    """The reminders table of the report plus the key, the reason and the reminders already sent.

    ``marks`` is ``ReminderLog.summary()``: reminders sent, date of the last one and its channel,
    found under any identifier of the comune (a reminder recorded when the list had no codes counts
    once the list has them, and the other way round).
    ``bounced``: addresses known to bounce (``ReminderLog.bounced_among``); the next address of the
    comune is used instead (``rollout.outputs.contacts.contact_for``). ``outcome``: what became of
    the last message the tracker sent, in Italian (``last_outcome``: its state).
    """
    table = reminders_table(snap, comuni, form, bounced)
    keys = comune_keys(table[L.CODE], table[L.COMUNE], table[L.PROVINCE])
    table.insert(0, L.KEY, keys)
    table.insert(list(table.columns).index(L.REASONS), L.REASON, table[L.STATUS].map(reason_of))
    found = _lookup(keys, table[L.CODE], table[L.COMUNE], table[L.PROVINCE], marks)
    for column in SUMMARY_COLUMNS:
        table[column] = found[column].to_numpy()
    table[L.OUTCOME] = outcome_texts(table)
    return table


def outcome_texts(frame: pd.DataFrame, short: bool = False) -> list[str]:
    """The last message's outcome in Italian, per row (``last_outcome`` and ``outcome_detail``);
    ``short``: the reason of a bounce in its first words (``outcome_text``)."""
    pairs = zip(frame[L.LAST_OUTCOME], frame[L.OUTCOME_DETAIL], strict=True)
    return [outcome_text(s, d, short) for s, d in pairs]


def comuni_marks(comuni: pd.DataFrame, marks: pd.DataFrame | None, keys: list[str] | None = None) -> pd.DataFrame:
    """For each comune (rows of ``snap.comuni``): reminders sent, date of the last one, its channel.

    ``keys``: the comuni's ``comune_keys`` when already known."""
    if keys is None:
        keys = comune_keys(comuni[C.CODE], comuni[C.NAME], comuni[C.PROVINCE])
    found = _lookup(keys, comuni[C.CODE], comuni[C.NAME], comuni[C.PROVINCE], marks)
    return found.set_axis(comuni.index)


def _lookup(
    keys: list[str], codes: pd.Series, names: pd.Series, provinces: pd.Series, marks: pd.DataFrame | None
) -> pd.DataFrame:
    """Per comune, the reminders recorded under its key or under any key sharing one of its identifiers:
    how many, the last one's date and channel, the last that counts for the resend interval, and the
    outcome of the last message the tracker sent (``last_outcome``: a state; ``outcome_detail``)."""
    sent = [0] * len(keys)
    out = {column: [""] * len(keys) for column in SUMMARY_COLUMNS if column != M.REMINDERS_SENT}
    if marks is not None and len(marks):
        stored = marks[M.IDS] if M.IDS in marks.columns else pd.Series("", index=marks.index)
        by_id: dict[str, set[str]] = {}
        for key, text in zip(marks.index, stored.fillna("").astype(str), strict=True):
            for ident in text.split():
                by_id.setdefault(ident, set()).add(key)
        counts = marks[M.REMINDERS_SENT].to_dict()
        texts = {c: _column(marks, c, "").to_dict() for c in SUMMARY_COLUMNS[1:]}
        if M.LAST_COUNTED not in marks.columns:  # a summary from before the outcomes: every reminder counts
            texts[M.LAST_COUNTED] = texts[M.LAST_REMINDER]
        order = _column(marks, M.OUTCOME_ORDER, 0).to_dict()
        rows = zip(keys, codes, names, provinces, strict=True)
        for n, (key, code, name, province) in enumerate(rows):
            found = {key} & counts.keys()
            for ident in identifiers(code, name, province):
                found |= by_id.get(ident, set())
            if not found:
                continue
            latest = max(found, key=lambda k: (texts[M.LAST_REMINDER][k], k))
            sent[n] = int(sum(counts[k] for k in found))
            out[M.LAST_REMINDER][n] = texts[M.LAST_REMINDER][latest]
            out[M.LAST_CHANNEL][n] = CHANNELS.get(texts[M.LAST_CHANNEL][latest], "")
            out[M.LAST_COUNTED][n] = max(texts[M.LAST_COUNTED][k] for k in found)
            tracked = max(found, key=lambda k: (int(order[k]), k))
            if int(order[tracked]):
                out[M.LAST_OUTCOME][n] = texts[M.LAST_OUTCOME][tracked]
                out[M.OUTCOME_DETAIL][n] = texts[M.OUTCOME_DETAIL][tracked]
    return pd.DataFrame({M.REMINDERS_SENT: sent, **out}, columns=list(SUMMARY_COLUMNS))


def _column(frame: pd.DataFrame, name: str, missing: str | int) -> pd.Series:
    if name not in frame.columns:
        return pd.Series(missing, index=frame.index)
    return frame[name].fillna(missing).astype(type(missing))


EXPORT_LABELS = REMINDERS.headers  # the columns people read (reminders.xlsx, the dashboard), Italian headers
EXPORT_COLUMNS = tuple(EXPORT_LABELS)


def export_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The columns people read (the dashboard's downloads, reminders.xlsx), machine names, in order."""
    return table.loc[:, list(EXPORT_COLUMNS)]


# -- drafts ---------------------------------------------------------------------------------------------


def drafts(
    table: pd.DataFrame,
    settings: Settings,
    templates: Templates,
    campaign: str = "",
    form_url: str = "",
    *,
    links: bool = True,
) -> pd.DataFrame:
    """One draft per row of ``reminders_list``: recipient (or ""), subject, body and mailto: link
    (left empty with ``links=False``: the .eml files do not need it)."""
    s = settings
    same = {
        "scadenza": short_date(s.deadline),
        "scadenza_estesa": long_date(s.deadline),
        "tempo": countdown(s.days_past_deadline),
    }
    rows = []
    late = table[L.DAYS_LATE].astype(int)
    for row, days_late in zip(table.itertuples(index=False), late, strict=True):
        contact_name = " ".join(str(row.contact_name).split())
        values = {
            "comune": row.comune,
            "provincia": row.province,
            "codice": row.code,
            "referente": contact_name,
            "saluto": f"Gentile {contact_name}" if contact_name else f"Spettabile Comune di {row.comune}",
            **same,
            "giorni_ritardo": str(row.days_late),
            "ritardo": days(days_late),
            "permessi_mancanti": row.missing_permissions or "nessuno",
            "link_modulo": getattr(row, "link_modulo", "") or form_url or _NO_LINK,  # the comune's own link
            "campagna": campaign,
            "firma": templates.signature,
        }
        text = templates.texts[str(row.reason)]
        subject = one_line(text["subject"].format_map(values))
        body = _tidy(text["body"].format_map(values))
        contact = str(row.contact)
        to = usable_address(contact)
        why = f"indirizzo non valido: {contact}" if contact and not to else row.contact_source
        rows.append({
            D.KEY: row.key, D.COMUNE: row.comune, D.PROVINCE: row.province, D.CODE: row.code,
            D.REASON: row.reason, D.TO: to,
            D.ADDRESS: row.contact_source if to else f"nessun indirizzo utilizzabile ({why!s})",
            D.SUBJECT: subject, D.BODY: body, D.MAILTO: mailto(to, subject, body) if links else "",
        })  # fmt: skip
    columns = [D.KEY, D.COMUNE, D.PROVINCE, D.CODE, D.REASON, D.TO, D.ADDRESS, D.SUBJECT, D.BODY, D.MAILTO]
    return pd.DataFrame(rows, columns=columns)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip() + "\n"


def mailto(to: str, subject: str, body: str) -> str:
    """A ``mailto:`` link (RFC 6068): every reserved character percent-encoded, line breaks as CRLF."""
    crlf = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:{quote(to, safe='@')}?subject={quote(subject, safe='')}&body={quote(crlf, safe='')}"


def eml_bytes(to: str, subject: str, body: str, comune: str = "", sender: str = "") -> bytes:
    """One draft as an RFC 5322 message (UTF-8, CRLF); ``X-Unsent`` makes Outlook open it ready to send.

    Headers from ``rollout.reminders.headers``, the encoder of the sent mail too: every value is
    literal text on one folded line.
    """
    fields = []
    name, address = parseaddr(sender)
    if usable_address(address):
        fields.append(mailbox_header("From", name, usable_address(address)))
    if usable_address(to):
        name = one_line(comune)
        fields.append(mailbox_header("To", f"Comune di {name}" if name else "", usable_address(to)))
    fields += [header("Subject", subject), "X-Unsent: 1"]
    return text_message(fields, body)


def eml_name(number: int, comune: str, province: str) -> str:
    """``001 Castel d'Azzano (VR).eml``: safe on every file system."""
    name = _UNSAFE_FILENAME.sub("_", comune).strip(" ._") or "comune"
    if province:
        name += f" ({_UNSAFE_FILENAME.sub('_', province)})"
    return f"{number:03d} {name[:80]}.eml"


def drafts_zip(frame: pd.DataFrame, templates: Templates, when: dt.datetime) -> bytes:
    """A ZIP with one .eml per comune, ``elenco.csv`` (which file is whose, Italian headers: it is for
    people) and ``LEGGIMI.txt``."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    buffer = io.BytesIO()
    index = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=1)  # small, alike files: level 1 shrinks them almost as much

        for number, row in enumerate(frame.itertuples(index=False), start=1):
            comune, province, to = str(row.comune), str(row.province), str(row.to)
            name = eml_name(number, comune, province)
            add(name, eml_bytes(to, str(row.subject), str(row.body), comune, templates.sender))
            index.append({
                D.FILE: name, D.COMUNE: comune, D.PROVINCE: province, D.CODE: row.code,
                D.REASON: REASON_LABELS[str(row.reason)], D.TO: to, D.ADDRESS: row.address,
            })  # fmt: skip
        add(
            "elenco.csv",
            to_csv_bytes(for_people(pd.DataFrame(index, columns=list(DRAFTS_INDEX.headers)), DRAFTS_INDEX)),
        )
        add("LEGGIMI.txt", _readme(frame).encode("utf-8"))
    return buffer.getvalue()


def _readme(frame: pd.DataFrame) -> str:
    without = frame.loc[frame[D.TO] == ""]
    lines = [
        f"Bozze di promemoria: {count_comuni(len(frame))}, una bozza per comune (file .eml).",
        "Apri ogni file con il programma di posta (Outlook, Thunderbird, Posta di Windows, Apple Mail),",
        "controlla il testo e invia. elenco.csv dice a quale comune corrisponde ogni file.",
        "",
    ]
    if len(without):
        lines.append(f"{count_comuni(len(without))} senza un indirizzo utilizzabile: la bozza non ha destinatario.")
        lines += [
            f"- {r.comune!s}{f' ({r.province!s})' if r.province else ''}: {r.address!s}" for r in without.itertuples()
        ]
    else:
        lines.append("Tutte le bozze hanno un destinatario.")
    return "\r\n".join(lines) + "\r\n"
