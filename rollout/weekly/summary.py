"""The steering committee's summary: a few Italian lines and the week's picture, by e-mail.

Only aggregated figures: the KPIs and their change over seven days, counts of reminders and of
their outcomes, what went wrong. No employee (names, emails, fiscal codes) and no contact of a
comune: nothing the reminders' log or the picture would not show either. The message is
multipart/alternative: a plain-text part, and an HTML part with the picture inline
(multipart/related, the PNG by its Content-ID). Headers come from ``rollout.reminders.headers``,
the one encoder: the campaign's title (configuration text) stays literal, on one line.

Sending reserves the day's summary in the reminders' log first (``WeeklyLog.claim_summary``): a
summary that may have reached the server is never sent again, by this run or any other.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
import socket
import uuid
from dataclasses import dataclass, field
from email.utils import format_datetime, make_msgid, parseaddr

from rollout.italian import plural
from rollout.reminders.headers import address_list_header, header, mailbox_header, text_part, usable_address
from rollout.reminders.log import TrackingError
from rollout.reminders.mail_settings import SmtpSettings
from rollout.reminders.send import (
    Refused,
    SenderRefused,
    SendError,
    TemporaryError,
    Uncertain,
    close_quietly,
    hand_over,
    open_with_retries,
    quit_politely,
)
from rollout.usecases.report import STATUS_PNG
from rollout.views import kpi_figures
from rollout.weekly.state import WeeklyLog

FOOTER = "Dati aggregati, senza dati personali. Messaggio automatico del tracker (python -m rollout weekly)."


@dataclass(frozen=True)
class Summary:
    """What the summary says: what went wrong first, the situation, then the week's actions."""

    subject: str
    first: tuple[str, ...] = ()  # why nothing was sent, a read that failed: the first lines
    situation: str = ""  # «Situazione al 08/09/2023 18:00 (scadenza 13/09/2023: …).»
    kpis: tuple[tuple[str, str, str], ...] = ()  # label, value, change over seven days
    lines: tuple[str, ...] = ()  # the week's answers, the reminders, the receipts, the report
    picture: bytes | None = field(default=None, repr=False)

    def text(self) -> str:
        """The plain-text part."""
        parts = [*self.first]
        if self.situation:
            parts.append(
                "\n".join([self.situation, *(f"- {label}: {value} ({change})" for label, value, change in self.kpis)])
            )
        parts += [*self.lines, FOOTER]
        return "\n\n".join(parts) + "\n"

    def html(self, cid: str) -> str:
        """The HTML part; the picture (``cid:``) after the figures."""
        e = html.escape
        out = ["<!DOCTYPE html>", '<html lang="it"><head><meta charset="utf-8"></head>',
               '<body style="font-family: sans-serif; color: #263238">']  # fmt: skip
        out += [f'<p style="color: #c62828"><strong>{e(line)}</strong></p>' for line in self.first]
        if self.situation:
            out.append(f"<p>{e(self.situation)}</p>")
            rows = "".join(
                f'<tr><th scope="row" style="text-align: left; padding-right: 1em">{e(label)}</th>'
                f'<td style="text-align: right; padding-right: 1em">{e(value)}</td><td>{e(change)}</td></tr>'
                for label, value, change in self.kpis
            )
            out.append(f"<table>{rows}</table>")
        out += [f"<p>{e(line)}</p>" for line in self.lines]
        if self.picture is not None:
            out.append(f'<p><img src="cid:{cid}" width="800" style="max-width: 100%" alt="{e(self.subject)}"></p>')
        out += [f'<p style="color: #607d8b">{e(FOOTER)}</p>', "</body></html>"]
        return "\n".join(out) + "\n"

    def message(self, sender: str, recipients: list[str], message_id: str, when: dt.datetime) -> bytes:
        """The whole message (CRLF line ends), ready for DATA."""
        name, address = parseaddr(sender)
        domain = message_id.strip("<>").rpartition("@")[2] or "localhost"
        cid = f"{STATUS_PNG}.{uuid.uuid4().hex}@{domain}"
        fields = [
            mailbox_header("From", name, usable_address(address)),
            address_list_header("To", recipients),
            header("Subject", self.subject),
            f"Date: {format_datetime(when)}",
            f"Message-ID: {message_id}",
            "Auto-Submitted: auto-generated",  # RFC 3834: no automatic replies to it
            "MIME-Version: 1.0",
        ]
        html_part = text_part(self.html(cid), "html")
        if self.picture is not None:
            image = (
                f'Content-Type: image/png; name="{STATUS_PNG}"\r\nContent-Transfer-Encoding: base64\r\n'
                f'Content-ID: <{cid}>\r\nContent-Disposition: inline; filename="{STATUS_PNG}"\r\n\r\n'
            ).encode("ascii") + base64.encodebytes(self.picture).replace(b"\n", b"\r\n")
            html_part = _multipart("related", [html_part, image], '; type="text/html"')
        body = _multipart("alternative", [text_part(self.text()), html_part])
        return "\r\n".join(fields).encode("ascii") + b"\r\n" + body


def _multipart(subtype: str, parts: list[bytes], params: str = "") -> bytes:
    """A multipart entity (its Content-Type and body). The boundary starts with ``=_``, which neither
    quoted-printable nor base64 text can contain."""
    boundary = f"=_{subtype}_{uuid.uuid4().hex}"
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"{params}\r\n\r\n'.encode("ascii")]
    for part in parts:
        out += [f"--{boundary}\r\n".encode("ascii"), part.rstrip(b"\r\n"), b"\r\n"]
    out.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(out)


def kpi_rows(now: dict[str, int], before: dict[str, int], answered: int) -> tuple[tuple[str, str, str], ...]:
    """The KPIs as the Panoramica and the picture write them (``kpi_figures``): label, value, and the
    line under it with the change in seven days; ``answered``: ``answered_without_at``."""
    return tuple(
        (f.kpi.label, f.value_text, "; ".join(t for t in (f.note, f.week_text) if t))
        for f in kpi_figures(now, before, answered)
    )


def answered_this_week(now: dict[str, int], before: dict[str, int]) -> str:
    """How many comuni gave their first valid answer in the last seven days, in words."""
    n = now["on_time"] + now["late"] - before["on_time"] - before["late"]
    if n <= 0:
        return "Negli ultimi 7 giorni nessun comune ha risposto per la prima volta."
    return f"Negli ultimi 7 giorni {plural(n, 'comune ha', 'comuni hanno')} risposto per la prima volta."


# -- sending ----------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What became of the day's summary: ``sent``, ``held`` (the day already has one: ``detail``
    is its state), ``refused``, ``failed`` or ``uncertain``; ``refused_copies``: recipients refused."""

    result: str
    detail: str = ""
    refused_copies: int = 0

    @property
    def problem(self) -> bool:
        return self.result in ("refused", "failed", "uncertain") or self.refused_copies > 0


def send_summary(
    summary: Summary,
    settings: SmtpSettings,
    log: WeeklyLog,
    day: dt.date,
    sender: str,
    recipients: list[str],
    when: dt.datetime,
) -> Delivery:
    """Send ``summary`` once for ``day``: reserved in ``log`` first, its outcome recorded after. From the
    moment the message's end went to the server, a fault makes it ``uncertain``, never ``failed``."""
    address = usable_address(parseaddr(sender)[1])
    message_id = make_msgid(domain=address.rpartition("@")[2])
    owner = f"{socket.gethostname()}:{os.getpid()}"
    held = log.claim_summary(day, message_id, owner, len(recipients))
    if held:
        return Delivery("held", held)
    data = summary.message(sender, recipients, message_id, when)
    handing = []
    smtp = None
    try:
        smtp = open_with_retries(settings)
        refused = hand_over(smtp, address, data, (), recipients, lambda: handing.append(True))
    except (Refused, SenderRefused) as err:
        return _settled(log, message_id, Delivery("refused", f"il server ha rifiutato il riepilogo: {err}"))
    except (TemporaryError, SendError) as err:
        return _settled(log, message_id, Delivery("failed", f"riepilogo non inviato: {str(err).rstrip('.')}"))
    except Uncertain as err:
        return _settled(log, message_id, Delivery("uncertain", f"{err}: il riepilogo potrebbe essere arrivato"))
    except BaseException:  # interrupted: recorded for what it may be, then the interruption goes on
        close_quietly(smtp)  # no QUIT: a server still busy with the message would hold the stop up
        smtp = None
        state = "uncertain" if handing else "failed"
        _settled(log, message_id, Delivery(state, "invio del riepilogo interrotto"))
        raise
    finally:
        if smtp is not None:
            quit_politely(smtp)
    detail = f"{plural(len(refused), 'destinatario rifiutato', 'destinatari rifiutati')}: {'; '.join(refused)}"
    return _settled(log, message_id, Delivery("sent", detail if refused else "", len(refused)))


def _settled(log: WeeklyLog, message_id: str, delivery: Delivery) -> Delivery:
    """Record ``delivery`` (refused is recorded as failed: nothing was handed over). A log that cannot
    be written leaves the summary ``queued``, which holds the day as ``uncertain`` does."""
    state = {"refused": "failed"}.get(delivery.result, delivery.result)
    try:
        log.settle_summary(message_id, state, delivery.detail)
    except TrackingError as err:
        if delivery.result == "sent":
            return Delivery("uncertain", f"riepilogo inviato, ma non registrato ({err})", delivery.refused_copies)
        delivery.detail += f" (registro non aggiornato: {err})"
    return delivery
