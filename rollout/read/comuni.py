"""The list of participating comuni: the PM's own sheet or the PA digitale 2026 open-data file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_sources import Grid
from rollout.italian import agree, number, plural
from rollout.keys import ComuniCols as C
from rollout.read.columns import COMUNI_RULES, Rule, recognise
from rollout.read.names import keys_frame
from rollout.read.reference import ISTAT_PROVINCES, national_comuni, province_code
from rollout.read.text import (
    clean,
    clean_series,
    email_domain,
    email_series,
    map_unique,
    strip_invisible_series,
    words,
    words_series,
)

COLUMNS = (C.ROW, C.NAME, C.CODE, C.IPA_CODE, C.PROVINCE, C.REGION, C.CONTACT_NAME, C.CONTACT_EMAIL, C.CONTACT_RAW,
           C.PEC, C.PHONE, C.WAVE, C.GOLIVE, C.DOMAINS)  # fmt: skip
_OPEN_DATA_MARKERS = {"cod_comune", "comune"}
_ISTAT = re.compile(r"^\d{4,6}$")
_CADASTRAL = re.compile(r"^[A-Za-z]\d{3}$")
# "No value" as lists write it: N/D, ND, n.d., N/A, #N/D (Excel's Italian #N/A), -, 0, 000000, xxx.
# "None" is not here: it is a comune (TO).
_PLACEHOLDER = r"(?i)^\W*(?:n\W*d|n\W*a|null|nan|x+|tbd|da definire|-+|0+)\W*$"
# The same for a province, where "NA" is Napoli.
_NO_PROVINCE = r"(?i)^\W*(?:n\W*d|n\W+a|null|nan|x+|-+|0+)\W*$"
# A totals line ("Totale comuni: 130", "TOTALE", "Tot.", "Grand Total", "Somma: 12"): never a
# comune. Compared as ``words`` (lower case, no accents, punctuation made spaces): a name that
# starts with one of TOTALS_LEAD, or is one of TOTALS_ALONE with nothing but numbers after it
# ("Somma Lombardo" and "Somma Vesuviana" are comuni). Spreadsheets' own totals are here too:
# pivot tables ("Grand Total", "Totale complessivo", "Somma di …", "Conteggio di …", "COUNTA of …")
# and LibreOffice's "Total Result"/"Risultato totale". tests/test_comuni.py checks that no real
# comune's name matches.
TOTALS_LEAD = (
    "total", "totals", "totale", "totali", "tot", "grand total", "grand totals", "gran totale",
    "subtotal", "subtotals", "subtotale", "subtotali", "sub total", "sub totals", "sub totale", "sub totali",
    "sub tot", "overall total", "sum total", "total result", "risultato totale", "risultato complessivo",
    "sum of", "somma di", "somma totale", "count of", "counta of", "conteggio di", "totale complessivo",
    "numero comuni", "numero dei comuni", "numero di comuni", "n comuni", "nr comuni", "no comuni", "num comuni",
)  # fmt: skip
TOTALS_ALONE = ("somma", "sum", "complessivo", "in totale", "in tutto", "conteggio", "count", "counta")
_TOTALS = re.compile(
    rf"^(?:{'|'.join(map(re.escape, TOTALS_LEAD))})(?: |$)|^(?:{'|'.join(map(re.escape, TOTALS_ALONE))})(?: \d+)*$"
)
# A template or repeated-header cell: "(nome)", "<comune>", "[sigla]".
_BRACKETED = r"^\s*(?:\([\w\s'./-]*\)|<[\w\s'./-]*>|\[[\w\s'./-]*\])\s*$"


@dataclass(frozen=True)
class ComuniList:
    """Participating comuni (index 0..n-1) and the rows of the list that were set aside, with why."""

    frame: pd.DataFrame
    excluded: pd.DataFrame
    kind: str  # "open_data" or "sheet"
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.frame)


def load_comuni(grid: Grid, overrides: Mapping[str, str] | None = None) -> ComuniList:
    """Recognise the list's columns and keep the rows that take part, reporting every other row."""
    cells = grid.cells
    first = {clean(h).casefold() for h in cells.iloc[0].tolist()}
    if first >= _OPEN_DATA_MARKERS and ({"tipologia_ente", "codice_ipa"} & first) and not overrides:
        return _open_data(cells)
    cols = recognise(
        cells, COMUNI_RULES, overrides or {}, (C.NAME,), what="Elenco comuni", other_sheets=grid.other_sheets
    )
    body = cells.loc[cells.index > cols.header_row]
    frame = pd.DataFrame({C.ROW: body.index.to_numpy(), "blank": (body == "").all(axis=1).to_numpy()})
    for field in (
        C.NAME,
        C.CODE,
        C.IPA_CODE,
        C.PROVINCE,
        C.REGION,
        C.CONTACT_NAME,
        C.CONTACT_EMAIL,
        C.PEC,
        C.PHONE,
        C.WAVE,
        C.GOLIVE,
    ):
        pos = cols.get(field)
        frame[field] = _keep(field, body[pos]).to_numpy() if pos is not None else ""
    frame["header"] = _header_like(body, cols.fields, list(cols.headers)).to_numpy()
    return _finish(frame, "sheet", grid.notes)


def _labels(rule: Rule | None, folded: pd.Series) -> pd.Series:
    """Which cells read as a header of ``rule``'s column: a short text (up to three words) without
    digits that the rule matches. ``folded`` comes from ``words_series`` (words of [0-9a-z] and
    single spaces), so the length and the digits are checked on the whole column at once and the
    rule only on the distinct short texts."""
    out = pd.Series(False, index=folded.index, dtype=bool)
    if rule is None:
        return out
    short = (folded != "") & (folded.str.count(" ") <= 2) & ~folded.str.contains("[0-9]", regex=True)
    if short.any():
        out[short] = map_unique(folded[short], lambda w: bool(rule.matches(w)))
    return out


def _header_like(body: pd.DataFrame, fields: Mapping[str, int], headers: list[str]) -> pd.Series:
    """Rows that repeat the header (its words under the name column, or header words in two
    columns) or are a template line ("(nome)"): reported, never comuni."""
    rules = {r.field: r for r in COMUNI_RULES}
    name_pos = fields[C.NAME]
    same = pd.Series(0, index=body.index)
    label = {}
    for field, pos in fields.items():
        folded = words_series(body[pos])
        same += (folded == words(headers[pos])) & (folded != "")
        rule = rules.get(field)
        label[pos] = _labels(rule, folded)
        if pos == name_pos:
            name_same = folded == words(headers[pos])
    others = sum((label[p] for p in label if p != name_pos), pd.Series(0, index=body.index))
    # "Comune di Nola" is a comune whatever the other cells say.
    named = body[name_pos].str.contains(r"(?i)^\W*comune\s+d", regex=True)
    return name_same | (same >= 2) | (label[name_pos] & ~named & (others >= 1)) | body[name_pos].str.match(_BRACKETED)


def _open_data(cells: pd.DataFrame) -> ComuniList:
    """The PA digitale 2026 open-data file: comuni only, withdrawn candidatures ("R") out."""
    headers = [clean(h).casefold() for h in cells.iloc[0].tolist()]
    body = cells.iloc[1:]
    col = {h: body[i] for i, h in enumerate(headers)}
    frame = pd.DataFrame({C.ROW: body.index.to_numpy(), "blank": (body == "").all(axis=1).to_numpy()})
    for field, source in (
        (C.NAME, "comune"), (C.CODE, "cod_comune"), (C.IPA_CODE, "codice_ipa"), (C.PROVINCE, "provincia"), (C.REGION, "regione"),
    ):  # fmt: skip
        frame[field] = _keep(field, col[source]).to_numpy() if source in col else ""
    for field in (C.CONTACT_NAME, C.CONTACT_EMAIL, C.PEC, C.PHONE, C.WAVE, C.GOLIVE):
        frame[field] = ""
    if "ente" in col:  # a row with its code but no `comune`: the name from `ente` ("Comune di X")
        ente = col["ente"].str.strip().str.extract(r"(?i)^comune di\s+(.+)$")[0].fillna("").to_numpy()
        frame[C.NAME] = frame[C.NAME].where((frame[C.NAME] != "") | (frame[C.CODE] == ""), ente)
    fields = {h: i for i, h in enumerate(headers) if h in ("comune", "cod_comune", "provincia", "regione")}
    fields[C.NAME] = fields.pop("comune")
    frame["header"] = _header_like(body, fields, headers).to_numpy()
    reasons = pd.Series("", index=frame.index)
    if "tipologia_ente" in col:
        kind = col["tipologia_ente"].map(clean).to_numpy()
        not_comune = ~pd.Series(kind).str.casefold().str.startswith("comun")
        if "ente" in col:  # no tipologia_ente given: "Comune di …" in `ente` says what it is
            named = pd.Series(col["ente"].str.strip().str.match(r"(?i)^comune\s+d").to_numpy())
            not_comune &= ~((pd.Series(kind) == "") & named)
        reasons[not_comune] = np.array(
            [f"non è un comune (tipologia_ente: {k or 'vuota'})" for k in kind[not_comune.to_numpy()]], dtype=object
        )
    measure = col.get("misura", col.get("avviso"))
    if measure is not None:
        values = measure.map(clean).to_numpy()
        is_141 = pd.Series(values).str.contains("1.4.1", regex=False)
        if is_141.any():
            other = ~is_141 & (reasons == "")
            reasons[other] = np.array([f"altra misura ({v})" for v in values[other.to_numpy()]], dtype=object)
    if "stato_candidatura" in col:
        state = pd.Series(col["stato_candidatura"].map(clean).str.upper().to_numpy())
        reasons[(state == "R") & (reasons == "")] = "candidatura ritirata (stato_candidatura R)"
    excluded = frame.loc[reasons != "", [C.ROW, C.NAME]].assign(reason=reasons[reasons != ""])
    result = _finish(frame.loc[reasons == ""].reset_index(drop=True), "open_data", ())
    return ComuniList(
        result.frame,
        pd.concat([excluded, result.excluded], ignore_index=True).sort_values(C.ROW, ignore_index=True),
        "open_data",
        result.notes,
    )


def _keep(field: str, values: pd.Series) -> pd.Series:
    """The name exactly as listed (outer spaces aside); other fields normalised."""
    return strip_invisible_series(values) if field == C.NAME else clean_series(values)


def _finish(frame: pd.DataFrame, kind: str, notes: tuple[str, ...]) -> ComuniList:
    notes_out = list(notes)
    frame = frame.copy()
    blank = frame["blank"]
    empty = ~frame[C.NAME].str.contains(r"[A-Za-zÀ-ÖØ-öø-ÿ]", regex=True) | frame[C.NAME].str.match(_PLACEHOLDER)
    totals = ~empty & words_series(frame[C.NAME]).str.match(_TOTALS)
    header = ~empty & ~totals & frame.get("header", pd.Series(False, index=frame.index)).astype(bool)
    excluded = [frame.loc[empty & ~blank, [C.ROW, C.NAME]].assign(reason="nome del comune mancante")]
    # Whole blank lines inside the list are reported apart: they are not comuni.
    excluded.append(frame.loc[blank, [C.ROW, C.NAME]].assign(reason="riga vuota"))
    excluded.append(frame.loc[totals, [C.ROW, C.NAME]].assign(reason="riga dei totali, non un comune"))
    excluded.append(frame.loc[header, [C.ROW, C.NAME]].assign(reason="intestazione ripetuta, non un comune"))
    for rows, one, many in (
        (frame.loc[totals, C.ROW], "riga dei totali", "righe dei totali"),
        (frame.loc[header, C.ROW], "intestazione ripetuta", "intestazioni ripetute"),
    ):
        if len(rows):
            notes_out.append(
                f"{plural(len(rows), one, many)} nell'elenco dei comuni ({_rows_text(rows)}): "
                f"{agree(len(rows), 'non è un comune', 'non sono comuni')}."
            )
    frame = frame.loc[~(empty | totals | header)].reset_index(drop=True)

    frame[C.CODE], code_note = _normalise_codes(frame[C.CODE])
    if code_note:
        notes_out.append(code_note)
    frame[C.IPA_CODE] = frame[C.IPA_CODE].where(~frame[C.IPA_CODE].str.match(_PLACEHOLDER), "")
    frame[C.PROVINCE] = _provinces(frame)
    raw_email = frame[C.CONTACT_EMAIL]
    frame[C.CONTACT_RAW] = raw_email
    frame[C.CONTACT_EMAIL] = email_series(raw_email)
    frame[C.PEC] = email_series(frame[C.PEC])
    frame[C.DOMAINS] = [
        tuple(sorted({email_domain(e) for e in (a, b) if e}))
        for a, b in zip(frame[C.CONTACT_EMAIL], frame[C.PEC], strict=True)
    ]

    frame, dupes = _drop_duplicates(frame)
    if len(dupes):
        excluded.append(dupes.drop(columns="first"))
        pairs = [f"{r} (= riga {f})" for r, f in zip(dupes[C.ROW], dupes["first"], strict=True)]
        notes_out.append(
            f"{plural(len(dupes), 'riga duplicata', 'righe duplicate')} nell'elenco dei comuni, "
            f"{agree(len(dupes), 'conteggiata', 'conteggiate')} una volta sola: "
            f"{_rows_text(pairs, 'riga', 'righe')}."
        )
    excluded_frame = pd.concat(excluded, ignore_index=True).sort_values(C.ROW, ignore_index=True)
    return ComuniList(frame[list(COLUMNS)].reset_index(drop=True), excluded_frame, kind, tuple(notes_out))


def _rows_text(rows: Iterable[object], one: str = "riga", many: str = "righe", limit: int = 10) -> str:
    """Row numbers as a message says them: "riga 7", "righe 7, 9", "righe 7, 9, … (+3)"."""
    items = [str(r) for r in rows]
    shown = ", ".join(items[:limit]) + (f", … (+{number(len(items) - limit)})" if len(items) > limit else "")
    return f"{agree(len(items), one, many)} {shown}"


def _normalise_codes(codes: pd.Series) -> tuple[pd.Series, str]:
    """ISTAT codes as 6-digit text (Excel drops leading zeros), cadastral codes upper case.

    A placeholder (N/D, ND, n.d., -, 0, 000000) is no code. Excel's ways of keeping a code as text
    (``="007003"``, ``'007003``) and a code read as a number (``7003.0``) give the code back.
    """
    codes = codes.str.replace(r'^=?"(.*)"$', r"\1", regex=True).str.lstrip("'").str.strip()
    codes = codes.str.replace(r"^(\d{4,6})[.,]0+$", r"\1", regex=True)
    codes = codes.where(~codes.str.match(_PLACEHOLDER), "")
    digits = codes.str.fullmatch(_ISTAT.pattern)
    padded = codes.where(~digits, codes.str.zfill(6))
    fixed = int((digits & (codes.str.len() < 6)).sum())
    out = padded.where(~codes.str.fullmatch(_CADASTRAL.pattern), codes.str.upper())
    lost = plural(fixed, "codice ISTAT aveva", "codici ISTAT avevano")
    note = f"{lost} perso gli zeri iniziali: {agree(fixed, 'completato', 'completati')} a 6 cifre." if fixed else ""
    return out, note


def _provinces(frame: pd.DataFrame) -> pd.Series:
    """Province abbreviations: from the column, else from the ISTAT or cadastral code."""
    frame = frame.assign(province=frame[C.PROVINCE].where(~frame[C.PROVINCE].str.match(_NO_PROVINCE), ""))
    given = pd.Series(map_unique(frame[C.PROVINCE], province_code), index=frame.index, dtype=str)
    code = frame[C.CODE]
    if (given != "").all():
        return given
    by_cadastral = {m.cadastral: m.province for m in national_comuni()}  # loaded only when needed
    from_code = code.str[:3].map(ISTAT_PROVINCES).where(code.str.isdigit(), code.map(by_cadastral)).fillna("")
    out = given.where(given != "", from_code)
    return out.where(out != "", frame[C.PROVINCE].str.upper()).astype(str)


def _drop_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same comune listed twice (same code, or same name and province) is kept once.

    A row without a code is the same comune as a coded row of the same name and province; two
    rows with different codes are two comuni, and rows without a code never merge by code.
    """
    loose = keys_frame(frame[C.NAME], typed=True)["loose"]  # the name without "Comune di"
    by_name = "name:" + loose + "|" + frame[C.PROVINCE]
    coded = frame[C.CODE] != ""
    code_of_name: dict[str, str] = {}  # the first code listed under each name and province
    for name, code in zip(by_name[coded].tolist(), frame.loc[coded, C.CODE].tolist(), strict=True):
        code_of_name.setdefault(name, code)
    key = frame[C.CODE].where(coded, [code_of_name.get(k, k) for k in by_name.tolist()])
    first_row = frame.groupby(key, sort=False)[C.ROW].transform("first")
    dup = key.duplicated(keep="first")
    dupes = frame.loc[dup, [C.ROW, C.NAME]].assign(
        reason=[f"duplicato della riga {r}" for r in first_row[dup]], first=first_row[dup].to_numpy()
    )
    return frame.loc[~dup], dupes
