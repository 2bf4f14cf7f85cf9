"""The map's data: each participating comune joined to its boundary, shares per province.

Boundaries are openpolis' TopoJSON of June 2023 in ``data/geo`` (made by ``tools/reduce_geo.py``).
The join goes by ISTAT code; a cadastral code is turned into the ISTAT one; a comune listed
without a code is found by name and province. Comuni without a shape (merged or created after
June 2023, or not recognised) are listed as "non sul mappa": they stay in every count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from rollout.italian import moments
from rollout.keys import ComuniCols as C
from rollout.outputs.topology import simplified
from rollout.read.names import keys_frame, official_keys
from rollout.read.permissions import PERMISSION_KEYS, PERMISSIONS
from rollout.read.reference import PROVINCES, national_comuni
from rollout.status import STATUS_LABELS

GEO_DIR = Path(__file__).resolve().parents[2] / "data" / "geo"
CREDIT = "Confini: ISTAT, elaborazione openpolis (CC BY 4.0)"
NATIONAL_CHOICE = "Italia, per provincia"  # the map's first choice nationally: provinces by share answered
# More regions than this: the national view draws provinces, the comuni one click away.
MAX_REGIONS_FOR_COMUNI = 3


@lru_cache(maxsize=1)
def provinces_topology() -> dict:
    """The provinces' boundaries, without the points no screen shows (``topology.simplified``)."""
    return simplified(_read("provinces.topo.json"))


@lru_cache(maxsize=1)
def regions_topology() -> dict:
    return _read("regions.topo.json")


@lru_cache(maxsize=24)
def comuni_topology(region: str) -> dict:
    """The comuni of one region (ISTAT region code, "15"); an empty topology if there is no file."""
    path = GEO_DIR / "comuni" / f"R{int(region):02d}.topo.json"
    if not path.exists():
        return {"type": "Topology", "arcs": [], "objects": {"comuni": {"type": "GeometryCollection", "geometries": []}}}
    return json.loads(path.read_text(encoding="utf-8"))


def _read(name: str) -> dict:
    return json.loads((GEO_DIR / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def province_regions() -> dict[str, str]:
    """Province abbreviation -> ISTAT region code ("SA" -> "15")."""
    return {
        g["properties"]["prov_acr"]: g["properties"]["reg_istat_code"]
        for g in provinces_topology()["objects"]["provinces"]["geometries"]
    }


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """ISTAT region code -> name ("15" -> "Campania")."""
    return {
        g["properties"]["reg_istat_code"]: g["properties"]["reg_name"]
        for g in regions_topology()["objects"]["regions"]["geometries"]
    }


@lru_cache(maxsize=1)
def shapes() -> pd.DataFrame:
    """Every comune with a shape: ISTAT code (index), cadastral code, name, province, region.

    From ``data/geo/comuni.csv``, the index ``tools/reduce_geo.py`` writes beside the boundaries.
    """
    frame = pd.read_csv(GEO_DIR / "comuni.csv", dtype=str, keep_default_na=False)
    return frame.drop_duplicates("istat").set_index("istat")


@lru_cache(maxsize=1)
def _national_by_province() -> dict[str, list[tuple[str, str]]]:
    """Province -> (name, cadastral code) of the national list (python-codicefiscale)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for m in national_comuni():
        out.setdefault(m.province, []).append((m.name, m.cadastral))
    return out


@lru_cache(maxsize=128)
def _names_in(province: str) -> dict[str, str]:
    """Loose name -> ISTAT code of the comuni with a shape in one province (bilingual names twice).

    Names from the shapes and from the national list, so that either spelling is found; built
    per province, only for the provinces of comuni listed without a usable code.
    """
    geo = shapes()
    here = geo.loc[geo["province"] == province]
    by_cadastral = dict(zip(here["cadastral"], here.index, strict=True))
    out: dict[str, str] = {}
    for name, cadastral in _national_by_province().get(province, []):
        if cadastral in by_cadastral:
            for keys in official_keys(name):
                out.setdefault(keys.loose, by_cadastral[cadastral])
    for code, name in zip(here.index, here["name"], strict=True):
        for keys in official_keys(name):
            out.setdefault(keys.loose, code)
    return out


@lru_cache(maxsize=1)
def _by_code() -> dict[str, str]:
    """ISTAT code or cadastral code -> ISTAT code, for every comune with a shape."""
    geo = shapes()
    out = {code: code for code in geo.index}
    for code, cadastral in zip(geo.index, geo["cadastral"], strict=True):
        if len(cadastral) == 4:  # "N.d." for comuni born after the cadastral list
            out.setdefault(cadastral, code)
    return out


def istat_codes(comuni: pd.DataFrame) -> pd.Series:
    """The ISTAT code of each listed comune that has a shape, "" for the others.

    By the list's code (ISTAT or cadastral); failing that (no code, or one without a shape: a
    comune renumbered, or merged after June 2023), by name and province.
    """
    by_code = _by_code()
    codes = comuni[C.CODE].fillna("").astype(str).tolist()
    out = pd.Series([by_code.get(c, "") for c in codes], index=comuni.index, dtype=str)
    todo = (out == "").to_numpy()
    if todo.any():
        loose = keys_frame(comuni.loc[todo, C.NAME].astype(str), typed=True)["loose"].to_numpy()
        provinces = comuni.loc[todo, C.PROVINCE].astype(str).to_numpy()
        out[todo] = np.array([_names_in(p).get(n, "") for n, p in zip(loose, provinces, strict=True)], dtype=object)
    return out


@dataclass(frozen=True)
class MapData:
    """The participating comuni placed on the map, and those that could not be."""

    comuni: pd.DataFrame  # one row per comune on the map (no personal data), index = cid
    not_on_map: pd.DataFrame  # comune, provincia, codice of those without a shape
    regions: tuple[str, ...]  # ISTAT codes of the regions of the list
    provinces: tuple[str, ...]  # the provinces of the list

    @property
    def national(self) -> bool:
        """Whether the list spans too many regions to draw every comune at once."""
        return len(self.regions) > MAX_REGIONS_FOR_COMUNI


def map_data(comuni: pd.DataFrame, tz: str = "Europe/Rome") -> MapData:
    """Join the comuni (a Snapshot's table, or a filtered part of it) to their shapes."""
    codes = istat_codes(comuni)
    geo = shapes()
    first = moments(comuni[C.FIRST_RESPONSE], tz, missing="nessuna")
    answered = comuni[C.STATUS].isin(["on_time", "late"])
    table = pd.DataFrame(
        {
            "istat": codes,
            "comune": comuni[C.NAME].astype(str),
            "provincia": comuni[C.PROVINCE].astype(str),
            C.STATUS: comuni[C.STATUS],
            "stato": comuni[C.STATUS].map(STATUS_LABELS),
            "prima_risposta": first,
            "editor": comuni[C.EDITORS].astype(int),
            "senza_at": answered & ~comuni[C.HAS_AT_EDITOR].astype(bool),
        },
        index=comuni.index,
    )
    on_map = table["istat"] != ""
    # The province of the shape wins (a list may give none, or a wrong one).
    table.loc[on_map, "provincia"] = geo.loc[table.loc[on_map, "istat"], "province"].to_numpy()
    missing = table.loc[~on_map, ["comune", "provincia"]].assign(codice=comuni.loc[~on_map, C.CODE].astype(str))
    regions_of = province_regions()
    provinces = tuple(sorted(set(table["provincia"].unique().tolist()) & regions_of.keys()))
    regions = tuple(sorted({regions_of[p] for p in provinces}))
    return MapData(table.loc[on_map], missing.sort_values(["provincia", "comune"]), regions, provinces)


def territory_names(values: pd.Series, by: str) -> pd.Series:
    """What a chart writes for each province («Torino (TO)») or region; "?" and "" (none known) in words."""
    if by == "provincia":
        return values.map(lambda p: "provincia non indicata" if p == "?" else f"{PROVINCES.get(p, p)} ({p})")
    return values.map(lambda r: r or "regione non nota")


def province_progress(comuni: pd.DataFrame) -> pd.DataFrame:
    """Per province (all listed comuni, on the map or not): counts by status and the share answered,
    and the name to show (``nome``).

    Sorted by what is left (pending + missing), most first.
    """
    regions_of = province_regions()
    names = region_names()
    province = comuni[C.PROVINCE].replace("", "?")
    counts = comuni.groupby([province, C.STATUS]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(STATUS_LABELS), fill_value=0)
    out = counts.rename_axis("provincia").rename_axis(None, axis=1).reset_index()
    out["comuni"] = counts.sum(axis=1).to_numpy()
    out["risposto"] = (counts["on_time"] + counts["late"]).to_numpy()
    out["da_fare"] = (counts["pending"] + counts["missing"]).to_numpy()
    out["quota"] = out["risposto"] / out["comuni"]
    out["regione"] = out["provincia"].map(lambda p: names.get(regions_of.get(p, ""), "")).astype(str)
    out["nome"] = territory_names(out["provincia"], "provincia")
    return out.sort_values(["da_fare", "comuni", "provincia"], ascending=[False, False, True], ignore_index=True)


def region_progress(comuni: pd.DataFrame) -> pd.DataFrame:
    """``province_progress`` summed per region."""
    prov = province_progress(comuni)
    cols = [*STATUS_LABELS, "comuni", "risposto", "da_fare"]
    out = prov.groupby("regione", as_index=False)[cols].sum()
    out["quota"] = out["risposto"] / out["comuni"]
    out["nome"] = territory_names(out["regione"], "regione")
    return out.sort_values(["da_fare", "regione"], ascending=[False, True], ignore_index=True)


def subset_topology(topology: dict, obj: str, keep: set[str], key: str) -> dict:
    """The topology with only the geometries whose property ``key`` is in ``keep``, and their arcs."""
    collection = topology["objects"][obj]
    geometries = [g for g in collection["geometries"] if g["properties"].get(key) in keep]
    used = sorted({_arc(i) for g in geometries for i in _arc_refs(g.get("arcs", []))})
    number = {old: new for new, old in enumerate(used)}

    def renumber(node: list) -> list:
        if node and isinstance(node[0], int):
            return [number[i] if i >= 0 else ~number[~i] for i in node]
        return [renumber(child) for child in node]

    kept = [{**g, "arcs": renumber(g["arcs"])} if "arcs" in g else g for g in geometries]
    arcs = topology["arcs"]
    return {**topology, "arcs": [arcs[i] for i in used], "objects": {obj: {**collection, "geometries": kept}}}


def _arc(i: int) -> int:
    return i if i >= 0 else ~i  # a negative index is the arc reversed


def _arc_refs(node: list) -> list[int]:
    if node and isinstance(node[0], int):
        return node
    return [i for child in node for i in _arc_refs(child)]


def territory_coverage(comuni: pd.DataFrame, by: str = "provincia") -> pd.DataFrame:
    """Per province (or region) and permission: comuni with at least one editor, the share, and the
    territory's name to show (``nome``).

    Long format, territories in the order of ``province_progress`` (most left to do first).
    """
    frame = comuni.assign(provincia=comuni[C.PROVINCE].replace("", "?"))
    regions_of, names = province_regions(), region_names()
    frame["regione"] = frame["provincia"].map(lambda p: names.get(regions_of.get(p, ""), "")).astype(str)
    covered = frame[list(PERMISSION_KEYS)].gt(0).groupby(frame[by]).sum()
    sizes = frame.groupby(by).size()
    progress = province_progress(comuni) if by == "provincia" else region_progress(comuni)
    order = [t for t in progress[by] if t in sizes.index]
    counts = covered.loc[order, [perm.key for perm in PERMISSIONS]].to_numpy(dtype=np.int64)
    rows = []
    for i, territory in enumerate(order):
        for j, perm in enumerate(PERMISSIONS):
            n = int(counts[i, j])
            total = int(sizes[territory])
            rows.append({by: territory, "permesso": perm.short, "coperti": n, "comuni": total, "quota": n / total})
    out = pd.DataFrame(rows, columns=[by, "permesso", "coperti", "comuni", "quota"])
    out["nome"] = territory_names(out[by], by)
    return out


def map_choices(md: MapData) -> dict[str, tuple[str, ...]]:
    """What the map can show, label -> provinces to draw comune by comune (empty: Italy's provinces).

    Nationally the provinces come first, each region and province one choice away; a smaller
    list shows all its comuni first.
    """
    names = region_names()
    regions_of = province_regions()
    out: dict[str, tuple[str, ...]] = {}
    if not md.provinces:
        return out  # nothing to draw (a filter left no comune, or none has a shape)
    if md.national:
        out[NATIONAL_CHOICE] = ()
    else:
        out[f"Tutti i comuni dell'elenco ({', '.join(md.provinces)})"] = md.provinces
    if md.national or len(md.regions) > 1:
        for region in md.regions:
            out[f"Regione {names.get(region, region)}"] = tuple(p for p in md.provinces if regions_of[p] == region)
    if md.national or len(md.provinces) > 1:
        for prov in md.provinces:
            out[f"Provincia {PROVINCES.get(prov, prov)} ({prov})"] = (prov,)
    return out
