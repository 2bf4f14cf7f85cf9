"""Send the reminder drafts by SMTP (or PEC, an SMTP server with TLS): tracked, paced, never twice.

Each message is written to the reminders log's outbox ``queued`` before it is handed to the server
and ``sent`` / ``refused`` / ``failed`` / ``uncertain`` after (see ``ReminderLog.claim``); a sent
message is recorded as a reminder with channel ``email`` or ``pec``, like the marks made by hand.
A comune already reminded in the last ``resend_after_days`` days, or with a message queued or of
uncertain outcome, is never sent again: a crash, a kill, a double click or two processes at once
cannot send twice, and the next run resumes what was not sent.

Settings (``rollout.reminders.mail_settings``): ``[smtp]`` in the secrets file, ``[reminders]`` in
rollout.toml (``resend_after_days``, ``max_per_minute``, ``reply_to``, ``bcc``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import smtplib
import socket
import ssl
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import pandas as pd

from rollout.errors import InputError
from rollout.italian import short_date
from rollout.reminders.log import CHANNELS, Mark, ReminderLog
from rollout.reminders.mail_settings import SendOptions, SmtpSettings

RESULTS = {
    "sent": "inviato",
    "due": "da inviare",
    "skipped": "saltato",
    "no_address": "senza indirizzo",
    "refused": "rifiutato",
    "failed": "non inviato",
    "uncertain": "esito incerto",
    "busy": "in invio altrove",
    "deferred": "rimandato",
}
PLURALS = {"sent": "inviati", "skipped": "saltati", "refused": "rifiutati", "failed": "non inviati",
           "uncertain": "con esito incerto", "deferred": "rimandati"}  # fmt: skip
PROBLEMS = ("refused", "failed", "uncertain", "busy")  # any of these: not everything due was sent (by this run)
CLOCK, SLEEP = time.monotonic, time.sleep  # the Sender's defaults; tests replace them (no real waits)
_ADDRESS_IN_TEXT = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")
_WIRE = policy.SMTP.clone(max_line_length=998)


class SendError(InputError):
    """Nothing (more) can be sent: bad settings, login refused, TLS failure, server unreachable."""


class TemporaryError(Exception):
    """A 4xx answer, a dropped connection or a timeout: worth trying again (``broken``: on a new connection)."""

    def __init__(self, text: str, broken: bool = False) -> None:
        super().__init__(text)
        self.broken = broken


# -- what to send ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One comune of a run: what happened (a key of RESULTS) and why."""

    key: str
    comune: str
    province: str
    to: str
    result: str
    detail: str = ""
    subject: str = field(default="", repr=False)
    body: str = field(default="", repr=False)

    @property
    def label(self) -> str:
        return f"{self.comune} ({self.province})" if self.province else self.comune

    def line(self) -> str:
        """The command line's line for this comune."""
        arrow = f" → {self.to}" if self.to and self.result in ("sent", "due", "refused") else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{RESULTS[self.result]}: {self.label}{arrow}{detail}"


def plan(
    table: pd.DataFrame,
    letters: pd.DataFrame,
    options: SendOptions,
    today: dt.date,
    blocked: pd.DataFrame | None = None,
    only: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[Outcome]:
    """Per comune of the reminders list (``reminders_list`` with the marks, and its ``drafts``): ``due``,
    or why not (``skipped``, ``no_address``, ``uncertain``, ``deferred`` beyond ``limit``)."""
    since = resend_since(today, options)
    wanted = set(only) if only is not None else None
    stuck = {}
    if blocked is not None:
        stuck = {r.comune_key: blocked_outcome(r.state, r.owner) for r in blocked.itertuples(index=False)}
    by_key = {letter.key: letter for letter in letters.itertuples(index=False)}
    out: list[Outcome] = []
    due = 0
    for row in table.itertuples(index=False):
        if wanted is not None and row.key not in wanted:
            continue
        letter = by_key[row.key]
        item = Outcome(row.key, row.comune, row.province, letter.to, "due", "", letter.subject, letter.body)
        if not letter.to:
            item.result, item.detail = "no_address", letter.address
        elif row.last_reminder and dt.date.fromisoformat(row.last_reminder) >= since:
            item.result = "skipped"
            item.detail = (
                f"promemoria già inviato il {short_date(dt.date.fromisoformat(row.last_reminder))} ({row.last_channel})"
            )
        elif row.key in stuck:
            item.result, item.detail = stuck[row.key]
        elif limit is not None and due >= limit:
            item.result, item.detail = "deferred", f"oltre il limite di {limit} messaggi"
        else:
            due += 1
        out.append(item)
    return out


UNCERTAIN_HINT = (
    "un invio precedente si è interrotto mentre il messaggio era consegnato al server: controlla nella posta "
    "inviata se è partito; se no, rilancia con --retry-uncertain"
)


def resend_since(today: dt.date, options: SendOptions) -> dt.date:
    """The first day whose reminders still count: a comune reminded since then is skipped."""
    return today - dt.timedelta(days=options.resend_after_days - 1)


def build_message(item: Outcome, sender: str, message_id: str, when: dt.datetime, reply_to: str = "") -> bytes:
    """One comune's draft as the message handed to the server: UTF-8 plain text, Date, Message-ID."""
    message = EmailMessage(policy=_WIRE)
    name, address = parseaddr(sender)
    message["From"] = Address(display_name=name, addr_spec=address)
    message["To"] = Address(display_name=f"Comune di {' '.join(item.comune.split())}", addr_spec=item.to)
    if reply_to:
        reply_name, reply_address = parseaddr(reply_to)
        message["Reply-To"] = Address(display_name=reply_name, addr_spec=reply_address)
    message["Subject"] = item.subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    message.set_content(item.body, charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


# -- pacing ---------------------------------------------------------------------------------------------


class Pacer:
    """At most ``per_minute`` messages in any 60 seconds; ``clock`` and ``sleep`` are injectable."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.per_minute, self.clock, self.sleep = per_minute, clock, sleep
        self.times: deque[float] = deque()

    def wait(self) -> None:
        now = self.clock()
        while self.times and now - self.times[0] >= 60:
            self.times.popleft()
        if len(self.times) >= self.per_minute:
            self.sleep(60 - (now - self.times[0]))
            self.times.popleft()
        self.times.append(self.clock())


# -- the connection -------------------------------------------------------------------------------------


def server_text(code: int, reply: bytes | str) -> str:
    """A server's answer on one line, without the addresses it may quote."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {_ADDRESS_IN_TEXT.sub('<indirizzo>', ' '.join(text.split()))}".strip()


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """Open, secure and log in; SendError (stop: nothing will work) or TemporaryError (try again)."""
    host = settings.host
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    smtp: smtplib.SMTP | None = None
    try:
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(host, settings.port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, settings.port, timeout=settings.timeout)
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password)
        return smtp
    except smtplib.SMTPAuthenticationError as err:
        _quietly_close(smtp)
        raise SendError(
            f"Il server SMTP {host} rifiuta l'accesso: utente o password errati ({server_text(err.smtp_code, err.smtp_error)})."
        ) from None
    except ssl.SSLCertVerificationError as err:
        _quietly_close(smtp)
        raise SendError(
            f"Il certificato TLS del server SMTP {host} non è valido ({err.verify_message}): se il server usa un "
            "certificato proprio, indicane il file in [smtp] ca_file."
        ) from None
    except ssl.SSLError as err:
        _quietly_close(smtp)
        raise SendError(
            f"Connessione TLS con il server SMTP {host}:{settings.port} non riuscita ({err.reason or err}): "
            "controlla security e port in [smtp]."
        ) from None
    except smtplib.SMTPNotSupportedError:
        _quietly_close(smtp)
        raise SendError(f"Il server SMTP {host} non supporta STARTTLS: controlla security e port in [smtp].") from None
    except smtplib.SMTPResponseException as err:
        _quietly_close(smtp)
        if 400 <= err.smtp_code < 500:
            raise TemporaryError(server_text(err.smtp_code, err.smtp_error)) from None
        raise SendError(
            f"Il server SMTP {host} rifiuta la connessione: {server_text(err.smtp_code, err.smtp_error)}."
        ) from None
    except smtplib.SMTPException as err:  # e.g. "SMTP AUTH extension not supported by server"
        _quietly_close(smtp)
        if isinstance(err, smtplib.SMTPServerDisconnected):
            raise TemporaryError(f"connessione chiusa dal server {host}", broken=True) from None
        raise SendError(f"Il server SMTP {host} non accetta l'accesso configurato: {err}.") from None
    except OSError as err:  # refused, unreachable, timeout
        _quietly_close(smtp)
        raise TemporaryError(
            f"server SMTP {host}:{settings.port} non raggiungibile ({err.strerror or err})", broken=True
        ) from None


def _quietly_close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    with contextlib.suppress(OSError):
        smtp.close()


class Refused(Exception):
    """A 5xx answer for this message: recorded and reported, the others go on."""


class Uncertain(Exception):
    """The connection broke after the message was handed over: it may have been accepted."""


class SenderRefused(Exception):
    """A 5xx answer to the sender: every message would be refused."""


# -- the run --------------------------------------------------------------------------------------------


@dataclass
class Sender:
    """Sends the ``due`` items of a plan, one connection reused, paced and retried."""

    settings: SmtpSettings
    log: ReminderLog
    options: SendOptions = field(default_factory=SendOptions)
    sender: str = ""  # From; [smtp] sender, else [reminders] sender
    today: dt.date = field(default_factory=dt.date.today)
    clock: Callable[[], float] = field(default_factory=lambda: CLOCK)
    sleep: Callable[[float], None] = field(default_factory=lambda: SLEEP)
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()
    attempts: int = 3
    backoff: float = 2.0  # seconds before the 2nd attempt, doubled each time
    batch: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self.sender = self.settings.sender or self.sender
        if not self.sender:
            raise SendError("Manca il mittente: indica sender in [smtp] dei segreti o in [reminders] di rollout.toml.")
        self.pacer = Pacer(self.options.max_per_minute, self.clock, self.sleep)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.smtp: smtplib.SMTP | None = None
        self.handing = False  # a message is being handed over: an interruption leaves it uncertain
        self.domain = parseaddr(self.sender)[1].rpartition("@")[2] or None

    def run(
        self, items: Sequence[Outcome], progress: Callable[[int, int, Outcome], None] | None = None
    ) -> list[Outcome]:
        """Send every ``due`` item; the items with their results. SendError before any message when
        the server cannot be used (login, TLS, unreachable)."""
        due = [i for i in items if i.result == "due"]
        if due:
            self.smtp = self._open_with_retries()
        stopped = ""
        try:
            with self.log.held():
                for done, item in enumerate(due, start=1):
                    if stopped:
                        item.result, item.detail = "failed", stopped
                    else:
                        stopped = self._send(item)
                    if progress is not None:
                        progress(done, len(due), item)
        finally:
            self.close()
        return list(items)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                _quietly_close(self.smtp)
            self.smtp = None

    def _open_with_retries(self) -> smtplib.SMTP:
        for attempt in range(self.attempts):
            try:
                return connect(self.settings)
            except TemporaryError as err:
                if attempt + 1 == self.attempts:
                    raise SendError(f"Nessun messaggio inviato: {err}.") from None
                self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _send(self, item: Outcome) -> str:
        """Send one item and record it; returns why the run must stop, or ""."""
        self.pacer.wait()  # before the claim: an interruption while waiting leaves nothing queued
        message_id = make_msgid(domain=self.domain)
        why = self.log.claim(Mark(item.key, item.comune), resend_since(self.today, self.options), message_id,
                             self.settings.channel, self.owner, self.batch)  # fmt: skip
        if why:
            item.result, item.detail = _not_claimed(why)
            return ""
        self.handing = False
        try:
            return self._attempts(item, message_id)
        except BaseException:  # interrupted (Ctrl-C): queued stays queued only if the message may have gone
            if not self.handing:
                self.log.settle(message_id, "failed", "invio interrotto prima della consegna")
            raise

    def _attempts(self, item: Outcome, message_id: str) -> str:
        data = build_message(item, self.sender, message_id, self.now(), self.options.reply_to)
        last = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
                self.pacer.wait()
            try:
                if self.smtp is None:
                    self.smtp = connect(self.settings)
                self._hand_over(item, data)
            except TemporaryError as err:
                last = str(err)
                if err.broken:
                    self.close()
                continue
            except Refused as err:
                self.log.settle(message_id, "refused", str(err))
                item.result, item.detail = "refused", f"il server ha rifiutato il destinatario: {err}"
                return ""
            except Uncertain as err:
                self.log.settle(message_id, "uncertain", str(err))
                item.result, item.detail = "uncertain", f"{err}; {UNCERTAIN_HINT}"
                self.close()
                return ""
            except SenderRefused as err:
                self.log.settle(message_id, "failed", str(err))
                item.result, item.detail = "failed", f"il server rifiuta il mittente: {err}"
                return f"il server rifiuta il mittente ({err})"
            except SendError as err:  # reconnecting: login or TLS refused now
                self.log.settle(message_id, "failed", str(err))
                item.result, item.detail = "failed", str(err)
                return str(err)
            self.log.settle(message_id, "sent", "", self.today)
            item.result, item.detail = "sent", ""
            return ""
        self.log.settle(message_id, "failed", last)
        item.result, item.detail = "failed", f"errore temporaneo dopo {self.attempts} tentativi: {last}"
        return f"il server non risponde ({last})" if self.smtp is None else ""

    def _hand_over(self, item: Outcome, data: bytes) -> None:
        smtp = self.smtp
        assert smtp is not None
        try:
            code, reply = smtp.mail(parseaddr(self.sender)[1])
            if code >= 500:
                smtp.rset()
                raise SenderRefused(server_text(code, reply))
            if code != 250:
                smtp.rset()
                raise TemporaryError(server_text(code, reply))
            code, reply = smtp.rcpt(item.to)
            if code not in (250, 251):
                smtp.rset()
                raise (Refused if code >= 500 else TemporaryError)(server_text(code, reply))
            for copy in self.options.bcc:
                smtp.rcpt(copy)  # a refused copy does not stop the comune's message
        except smtplib.SMTPServerDisconnected:
            raise TemporaryError("connessione chiusa dal server", broken=True) from None
        except (OSError, smtplib.SMTPException) as err:
            raise TemporaryError(f"connessione interrotta ({type(err).__name__})", broken=True) from None
        self.handing = True  # from here the server may have the message
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPDataError as err:  # the server refused DATA: nothing was handed over
            smtp.rset()
            raise (Refused if err.smtp_code >= 500 else TemporaryError)(
                server_text(err.smtp_code, err.smtp_error)
            ) from None
        except (OSError, smtplib.SMTPException) as err:
            raise Uncertain(
                f"connessione interrotta durante la consegna del messaggio ({type(err).__name__})"
            ) from None
        self.handing = False
        if code >= 500:
            raise Refused(server_text(code, reply))
        if code != 250:
            raise TemporaryError(server_text(code, reply))


def _not_claimed(why: str) -> tuple[str, str]:
    kind, _, rest = why.partition("|")
    if kind == "reminded":
        day, _, channel = rest.partition("|")
        return (
            "skipped",
            f"promemoria già inviato il {short_date(dt.date.fromisoformat(day))} ({CHANNELS.get(channel, channel)})",
        )
    return blocked_outcome(kind, rest)


def blocked_outcome(state: str, owner: str) -> tuple[str, str]:
    """A comune whose message is queued by a process still running (``busy``), else ``uncertain``."""
    if state == "queued" and _running(owner, socket.gethostname()):
        return "busy", "in invio in questo momento da un'altra sessione"
    return "uncertain", UNCERTAIN_HINT


def release_uncertain(log: ReminderLog, keys: Iterable[str] | None = None) -> int:
    """Free the comuni whose previous message has an uncertain outcome (after checking the sent folder),
    except messages queued by a process of this computer that is still running."""
    blocked = log.blocked()
    if keys is not None:
        blocked = blocked.loc[blocked["comune_key"].isin(set(keys))]
    host = socket.gethostname()
    free = [row.message_id for row in blocked.itertuples(index=False)
            if row.state == "uncertain" or not _running(row.owner, host)]  # fmt: skip
    return log.release(free)


def _running(owner: str, host: str) -> bool:
    where, _, pid = owner.rpartition(":")
    if where != host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def counts(items: Sequence[Outcome]) -> dict[str, int]:
    """How many items per result, in the order of RESULTS, zeros left out."""
    found = {key: sum(1 for i in items if i.result == key) for key in RESULTS}
    return {k: v for k, v in found.items() if v}


def count_words(items: Sequence[Outcome]) -> str:
    """«15 inviati, 1 rifiutato, 2 senza indirizzo»: each result with its count, in Italian."""
    words = {
        k: PLURALS.get(k, RESULTS[k]) if n > 1 or k == "uncertain" else RESULTS[k] for k, n in counts(items).items()
    }
    return ", ".join(f"{n} {words[k]}" for k, n in counts(items).items())


def summary_line(items: Sequence[Outcome]) -> str:
    comuni = "1 comune" if len(items) == 1 else f"{len(items)} comuni"
    return f"Promemoria: {comuni}, {count_words(items) or 'nessuno da inviare'}."


def outcomes_frame(items: Sequence[Outcome]) -> pd.DataFrame:
    """The outcome table (comune, province, recipient as ``contact``, result in Italian, detail)."""
    return pd.DataFrame(
        [{"comune": i.comune, "province": i.province, "contact": i.to, "result": RESULTS[i.result],
          "detail": i.detail} for i in items],
        columns=["comune", "province", "contact", "result", "detail"],
    )  # fmt: skip
