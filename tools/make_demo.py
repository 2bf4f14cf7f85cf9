"""Generate the embedded demo campaign in data/demo (deterministic): ``python3 tools/make_demo.py``.

Real comuni of the provinces of Salerno and Avellino (from python-codicefiscale's list), a PM's
comuni sheet with contacts, and the form's responses as Google Sheets exports them (Italian
headers, ``8/9/2023 10.15.32`` timestamps, checkbox answers joined with ", "), typed the way
people type: "Comune di …" prefixes, capitals, double spaces, ’ for ', one-letter typos, a
comune that does not take part, corrections, "Altro" texts, a row without the employee.
Employees are invented; their fiscal codes are computed from the invented data.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from codicefiscale import codicefiscale

from rollout.read.reference import national_comuni
from rollout.synthetic import (
    DEADLINE,
    LAST_DAY,
    OPTIONS,
    REQUEST_SENT,
    RESPONSE_HEADERS,
    office_hours,
    official,
    slug,
    stamp,
    strip_accents,
    typo,
    write_csv,
)

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
SEED = 141
FIRST_M = "Antonio Giuseppe Giovanni Francesco Vincenzo Salvatore Luigi Carmine Gerardo Pasquale Alfonso Raffaele Michele Domenico Nicola Enzo Rocco Ciro Massimo Paolo".split()
FIRST_F = "Maria Anna Giuseppina Rosa Carmela Teresa Angela Lucia Assunta Antonella Raffaella Annalisa Filomena Stefania Concetta Giovanna Elena Marta Sara Ilaria".split()
SURNAMES = ["Esposito", "Russo", "De Luca", "Ferrara", "Santoro", "Romano", "Coppola", "Rinaldi", "Napolitano",
            "D'Amato", "Ruggiero", "Greco", "Iannone", "De Rosa", "Sorrentino", "Cuomo", "Di Lorenzo", "Pisapia",
            "Landi", "Cioffi", "Senatore", "Giordano", "Memoli", "Pepe", "Lamberti", "D'Alessio", "Fasano",
            "Granato", "Vitale", "Carpentieri", "Siniscalchi", "Della Monica", "Avallone", "Cirillo"]  # fmt: skip
OFFICES = ["Area Amministrativa", "Servizi Demografici", "Ufficio Tecnico", "Ufficio Tributi", "Segreteria Generale",
           "Area Vigilanza", "Servizi Sociali", ""]  # fmt: skip
OTHER_TEXTS = ["Responsabile protocollo", "Albo pretorio", "tutti i permessi", "Editor Servizi Sociali"]


def messy(name: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        return name
    if r < 0.70:
        return rng.choice(["Comune di ", "COMUNE DI ", "comune di "]) + name
    if r < 0.78:
        return rng.choice([name.upper(), name.lower()])
    if r < 0.84:
        return name.replace(" ", "  ", 1) + rng.choice([" ", "  ", ""])
    if r < 0.90:
        return name.replace("'", "’") if "'" in name else strip_accents(name) + " "
    if r < 0.95 and len(name) >= 9:
        return typo(name, rng)
    return f"{name} ({rng.choice(['SA', 'Sa', 'AV'])})" if rng.random() < 0.3 else name


def build(rng: random.Random) -> tuple[list[list[str]], list[list[str]]]:
    national = [m for m in national_comuni() if m.province in ("SA", "AV")]
    by_code = {m.cadastral: m for m in national}
    sa = sorted({m.cadastral for m in national if m.province == "SA"} - {"F480"})  # Montecorvino Pugliano out
    av = sorted(m.cadastral for m in national if m.province == "AV")
    chosen = sorted(
        set(rng.sample(sa, 88)) | {"F481"} | set(rng.sample(av, 42)),
        key=lambda c: (by_code[c].province, by_code[c].name),
    )
    comuni_rows = [
        [
            "Comune",
            "Provincia",
            "Codice catastale",
            "Referente",
            "Email referente",
            "PEC",
            "Ondata",
            "Messa online prevista",
        ]
    ]
    participants = []
    for code in chosen:
        m = by_code[code]
        name = official(m.name)
        prov = m.province.lower()
        domain = f"comune.{slug(name)}.{prov}.it"
        contact = f"{rng.choice(FIRST_M + FIRST_F)} {rng.choice(SURNAMES)}"
        r = rng.random()
        email = f"segreteria@{domain}" if r < 0.85 else ""
        pec = f"protocollo@pec.{domain}" if r < 0.95 else ""
        wave = rng.choice(["1", "1", "2", "2", "3"])
        golive = {"1": "15/10/2023", "2": "15/11/2023", "3": "15/12/2023"}[wave]
        comuni_rows.append([name, m.province, code, contact if r < 0.95 else "", email, pec, wave, golive])
        participants.append((name, m.province, domain))

    responses: list[tuple[dt.datetime, list[str]]] = []
    deadline_end = dt.datetime.combine(DEADLINE, dt.time(23, 59, 59))
    for name, _prov, domain in participants:
        fate = rng.random()
        if fate < 0.22:
            continue  # never answers
        if fate < 0.80:
            start, end = REQUEST_SENT, deadline_end
        else:
            start, end = deadline_end + dt.timedelta(seconds=1), LAST_DAY
        first = office_hours(rng, start, end)
        filler = rng.choice([f"protocollo@{domain}", f"segreteria@{domain}", f"ced@{domain}"])
        typed = messy(name, rng)
        n_emp = rng.choices([1, 2, 3, 4, 5], weights=[20, 30, 28, 15, 7])[0]
        gives_at = rng.random() < 0.78
        for k in range(n_emp):
            female = rng.random() < 0.55
            first_name = rng.choice(FIRST_F if female else FIRST_M)
            surname = rng.choice(SURNAMES)
            birth = dt.date(rng.randint(1962, 1995), rng.randint(1, 12), rng.randint(1, 28))
            cf = codicefiscale.encode(
                surname,
                first_name,
                "F" if female else "M",
                birth.strftime("%d/%m/%Y"),
                rng.choice(["Salerno", "Avellino", "Napoli", "Eboli", "Ariano Irpino"]),
            )
            email = f"{slug(first_name)}.{slug(surname)}@{domain}" if rng.random() < 0.85 else ""
            perms = set(rng.sample(range(7), rng.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]))
            if k == 0:
                perms.add(0)  # somebody edits the website
                if gives_at:
                    perms.add(2)
            elif not gives_at:
                perms.discard(2)
            when = first if k == 0 else office_hours(rng, first, min(first + dt.timedelta(days=3), LAST_DAY))
            other = rng.choice(OTHER_TEXTS) if rng.random() < 0.04 else ""
            cell = ", ".join([OPTIONS[i] for i in sorted(perms)] + ([other] if other else []))
            row = [filler, typed, surname.upper() if rng.random() < 0.2 else surname, first_name, cf,
                   email, rng.choice(OFFICES), cell]  # fmt: skip
            responses.append((when, row))
            if rng.random() < 0.09:  # a correction: the same employee answers again
                fixed = set(perms)
                if len(fixed) > 1 and rng.random() < 0.6:
                    fixed.discard(rng.choice(sorted(fixed - {0}) or [0]))
                else:
                    fixed.add(rng.randrange(7))
                later = office_hours(rng, when, min(when + dt.timedelta(days=3), LAST_DAY))
                responses.append((later, [*row[:-1], ", ".join(OPTIONS[i] for i in sorted(fixed))]))

    # Rows the PM must see in "Qualità dati".
    odd = [
        (dt.datetime(2023, 9, 4, 11, 2, 41), ["protocollo@comune.montecorvinopugliano.sa.it", "Comune di Montecorvino Pugliano",
          "Landi", "Rosa", "", "rosa.landi@comune.montecorvinopugliano.sa.it", "Segreteria Generale", OPTIONS[0] + ", " + OPTIONS[2]]),
        (dt.datetime(2023, 9, 5, 9, 40, 3), ["urp@provincia.salerno.it", "Provincia di Salerno", "Pepe", "Marta", "",
          "marta.pepe@provincia.salerno.it", "", OPTIONS[0]]),
        (dt.datetime(2023, 9, 6, 16, 12, 55), [f"protocollo@{participants[3][2]}", participants[3][0], "", "", "", "",
          "Ufficio Tecnico", OPTIONS[5]]),
        (dt.datetime(2023, 9, 7, 10, 31, 9), [f"segreteria@{participants[7][2]}", participants[7][0], "Memoli", "Carmine",
          "", "", "", "Responsabile protocollo"]),
    ]  # fmt: skip
    responses.extend(odd)
    responses.sort(key=lambda r: r[0])
    rows = [RESPONSE_HEADERS] + [[stamp(when), *row] for when, row in responses]
    return comuni_rows, rows


def main() -> None:
    comuni, responses = build(random.Random(SEED))
    write_csv(DEMO / "comuni.csv", comuni)
    write_csv(DEMO / "risposte.csv", responses)
    print(f"{len(comuni) - 1} comuni, {len(responses) - 1} risposte")


if __name__ == "__main__":
    main()
