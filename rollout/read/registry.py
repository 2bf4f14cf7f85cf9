"""Contacts from IndicePA, the official registry of public administrations (optional third source).

IndicePA's open-data «Enti» file has one row per administration (``Codice_IPA``,
``Denominazione_ente``, ``Tipologia``, ``Codice_Categoria``, ``Codice_comune_ISTAT``,
``Codice_catastale_comune``, ``Mail1…Mail5`` with ``Tipo_Mail1…Tipo_Mail5``: ``Pec`` or ``Altro``);
the older export ``amministrazioni.txt`` (tab-separated) names them ``cod_amm``, ``des_amm``,
``tipologia_amm``, ``tipologia_istat``, ``mail1``, ``tipo_mail1``… and has no ISTAT or cadastral code.

A comune of the list is found by its codice IPA (the 1.4.1 open data's ``codice_ipa``), else by its
ISTAT code, else by its cadastral code; never by name. By code only the registry's rows of comuni
count (category «Comuni e loro Consorzi e Associazioni», ``L6``; IPA code ``c_<catasto>`` or a name
«Comune di …»), and among several with one code the row whose IPA code is ``c_<catasto>`` wins: a
union of comuni or a consortium sitting in the comune never takes its place. A code found in two
rows, or two comuni rows for one code without that tie-break, gives no address: it is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from data_sources import Grid
from rollout.errors import InputError
from rollout.keys import ComuniCols as C
from rollout.read.columns import CONTACT_RULES, MAIL_SLOTS, recognise, shown_headers
from rollout.read.comuni import ComuniList
from rollout.read.text import clean_series, email_series, map_unique, words

WHAT = "Contatti IndicePA"
# The columns a comune of the list gains (empty without a registry, or when it is not found).
JOINED = (C.REGISTRY_PEC, C.REGISTRY_EMAIL, C.REGISTRY_MATCH, C.REGISTRY_IPA)
MATCH_LABELS = {"ipa": "codice IPA", "istat": "codice ISTAT", "cadastral": "codice catastale"}
_COMUNE_IPA = r"^c_[a-z]\d{3}$"  # a comune's codice IPA: "c_" and its cadastral code
# IndicePA's other open-data files share Codice_IPA and Mail1 but hold offices, one entity many times.
_OTHER_FILES = {"codice uni uo": "delle unità organizzative", "codice uni aoo": "delle aree organizzative omogenee",
                "cod uni ou": "delle unità organizzative", "cod aoo": "delle aree organizzative omogenee"}  # fmt: skip
_NO_VALUE = r"(?i)^\W*(?:null|none|nan|n\W*d|n\W*a|-+)?\W*$"
_LIST_LIMIT = 10


@dataclass(frozen=True)
class Registry:
    """IndicePA's rows, one per administration (index = file row), and what was noticed reading them.

    ``rows`` columns: ``ipa`` (lower case), ``name``, ``istat``, ``cadastral``, ``comune`` (a comune's
    own row), ``pec`` (the first valid PEC), ``email`` (the first other valid address), ``invalid``
    (address cells that are not an address), ``twice`` (its IPA code is on another row too).
    """

    rows: pd.DataFrame
    origin: str
    notes: tuple[str, ...] = ()
    used: tuple[int, ...] = ()  # the file's columns that were read (positions)

    def slim(self, grid: Grid) -> Grid:
        """``grid`` with only the columns read, headers included: what is worth a copy on disk (not
        the officials' names, the street addresses and the web links)."""
        cells = grid.cells.iloc[:, list(self.used)]
        return replace(grid, cells=cells.set_axis(range(cells.shape[1]), axis=1))

    def __len__(self) -> int:
        return len(self.rows)


def load_registry(grid: Grid, overrides: Mapping[str, str] | None = None) -> Registry:
    """Recognise IndicePA's columns by meaning and keep, per row, the codes and the addresses."""
    cells = grid.cells
    cols = recognise(cells, CONTACT_RULES, overrides or {}, ("ipa_code",), what=WHAT, other_sheets=grid.other_sheets)
    folded = {words(h) for h in cols.headers}
    for marker, kind in _OTHER_FILES.items():
        if marker in folded:
            raise InputError(
                f"{WHAT}: {grid.origin} sembra il file {kind} di IndicePA, non quello degli enti: scarica il "
                "file «Enti» (vedi docs/data.md, «Contacts from IndicePA»)."
            )
    slots = [i for i in MAIL_SLOTS if cols.get(f"mail{i}") is not None]
    if not slots and cols.get("pec") is None:
        raise InputError(
            f"{WHAT}: nessuna colonna di indirizzi (Mail1…Mail5 con Tipo_Mail1…Tipo_Mail5, o PEC). Colonne trovate "
            f"nella riga {cols.header_row}: {shown_headers(cols.headers)}. Usa il file «Enti» degli open data di "
            "IndicePA (vedi docs/data.md, «Contacts from IndicePA»)."
        )
    body = cells.loc[cells.index > cols.header_row]
    empty = pd.Series("", index=body.index, dtype=str)

    def column(field: str, how: str = "strip") -> pd.Series:
        """A column's cells: ``clean`` (codes), ``strip`` (addresses: ``email_series`` cleans them),
        or ``words`` computed once per distinct value (types and categories: a handful of values)."""
        pos = cols.get(field)
        if pos is None:
            return empty
        values = clean_series(body[pos]) if how == "clean" else body[pos].str.strip()
        values = values.where(~values.str.match(_NO_VALUE), "")
        return pd.Series(map_unique(values, words), index=body.index, dtype=str) if how == "words" else values

    rows = pd.DataFrame({"ipa": column("ipa_code", "clean").str.lower(), "name": column("name")}, index=body.index)
    rows["istat"] = _istat(column("istat", "clean"))
    rows["cadastral"] = column("cadastral", "clean").str.upper()
    rows["comune"] = _comune_rows(rows, column("category", "words"), column("kind", "words"))
    pec, other, invalid = empty, empty, pd.Series(0, index=body.index, dtype=int)
    given: list[tuple[pd.Series, pd.Series]] = []  # (the addresses, their kinds)
    if cols.get("pec") is not None:
        given.append((column("pec"), pd.Series("pec", index=body.index)))
    given += [(column(f"mail{i}"), column(f"mail_type{i}", "words")) for i in slots]
    for raw, kinds in given:
        address = email_series(raw)
        invalid += ((raw != "") & (address == "")).astype(int)
        is_pec = kinds.eq("pec") & (address != "")
        pec = pec.where((pec != "") | ~is_pec, address)
        other = other.where((other != "") | is_pec | (address == ""), address)
    rows["pec"], rows["email"], rows["invalid"] = pec, other, invalid
    coded = (rows["ipa"] != "") | (rows["istat"] != "") | (rows["cadastral"] != "")
    blank = (body == "").all(axis=1)
    rows = rows.loc[coded].copy()
    rows["twice"] = rows["ipa"].ne("") & rows["ipa"].duplicated(keep=False)
    notes = _twice_notes(rows)
    if uncoded := int((~coded & ~blank).sum()):
        notes.append(
            f"{WHAT}: {uncoded} {'riga' if uncoded == 1 else 'righe'} senza codice IPA né codice del comune, "
            "ignorate: non si possono collegare a nessun comune."
        )
    return Registry(rows, grid.origin, tuple(notes), tuple(sorted(set(cols.fields.values()))))


def _istat(codes: pd.Series) -> pd.Series:
    """ISTAT codes as 6 digits (a spreadsheet drops the leading zeros: 88009 is 088009)."""
    digits = codes.str.fullmatch(r"\d{4,6}")
    return codes.where(~digits, codes.str.zfill(6)).where(digits, "")


def _comune_rows(rows: pd.DataFrame, category: pd.Series, kind: pd.Series) -> pd.Series:
    """Rows of a comune itself: category «Comuni e loro Consorzi e Associazioni» (L6) where given, a
    public administration where given, and a comune's IPA code or a name «Comune di …»."""
    in_category = (category == "") | (category == "l6") | category.str.startswith("comuni e loro")
    public = (kind == "") | kind.str.startswith("pubblic")
    own = rows["ipa"].str.match(_COMUNE_IPA) | rows["name"].str.match(r"(?i)comune\b")
    return in_category & public & own


def _twice_notes(rows: pd.DataFrame) -> list[str]:
    twice = rows.loc[rows["twice"]]
    if twice.empty:
        return []
    groups = twice.groupby("ipa", sort=False).groups
    shown = [f"{code} (righe {', '.join(map(str, index))})" for code, index in list(groups.items())[:_LIST_LIMIT]]
    more = f" e altri {len(groups) - _LIST_LIMIT}" if len(groups) > _LIST_LIMIT else ""
    one = len(groups) == 1
    return [
        f"{WHAT}: {'il codice IPA' if one else f'{len(groups)} codici IPA'} {', '.join(shown)}{more} "
        f"{'è' if one else 'sono'} su più righe: da quelle righe non prendo nessun indirizzo."
    ]


# -- the join ---------------------------------------------------------------------------------------


def join_registry(comuni: ComuniList, registry: Registry | None) -> ComuniList:
    """The comuni list with, per comune, the registry's PEC and other address, how the comune was
    found (``registry_match``: ``ipa``, ``istat``, ``cadastral`` or "") and its IPA code there."""
    frame = comuni.frame.copy()
    for column in JOINED:
        frame[column] = ""
    if registry is None:
        return replace(comuni, frame=frame)
    rows = registry.rows.loc[~registry.rows["twice"]]
    by_ipa = dict(zip(rows["ipa"].tolist(), rows.index.tolist(), strict=True))
    mine = rows.loc[rows["comune"]]
    by_istat: dict[str, list[int]] = {}
    for code, index in zip(mine["istat"].tolist(), mine.index.tolist(), strict=True):
        if code:
            by_istat.setdefault(code, []).append(index)
    by_cadastral = _by_cadastral(mine)
    own_ipa = dict(zip(mine.index.tolist(), mine["ipa"].tolist(), strict=True))
    own_cadastral = dict(zip(mine.index.tolist(), mine["cadastral"].tolist(), strict=True))
    found = [
        _find(ipa, code, by_ipa, by_istat, by_cadastral, own_ipa, own_cadastral)
        for ipa, code in zip(frame[C.IPA_CODE].tolist(), frame[C.CODE].tolist(), strict=True)
    ]
    hit = pd.Series([row for row, _, _ in found], index=frame.index, dtype="Int64")
    matched = hit.notna()
    located = registry.rows.loc[hit[matched].to_numpy(dtype=int)]
    for column, source in ((C.REGISTRY_PEC, "pec"), (C.REGISTRY_EMAIL, "email"), (C.REGISTRY_IPA, "ipa")):
        frame.loc[matched, column] = located[source].to_numpy()
    frame[C.REGISTRY_MATCH] = [how for _, how, _ in found]
    unclear = pd.Series([problem for _, _, problem in found], index=frame.index, dtype=str)
    notes = [*comuni.notes, *registry.notes, *_join_notes(frame, located, unclear)]
    return replace(comuni, frame=frame, notes=tuple(notes))


def _by_cadastral(mine: pd.DataFrame) -> dict[str, list[int]]:
    """Comuni rows by cadastral code: the code's column, and a comune's own IPA code c_<catasto>."""
    out: dict[str, list[int]] = {}
    for index, cadastral, ipa in zip(
        mine.index.tolist(), mine["cadastral"].tolist(), mine["ipa"].tolist(), strict=True
    ):
        own = ipa[2:].upper() if re.fullmatch(_COMUNE_IPA, ipa) else ""
        for code in {cadastral, own} - {""}:
            out.setdefault(code, []).append(index)
    return out


def _find(
    ipa: str,
    code: str,
    by_ipa: Mapping[str, int],
    by_istat: Mapping[str, list[int]],
    by_cadastral: Mapping[str, list[int]],
    own_ipa: Mapping[int, str],
    own_cadastral: Mapping[int, str],
) -> tuple[int | None, str, str]:
    """The registry row of a comune (its codice IPA and its code), how it was found, and what kept
    it from being found ("")."""
    ipa = ipa.strip().lower()
    if ipa and ipa in by_ipa:
        return by_ipa[ipa], "ipa", ""
    if re.fullmatch(r"\d{6}", code):
        candidates, kind = by_istat.get(code, []), "istat"
    elif re.fullmatch(r"[A-Z]\d{3}", code):
        candidates, kind = by_cadastral.get(code, []), "cadastral"
    else:
        return None, "", ""
    if len(candidates) == 1:
        return candidates[0], kind, ""
    own = [i for i in candidates if own_ipa[i] == f"c_{(own_cadastral[i] or code).lower()}"]
    if len(own) == 1:
        return own[0], kind, ""
    if not candidates:
        return None, "", ""
    where = ", ".join(str(i) for i in sorted(candidates)[:_LIST_LIMIT])
    return None, "", f"{len(candidates)} comuni di IndicePA con il {MATCH_LABELS[kind]} {code} (righe {where})"


def _join_notes(frame: pd.DataFrame, located: pd.DataFrame, unclear: pd.Series) -> list[str]:
    total = len(frame)
    how = frame[C.REGISTRY_MATCH]
    counts = how.value_counts()
    found = int((how != "").sum())
    ways = ", ".join(f"{int(counts[k])} per {MATCH_LABELS[k]}" for k in MATCH_LABELS if counts.get(k, 0))
    with_pec = int((frame[C.REGISTRY_PEC] != "").sum())
    notes = [
        f"{WHAT}: {found} comuni su {total} trovati" + (f" ({ways})" if ways else "") + f", {with_pec} con la PEC."
    ]
    problems = [f"{n}: {p}" for n, p in zip(frame[C.NAME], unclear, strict=True) if p]
    if problems:
        shown = "; ".join(problems[:_LIST_LIMIT]) + (
            f"; e altri {len(problems) - _LIST_LIMIT}" if len(problems) > _LIST_LIMIT else ""
        )
        notes.append(f"{WHAT}: nessun indirizzo per {_comuni(len(problems))}, l'ente non è univoco: {shown}.")
    missing = frame.loc[(how == "") & (unclear == "")]
    if not found and total:
        notes.append(
            f"{WHAT}: nessun comune trovato. Servono nell'elenco dei comuni il codice IPA, ISTAT o catastale, e il "
            "file «Enti» completo di IndicePA (vedi docs/data.md, «Contacts from IndicePA»)."
        )
    elif len(missing):
        notes.append(
            f"{WHAT}: {_comuni(len(missing))} non {'trovato' if len(missing) == 1 else 'trovati'} in IndicePA "
            f"(per codice IPA, ISTAT o catastale): {_names(missing)}."
        )
    bad = located.loc[located["invalid"] > 0]
    if len(bad):
        rows = ", ".join(str(i) for i in bad.index[:_LIST_LIMIT])
        notes.append(
            f"{WHAT}: {'1 comune ha' if len(bad) == 1 else f'{len(bad)} comuni hanno'} in IndicePA un indirizzo non "
            f"valido, ignorato ({'riga' if len(bad) == 1 else 'righe'} {rows})."
        )
    return notes


def _comuni(n: int) -> str:
    return "1 comune" if n == 1 else f"{n} comuni"


def _names(frame: pd.DataFrame) -> str:
    shown = [
        f"{n} ({p})" if p else n
        for n, p in zip(frame[C.NAME][:_LIST_LIMIT], frame[C.PROVINCE][:_LIST_LIMIT], strict=True)
    ]
    return ", ".join(shown) + (f" e altri {len(frame) - _LIST_LIMIT}" if len(frame) > _LIST_LIMIT else "")
