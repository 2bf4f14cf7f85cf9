"""The list of participating comuni: the PM's own sheet or the PA digitale 2026 open-data file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from data_sources import Grid
from rollout.read.columns import COMUNI_RULES, recognise
from rollout.read.names import keys_frame
from rollout.read.reference import ISTAT_PROVINCES, national_comuni, province_code
from rollout.read.text import clean, clean_series, email_domain, email_series, map_unique

COLUMNS = ("row", "name", "code", "province", "region", "contact_name", "contact_email", "contact_raw",
           "pec", "phone", "wave", "golive", "domains")  # fmt: skip
_OPEN_DATA_MARKERS = {"cod_comune", "comune"}
_ISTAT = re.compile(r"^\d{4,6}$")
_CADASTRAL = re.compile(r"^[A-Za-z]\d{3}$")


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
    cols = recognise(cells, COMUNI_RULES, overrides or {}, ("name",), what="Elenco comuni")
    body = cells.loc[cells.index > cols.header_row]
    frame = pd.DataFrame({"row": body.index.to_numpy(), "blank": body.eq("").all(axis=1).to_numpy()})
    for field in (
        "name",
        "code",
        "province",
        "region",
        "contact_name",
        "contact_email",
        "pec",
        "phone",
        "wave",
        "golive",
    ):
        pos = cols.get(field)
        frame[field] = _keep(field, body[pos]).to_numpy() if pos is not None else ""
    return _finish(frame, "sheet", grid.notes)


def _open_data(cells: pd.DataFrame) -> ComuniList:
    """The PA digitale 2026 open-data file: comuni only, withdrawn candidatures ("R") out."""
    headers = [clean(h).casefold() for h in cells.iloc[0].tolist()]
    body = cells.iloc[1:]
    col = {h: body[i] for i, h in enumerate(headers)}
    frame = pd.DataFrame({"row": body.index.to_numpy(), "blank": body.eq("").all(axis=1).to_numpy()})
    for field, source in (("name", "comune"), ("code", "cod_comune"), ("province", "provincia"), ("region", "regione")):
        frame[field] = _keep(field, col[source]).to_numpy() if source in col else ""
    for field in ("contact_name", "contact_email", "pec", "phone", "wave", "golive"):
        frame[field] = ""
    reasons = pd.Series("", index=frame.index)
    if "tipologia_ente" in col:
        kind = col["tipologia_ente"].map(clean).to_numpy()
        not_comune = ~pd.Series(kind).str.casefold().str.startswith("comun")
        reasons[not_comune] = [f"non è un comune (tipologia_ente: {k or 'vuota'})" for k in kind[not_comune.to_numpy()]]
    measure = col.get("misura", col.get("avviso"))
    if measure is not None:
        values = measure.map(clean).to_numpy()
        is_141 = pd.Series(values).str.contains("1.4.1", regex=False)
        if is_141.any():
            other = ~is_141 & (reasons == "")
            reasons[other] = [f"altra misura ({v})" for v in values[other.to_numpy()]]
    if "stato_candidatura" in col:
        state = pd.Series(col["stato_candidatura"].map(clean).str.upper().to_numpy())
        reasons[(state == "R") & (reasons == "")] = "candidatura ritirata (stato_candidatura R)"
    excluded = frame.loc[reasons != "", ["row", "name"]].assign(reason=reasons[reasons != ""])
    result = _finish(frame.loc[reasons == ""].reset_index(drop=True), "open_data", ())
    return ComuniList(
        result.frame,
        pd.concat([excluded, result.excluded], ignore_index=True).sort_values("row", ignore_index=True),
        "open_data",
        result.notes,
    )


def _keep(field: str, values: pd.Series) -> pd.Series:
    """The name exactly as listed (outer spaces aside); other fields normalised."""
    return values.str.strip() if field == "name" else clean_series(values)


def _finish(frame: pd.DataFrame, kind: str, notes: tuple[str, ...]) -> ComuniList:
    notes_out = list(notes)
    frame = frame.copy()
    empty = ~frame["name"].str.contains(r"[A-Za-zÀ-ÖØ-öø-ÿ]", regex=True)
    blank = frame["blank"]
    excluded = [frame.loc[empty & ~blank, ["row", "name"]].assign(reason="nome del comune mancante")]
    # Whole blank lines inside the list are reported apart: they are not comuni.
    excluded.append(frame.loc[blank, ["row", "name"]].assign(reason="riga vuota"))
    frame = frame.loc[~empty].reset_index(drop=True)

    frame["code"], code_note = _normalise_codes(frame["code"])
    if code_note:
        notes_out.append(code_note)
    frame["province"] = _provinces(frame)
    raw_email = frame["contact_email"]
    frame["contact_raw"] = raw_email
    frame["contact_email"] = email_series(raw_email)
    frame["pec"] = email_series(frame["pec"])
    frame["domains"] = [
        tuple(sorted({email_domain(e) for e in (a, b) if e}))
        for a, b in zip(frame["contact_email"], frame["pec"], strict=True)
    ]

    frame, dupes = _drop_duplicates(frame)
    if len(dupes):
        excluded.append(dupes)
        notes_out.append(f"{len(dupes)} righe duplicate nell'elenco dei comuni: conteggiate una volta sola.")
    excluded_frame = pd.concat(excluded, ignore_index=True).sort_values("row", ignore_index=True)
    return ComuniList(frame[list(COLUMNS)].reset_index(drop=True), excluded_frame, kind, tuple(notes_out))


def _normalise_codes(codes: pd.Series) -> tuple[pd.Series, str]:
    """ISTAT codes as 6-digit text (Excel drops leading zeros), cadastral codes upper case."""
    digits = codes.str.fullmatch(_ISTAT.pattern)
    padded = codes.where(~digits, codes.str.zfill(6))
    fixed = int((digits & (codes.str.len() < 6)).sum())
    out = padded.where(~codes.str.fullmatch(_CADASTRAL.pattern), codes.str.upper())
    note = f"{fixed} codici ISTAT avevano perso gli zeri iniziali: completati a 6 cifre." if fixed else ""
    return out, note


def _provinces(frame: pd.DataFrame) -> pd.Series:
    """Province abbreviations: from the column, else from the ISTAT or cadastral code."""
    given = pd.Series(map_unique(frame["province"], province_code), index=frame.index, dtype=str)
    code = frame["code"]
    if (given != "").all():
        return given
    by_cadastral = {m.cadastral: m.province for m in national_comuni()}  # loaded only when needed
    from_code = code.str[:3].map(ISTAT_PROVINCES).where(code.str.isdigit(), code.map(by_cadastral)).fillna("")
    out = given.where(given != "", from_code)
    return out.where(out != "", frame["province"].str.upper()).astype(str)


def _drop_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same comune listed twice (same code, or same name and province) is kept once."""
    loose = keys_frame(frame["name"], typed=True)["loose"]  # the name without "Comune di"
    key = frame["code"].where(frame["code"] != "", "name:" + loose + "|" + frame["province"])
    first_row = frame.groupby(key, sort=False)["row"].transform("first")
    dup = key.duplicated(keep="first")
    dupes = frame.loc[dup, ["row", "name"]].assign(reason=[f"duplicato della riga {r}" for r in first_row[dup]])
    return frame.loc[~dup], dupes
