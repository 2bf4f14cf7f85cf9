"""A national-scale synthetic campaign, the size of the whole 1.4.1 measure (deterministic, from a seed).

About 6,600 participating comuni (real ones, from the national list) and 30,000 form responses
typed the way people type: "Comune di" prefixes, capitals, double spaces, ’ for ', one-letter
typos, corrections, comuni that do not take part, rows without an employee. ``generate`` writes
the PM's list and the responses as Google Sheets CSV, and which comune each row meant
(``truth.csv``); ``campaign_config`` is the configuration a PM would write for them. Used by the
benchmark (``bench/``) and by the national-scale browser test.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codicefiscale import codicefiscale as cf

from rollout.config import Config, parse_config
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

SEED = 20230913
N_COMUNI = 6600
N_RESPONSES = 30000
COMUNI_FILE = "comuni.csv"
RESPONSES_FILE = "risposte.csv"
TRUTH_FILE = "truth.csv"
AS_OF = "2023-09-30T12:00:00"

COMUNI_HEADERS = ["Comune", "Provincia", "Codice catastale", "Referente", "Email referente", "PEC", "Ondata",
                  "Messa online prevista"]  # fmt: skip
FIRST_M = ("Antonio Giuseppe Giovanni Francesco Vincenzo Salvatore Luigi Carmine Gerardo Pasquale Alfonso Raffaele "
           "Michele Domenico Nicola Enzo Rocco Ciro Massimo Paolo Marco Luca Andrea Matteo Alessandro Stefano Roberto "
           "Davide Simone Federico Lorenzo Fabio Daniele Riccardo Emanuele Claudio Sergio Mauro Gianluca Piero").split()  # fmt: skip
FIRST_F = ("Maria Anna Giuseppina Rosa Carmela Teresa Angela Lucia Assunta Antonella Raffaella Annalisa Filomena "
           "Stefania Concetta Giovanna Elena Marta Sara Ilaria Francesca Chiara Laura Silvia Valentina Federica Paola "
           "Roberta Giulia Alessandra Monica Cristina Barbara Daniela Simona Elisa Sabrina Michela Claudia Patrizia").split()  # fmt: skip
SURNAMES = [*("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Mancini "
            "Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli "
            "Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola D'Angelo Marchetti Parisi Villa "
            "Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina Sala Gatti Pellegrini Palumbo Sanna "
            "Farina Rizzi Monti Cattaneo Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani "
            "Benedetti Barone Rossetti Caputo Montanari Guerra Palmieri Bernardi Martino Fiore Ferretti Bellini "
            "Basile Riva Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano Ruggiero Sorrentino "
            "D'Amico Orlando Negri").split(), "De Luca", "De Santis", "De Angelis", "De Rosa", "Della Monica",
            "Di Lorenzo", "D'Alessio", "Lo Russo", "La Rosa"]  # fmt: skip
OFFICES = ["Area Amministrativa", "Servizi Demografici", "Ufficio Tecnico", "Ufficio Tributi", "Segreteria Generale",
           "Area Vigilanza", "Servizi Sociali", "Area Finanziaria", "Ufficio Protocollo", ""]  # fmt: skip
OTHER_TEXTS = ["Responsabile protocollo", "Albo pretorio", "tutti i permessi", "Editor Servizi Sociali",
               "Editor Polizia Locale"]  # fmt: skip


def messy(name: str, province: str, rng: random.Random) -> str:
    """The comune's name as somebody types it in the form: mostly exact."""
    r = rng.random()
    if r < 0.60:
        return name
    if r < 0.72:
        return rng.choice(["Comune di ", "COMUNE DI ", "comune di ", "Comune di  "]) + name
    if r < 0.80:
        return rng.choice([name.upper(), name.lower()])
    if r < 0.86:
        return name.replace(" ", "  ", 1) + rng.choice([" ", "  ", ""])
    if r < 0.92:
        return name.replace("'", "’") if "'" in name else strip_accents(name) + rng.choice(["", " "])
    if r < 0.96 and len(name) >= 9:
        return typo(name, rng)
    return f"{name} ({rng.choice([province, province.lower(), province])})"


def fiscal_code(surname: str, first_name: str, female: bool, birth: dt.date, place_code: str) -> str:
    """The employee's fiscal code (born in a real comune, by cadastral code: no slow name lookup)."""
    gender: Literal["F", "M"] = "F" if female else "M"
    born = dt.datetime.combine(birth, dt.time())
    body = cf.encode_lastname(surname) + cf.encode_firstname(first_name) + cf.encode_birthdate(born, gender)
    body += place_code
    return body + cf.encode_cin(body)


@dataclass(frozen=True)
class _Comune:
    name: str
    province: str
    code: str
    domain: str


def _national_by_code() -> dict[str, tuple[str, str]]:
    """Cadastral code -> (name, province): bilingual comuni keep one name, chosen deterministically."""
    names: dict[str, list[tuple[str, str]]] = {}
    for m in national_comuni():
        names.setdefault(m.cadastral, []).append((m.name, m.province))
    return {code: min(pairs) for code, pairs in sorted(names.items())}


Rows = list[list[str]]


def build(rng: random.Random, n_comuni: int = N_COMUNI, n_responses: int = N_RESPONSES) -> tuple[Rows, Rows, Rows]:
    """The PM's comuni list, the form's response rows and the comune each row meant (headers
    included), as lists of cells."""
    national = _national_by_code()
    codes = sorted(national)
    chosen = rng.sample(codes, min(n_comuni, len(codes)))
    outsiders = sorted(set(codes) - set(chosen))
    chosen.sort(key=lambda c: (national[c][1], official(national[c][0]), c))

    comuni_rows = [COMUNI_HEADERS]
    participants: list[_Comune] = []
    for code in chosen:
        raw_name, prov = national[code]
        name = official(raw_name)
        domain = f"comune.{slug(name)}.{prov.lower()}.it"
        r = rng.random()
        contact = f"{rng.choice(FIRST_M + FIRST_F)} {rng.choice(SURNAMES)}" if r < 0.95 else ""
        email = f"segreteria@{domain}" if r < 0.85 else ""
        pec = f"protocollo@pec.{domain}" if r < 0.95 else ""
        wave = rng.choice(["1", "1", "2", "2", "3"])
        golive = {"1": "15/10/2023", "2": "15/11/2023", "3": "15/12/2023"}[wave]
        comuni_rows.append([name, prov, code, contact, email, pec, wave, golive])
        participants.append(_Comune(name, prov, code, domain))

    # Employees per answering comune, sized so that the total is about n_responses.
    answering_share = 0.85
    emp_counts = list(range(1, 11))
    emp_weights = [8, 12, 14, 14, 13, 11, 9, 7, 6, 6]
    mean_emp = sum(c * w for c, w in zip(emp_counts, emp_weights, strict=True)) / sum(emp_weights)
    correction_rate = 0.10
    odd_share = 0.012  # non-participating comuni and invalid rows
    scale = n_responses * (1 - odd_share) / (len(participants) * answering_share * mean_emp * (1 + correction_rate))

    deadline_end = dt.datetime.combine(DEADLINE, dt.time(23, 59, 59))
    responses: list[tuple[dt.datetime, list[str], str]] = []  # (when, cells, code of the comune meant)
    for c in participants:
        fate = rng.random()
        if fate >= answering_share:
            continue  # never answers
        if fate < 0.80 * answering_share:
            first = office_hours(rng, REQUEST_SENT, deadline_end)
        else:
            first = office_hours(rng, deadline_end + dt.timedelta(seconds=1), LAST_DAY)
        fillers = [f"protocollo@{c.domain}", f"segreteria@{c.domain}", f"ced@{c.domain}"]
        n_emp = max(1, round(rng.choices(emp_counts, weights=emp_weights)[0] * scale))
        gives_at = rng.random() < 0.78
        for k in range(n_emp):
            female = rng.random() < 0.55
            first_name = rng.choice(FIRST_F if female else FIRST_M)
            surname = rng.choice(SURNAMES)
            birth = dt.date(rng.randint(1962, 1998), rng.randint(1, 12), rng.randint(1, 28))
            code = fiscal_code(surname, first_name, female, birth, rng.choice([c.code, *rng.sample(codes, 1)]))
            email = f"{slug(first_name)}.{slug(surname)}{rng.randint(1, 99) if rng.random() < 0.1 else ''}@{c.domain}"
            email = email if rng.random() < 0.85 else ""
            perms = set(rng.sample(range(7), rng.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]))
            if k == 0:
                perms.add(0)
                if gives_at:
                    perms.add(2)
            elif not gives_at:
                perms.discard(2)
                perms = perms or {rng.choice([0, 1, 3, 4, 5, 6])}  # the form requires a tick
            when = first if k == 0 else office_hours(rng, first, min(first + dt.timedelta(days=4), LAST_DAY))
            other = rng.choice(OTHER_TEXTS) if rng.random() < 0.03 else ""
            cell = ", ".join([OPTIONS[i] for i in sorted(perms)] + ([other] if other else []))
            shown_surname = surname.upper() if rng.random() < 0.2 else surname
            filler = rng.choice(fillers)
            row = [filler, messy(c.name, c.province, rng), shown_surname, first_name, code, email,
                   rng.choice(OFFICES), cell]  # fmt: skip
            responses.append((when, row, c.code))
            if rng.random() < correction_rate:  # the same employee answers again: a correction
                fixed = set(perms)
                if len(fixed) > 1 and rng.random() < 0.6:
                    fixed.discard(rng.choice(sorted(fixed - {0}) or [0]))
                else:
                    fixed.add(rng.randrange(7))
                later = office_hours(rng, when, min(when + dt.timedelta(days=5), LAST_DAY))
                again = [
                    row[0],
                    messy(c.name, c.province, rng),
                    *row[2:-1],
                    ", ".join(OPTIONS[i] for i in sorted(fixed)),
                ]
                responses.append((later, again, c.code))

    # Rows that cannot count: comuni that do not take part, no employee, only "Other" text.
    n_odd = max(3, round(n_responses * odd_share))
    for i in range(n_odd):
        when = office_hours(rng, REQUEST_SENT, LAST_DAY)
        kind = i % 4
        if kind < 2:  # a real comune that is not in the list
            name, prov = national[rng.choice(outsiders)]
            domain = f"comune.{slug(name)}.{prov.lower()}.it"
            first_name, surname = rng.choice(FIRST_F), rng.choice(SURNAMES)
            row = [f"protocollo@{domain}", messy(official(name), prov, rng), surname, first_name, "",
                   f"{slug(first_name)}.{slug(surname)}@{domain}", "", OPTIONS[0] + ", " + OPTIONS[2]]  # fmt: skip
            meant = ""
        else:
            c = rng.choice(participants)
            meant = c.code
            if kind == 2:  # nobody named
                row = [f"protocollo@{c.domain}", c.name, "", "", "", "", rng.choice(OFFICES), OPTIONS[5]]
            else:  # only text typed in "Other"
                first_name, surname = rng.choice(FIRST_M), rng.choice(SURNAMES)
                row = [f"segreteria@{c.domain}", c.name, surname, first_name, "", "", "", rng.choice(OTHER_TEXTS)]
        responses.append((when, row, meant))

    responses.sort(key=lambda r: r[0])
    rows = [RESPONSE_HEADERS] + [[stamp(when), *row] for when, row, _ in responses]
    truth = [["row", "code"]] + [[str(i), meant] for i, (_, _, meant) in enumerate(responses, start=2)]
    return comuni_rows, rows, truth


def generate(
    directory: Path, seed: int = SEED, *, n_comuni: int = N_COMUNI, n_responses: int = N_RESPONSES
) -> tuple[Path, Path]:
    """Write ``comuni.csv`` and ``risposte.csv`` (Google Sheets CSV) into ``directory``; same seed, same bytes."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    comuni, responses, truth = build(random.Random(seed), n_comuni, n_responses)
    comuni_path, responses_path = directory / COMUNI_FILE, directory / RESPONSES_FILE
    write_csv(comuni_path, comuni)
    write_csv(responses_path, responses)
    write_csv(directory / TRUTH_FILE, truth)  # which comune each row meant: to check the matching
    return comuni_path, responses_path


def campaign_config(comuni_path: Path, responses_path: Path) -> Config:
    """The configuration a PM would write for these two files."""
    data = {
        "deadline": DEADLINE,
        "as_of": AS_OF,
        "timezone": "Europe/Rome",
        "comuni": str(Path(comuni_path).resolve()),
        "submissions": str(Path(responses_path).resolve()),
    }
    return parse_config(data, Path(comuni_path).resolve().parent)
