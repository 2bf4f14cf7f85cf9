"""Send the reminder drafts by SMTP (or PEC, an SMTP server with TLS): tracked, paced, never twice.

Each message is written to the reminders log's outbox ``queued`` before it is handed to the server
and ``sent`` / ``refused`` / ``failed`` / ``uncertain`` after (see ``ReminderLog.claim``); a sent
message is recorded as a reminder with channel ``email`` or ``pec``, like the marks made by hand.
A comune already reminded in the last ``resend_after_days`` days (under any of its identifiers),
or with a message queued or of uncertain outcome, is never sent again: a crash, a kill, a double
click or two processes at once cannot send twice, and the next run resumes what was not sent.
Once the message's last line has gone to the server, it may have been accepted: from then on
nothing (an interruption, a log that cannot be written) makes it ``failed``, only ``sent`` or
``uncertain``. The limit per minute counts the messages the log says were reserved in the last
60 seconds, by any process.

Settings (``rollout.reminders.mail_settings``): ``[smtp]`` in the secrets file, ``[reminders]`` in
rollout.toml (``resend_after_days``, ``max_per_minute``, ``reply_to``, ``bcc``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import format_datetime, make_msgid, parseaddr

import pandas as pd

from rollout.errors import InputError
from rollout.italian import count_comuni, plural, short_date
from rollout.read.text import without_addresses
from rollout.reminders.headers import header, mailbox_header, one_line, text_message, usable_address
from rollout.reminders.identity import identifiers, key_identifiers
from rollout.reminders.log import CHANNELS, Mark, ReminderLog, TrackingError
from rollout.reminders.mail_settings import SendOptions, SmtpSettings

RESULTS = {
    "sent": "inviato",
    "copy_refused": "inviato senza copia nascosta",
    "due": "da inviare",
    "skipped": "saltato",
    "no_address": "senza indirizzo",
    "refused": "rifiutato",
    "failed": "non inviato",
    "uncertain": "esito incerto",
    "busy": "in invio altrove",
    "deferred": "rimandato",
}
PLURALS = {"sent": "inviati", "copy_refused": "inviati senza copia nascosta", "skipped": "saltati",
           "refused": "rifiutati", "failed": "non inviati", "uncertain": "con esito incerto",
           "deferred": "rimandati"}  # fmt: skip
# Any of these: not everything due was sent as asked (by this run); the command line exits 1.
PROBLEMS = ("refused", "failed", "uncertain", "busy", "copy_refused")
# The Sender's clock (seconds since the epoch: the log compares the times of every process) and
# sleep; tests replace them (no real waits).
CLOCK, SLEEP = time.time, time.sleep


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
    ids: tuple[str, ...] = field(default=(), repr=False)  # every identifier of the comune (identity)

    @property
    def label(self) -> str:
        return f"{self.comune} ({self.province})" if self.province else self.comune

    def line(self) -> str:
        """The command line's line for this comune."""
        arrow = f" → {self.to}" if self.to and self.result in ("sent", "copy_refused", "due", "refused") else ""
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
    stuck: dict[str, tuple[str, str]] = {}  # the key and every identifier of a blocked comune -> why
    if blocked is not None:
        for r in blocked.itertuples(index=False):
            why = blocked_outcome(str(r.state), str(r.owner), str(r.message_id))
            for ident in (f"key:{r.comune_key}", *str(getattr(r, "ids", "")).split()):
                stuck.setdefault(ident, why)
    by_key = {letter.key: letter for letter in letters.itertuples(index=False)}
    out: list[Outcome] = []
    due = 0
    for row in table.itertuples(index=False):
        if wanted is not None and row.key not in wanted:
            continue
        letter = by_key[row.key]
        ids = identifiers(row.code, row.comune, row.province)
        item = Outcome(str(row.key), str(row.comune), str(row.province), str(letter.to), "due", "",
                       str(letter.subject), str(letter.body), ids)  # fmt: skip
        blocker = next((stuck[i] for i in (f"key:{row.key}", *ids) if i in stuck), None)
        counted = str(row.last_counted)  # the last reminder that counts ("" when none)
        if not letter.to:
            item.result, item.detail = "no_address", str(letter.address)
        elif counted and dt.date.fromisoformat(counted) >= since:  # not one that bounced
            item.result = "skipped"
            channel = f" ({row.last_channel})" if counted == str(row.last_reminder) else ""
            item.detail = f"promemoria già inviato il {short_date(dt.date.fromisoformat(counted))}{channel}"
        elif blocker is not None:
            item.result, item.detail = blocker
        elif limit is not None and due >= limit:
            item.result, item.detail = "deferred", f"oltre il limite di {plural(limit, 'messaggio', 'messaggi')}"
        else:
            due += 1
        out.append(item)
    return out


CHECK_HINT = "controlla nella posta inviata se è partito; se no, rilancia con --retry-uncertain"
UNCERTAIN_HINT = (  # a message of an earlier run
    f"un invio precedente si è interrotto mentre il messaggio era consegnato al server: {CHECK_HINT}"
)
UNCERTAIN_NOW = f"il server potrebbe averlo ricevuto: {CHECK_HINT}"  # a message of this run
UNRECORDED_HINT = (  # accepted by the server, not recorded: blocked until someone frees it
    "il messaggio è partito, ma il comune resta «esito incerto» finché non lo liberi con --retry-uncertain: "
    "fallo solo quando serve un nuovo sollecito"
)
# Messages this process reserved and could not settle (the log was not writable): they stay
# ``queued`` in the log, but nothing of this process is still sending them.
LEFT_QUEUED: set[str] = set()


def resend_since(today: dt.date, options: SendOptions) -> dt.date:
    """The first day whose reminders still count: a comune reminded since then is skipped."""
    return today - dt.timedelta(days=options.resend_after_days - 1)


def build_message(item: Outcome, sender: str, message_id: str, when: dt.datetime, reply_to: str = "") -> bytes:
    """One comune's draft as the message handed to the server: UTF-8 plain text, Date, Message-ID.

    Headers from ``rollout.reminders.headers`` (as the .eml drafts): every name, subject and
    display name is literal text on folded lines, whatever it holds."""
    name, address = parseaddr(sender)
    fields = [
        mailbox_header("From", name, usable_address(address)),
        mailbox_header("To", f"Comune di {one_line(item.comune)}", usable_address(item.to)),
    ]
    reply_name, reply_address = parseaddr(reply_to)
    if usable_address(reply_address):  # checked with the configuration: an unusable one never gets here
        fields.append(mailbox_header("Reply-To", reply_name, usable_address(reply_address)))
    fields += [header("Subject", item.subject), f"Date: {format_datetime(when)}", f"Message-ID: {message_id}"]
    return text_message(fields, item.body)


# -- the connection -------------------------------------------------------------------------------------


def server_text(code: int, reply: bytes | str) -> str:
    """A server's answer on one line, without the addresses it may quote."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {without_addresses(text)}".strip()


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
        close_quietly(smtp)
        raise SendError(
            f"Il server SMTP {host} rifiuta l'accesso: utente o password errati ({server_text(err.smtp_code, err.smtp_error)})."
        ) from None
    except ssl.SSLCertVerificationError as err:
        close_quietly(smtp)
        raise SendError(
            f"Il certificato TLS del server SMTP {host} non è valido ({err.verify_message}): se il server usa un "
            "certificato proprio, indicane il file in [smtp] ca_file."
        ) from None
    except ssl.SSLError as err:
        close_quietly(smtp)
        raise SendError(
            f"Connessione TLS con il server SMTP {host}:{settings.port} non riuscita ({err.reason or err}): "
            "controlla security e port in [smtp]."
        ) from None
    except smtplib.SMTPNotSupportedError:
        close_quietly(smtp)
        raise SendError(f"Il server SMTP {host} non supporta STARTTLS: controlla security e port in [smtp].") from None
    except smtplib.SMTPResponseException as err:
        close_quietly(smtp)
        if 400 <= err.smtp_code < 500:
            raise TemporaryError(server_text(err.smtp_code, err.smtp_error)) from None
        raise SendError(
            f"Il server SMTP {host} rifiuta la connessione: {server_text(err.smtp_code, err.smtp_error)}."
        ) from None
    except smtplib.SMTPException as err:  # e.g. "SMTP AUTH extension not supported by server"
        close_quietly(smtp)
        if isinstance(err, smtplib.SMTPServerDisconnected):
            raise TemporaryError(f"connessione chiusa dal server {host}", broken=True) from None
        raise SendError(f"Il server SMTP {host} non accetta l'accesso configurato: {err}.") from None
    except OSError as err:  # refused, unreachable, timeout
        close_quietly(smtp)
        raise TemporaryError(
            f"server SMTP {host}:{settings.port} non raggiungibile ({err.strerror or err})", broken=True
        ) from None


def close_quietly(smtp: smtplib.SMTP | None) -> None:
    """Close the connection without a word to the server (no QUIT), whatever state it is in."""
    if smtp is None:
        return
    with contextlib.suppress(OSError):
        smtp.close()


def quit_politely(smtp: smtplib.SMTP) -> None:
    """QUIT once the outcomes are recorded: a connection that closes badly changes nothing then."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        close_quietly(smtp)


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
    clock: Callable[[], float] = field(default_factory=lambda: CLOCK)  # seconds since the epoch
    sleep: Callable[[float], None] = field(default_factory=lambda: SLEEP)
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()
    attempts: int = 3
    backoff: float = 2.0  # seconds before the 2nd attempt, doubled each time
    batch: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self.sender = self.settings.sender or self.sender
        if not self.sender:
            raise SendError("Manca il mittente: indica sender in [smtp] dei segreti o in [reminders] di rollout.toml.")
        self.address = usable_address(parseaddr(self.sender)[1])
        if not self.address:
            raise SendError(f"Il mittente non è un indirizzo email valido: '{one_line(self.sender)}'.")
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.smtp: smtplib.SMTP | None = None
        self.handing = False  # the message's end went to the server: it may have been accepted
        self.domain = self.address.rpartition("@")[2]

    def run(
        self, items: Sequence[Outcome], progress: Callable[[int, int, Outcome], None] | None = None
    ) -> list[Outcome]:
        """Send every ``due`` item; the items with their results. SendError before any message when
        the server cannot be used (login, TLS, unreachable).

        An interruption (Ctrl-C, or any exception) while a message is with the server leaves it
        ``uncertain``: reported through ``progress``, then the interruption goes on."""
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
                        try:
                            stopped = self._send(item)
                        except BaseException:
                            if progress is not None and item.result == "uncertain":
                                progress(done, len(due), item)  # the one line that says so
                            raise
                    if progress is not None:
                        progress(done, len(due), item)
        finally:
            self.close()
        return list(items)

    def close(self) -> None:
        if self.smtp is not None:
            quit_politely(self.smtp)
            self.smtp = None

    def _open_with_retries(self) -> smtplib.SMTP:
        return open_with_retries(self.settings, self.attempts, self.backoff, self.sleep)

    def _claim(self, item: Outcome, message_id: str) -> str:
        """Reserve the comune in the log, waiting while the limit per minute is reached; "" or why not."""
        mark = Mark(item.key, item.comune, item.ids)
        since = resend_since(self.today, self.options)
        while True:
            why = self.log.claim(mark, since, message_id, self.settings.channel, self.owner, self.batch,
                                 per_minute=self.options.max_per_minute, at=self.clock(), address=item.to)  # fmt: skip
            if not why.startswith("wait|"):
                return why
            self.sleep(float(why.partition("|")[2]))  # nothing queued while waiting: an interruption costs nothing

    def _send(self, item: Outcome) -> str:
        """Send one item and record it; returns why the run must stop, or ""."""
        message_id = make_msgid(domain=self.domain)
        try:
            why = self._claim(item, message_id)
        except TrackingError as err:  # nothing reserved, nothing handed over
            item.result, item.detail = "failed", f"non inviato: {err}"
            return str(err)
        if why:
            item.result, item.detail = _not_claimed(why)
            return ""
        self.handing = False
        try:
            return self._attempts(item, message_id)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM, anything unforeseen)
            if self.handing:
                item.result = "uncertain"
                item.detail = f"invio interrotto mentre il messaggio era consegnato al server; {UNCERTAIN_NOW}"
                state = self._settle_quietly(message_id, "uncertain", "invio interrotto durante la consegna")
            else:
                item.result, item.detail = "failed", "invio interrotto prima della consegna"
                state = self._settle_quietly(message_id, "failed", item.detail)
            if state == "sent":  # recorded just before the interruption
                item.result, item.detail = "sent", ""
            raise

    def _settle_quietly(self, message_id: str, state: str, detail: str) -> str:
        """Record an outcome if the log lets us; a message left ``queued`` blocks its comune as an
        uncertain one does, so a log that cannot be written loses nothing."""
        try:
            return self.log.settle(message_id, state, detail)
        except (TrackingError, OSError):
            LEFT_QUEUED.add(message_id)
            return "queued"

    def _attempts(self, item: Outcome, message_id: str) -> str:
        data = build_message(item, self.sender, message_id, self.now(), self.options.reply_to)
        last = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                if self.smtp is None:
                    self.smtp = connect(self.settings)
                copies = self._hand_over(item, data)
            except TemporaryError as err:
                last = str(err)
                if err.broken:
                    self.close()
                continue
            except Refused as err:
                return self._record(item, message_id, "refused", str(err),
                                    f"il server ha rifiutato il destinatario: {err}")  # fmt: skip
            except Uncertain as err:
                self.close()
                return self._record(item, message_id, "uncertain", str(err), f"{err}; {UNCERTAIN_NOW}")
            except SenderRefused as err:
                stop = self._record(item, message_id, "failed", str(err), f"il server rifiuta il mittente: {err}")
                return stop or f"il server rifiuta il mittente ({err})"
            except SendError as err:  # reconnecting: login or TLS refused now
                return self._record(item, message_id, "failed", str(err), str(err)) or str(err)
            if copies:
                detail = f"il server ha rifiutato la copia nascosta (bcc): {'; '.join(copies)}"
                return self._record(item, message_id, "sent", detail, detail, result="copy_refused")
            return self._record(item, message_id, "sent", "", "")
        shown = f"errore temporaneo dopo {self.attempts} tentativi: {last}"
        stop = self._record(item, message_id, "failed", last, shown)
        return stop or (f"il server non risponde ({last})" if self.smtp is None else "")

    def _record(self, item: Outcome, message_id: str, state: str, detail: str, shown: str, result: str = "") -> str:
        """Record one message's outcome and show it; returns why the run must stop, or "".

        A message the server accepted is tried once more after a pause when the log is locked. A
        log that cannot be written stops the run; the message stays ``queued``, which blocks its
        comune as ``uncertain`` does: one the server accepted (or may have) is shown ``uncertain``,
        never ``failed``, and is never sent again without someone checking."""
        item.result, item.detail = result or state, shown
        for attempt in range(2 if state == "sent" else 1):
            if attempt:
                self.sleep(self.backoff)
            try:
                self.log.settle(message_id, state, detail, self.today)
                return ""
            except TrackingError as err:
                error = err
        LEFT_QUEUED.add(message_id)
        if state == "sent":
            item.result = "uncertain"
            item.detail = (
                f"il server ha accettato il messaggio, ma il registro dei promemoria non si è potuto aggiornare "
                f"({error}); {UNRECORDED_HINT}"
            )
        else:
            item.detail = f"{shown} (registro dei promemoria non aggiornato: {error})"
        return f"registro dei promemoria non aggiornabile ({error})"

    def _hand_over(self, item: Outcome, data: bytes) -> list[str]:
        """One SMTP transaction; the answers of the copies (bcc) the server refused."""
        assert self.smtp is not None
        return hand_over(self.smtp, self.address, data, [item.to], self.options.bcc, self._handing)

    def _handing(self) -> None:
        self.handing = True  # from here the server may have the message, whatever happens


def open_with_retries(
    settings: SmtpSettings, attempts: int = 3, backoff: float = 2.0, sleep: Callable[[float], None] | None = None
) -> smtplib.SMTP:
    """``connect``, tried ``attempts`` times on a temporary fault (waiting ``backoff`` seconds, doubled
    each time); SendError («Nessun messaggio inviato: …») when it never works."""
    for attempt in range(attempts):
        try:
            return connect(settings)
        except TemporaryError as err:
            if attempt + 1 == attempts:
                raise SendError(f"Nessun messaggio inviato: {err}.") from None
            (sleep or SLEEP)(backoff * 2**attempt)
    raise AssertionError("unreachable")


def hand_over(
    smtp: smtplib.SMTP,
    mail_from: str,
    data: bytes,
    to: Sequence[str],
    copies: Sequence[str] = (),
    on_data: Callable[[], None] | None = None,
) -> list[str]:
    """One SMTP transaction: ``data`` from ``mail_from`` to ``to`` and ``copies``; the answers of the
    copies the server refused. A refused ``to`` is Refused (5xx) or TemporaryError (4xx); without
    ``to``, so is a transaction where every copy was refused. ``on_data`` is called once the server
    has taken DATA: from then on the message may have been accepted, and a fault is Uncertain."""
    refused: list[str] = []
    try:
        code, reply = smtp.mail(mail_from)
        if code >= 500:
            smtp.rset()
            raise SenderRefused(server_text(code, reply))
        if code != 250:
            smtp.rset()
            raise TemporaryError(server_text(code, reply))
        for address in to:
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                smtp.rset()
                raise (Refused if code >= 500 else TemporaryError)(server_text(code, reply))
        worst = 0
        for copy in copies:
            code, reply = smtp.rcpt(copy)
            if code not in (250, 251):  # the message goes to the others; the refused copy is reported
                refused.append(server_text(code, reply))
                worst = max(worst, code)
        if not to and len(refused) == len(copies):
            smtp.rset()
            raise (Refused if worst >= 500 else TemporaryError)("; ".join(refused) or "nessun destinatario")
        code, reply = smtp.docmd("data")
    except smtplib.SMTPServerDisconnected:
        raise TemporaryError("connessione chiusa dal server", broken=True) from None
    except (OSError, smtplib.SMTPException) as err:
        raise TemporaryError(f"connessione interrotta ({type(err).__name__})", broken=True) from None
    if code != 354:  # the server refused DATA: nothing was handed over
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.rset()
        raise (Refused if code >= 500 else TemporaryError)(server_text(code, reply))
    if on_data is not None:
        on_data()
    try:
        smtp.send(_dot_stuffed(data))
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPException) as err:
        raise Uncertain(f"connessione interrotta durante la consegna del messaggio ({type(err).__name__})") from None
    if code >= 500:
        raise Refused(server_text(code, reply))
    if code != 250:
        raise TemporaryError(server_text(code, reply))
    return refused


def _dot_stuffed(data: bytes) -> bytes:
    """The message as DATA sends it (RFC 5321 4.5.2): CRLF line ends, a leading dot doubled, the final dot."""
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines) + b".\r\n"


def _not_claimed(why: str) -> tuple[str, str]:
    kind, _, rest = why.partition("|")
    if kind == "reminded":
        day, _, channel = rest.partition("|")
        return (
            "skipped",
            f"promemoria già inviato il {short_date(dt.date.fromisoformat(day))} ({CHANNELS.get(channel, channel)})",
        )
    owner, _, message_id = rest.partition("|")
    return blocked_outcome(kind, owner, message_id)


def blocked_outcome(state: str, owner: str, message_id: str = "") -> tuple[str, str]:
    """A comune whose message is queued by a process still running (``busy``), else ``uncertain``."""
    if _in_progress(state, owner, message_id):
        return "busy", "in invio in questo momento da un'altra sessione"
    return "uncertain", UNCERTAIN_HINT


def _in_progress(state: str, owner: str, message_id: str) -> bool:
    """A queued message whose process is still running and has not left it behind (LEFT_QUEUED)."""
    return state == "queued" and message_id not in LEFT_QUEUED and _running(owner, socket.gethostname())


def release_uncertain(log: ReminderLog, keys: Iterable[str] | None = None) -> int:
    """Free the comuni whose previous message has an uncertain outcome (after checking the sent folder),
    except messages queued by a process of this computer that is still running. ``keys``: only these
    comuni (``comune_key``), whatever key their messages were recorded under."""
    blocked = log.blocked()
    if keys is not None:
        wanted = set(keys)
        ids = set().union(*(key_identifiers(k) for k in wanted))
        mine = [k in wanted or bool(ids & set(str(i).split())) for k, i in zip(blocked["comune_key"], blocked["ids"],
                                                                             strict=True)]  # fmt: skip
        blocked = blocked.loc[mine]
    free = [str(row.message_id) for row in blocked.itertuples(index=False)
            if not _in_progress(str(row.state), str(row.owner), str(row.message_id))]  # fmt: skip
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
    return ", ".join(plural(n, *_counted(k)) for k, n in counts(items).items())


def _counted(result: str) -> tuple[str, str]:
    """A result's words after a count of one and of many: «1 rifiutato», «2 rifiutati»."""
    many = PLURALS.get(result, RESULTS[result])
    return (many if result == "uncertain" else RESULTS[result]), many  # «1 con esito incerto»


def summary_line(items: Sequence[Outcome]) -> str:
    return f"Promemoria: {count_comuni(len(items))}, {count_words(items) or 'nessuno da inviare'}."


def outcomes_frame(items: Sequence[Outcome]) -> pd.DataFrame:
    """The outcome table (comune, province, recipient as ``contact``, result in Italian, detail)."""
    return pd.DataFrame(
        [{"comune": i.comune, "province": i.province, "contact": i.to, "result": RESULTS[i.result],
          "detail": i.detail} for i in items],
        columns=["comune", "province", "contact", "result", "detail"],
    )  # fmt: skip
