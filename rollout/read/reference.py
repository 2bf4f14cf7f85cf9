"""Reference data about Italy: provinces and every active comune (python-codicefiscale's list)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rollout.read.text import words

PROVINCES: dict[str, str] = {
    "AG": "Agrigento", "AL": "Alessandria", "AN": "Ancona", "AO": "Aosta", "AP": "Ascoli Piceno",
    "AQ": "L'Aquila", "AR": "Arezzo", "AT": "Asti", "AV": "Avellino", "BA": "Bari", "BG": "Bergamo",
    "BI": "Biella", "BL": "Belluno", "BN": "Benevento", "BO": "Bologna", "BR": "Brindisi",
    "BS": "Brescia", "BT": "Barletta-Andria-Trani", "BZ": "Bolzano", "CA": "Cagliari",
    "CB": "Campobasso", "CE": "Caserta", "CH": "Chieti", "CL": "Caltanissetta", "CN": "Cuneo",
    "CO": "Como", "CR": "Cremona", "CS": "Cosenza", "CT": "Catania", "CZ": "Catanzaro", "EN": "Enna",
    "FC": "Forlì-Cesena", "FE": "Ferrara", "FG": "Foggia", "FI": "Firenze", "FM": "Fermo",
    "FR": "Frosinone", "GE": "Genova", "GO": "Gorizia", "GR": "Grosseto", "IM": "Imperia",
    "IS": "Isernia", "KR": "Crotone", "LC": "Lecco", "LE": "Lecce", "LI": "Livorno", "LO": "Lodi",
    "LT": "Latina", "LU": "Lucca", "MB": "Monza e della Brianza", "MC": "Macerata", "ME": "Messina",
    "MI": "Milano", "MN": "Mantova", "MO": "Modena", "MS": "Massa-Carrara", "MT": "Matera",
    "NA": "Napoli", "NO": "Novara", "NU": "Nuoro", "OR": "Oristano", "PA": "Palermo",
    "PC": "Piacenza", "PD": "Padova", "PE": "Pescara", "PG": "Perugia", "PI": "Pisa",
    "PN": "Pordenone", "PO": "Prato", "PR": "Parma", "PT": "Pistoia", "PU": "Pesaro e Urbino",
    "PV": "Pavia", "PZ": "Potenza", "RA": "Ravenna", "RC": "Reggio Calabria", "RE": "Reggio Emilia",
    "RG": "Ragusa", "RI": "Rieti", "RM": "Roma", "RN": "Rimini", "RO": "Rovigo", "SA": "Salerno",
    "SI": "Siena", "SO": "Sondrio", "SP": "La Spezia", "SR": "Siracusa", "SS": "Sassari",
    "SU": "Sud Sardegna", "SV": "Savona", "TA": "Taranto", "TE": "Teramo", "TN": "Trento",
    "TO": "Torino", "TP": "Trapani", "TR": "Terni", "TS": "Trieste", "TV": "Treviso", "UD": "Udine",
    "VA": "Varese", "VB": "Verbano-Cusio-Ossola", "VC": "Vercelli", "VE": "Venezia", "VI": "Vicenza",
    "VR": "Verona", "VT": "Viterbo", "VV": "Vibo Valentia",
}  # fmt: skip

# ISTAT province codes (the first three digits of a comune's ISTAT code) to their abbreviation.
ISTAT_PROVINCES: dict[str, str] = dict(zip(
    [f"{n:03d}" for n in [*range(1, 104), 108, 109, 110, 111]],
    "TO VC NO CN AT AL AO IM SV GE SP VA CO SO MI BG BS PV CR MN BZ TN VR VI BL TV VE PD RO UD GO TS "
    "PC PR RE MO BO FE RA FC PU AN MC AP MS LU PT FI LI PI AR SI GR PG TR VT RI RM LT FR CE BN NA AV "
    "SA AQ TE PE CH CB FG BA TA BR LE PZ MT CS CZ RC TP PA ME AG CL EN CT RG SR SS NU CA PN IS OR BI "
    "LC LO RN PO KR VV VB MB FM BT SU".split(),
    strict=True,
))  # fmt: skip

_PROVINCE_BY_NAME = {words(name): sigla for sigla, name in PROVINCES.items()}
_PROVINCE_BY_NAME.update({"bolzano bozen": "BZ", "bozen": "BZ", "monza": "MB", "monza brianza": "MB",
                          "pesaro urbino": "PU", "forli": "FC", "massa carrara": "MS", "aquila": "AQ",
                          "spezia": "SP", "reggio nell emilia": "RE", "reggio di calabria": "RC",
                          "sud sardegna": "SU", "valle d aosta": "AO"})  # fmt: skip


def province_code(value: object) -> str:
    """The two-letter abbreviation of a province given as abbreviation or name; "" if unknown."""
    text = words(value)
    if not text:
        return ""
    if len(text) == 2 and text.upper() in PROVINCES:
        return text.upper()
    text = text.removeprefix("provincia di ").removeprefix("provincia ").removeprefix("citta metropolitana di ")
    return _PROVINCE_BY_NAME.get(text, "")


@dataclass(frozen=True)
class Municipality:
    name: str
    province: str
    cadastral: str


@lru_cache(maxsize=1)
def national_comuni() -> tuple[Municipality, ...]:
    """Every active Italian comune (about 7,900), with its alternative-language names split out."""
    path = _municipalities_file()
    out: list[Municipality] = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        if not item.get("active"):
            continue
        for name in {item["name"], item.get("name_alt") or item["name"]}:
            out.append(Municipality(name, item["province"], item["code"]))
    return tuple(out)


def _municipalities_file() -> Path:
    import codicefiscale

    return Path(codicefiscale.__file__).parent / "data" / "municipalities.json"


class ReferenceCache:
    """A JSON file of data derived from the national list, reused by later processes.

    It is only a cache: keyed by the list's file and the code that derives the data, rebuilt
    when either changes, ignored when unreadable, skipped when the folder is not writable.
    Folder: ``$ROLLOUT_REFERENCE_CACHE``, else ``$XDG_CACHE_HOME/rollout-tracker`` (``~/.cache``).
    """

    def __init__(self, name: str, code_files: list[Path]) -> None:
        source = _municipalities_file()
        digest = hashlib.sha256()
        digest.update(f"{source.stat().st_size}:{source.stat().st_mtime_ns}".encode())
        for path in code_files:
            digest.update(path.read_bytes())
        folder = os.environ.get("ROLLOUT_REFERENCE_CACHE") or (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rollout-tracker"
        )
        self.path = Path(folder) / f"{name}-{digest.hexdigest()[:16]}.json"

    def read(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write(self, data: dict) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.path.parent, delete=False) as fh:
                json.dump(data, fh, ensure_ascii=False)
            Path(fh.name).replace(self.path)
        except OSError:
            pass  # a read-only home: the index is simply rebuilt next time
