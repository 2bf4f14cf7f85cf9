"""The certification data of a PEC receipt: ``daticert.xml``, read safely.

Every message of the Italian certified mail (PEC) system, receipts included, carries a
``daticert.xml`` (DM 2 November 2005, technical rules, and AgID's): root ``postacert`` with
``tipo`` (``accettazione``, ``avvenuta-consegna``, ``errore-consegna``…) and ``errore``
(``nessuno``, ``no-dest``, ``no-dominio``, ``virus``, ``altro``), and in ``dati`` the date, the
provider's ``identificativo``, the original message's ``msgid`` and, for failures,
``errore-esteso``. The file comes from the mailbox, so it is untrusted: at most ``MAX_DATICERT``
bytes are read, a DOCTYPE with an internal subset, an entity declaration or a skipped entity is
refused (no entity expansion, nothing fetched), and the nesting is bounded.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.message import Message
from typing import NoReturn
from xml.parsers import expat

MAX_DATICERT = 64 * 1024  # real ones are 1-2 KB; 64 KB holds hundreds of recipients
_MAX_DEPTH = 16
_MAX_TEXT = 2000
_WANTED = {
    ("postacert", "dati", "msgid"): "msgid",
    ("postacert", "dati", "identificativo"): "identificativo",
    ("postacert", "dati", "errore-esteso"): "errore_esteso",
    ("postacert", "dati", "consegna"): "consegna",
    ("postacert", "dati", "data", "giorno"): "giorno",
    ("postacert", "dati", "data", "ora"): "ora",
}
_ZONE = re.compile(r"^([+-])(\d\d):?(\d\d)$")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,990})>")
_BARE_ID = re.compile(r"^[^<>\s@]{1,900}@[^<>\s@]{1,90}$")


class DaticertError(ValueError):
    """``daticert.xml`` is missing, too big or not the PEC format; the message says which, in Italian."""


@dataclass(frozen=True)
class Daticert:
    """What a receipt's ``daticert.xml`` certifies (no names: the addresses only where delivery is concerned)."""

    tipo: str
    errore: str = "nessuno"
    msgid: str = ""  # the original message's Message-ID, normalised (``<…>``)
    identificativo: str = ""  # the provider's id of this receipt
    errore_esteso: str = ""
    consegna: tuple[str, ...] = ()  # the recipient(s) delivered to, or whose delivery failed
    when: dt.datetime | None = None


def normal_id(text: str) -> str:
    """A Message-ID as the outbox stores it (``<local@domain>``), or "" when the text holds none."""
    text = str(text or "").strip()
    found = _MESSAGE_ID.search(text)
    if found:
        return f"<{found.group(1)}>"
    return f"<{text}>" if _BARE_ID.match(text) else ""


def daticert_part(message: Message) -> bytes | None:
    """The bytes of the ``daticert.xml`` attached to ``message`` (anywhere in its MIME tree, not inside an
    attached message), or None; DaticertError when it is larger than ``MAX_DATICERT``."""
    for part in _parts(message):
        name = (part.get_filename() or "").strip().lower()
        if name != "daticert.xml":
            continue
        encoded = part.get_payload()
        if not isinstance(encoded, str):
            return None
        if len(encoded) > MAX_DATICERT * 4 // 3 + 4096:  # checked before decoding anything
            raise DaticertError("daticert.xml troppo grande")
        data = part.get_payload(decode=True) or b""
        if len(data) > MAX_DATICERT:
            raise DaticertError("daticert.xml troppo grande")
        return data
    return None


def _parts(message: Message):
    """The leaves of the MIME tree, not descending into attached messages (``postacert.eml``)."""
    stack = [message]
    seen = 0
    while stack and seen < 200:
        part = stack.pop()
        seen += 1
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in reversed(payload) if isinstance(p, Message))
        elif part.get_content_maintype() != "message":
            yield part


def parse_daticert(data: bytes) -> Daticert:
    """``daticert.xml``'s certified data; DaticertError when it is too big, malformed or not a ``postacert``."""
    if len(data) > MAX_DATICERT:
        raise DaticertError("daticert.xml troppo grande")
    path: list[str] = []
    root: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    current: list[str | None] = []

    def refuse(*_args: object) -> NoReturn:
        raise DaticertError("daticert.xml con dichiarazioni DTD o entità non ammesse")

    def doctype(_name, _system, _public, has_internal_subset) -> None:
        if has_internal_subset:
            refuse()

    def start(name: str, attrs: dict[str, str]) -> None:
        path.append(name)
        if len(path) > _MAX_DEPTH:
            raise DaticertError("daticert.xml annidato oltre misura")
        if len(path) == 1:
            root.update(attrs)
        field = _WANTED.get(tuple(path))
        current.append(field)
        if field:
            texts.setdefault(field, []).append("")

    def end(_name: str) -> None:
        path.pop()
        current.pop()

    def characters(text: str) -> None:
        field = current[-1] if current else None
        if field and len(texts[field][-1]) < _MAX_TEXT:
            texts[field][-1] += text[:_MAX_TEXT]

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SkippedEntityHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        raise DaticertError(f"daticert.xml non è XML valido (riga {err.lineno})") from None
    except RecursionError:
        raise DaticertError("daticert.xml annidato oltre misura") from None
    tipo = " ".join(root.get("tipo", "").split()).lower()
    if not tipo:
        raise DaticertError("daticert.xml senza postacert/@tipo")

    def first(field: str) -> str:
        return " ".join((texts.get(field) or [""])[0].split())

    return Daticert(
        tipo=tipo,
        errore=" ".join(root.get("errore", "nessuno").split()).lower() or "nessuno",
        msgid=normal_id(first("msgid")),
        identificativo=first("identificativo"),
        errore_esteso=first("errore_esteso"),
        consegna=tuple(" ".join(t.split()).lower() for t in texts.get("consegna", []) if t.strip())[:20],
        when=_when(first("giorno"), first("ora"), _zone(data)),
    )


def _zone(data: bytes) -> str:
    found = re.search(rb'<data\s+zona\s*=\s*"([+-]\d\d:?\d\d)"', data[:MAX_DATICERT])
    return found.group(1).decode("ascii") if found else ""


def _when(day: str, time: str, zone: str) -> dt.datetime | None:
    """``20/09/2023`` + ``10:15:32`` + ``+0200`` as an aware datetime; None when any part is unusable."""
    try:
        moment = dt.datetime.strptime(f"{day} {time}", "%d/%m/%Y %H:%M:%S")
    except ValueError:
        return None
    found = _ZONE.match(zone)
    if not found:
        return None
    sign = 1 if found.group(1) == "+" else -1
    offset = dt.timedelta(hours=int(found.group(2)), minutes=int(found.group(3)))
    if offset > dt.timedelta(hours=14):
        return None
    return moment.replace(tzinfo=dt.timezone(sign * offset))
