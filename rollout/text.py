"""Text normalisation shared by header recognition, permission and name matching."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "′": "'", "ʻ": "'"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−﹘﹣－"})
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_EMAIL = re.compile(r"^[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$")


def clean(value: object) -> str:
    """Unicode-normalised text: typographic apostrophes and dashes made plain, spaces collapsed."""
    text = unicodedata.normalize("NFKC", str(value)).translate(_APOSTROPHES).translate(_DASHES)
    return _SPACES.sub(" ", text).strip()


def fold(value: object) -> str:
    """Lower case, without accents, apostrophes/dashes made plain, spaces collapsed."""
    text = unicodedata.normalize("NFKD", clean(value).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def words(value: object) -> str:
    """Folded text reduced to words separated by single spaces (punctuation dropped)."""
    return _NON_WORD.sub(" ", fold(value)).strip()


def person_key(value: object) -> str:
    """Identity key of a full name: folded words in sorted order ("Rossi Mario" == "mario ROSSI")."""
    return " ".join(sorted(words(value).split()))


def normalise_email(value: object) -> str:
    """A plausible email address in lower case, or "" when the value is not one."""
    text = clean(value).casefold()
    if text.startswith("mailto:"):
        text = text[7:]
    text = text.strip(" <>;,")
    return text if _EMAIL.match(text) else ""


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[1] if "@" in email else ""


def has_letters(value: object) -> bool:
    return any(c.isalpha() for c in str(value))
