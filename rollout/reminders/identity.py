"""Who a comune is, whatever the list called it: every identifier it is known by.

A reminder recorded from one list must be found again from another: the PM's own sheet without
codes, the same sheet with ISTAT or catasto codes, the official open-data file. Each comune gets
all the identifiers it can be known by (``istat:065001``, ``catasto:A508``, ``nome:castel_d_azzano|VR``:
the name's words and the province), completed from the national list of comuni (the map's index,
``data/geo/comuni.csv``) when the list gives only some of them. Two comuni that share one
identifier are one comune. A name is an identifier only with its province: two comuni called
Calliano (TN and AT) never merge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rollout.outputs.maps import shapes
from rollout.read.names import official_keys
from rollout.read.reference import national_comuni

_ISTAT = re.compile(r"\d{6}")
_CATASTO = re.compile(r"[A-Z]\d{3}")
_NAME_AND_PROVINCE = re.compile(r"(.+) \(([A-Z]{2})\)")


@lru_cache(maxsize=65536)
def identifiers(code: object, name: object, province: object) -> tuple[str, ...]:
    """Every identifier of one listed comune: its code (ISTAT, catasto or other), the codes and
    official name the national list gives it, and its name with the province."""
    code, name = str(code).strip().upper(), str(name).strip()
    province = str(province).strip().upper()
    ids: list[str] = []
    if code:
        kind = "istat" if _ISTAT.fullmatch(code) else "catasto" if _CATASTO.fullmatch(code) else "codice"
        ids.append(_id(kind, code))
    istat = _by_code().get(code, "") if code else ""
    if not istat and name:  # no code, or one the national list does not know (a new comune, a typo)
        istat = _resolve_name(name, province)
    if istat:
        cadastral, official, where = _facts()[istat]
        ids.append(_id("istat", istat))
        if cadastral:
            ids.append(_id("catasto", cadastral))
        ids += [_id("nome", f"{keys.loose}|{where}") for keys in official_keys(official)]
        province = province or where
    if province:
        ids += [_id("nome", f"{keys.loose}|{province}") for keys in official_keys(name)]
    return tuple(dict.fromkeys(ids))


def key_identifiers(key: str, comune: str = "") -> tuple[str, ...]:
    """The identifiers of a comune known only by the key its reminders were recorded under
    (``comune_key``: the code, else ``Name (PR)``, else the name) and its name."""
    key = str(key).strip()
    found = _NAME_AND_PROVINCE.fullmatch(key)
    if found:
        return identifiers("", found[1], found[2])
    comune = str(comune).strip()
    if key == comune or (not comune and not (_ISTAT.fullmatch(key) or _CATASTO.fullmatch(key.upper()))):
        return identifiers("", key, "")
    return identifiers(key, comune, "")


def joined(ids: Iterable[str]) -> str:
    """Identifiers in one table cell, sorted, separated by spaces (an identifier holds none)."""
    return " ".join(sorted(set(ids)))


def _id(kind: str, value: str) -> str:
    return f"{kind}:{'_'.join(value.split())}"


def _resolve_name(name: str, province: str) -> str:
    """The ISTAT code of the comune so named in ``province`` (any province when "" and the name is unique)."""
    index = _names_in(province) if province else _unique_names()
    return next((index[k.loose] for k in official_keys(name) if k.loose in index), "")


@lru_cache(maxsize=1)
def _facts() -> dict[str, tuple[str, str, str]]:
    """ISTAT code -> (catasto code or "", official name, province), for every comune with a shape."""
    geo = shapes()
    return {
        istat: (cadastral if len(cadastral) == 4 else "", name, province)
        for istat, cadastral, name, province in zip(
            geo.index, geo["cadastral"], geo["name"], geo["province"], strict=True
        )
    }


@lru_cache(maxsize=1)
def _by_code() -> dict[str, str]:
    """ISTAT or catasto code -> ISTAT code."""
    out = {istat: istat for istat in _facts()}
    for istat, (cadastral, _, _) in _facts().items():
        if cadastral:
            out.setdefault(cadastral, istat)
    return out


@lru_cache(maxsize=1)
def _national_by_province() -> dict[str, list[tuple[str, str]]]:
    """Province -> (name, ISTAT code) of the comuni with a shape, also under the national list's
    names (bilingual and older spellings)."""
    by_cadastral = {cadastral: istat for istat, (cadastral, _, _) in _facts().items() if cadastral}
    out: dict[str, list[tuple[str, str]]] = {}
    for istat, (_, name, province) in _facts().items():
        out.setdefault(province, []).append((name, istat))
    for m in national_comuni():
        if m.cadastral in by_cadastral:
            out.setdefault(m.province, []).append((m.name, by_cadastral[m.cadastral]))
    return out


@lru_cache(maxsize=128)
def _names_in(province: str) -> dict[str, str]:
    """Name's words -> ISTAT code of the comuni of one province (built only for the provinces needed)."""
    out: dict[str, str] = {}
    for name, istat in _national_by_province().get(province, []):
        for keys in official_keys(name):
            out.setdefault(keys.loose, istat)
    return out


@lru_cache(maxsize=1)
def _unique_names() -> dict[str, str]:
    """Name's words -> ISTAT code, for the names only one comune in Italy has (a list without provinces)."""
    seen: dict[str, set[str]] = {}
    for province in _national_by_province():
        for loose, istat in _names_in(province).items():
            seen.setdefault(loose, set()).add(istat)
    return {loose: next(iter(codes)) for loose, codes in seen.items() if len(codes) == 1}
