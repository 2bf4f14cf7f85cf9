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
_APOSTROPHES = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))
_DASHES = str.maketrans(dict.fromkeys(DASHES, "-"))
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_EMAIL = re.compile(r"^[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$")


def clean(value: object) -> str:
    """Unicode-normalised text: typographic apostrophes and dashes made plain, spaces collapsed."""
    value = str(value)
    if value.isascii() and "`" not in value:  # the same result, without the Unicode work
        return " ".join(value.split())
    text = unicodedata.normalize("NFKC", str(value)).translate(_APOSTROPHES).translate(_DASHES)
    return _SPACES.sub(" ", text).strip()


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
    """A plausible email address in lower case, or "" when the value is not one."""
    text = clean(value).lower()  # not casefold: "ß" must not become another address's "ss"
    if text.startswith("mailto:"):
        text = text[7:]
    text = text.strip(" <>;,")
    return text if _EMAIL.match(text) else ""


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
    return codes, [func(u) for u in uniques]


def map_unique(values: pd.Series, func: Callable[[str], object]) -> list:
    """``func`` applied once per distinct value, spread back over the column (as a list)."""
    codes, mapped = per_distinct(values, func)
    return [mapped[c] for c in codes]


def squeeze_series(values: pd.Series) -> pd.Series:
    """Outer spaces removed and inner runs of white space made one space (display text)."""
    arr = arrow_strings(values)
    if _has_odd_spacing(arr):
        arr = pc.replace_substring_regex(arr, _SPACE_CLASS, " ")
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
    arr = pc.if_else(pc.match_substring_regex(arr, _EMAIL.pattern), arr, "")
    return pd.Series(arr, index=values.index, dtype=str)


def blank(values: pd.Series) -> np.ndarray:
    """True where a cell holds nothing but white space."""
    return pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(arrow_strings(values))), 0).to_numpy(zero_copy_only=False)


_APOSTROPHE_CLASS = f"[{APOSTROPHES}]"
_DASH_CLASS = f"[{DASHES}]"


def clean_arrow(arr: pa.Array) -> pa.Array:
    """``clean`` for an Arrow array of texts."""
    arr = pc.utf8_normalize(arr, "NFKC")
    arr = pc.replace_substring_regex(arr, _APOSTROPHE_CLASS, "'")
    arr = pc.replace_substring_regex(arr, _DASH_CLASS, "-")
    return pc.utf8_trim(pc.replace_substring_regex(arr, _SPACE_CLASS, " "), " ")


def words_arrow(arr: pa.Array) -> pa.Array:
    """``words`` for an Arrow array of cleaned, lower-case texts."""
    arr = pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKD"), r"\p{Mn}", "")
    arr = pc.replace_substring_regex(pc.utf8_lower(arr), "[^0-9a-z]+", " ")
    return pc.utf8_trim(arr, " ")


def clean_series(values: pd.Series) -> pd.Series:
    """``clean`` for a whole column."""
    return pd.Series(clean_arrow(arrow_strings(values)), index=values.index, dtype=str)
