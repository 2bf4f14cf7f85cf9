"""The seven editor permissions and how to recognise them in what the form wrote.

Checkbox answers arrive joined with ", " and the option labels may carry numbering, dashes, a
description with its own commas, or "Other" text typed by the comune. Options are recognised by
meaning (keywords of the label), never by exact text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rollout.read.text import fold, words


@dataclass(frozen=True)
class Permission:
    key: str
    label: str
    group: str
    office: str
    pattern: re.Pattern[str]
    short: str = ""


def _p(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


_WEB, _SERVICES = "Sito web comunale", "Servizi digitali"
AT_KEY = "amministrazione_trasparente"  # the Amministrazione Trasparente editor: its own rule (has_at_editor)
PERMISSIONS: tuple[Permission, ...] = (
    Permission("sito_web", "Editor Sito Web", _WEB, _WEB,
               _p(r"\b(sito|siti) (web|internet|istituzionale|comunale)\b|^(editor )?sito$|\bweb editor\b"), "Sito web"),
    Permission("newsletter", "Editor Newsletter", _WEB, _WEB, _p(r"\bnews ?letters?\b"), "Newsletter"),
    Permission(AT_KEY, "Editor Amministrazione Trasparente", _WEB, _WEB,
               _p(r"\bamministrazione trasparente\b|\btrasparenza\b"), "Amm. trasparente"),
    Permission("servizi_demografico", "Editor Servizi - Ufficio Demografico", _SERVICES, "Demografico",
               _p(r"\bdemografic[oia]\b|\bservizi demografici\b|\banagrafe\b"), "Demografico"),
    Permission("servizi_segreteria", "Editor Servizi - Ufficio Segreteria", _SERVICES, "Segreteria",
               _p(r"\bsegreteria\b"), "Segreteria"),
    Permission("servizi_tecnico", "Editor Servizi - Ufficio Tecnico", _SERVICES, "Tecnico",
               _p(r"\b(ufficio|area|settore|servizi|servizio) tecnic[oai]\b|^(editor )?tecnico$"), "Tecnico"),
    Permission("servizi_tributi", "Editor Servizi - Ufficio Tributi", _SERVICES, "Tributi",
               _p(r"\btribut[oi]\b"), "Tributi"),
)  # fmt: skip
PERMISSION_KEYS: tuple[str, ...] = tuple(p.key for p in PERMISSIONS)
BY_KEY: dict[str, Permission] = {p.key: p for p in PERMISSIONS}
OFFICES: tuple[str, ...] = ("Sito web comunale", "Demografico", "Segreteria", "Tecnico", "Tributi")

_NUMBERING = re.compile(r"^\s*(?:\(?\d{1,2}\s*[).:\-]|[a-g]\)|[-*•])\s*")
_TICKED = {"si", "s", "x", "v", "true", "vero", "yes", "y", "1", "ok", "✓", "✔", "☑", "selezionato", "spuntato"}
_UNTICKED = {"", "no", "n", "false", "falso", "0", "-", "—", "nessuno", "non selezionato"}


@lru_cache(maxsize=65536)
def permissions_in(label: str) -> frozenset[str]:
    """Permission keys named by one option label (numbering and description ignored)."""
    text = _NUMBERING.sub("", fold(label))
    title = text.split(":", 1)[0]
    found = _match(words(title))
    return found or _match(words(text))


def _match(text: str) -> frozenset[str]:
    return frozenset(p.key for p in PERMISSIONS if p.pattern.search(text))


@lru_cache(maxsize=65536)
def parse_choices(cell: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Recognised permission keys and unknown ("Other") texts in one checkbox cell."""
    keys: set[str] = set()
    unknown: list[str] = []
    for segment in _segments(cell):
        found = permissions_in(segment)
        if found:
            keys |= found
        elif any(c.isalnum() for c in segment):
            unknown.append(segment.strip())
    return frozenset(keys), tuple(unknown)


def _segments(cell: str) -> list[str]:
    """Split a joined checkbox cell on ", " but keep commas that sit inside an option's text.

    A piece continues the previous option when it is inside an open parenthesis, or when it
    starts in lower case right after an option that carries a description ("Label: text, text").
    """
    parts = re.split(r"(\s*,\s*)", cell)
    out: list[str] = []
    pending_sep = ""
    for i, piece in enumerate(parts):
        if i % 2 or not piece.strip():  # separators (and empty pieces) kept: merged pieces read as typed
            pending_sep += piece
            continue
        between, pending_sep = pending_sep, ""
        if out:
            prev = out[-1]
            open_paren = prev.count("(") > prev.count(")")
            continuation = ":" in prev and piece[:1].islower() and not permissions_in(piece)
            if open_paren or continuation:
                out[-1] = prev + between + piece
                continue
        out.append(piece)
    return out


def header_permission(header: str) -> str | None:
    """The permission a column header names, for forms with one column per permission.

    Google Forms grids write ``Question [Row]``: the text in brackets wins when present.
    """
    bracket = re.search(r"\[([^\]]+)\]\s*$", header)
    found = permissions_in(bracket[1] if bracket else header)
    return next(iter(found)) if len(found) == 1 else None


def tick_value(value: str) -> bool | None:
    """True/False for a one-column-per-permission cell, None when the text means neither."""
    text = words(value)
    if text in _TICKED or text.startswith(("si ", "sì ")):
        return True
    if text in _UNTICKED or not value.strip():
        return False
    if permissions_in(value):  # the cell repeats the option label: Google grids do that
        return True
    return None
