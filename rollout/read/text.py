"""Text normalisation shared by header recognition, permission and name matching."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Each rule is written once, as data; the scalar functions and the Arrow (column) forms below both
# derive from it, and property tests check that the two agree.
APOSTROPHES = "’‘`´ʼ′ʻ"  # read as '
DASHES = "‐‑‒–—―−﹘﹣－"  # read as -
_ASCII_REPLACED = "".join(sorted({c for c in APOSTROPHES + DASHES if c.isascii()}))  # "`": ASCII, yet replaced
_NON_WORD = re.compile(r"[^0-9a-z]+")
# The one rule of an email address, applied when a list or the responses are read and again when a
# message is written: an address as mail servers take it (RFC 5321). A dot-atom local part of the
# characters real addresses use (no "%" relay hack, no "=?" a parser could decode), a domain of
# letter-digit-hyphen labels, none starting or ending with "-", ending in a letter-only or an IDN
# top-level domain; at most 64 characters before the "@", 253 after it, 254 in all.
_LOCAL = r"[a-z0-9_+'-]+(?:\.[a-z0-9_+'-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMAIL = rf"({_LOCAL})@((?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}}))"
_EMAIL = re.compile(EMAIL)
LOCAL_MAX, DOMAIN_MAX, EMAIL_MAX = 64, 253, 254


# Characters that show as nothing: byte-order mark / zero-width no-break space, zero-width space,
# (non-)joiners, direction marks and embeddings, word joiner and invisible operators, soft hyphen,
# Mongolian vowel separator. Pasted from web pages and Word files, they make equal texts differ.
INVISIBLE = "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
_INVISIBLE = re.compile(INVISIBLE)
# Characters a terminal acts on instead of showing: C0 and C1 controls (ESC starts colour codes and
# cursor moves, CR and LF start a line of their own), DEL, the line and paragraph separators.
CONTROL = "[\x00-\x1f\x7f-\x9f\u2028\u2029]"
_UNPRINTABLE = re.compile(f"{CONTROL}|{INVISIBLE}")
_ADDRESS_IN_TEXT = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")  # an address as any text quotes it, <…> included
QUOTE_LIMIT = 200  # characters of a cell quoted in a message or a table (a 10 MB cell is not copied whole)


def clean(value: object) -> str:
    """Unicode-normalised text: typographic apostrophes and dashes made plain, spaces collapsed,
    invisible characters dropped.

    The steps of ``clean_arrow`` with the same patterns (``_CLEAN_STEPS``), for one value: a
    one-element Arrow call compiles its regular expressions each time (about 0.7 ms a value).
    """
    value = str(value)
    if value.isascii() and not any(c in value for c in _ASCII_REPLACED):  # no Unicode work needed
        return " ".join(value.split())
    text = unicodedata.normalize("NFKC", value)
    for pattern, replacement in _CLEAN_STEPS_RE:
        text = pattern.sub(replacement, text)
    return text.strip(" ")


def _code_point(m: re.Match) -> str:
    return f"<U+{ord(m[0]):04X}>"


def visible(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Text as it may be quoted: invisible characters shown as ``<U+FEFF>``, at most ``limit``
    characters (then "…")."""
    text = str(value)
    if not text.isascii():
        text = _INVISIBLE.sub(_code_point, text)
    return text if len(text) <= limit else text[:limit] + "…"


def printable(value: object) -> str:
    """One line of text as a terminal may show it: invisible characters shown as ``visible`` shows
    them (``<U+FEFF>``), and so are control characters (``<U+001B>``, ``<U+000A>``), so a value
    can neither colour the terminal, move its cursor nor start a line of its own. Accents,
    typographic quotes and every other printable character stay as they are."""
    return _UNPRINTABLE.sub(_code_point, str(value))


def visible_series(values: pd.Series, limit: int = QUOTE_LIMIT) -> pd.Series:
    """``visible`` for a column; untouched (the same object) when nothing needs it."""
    arr = arrow_strings(values)
    if not len(arr):
        return values
    odd = pc.or_(pc.match_substring_regex(arr, INVISIBLE), pc.greater(pc.utf8_length(arr), limit))
    if not pc.any(odd).as_py():
        return values
    mask = odd.to_numpy(zero_copy_only=False)
    out = values.copy()
    out[mask] = map_unique(values[mask], lambda v: visible(v, limit))
    return out


def strip_invisible_series(values: pd.Series) -> pd.Series:
    """Outer spaces and every invisible character removed, nothing else changed."""
    arr = arrow_strings(values)
    if not pc.all(pc.string_is_ascii(arr)).as_py():
        arr = pc.replace_substring_regex(arr, INVISIBLE, "")
    return pd.Series(pc.utf8_trim_whitespace(arr), index=values.index, dtype=str)


def fold(value: object) -> str:
    """Lower case, without accents, apostrophes/dashes made plain, spaces collapsed."""
    text = clean(value)
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def words(value: object) -> str:
    """Folded text reduced to words separated by single spaces (punctuation dropped)."""
    return _NON_WORD.sub(" ", fold(value)).strip()


def person_key(value: object) -> str:
    """Identity key of a full name: folded words in sorted order ("Rossi Mario" == "mario ROSSI")."""
    return " ".join(sorted(words(value).split()))


def normalise_email(value: object) -> str:
    """The email address in ``value``, in lower case, when a mail server would accept it (``EMAIL``);
    else "". ``mailto:``, angle brackets and a trailing ``;`` or ``,`` are dropped first."""
    text = clean(value).lower()  # not casefold: "ß" must not become another address's "ss"
    if text.startswith("mailto:"):
        text = text[7:]
    text = text.strip(" <>;,")
    found = _EMAIL.fullmatch(text)
    if not found or len(found[1]) > LOCAL_MAX or len(found[2]) > DOMAIN_MAX or len(text) > EMAIL_MAX:
        return ""
    return text


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[1] if "@" in email else ""


# -- vectorised forms, for whole columns (same results as the functions above) -------------------
_SPACE_CLASS = "[" + "".join(sorted({chr(c) for c in range(0x3000 + 1) if chr(c).isspace()})) + "]+"


def arrow_strings(values: pd.Series) -> pa.Array:
    """A text column as one contiguous Arrow array (no copy when pandas already holds Arrow)."""
    arr = pa.array(values.astype(str), type=pa.large_string()) if len(values) else pa.array([], pa.large_string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def per_distinct(values: pd.Series, func: Callable[[str], object]) -> tuple[np.ndarray, list]:
    """Each row's code among the distinct values, and ``func`` of each distinct value (once)."""
    codes, uniques = pd.factorize(values, sort=False)
    return codes, [func(u) for u in uniques.tolist()]  # one conversion, not one per element


def map_unique(values: pd.Series, func: Callable[[str], object]) -> np.ndarray:
    """``func`` applied once per distinct value, spread back over the column (an array of objects)."""
    codes, mapped = per_distinct(values, func)
    return np.fromiter(mapped, dtype=object, count=len(mapped))[codes]


def squeeze_series(values: pd.Series) -> pd.Series:
    """Outer spaces removed and inner runs of white space made one space (display text)."""
    arr = arrow_strings(values)
    if _has_odd_spacing(arr):
        arr = pc.replace_substring_regex(pc.replace_substring_regex(arr, INVISIBLE, ""), _SPACE_CLASS, " ")
    return pd.Series(pc.utf8_trim(arr, " "), index=values.index, dtype=str)


def _has_odd_spacing(arr: pa.Array) -> bool:
    """Whether any text has a run of spaces, a tab or newline, or non-ASCII (maybe a no-break space)."""
    odd = pc.or_(pc.invert(pc.string_is_ascii(arr)), pc.match_substring_regex(arr, "  |[\t\n\r\f\v]"))
    return bool(pc.any(odd).as_py())


def email_series(values: pd.Series) -> pd.Series:
    """``normalise_email`` for a whole column."""
    arr = pc.utf8_lower(clean_arrow(arrow_strings(values)))
    arr = pc.replace_substring_regex(arr, r"^mailto:", "")
    arr = pc.utf8_trim(arr, " <>;,")
    local = pc.find_substring(arr, "@")  # an address has one "@": its position is the local part's length
    length = pc.utf8_length(arr)  # the rule admits ASCII only: characters are bytes
    fits = pc.and_(
        pc.and_(pc.match_substring_regex(arr, f"^{EMAIL}$"), pc.less_equal(local, LOCAL_MAX)),
        pc.and_(
            pc.less_equal(pc.subtract(pc.subtract(length, local), 1), DOMAIN_MAX), pc.less_equal(length, EMAIL_MAX)
        ),
    )
    arr = pc.if_else(fits, arr, "")
    return pd.Series(arr, index=values.index, dtype=str)


def blank(values: pd.Series) -> np.ndarray:
    """True where a cell holds nothing but white space."""
    return pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(arrow_strings(values))), 0).to_numpy(zero_copy_only=False)


_APOSTROPHE_CLASS = f"[{APOSTROPHES}]"
_DASH_CLASS = f"[{DASHES}]"
# After NFKC: what ``clean`` replaces, in order (one list for the scalar and the vectorised form).
_CLEAN_STEPS = ((INVISIBLE, ""), (_APOSTROPHE_CLASS, "'"), (_DASH_CLASS, "-"), (_SPACE_CLASS, " "))
_CLEAN_STEPS_RE = tuple((re.compile(p), r) for p, r in _CLEAN_STEPS)


def clean_arrow(arr: pa.Array) -> pa.Array:
    """``clean`` for an Arrow array of texts.

    The Unicode steps run only on the texts that are not plain ASCII or hold a backtick (on the
    others they change nothing); the spaces are collapsed everywhere only when some text needs it.
    """
    plain = pc.string_is_ascii(arr)
    if _ASCII_REPLACED:
        plain = pc.and_(plain, pc.invert(pc.match_substring_regex(arr, f"[{_ASCII_REPLACED}]")))
    if len(arr) and not pc.all(plain).as_py():
        odd = pc.invert(plain)
        sub = pc.utf8_normalize(arr.filter(odd), "NFKC")
        for pattern, replacement in _CLEAN_STEPS:
            sub = pc.replace_substring_regex(sub, pattern, replacement)
        arr = pc.replace_with_mask(arr, odd, sub)
    if len(arr) and pc.any(pc.match_substring_regex(arr, _ASCII_ODD_SPACING)).as_py():
        arr = pc.replace_substring_regex(arr, _SPACE_CLASS, " ")
    return pc.utf8_trim(arr, " ")


_ASCII_ODD_SPACING = "  |[\\t\\n\\r\\x0b\\x0c\\x1c-\\x1f]"


def words_arrow(arr: pa.Array) -> pa.Array:
    """``words`` for an Arrow array of cleaned, lower-case texts."""
    arr = pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKD"), r"\p{Mn}", "")
    arr = pc.replace_substring_regex(pc.utf8_lower(arr), "[^0-9a-z]+", " ")
    return pc.utf8_trim(arr, " ")


def words_series(values: pd.Series) -> pd.Series:
    """``words`` for a whole column."""
    arr = words_arrow(pc.utf8_lower(clean_arrow(arrow_strings(values))))
    return pd.Series(arr, index=values.index, dtype=str)


def clean_series(values: pd.Series) -> pd.Series:
    """``clean`` for a whole column."""
    return pd.Series(clean_arrow(arrow_strings(values)), index=values.index, dtype=str)


def without_addresses(value: object) -> str:
    """``value`` on one line with every e-mail address in it (and its ``<…>``) replaced by
    ``<indirizzo>``: what a server's answer, a bounce's reason or a log line may show of it."""
    return _ADDRESS_IN_TEXT.sub("<indirizzo>", " ".join(str(value or "").split()))
