"""What IndicePA's contacts cost a load: ``python -m bench.contacts_scale``.

It writes an «Enti» file the size of IndicePA's (23,000 administrations, its 34 columns, about
7 MB: a row for every active comune, ``c_<catasto>``, plus schools, unions and the rest) beside
the national campaign (``rollout.synthetic.national``: 6,600 comuni with their cadastral codes, 30,000
responses), then prints the median of 5 runs of:

- reading the file (``read_source``), recognising it (``load_registry``), joining it to the comuni;
- ``pipeline.load`` with and without ``contacts``, from a local file;
- the same over HTTP on 127.0.0.1 with the last good copy on disk (what a URL costs at every
  reload: download, compare with the copy, save it again).

A measurement: it always exits 0. Figures move with the machine's load (printed).
"""

from __future__ import annotations

import csv
import dataclasses
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from data_sources import read_source
from rollout.config import SourceSpec
from rollout.pipeline import load
from rollout.read.comuni import load_comuni
from rollout.read.reference import national_comuni
from rollout.read.registry import join_registry, load_registry
from rollout.synthetic.national import SEED, campaign_config, generate
from testkit.local_http import serve_routes

N_ENTITIES = 23_000
RUNS = 5
HEADER = (
    "Codice_IPA,Denominazione_ente,Codice_fiscale_ente,Tipologia,Codice_Categoria,Codice_natura,Codice_ateco,"
    "Ente_in_liquidazione,Codice_MIUR,Codice_ISTAT,Acronimo,Nome_responsabile,Cognome_responsabile,"
    "Titolo_responsabile,Codice_comune_ISTAT,Codice_catastale_comune,CAP,Indirizzo,Mail1,Tipo_Mail1,Mail2,"
    "Tipo_Mail2,Mail3,Tipo_Mail3,Mail4,Tipo_Mail4,Mail5,Tipo_Mail5,Sito_istituzionale,Url_facebook,Url_linkedin,"
    "Url_twitter,Url_youtube,Data_aggiornamento"
).split(",")


def write_registry(path: Path, seed: int = SEED) -> None:
    """An «Enti» file: every active comune (its own row), the rest other administrations."""
    rng = random.Random(seed)
    cadastral = sorted({m.cadastral for m in national_comuni()})
    rows = []
    for n in range(N_ENTITIES):
        comune = n < len(cadastral)
        code = cadastral[n] if comune else rng.choice(cadastral)
        slug = f"ente{n}"
        mails = [(f"protocollo@pec.{slug}.example", "Pec"), (f"info@{slug}.example", "Altro")]
        if rng.random() < 0.3:
            mails.append((f"fatture@pec.{slug}.example", "Pec"))
        cells = {
            "Codice_IPA": f"c_{code.lower()}" if comune else f"{rng.choice(['istsc', 'uc', 'asp', 'cons'])}_{n}",
            "Denominazione_ente": f"Comune di Ente {n}" if comune else f"Istituto Comprensivo Statale {n}",
            "Codice_fiscale_ente": f"{rng.randrange(10**11):011d}",
            "Tipologia": "Pubbliche Amministrazioni",
            "Codice_Categoria": "L6" if comune else rng.choice(["L33", "L18", "L34", "L37"]),
            "Codice_natura": "2430",
            "Codice_ateco": "84.11.10",
            "Ente_in_liquidazione": "N",
            "Nome_responsabile": "Mario",
            "Cognome_responsabile": "Rossi",
            "Titolo_responsabile": "Sindaco" if comune else "Dirigente",
            "Codice_comune_ISTAT": f"{rng.randrange(1, 111):03d}{rng.randrange(1, 400):03d}",
            "Codice_catastale_comune": code,
            "CAP": f"{rng.randrange(10000, 99999)}",
            "Indirizzo": f"Via Roma, {rng.randrange(1, 200)}",
            "Sito_istituzionale": f"https://www.{slug}.example",
            "Url_facebook": f"https://www.facebook.com/{slug}",
            "Data_aggiornamento": "2024-05-06",
        }
        for i, (mail, kind) in enumerate(mails, start=1):
            cells[f"Mail{i}"], cells[f"Tipo_Mail{i}"] = mail, kind
        rows.append([cells.get(h, "") for h in HEADER])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def median(func: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        comuni_path, responses_path = generate(folder, SEED)
        enti = folder / "enti.csv"
        write_registry(enti)
        size = enti.stat().st_size / 1e6
        grid = read_source(enti)
        registry = load_registry(grid)
        comuni = load_comuni(read_source(comuni_path))
        joined = join_registry(comuni, registry)
        found = int((joined.frame["registry_match"] != "").sum())
        print(f"enti.csv: {len(registry)} righe, {size:.1f} MB; comuni trovati {found} su {len(comuni)}")
        print(f"lettura (read_source)      {median(lambda: read_source(enti)):.3f} s")
        print(f"riconoscimento (registry)  {median(lambda: load_registry(grid)):.3f} s")
        print(f"collegamento ai comuni     {median(lambda: join_registry(comuni, registry)):.3f} s")
        config = campaign_config(comuni_path, responses_path)
        without = median(lambda: load(config))
        local = median(lambda: load(dataclasses.replace(config, contacts=SourceSpec(str(enti)))))
        print(
            f"pipeline.load senza contatti {without:.3f} s, con enti.csv locale {local:.3f} s (+{local - without:.3f} s)"
        )
        with serve_routes({"/enti.csv": (200, {"Content-Type": "text/csv"}, enti.read_bytes())}) as served:
            remote = dataclasses.replace(config, contacts=SourceSpec(f"{served.base}/enti.csv"))
            cache = folder / "cache"
            load(remote, cache_dir=cache)  # the first read writes the last good copy
            over_http = median(lambda: load(remote, cache_dir=cache))
        print(f"pipeline.load con enti.csv via HTTP e copia su disco {over_http:.3f} s (+{over_http - without:.3f} s)")
    print(f"carico della macchina: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
