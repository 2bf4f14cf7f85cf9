"""Keys of a comune's name as people type it, from strict to loose.

``exact``: case, spacing, typographic apostrophes and a "Comune di" prefix removed, accents kept
(an apostrophe used as an accent, "Paterno'", becomes the accent: "paternò").
``loose``: ``exact`` without accents and punctuation ("sant arsenio").
``compact``: ``loose`` without spaces ("santarsenio"), for fuzzy comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rollout.read.reference import province_code
from rollout.read.text import arrow_strings, clean, clean_arrow, words, words_arrow

_ACCENTED = {"a": "à", "e": "è", "i": "ì", "o": "ò", "u": "ù"}
_ACCENT_APOSTROPHE = re.compile(r"([aeiou])'(?=\s|$|[,.;)\]])")
_ELISION_SPACE = re.compile(r"'\s+")
_PREFIX = re.compile(
    r"^(?:spett\.?\s*le\s+|spettabile\s+)?(?:il\s+)?"
    r"(?:comune|municipio|amministrazione comunale|citta'? metropolitana)\b\s*(?:di\s+|d')?"
)
_ARTICLE_AFTER_PREFIX = re.compile(r"^(della|del|dell'|dei|degli|delle)\s*")
_ARTICLES = {"della": "la ", "del": "il ", "dell'": "l'", "dei": "i ", "degli": "gli ", "delle": "le "}
_PAREN_TAIL = re.compile(r"\s*[(\[]\s*(?:prov(?:incia)?\.?\s*(?:di\s+)?)?([^()\[\]]+?)\s*[)\]]\s*$")
_SEPARATED_TAIL = re.compile(r"\s*(?:[-,/]|\bprov(?:incia)?\.?(?:\s+di)?)\s*([a-z' ]+?)\s*$")
_BARE_SIGLA_TAIL = re.compile(r"\s+([a-z]{2})$")
_SAINT = re.compile(r"\b(s|st|sta|sto|ss)\b")
_SAINT_FORMS = {"s": ("san", "santa", "santo", "sant"), "st": ("sant", "santo"), "sta": ("santa",),
                "sto": ("santo",), "ss": ("santi", "santissima")}  # fmt: skip


@dataclass(frozen=True)
class NameKeys:
    exact: str
    loose: str
    compact: str
    province: str = ""  # a province named in the text itself: "Calliano (TN)"

    def __bool__(self) -> bool:
        return bool(self.compact)


def _accents(text: str) -> str:
    text = _ACCENT_APOSTROPHE.sub(lambda m: _ACCENTED[m[1]], text)
    return _ELISION_SPACE.sub("'", text)


def _keys(text: str, province: str = "") -> NameKeys:
    text = text.strip(" .,;:-")
    loose = words(text)
    return NameKeys(text, loose, loose.replace(" ", ""), province)


@lru_cache(maxsize=65536)
def official_keys(name: str) -> list[NameKeys]:
    """Keys of a name from a list (comuni list or national list); bilingual names give two."""
    base = _accents(clean(name).casefold())
    parts = [base, *(p.strip() for p in base.split("/") if "/" in base)]
    stripped = _PREFIX.sub("", base)
    if stripped != base and stripped:
        parts.append(stripped)
    return [_keys(p) for p in dict.fromkeys(parts) if p.strip()]


@lru_cache(maxsize=131072)
def typed_variants(raw: str) -> tuple[NameKeys, ...]:
    """Keys of a name typed in the form, most literal first.

    Variants cover a trailing province ("(SA)", "- Salerno", " SA"), the article after the prefix
    ("Comune della Spezia" -> "la spezia") and abbreviated saints ("S. Arsenio").
    """
    original = _accents(clean(raw).casefold())
    text = _PREFIX.sub("", original, count=1)
    had_prefix = text != original
    bodies: list[tuple[str, str]] = [(text, "")]
    m = _PAREN_TAIL.search(text) or _SEPARATED_TAIL.search(text) or _BARE_SIGLA_TAIL.search(text)
    if m and (prov := province_code(m[1])):
        bodies.append((text[: m.start()], prov))
    out: list[NameKeys] = []
    for body, prov in bodies:
        body = body.strip()
        art = _ARTICLE_AFTER_PREFIX.match(body) if had_prefix else None
        out.append(_keys(body, prov))
        if art:
            out.append(_keys(_ARTICLES[art[1]] + body[art.end() :], prov))
    for keys in list(out):
        out.extend(_saint_variants(keys))
    return tuple(k for k in dict.fromkeys(out) if k)


def literal_keys(raw: str) -> tuple[NameKeys, ...]:
    """The keys of a typed name taken as it stands, a "Comune di" prefix aside: no province tail,
    article or saint variants (their patterns are made for names of a few words). Linear in the
    text's length, for texts longer than any real comune's name."""
    keys = _keys(_PREFIX.sub("", _accents(clean(raw).casefold()), count=1).strip())
    return (keys,) if keys else ()


def _saint_variants(keys: NameKeys) -> list[NameKeys]:
    m = _SAINT.search(keys.loose)
    if not m:
        return []
    variants = []
    for form in _SAINT_FORMS[m[1]]:
        loose = keys.loose[: m.start()] + form + keys.loose[m.end() :]
        variants.append(NameKeys(loose, words(loose), words(loose).replace(" ", ""), keys.province))
    return variants


# The prefix rule is one expression: RE2 (Arrow) accepts it as written.
_PREFIX_RE2 = _PREFIX.pattern


def keys_frame(names: pd.Series, *, typed: bool) -> pd.DataFrame:
    """The first keys of many names at once: ``official_keys(n)[0]`` (``typed=False``) or
    ``typed_variants(n)[0]`` (``typed=True``), computed with Arrow kernels.

    The same normalisation as the functions above, written for whole columns; tests check that
    both agree on every real comune name and on messy typing of them.
    """
    arr = pc.utf8_lower(clean_arrow(arrow_strings(names)))
    arr = pc.replace_substring(arr, "ß", "ss")  # str.casefold does this, utf8_lower does not
    # The apostrophe rules only concern texts with an apostrophe: run them on those alone.
    arr = _on_subset(arr, pc.match_substring(arr, "'"), _apostrophes)
    if typed:
        arr = _on_subset(arr, pc.match_substring_regex(arr, _PREFIX_RE2), _strip_prefix)
    exact = pc.utf8_trim(arr, " .,;:-")
    loose = words_arrow(exact)
    compact = pc.replace_substring(loose, " ", "")
    return pd.DataFrame(
        {
            "exact": pd.Series(exact, dtype=str),
            "loose": pd.Series(loose, dtype=str),
            "compact": pd.Series(compact, dtype=str),
        }
    ).set_axis(names.index)


def all_official_keys(names: pd.Series) -> list[list[NameKeys]]:
    """``official_keys`` of every name, vectorised for the common case of one key per name."""
    frame = keys_frame(names, typed=False)
    lower = names.str.lower()
    special = (
        lower.str.contains("/", regex=False)
        | lower.str.match(r"\s*(?:spett|il |comune|municipio|amministrazione|citta)")
    ).to_numpy()
    out = []
    for name, is_special, (exact, loose, compact) in zip(
        names, special, frame.itertuples(index=False, name=None), strict=True
    ):
        out.append(official_keys(name) if is_special else [NameKeys(exact, loose, compact)])
    return out


def _apostrophes(arr: pa.Array) -> pa.Array:
    for vowel, accented in _ACCENTED.items():
        arr = pc.replace_substring_regex(arr, vowel + r"'( |$|[,.;)\]])", accented + r"\1")
    return pc.replace_substring_regex(arr, r"' +", "'")


def _strip_prefix(arr: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(arr, _PREFIX_RE2, "", max_replacements=1)


def _on_subset(arr: pa.Array, mask: pa.Array, func) -> pa.Array:
    """``func`` applied only where ``mask`` is true (the others are left as they are)."""
    if not pc.any(mask).as_py():
        return arr
    return pc.replace_with_mask(arr, mask, func(pc.filter(arr, mask)))
