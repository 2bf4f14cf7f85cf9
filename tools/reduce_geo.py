"""Copy the boundaries the project uses from ../shared/geo (openpolis' TopoJSON) into data/geo.

Only the properties the map joins on or shows are kept; arcs and geometry are copied untouched.
Confini: ISTAT, elaborazione openpolis (CC BY 4.0). Run: ``python3 tools/reduce_geo.py [SOURCE]``.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "data" / "geo"  # where the reduced boundaries go
DEFAULT_SOURCE = ROOT.parent / "shared" / "geo"
KEEP = {
    "regions": ("reg_istat_code", "reg_name"),
    "provinces": ("prov_acr", "prov_name", "reg_istat_code"),
    "comuni": ("com_istat_code", "com_catasto_code", "name", "prov_acr"),
}


def reduce(source: Path, target: Path, name: str) -> None:
    topo = json.loads(source.read_text(encoding="utf-8"))
    for key, obj in topo["objects"].items():
        for geometry in obj["geometries"]:
            props = geometry.get("properties") or {}
            geometry["properties"] = {p: props[p] for p in KEEP[key] if p in props}
    text = json.dumps(topo, ensure_ascii=False, separators=(",", ":"))
    target.write_text(text, encoding="utf-8")
    print(f"{name}: {source.stat().st_size:,} -> {len(text.encode()):,} bytes")


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    reduce(source / "limits_IT_regions.topo.json", GEO / "regions.topo.json", "regions")
    reduce(source / "limits_IT_provinces.topo.json", GEO / "provinces.topo.json", "provinces")
    (GEO / "comuni").mkdir(exist_ok=True)
    index = []
    for path in sorted((source / "municipalities").glob("limits_R_*_municipalities.topo.json")):
        region = f"{int(path.name.split('_')[2]):02d}"
        target = GEO / "comuni" / f"R{region}.topo.json"
        reduce(path, target, path.name)
        for g in json.loads(target.read_text(encoding="utf-8"))["objects"]["comuni"]["geometries"]:
            p = g["properties"]
            index.append([p["com_istat_code"], p.get("com_catasto_code", ""), p["name"], p["prov_acr"], region])
    # Which comuni have a shape, without reading every region's boundaries (the join needs only this).
    with (GEO / "comuni.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["istat", "cadastral", "name", "province", "region"])
        writer.writerows(sorted(index))
    shutil.copyfile(source / "LICENSE", GEO / "LICENSE")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
