"""What a message in the sender's mailbox says about a reminder we sent: one ``Receipt`` per message.

- PEC receipts and notices (``X-Ricevuta``, ``X-Riferimento-Message-ID``, and ``daticert.xml``,
  which must agree with the headers): accepted, delivered, or bounced with the provider's error.
  A PEC envelope (``X-Trasporto``) is opened: the message inside is classified instead.
- Delivery status notifications (RFC 3464, ``message/delivery-status``): the original's Message-ID
  from the returned headers, the reason from ``Status`` and ``Diagnostic-Code``.
- Other bounces: GNU Mailman's ``flufl.bounce`` recognises the common mail servers' formats; the
  original's Message-ID is taken from the returned message or the quoted headers.
- Replies (``In-Reply-To``/``References``) and automatic replies (``Auto-Submitted`` and the
  out-of-office conventions).

Classifying never fails: a message that is none of these, or that is malformed, oversized or
crafted, is ``unrelated`` with the reason. Whether the Message-ID is one the tracker sent is the
caller's business. Only what the outbox needs is kept: no subject, no body, no sender.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import logging
import re
from dataclasses import dataclass, replace
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import parsedate_to_datetime

from flufl.bounce import all_failures

from rollout.read.text import without_addresses
from rollout.reminders.pec import DaticertError, daticert_part, normal_id, parse_daticert

# flufl.bounce logs a traceback for every input its detectors choke on: crafted input is expected here,
# and caught; its log is not the place for it.
logging.getLogger("flufl.bounce").propagate = False
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())

KINDS = ("delivered", "accepted", "bounced", "replied", "auto_reply", "unrelated")
MAX_MESSAGE = 1024 * 1024  # bytes of a message that are parsed (a receipt of ours is a few KB)
FLUFL_BYTES = 16 * 1024  # what flufl.bounce reads of a message: a bounce explains itself at the top
MAX_PARTS = 500  # MIME boundaries beyond which only the headers are read (a receipt has fewer than 10)
_MAX_REASON = 240
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_FAILURE = re.compile(r"\b5\.\d{1,3}\.\d{1,3}\b")  # a permanent failure (RFC 3463)
_MESSAGE_ID_LINE = re.compile(r"^[ \t>]{0,8}Message-ID:[ \t]{0,8}(<[^<>\s]{1,990}>)", re.IGNORECASE | re.MULTILINE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|delivery (has )?failed|failure notice|returned mail|"
    r"mail delivery (failed|failure|system)|non recapitabil|mancato recapito|impossibile recapitare|"
    r"mancata consegna|non consegnat|rejected|delivery failure",
    re.IGNORECASE,
)
_UNREADABLE = (RecursionError, LookupError, ValueError, TypeError, AttributeError, UnicodeError, AssertionError)
_LOCAL_PART = re.compile(r"([^\s<>\"@,;:]+)@")
_DAEMONS = ("mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster")
_AUTO_SUBJECT = re.compile(
    r"^\s*(risposta automatica|automatic reply|auto(matische)? ?(reply|antwort)|out of (the )?office|"
    r"fuori (ufficio|sede)|assente|assenza|auto:|r[ée]ponse automatique)",
    re.IGNORECASE,
)

# X-Ricevuta → kind. ``preavviso-errore-consegna`` (not delivered within 12 hours: still trying) is a
# bounce only when its extended error is permanent (5.x.x), as some providers send it.
PEC_KINDS = {
    "accettazione": "accepted",
    "presa-in-carico": "accepted",
    "avvenuta-consegna": "delivered",
    "preavviso-errore-consegna": "accepted",
    "errore-consegna": "bounced",
    "non-accettazione": "bounced",
    "rilevazione-virus": "bounced",
}
_PEC_WHAT = {
    "preavviso-errore-consegna": "consegna non ancora confermata dopo 12 ore (preavviso di mancata consegna PEC)",
    "errore-consegna": "mancata consegna PEC",
    "non-accettazione": "PEC non accettata dal gestore del mittente",
    "rilevazione-virus": "il gestore del destinatario ha rilevato un virus",
}
_PEC_ERRORS = {
    "no-dest": "destinatario inesistente",
    "no-dominio": "dominio inesistente",
    "virus": "virus rilevato",
    "altro": "errore del gestore",
}
# RFC 3463 status codes, by subject.detail then subject.
_STATUS_WORDS = {
    "1.1": "indirizzo inesistente",
    "1.2": "dominio inesistente",
    "1.10": "indirizzo inesistente",
    "2.1": "casella disattivata",
    "2.2": "casella piena",
    "2.3": "messaggio troppo grande per la casella",
    "1": "indirizzo non valido",
    "2": "problema della casella del destinatario",
    "3": "problema del server del destinatario",
    "4": "problema di rete o di instradamento",
    "5": "errore di protocollo",
    "6": "contenuto non accettato",
    "7": "rifiutato dal server del destinatario (sicurezza o antispam)",
}


@dataclass(frozen=True)
class Receipt:
    """What one message of the mailbox says about a message we sent.

    ``kind`` is one of KINDS; ``message_id`` the Message-ID of ours it refers to ("" when it names
    none), ``also`` further Message-IDs it may refer to (a reply's ``References``), to try in turn;
    ``reason`` is Italian (why it bounced, why it is unrelated); ``recipients`` are the addresses a
    bounce or a delivery concerns (the comune's mailbox, to stop using it; never logged);
    ``receipt_id`` is the message's own Message-ID (or a digest of its headers): the same receipt
    read twice has the same one; ``key`` says where it was read (``UIDVALIDITY:UID``, set by the reader).
    """

    kind: str
    message_id: str = ""
    reason: str = ""
    source: str = ""  # "pec", "dsn", "bounce", "reply", "auto-reply", "" (unrelated)
    when: dt.datetime | None = None
    recipients: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    receipt_id: str = ""
    key: str = ""

    @property
    def refers_to(self) -> tuple[str, ...]:
        """Every Message-ID it may refer to, the most likely first."""
        return tuple(dict.fromkeys(i for i in (self.message_id, *self.also) if i))


def classify(raw: bytes) -> Receipt:
    """One raw message (RFC 5322 bytes, or only its header block) as a Receipt; never raises. At most
    MAX_MESSAGE bytes are read, and only the headers of a message with more than MAX_PARTS parts."""
    raw = bytes(raw[:MAX_MESSAGE])
    if raw.count(b"\n--") > MAX_PARTS:
        raw = _head(raw) + b"\r\n\r\n"
    try:
        message = email.message_from_bytes(raw)
        receipt = _classify(message, depth=0)
    except _UNREADABLE:
        message, receipt = None, Receipt("unrelated", reason="messaggio illeggibile")
    return replace(receipt, receipt_id=_receipt_id(message, raw))


def triage(header_block: bytes) -> Receipt | None:
    """From a message's headers alone: its Receipt when they are enough, None when the body is needed
    (a PEC message or something that looks like a bounce)."""
    raw = bytes(header_block[:MAX_MESSAGE])
    try:
        headers = BytesHeaderParser().parsebytes(raw)
        if _is_pec(headers) or _looks_like_bounce(headers):
            return None
        receipt = _reply(headers)
    except _UNREADABLE:
        return None
    return replace(receipt, receipt_id=_receipt_id(headers, raw))


# -- the kinds of message ---------------------------------------------------------------------------------


def _classify(message: Message, depth: int) -> Receipt:
    if _is_pec(message):
        return _pec(message, depth)
    if _looks_like_bounce(message) or message.get_content_type() == "multipart/report":
        bounce = _bounce(message)
        if bounce is not None:
            return bounce
    return _reply(message)


def _is_pec(message: Message) -> bool:
    return bool(message.get("X-Ricevuta") or message.get("X-Trasporto"))


def _pec(message: Message, depth: int) -> Receipt:
    ricevuta = _one_word(message.get("X-Ricevuta"))
    if not ricevuta:  # an envelope (busta di trasporto or di anomalia): what matters is the message inside
        inner = _attached_message(message)
        if inner is None or depth > 0:
            return Receipt("unrelated", reason="busta PEC senza messaggio allegato")
        found = _classify(inner, depth + 1)
        return found if found.kind != "unrelated" else Receipt("unrelated", reason=f"busta PEC: {found.reason}")
    kind = PEC_KINDS.get(ricevuta)
    if kind is None:
        return Receipt("unrelated", reason=f"ricevuta PEC di tipo sconosciuto: {_clean(ricevuta, 40)}")
    referred = normal_id(str(message.get("X-Riferimento-Message-ID") or ""))
    try:
        data = daticert_part(message)
        if data is None:
            return Receipt("unrelated", reason="ricevuta PEC senza daticert.xml: ignorata")
        cert = parse_daticert(data)
    except DaticertError as err:
        return Receipt("unrelated", reason=f"ricevuta PEC ignorata: {err}")
    if cert.tipo != ricevuta:
        return Receipt("unrelated", reason="ricevuta PEC incoerente: X-Ricevuta e daticert.xml non coincidono")
    if not cert.msgid or (referred and referred != cert.msgid):
        return Receipt(
            "unrelated", reason="ricevuta PEC incoerente: X-Riferimento-Message-ID e daticert.xml non coincidono"
        )
    what = ricevuta
    if ricevuta == "preavviso-errore-consegna" and _FAILURE.match(cert.errore_esteso.strip()):
        kind, what = "bounced", "errore-consegna"  # a permanent error (5.x.x): the provider has given up
    reason = ""
    if what in _PEC_WHAT:
        label = "" if cert.errore == "altro" and cert.errore_esteso else _PEC_ERRORS.get(cert.errore, "")
        reason = _join(_PEC_WHAT[what], label, _clean(cert.errore_esteso))
    return Receipt(kind, cert.msgid, reason, "pec", cert.when or _date(message), cert.consegna)


def _bounce(message: Message) -> Receipt | None:
    """A DSN or a bounce flufl.bounce recognises; None when it is neither."""
    blocks = _status_blocks(message)
    returned = _returned_id(message)
    if blocks:
        failed = [b for b in blocks if _one_word(b.get("Action")).startswith(("fail", "error"))]
        delayed = [b for b in blocks if _one_word(b.get("Action")).startswith("delay")]
        done = [b for b in blocks if _one_word(b.get("Action")) in ("delivered", "relayed", "expanded")]
        if failed:
            return Receipt("bounced", returned, _dsn_reason(failed[0]), "dsn", _date(message), _recipients(failed))
        if delayed:
            reason = _join("consegna ritardata, il server riproverà", _dsn_detail(delayed[0]))
            return Receipt("accepted", returned, reason, "dsn", _date(message), _recipients(delayed))
        if done:
            kind = "delivered" if _one_word(done[0].get("Action")) == "delivered" else "accepted"
            return Receipt(kind, returned, "", "dsn", _date(message), _recipients(done))
        return None
    try:
        # its heuristics run some dozens of patterns on every line: the first FLUFL_BYTES are enough
        temporary, permanent = all_failures(email.message_from_bytes(message.as_bytes()[:FLUFL_BYTES]))
    except Exception:  # noqa: BLE001 - third-party heuristics on hostile input: not a bounce we can read
        return None
    if not temporary and not permanent:
        return None
    addresses = tuple(sorted(a.decode("ascii", "replace").lower() for a in (permanent or temporary)))[:20]
    if permanent:
        status = _FAILURE.search(_text_of(message, FLUFL_BYTES))
        reason = _join(_status_words(status.group(0)), status.group(0)) if status else _status_words("")
        return Receipt("bounced", returned, reason, "bounce", _date(message), addresses)
    return Receipt("accepted", returned, "consegna ritardata, il server riproverà", "bounce", _date(message), addresses)


def _reply(message: Message) -> Receipt:
    ids = _ids(message.get("In-Reply-To")) + _ids(message.get("References"))[::-1]
    ids = tuple(dict.fromkeys(ids))
    automatic = _automatic(message)
    if not ids:
        if automatic:
            return Receipt(
                "auto_reply", reason="risposta automatica senza riferimento al messaggio", source="auto-reply"
            )
        return Receipt("unrelated", reason="né ricevuta, né avviso di mancata consegna, né risposta")
    kind, source = ("auto_reply", "auto-reply") if automatic else ("replied", "reply")
    return Receipt(kind, ids[0], "", source, _date(message), (), ids[1:])


# -- helpers ----------------------------------------------------------------------------------------------


def _looks_like_bounce(message: Message) -> bool:
    if message.get_content_type() == "multipart/report":
        return True
    if message.get("X-Failed-Recipients") or message.get("X-MS-Exchange-Message-Is-Ndr") is not None:
        return True
    if str(message.get("Return-Path") or "").strip() == "<>":
        return True
    sender = str(message.get("From") or "").lower()
    found = _LOCAL_PART.search(sender)
    local = found.group(1) if found else ""
    if local in _DAEMONS or local.startswith("microsoftexchange") or "mail delivery" in sender:
        return True
    return bool(_BOUNCE_SUBJECT.search(str(message.get("Subject") or "")))


def _automatic(message: Message) -> bool:
    submitted = _one_word(message.get("Auto-Submitted"))
    if submitted and submitted != "no":
        return True
    if any(message.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Autogenerated")):
        return True
    if _one_word(message.get("Precedence")) in ("auto_reply", "bulk", "junk"):
        return True
    return bool(_AUTO_SUBJECT.search(str(message.get("Subject") or "")))


def _status_blocks(message: Message) -> list[Message]:
    blocks: list[Message] = []
    for part in _walk(message):
        if part.get_content_type() == "message/delivery-status" and part.is_multipart():
            blocks.extend(b for b in part.get_payload() if isinstance(b, Message) and b.get("Action"))
    return blocks[:50]


def _returned_id(message: Message) -> str:
    """The Message-ID of the returned original: an attached message, returned headers, or quoted text."""
    for part in _walk(message):
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global") and part.is_multipart():
            inner = part.get_payload()
            if inner and isinstance(inner[0], Message) and normal_id(str(inner[0].get("Message-ID") or "")):
                return normal_id(str(inner[0].get("Message-ID")))
        elif kind in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            headers = HeaderParser().parsestr(_decoded(part, MAX_MESSAGE), headersonly=True)
            if normal_id(str(headers.get("Message-ID") or "")):
                return normal_id(str(headers.get("Message-ID")))
    found = _MESSAGE_ID_LINE.search(_text_of(message, MAX_MESSAGE))
    return normal_id(found.group(1)) if found else ""


def _walk(message: Message, limit: int = MAX_PARTS):
    """``message.walk()``, at most ``limit`` parts."""
    for n, part in enumerate(message.walk()):
        if n >= limit:
            return
        yield part


def _attached_message(message: Message) -> Message | None:
    for part in _walk(message):
        if part.get_content_type() == "message/rfc822" and part.is_multipart():
            inner = part.get_payload()
            if inner and isinstance(inner[0], Message):
                return inner[0]
    return None


def _text_of(message: Message, limit: int) -> str:
    """The text parts of the message, attached messages included, up to ``limit`` characters."""
    out: list[str] = []
    size = 0
    for part in _walk(message):
        if part.get_content_maintype() == "text" and size < limit:
            text = _decoded(part, limit - size)
            out.append(text)
            size += len(text)
    return "\n".join(out)


def _decoded(part: Message, limit: int) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data[:limit].decode(charset, "replace")
    except LookupError:
        return data[:limit].decode("utf-8", "replace")


def _dsn_reason(block: Message) -> str:
    status = _one_word(block.get("Status"))
    return _join(_status_words(status), _dsn_detail(block))


def _dsn_detail(block: Message) -> str:
    diagnostic = str(block.get("Diagnostic-Code") or "")
    diagnostic = diagnostic.split(";", 1)[1] if ";" in diagnostic else diagnostic
    return _clean(diagnostic) or _one_word(block.get("Status"))


def _status_words(status: str) -> str:
    found = _STATUS.search(status or "")
    if not found:
        return "messaggio respinto dal server del destinatario"
    subject, detail = found.group(2), found.group(3)
    return _STATUS_WORDS.get(f"{subject}.{detail}") or _STATUS_WORDS.get(subject) or "messaggio respinto"


def _recipients(blocks: list[Message]) -> tuple[str, ...]:
    found = []
    for block in blocks:
        value = str(block.get("Original-Recipient") or block.get("Final-Recipient") or "")
        address = value.split(";", 1)[-1].strip().strip("<>").lower()
        if "@" in address and len(address) < 255:
            found.append(address)
    return tuple(dict.fromkeys(found))[:20]


def _ids(value: object) -> tuple[str, ...]:
    return tuple(f"<{m}>" for m in re.findall(r"<([^<>\s]{1,990})>", str(value or "")))[:50]


def _date(message: Message) -> dt.datetime | None:
    try:
        when = parsedate_to_datetime(str(message.get("Date") or ""))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)  # "-0000": UTC, local zone unknown


def _receipt_id(message: Message | None, raw: bytes) -> str:
    own = normal_id(str(message.get("Message-ID") or "")) if message is not None else ""
    if own:
        return own
    return "sha256:" + hashlib.sha256(_head(raw)).hexdigest()[:32]


def _head(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]


def _one_word(value: object) -> str:
    return " ".join(str(value or "").split()).lower()[:80]


def _clean(text: str, limit: int = _MAX_REASON) -> str:
    """One line, addresses replaced by ``<indirizzo>``, at most ``limit`` characters."""
    line = without_addresses(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _join(what: str, *details: str) -> str:
    extra = [d for d in details if d and d.lower() not in what.lower()]
    return f"{what}: {', '.join(extra)}" if extra else what


def outcome_state(current: str, kind: str) -> str:
    """An outbox state after a receipt of this kind: ``sent`` → ``delivered`` | ``bounced`` | ``replied``
    (a reply outranks a delivery or a bounce, never the reverse; an automatic reply proves delivery; an
    acceptance proves an ``uncertain`` message left). Any other state, or kind, stays as it is."""
    rank = {"sent": 0, "delivered": 1, "bounced": 1, "replied": 2}
    target = {"delivered": "delivered", "bounced": "bounced", "replied": "replied", "auto_reply": "delivered"}
    if current == "uncertain" and kind in ("accepted", *target):
        current = "sent"
    new = target.get(kind)
    if current not in rank or new is None or rank[new] < rank[current]:
        return current
    return new
