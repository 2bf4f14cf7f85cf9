"""Recognise what each column holds from its header, by meaning; explicit overrides win.

Headers are compared as folded words (case, accents and punctuation ignored), so
"Informazioni cronologiche", "Cognome e nome del dipendente" or "E-mail referente" are found
whatever the form's exact wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from rollout.errors import InputError
from rollout.read.permissions import header_permission, permissions_in
from rollout.read.text import clean, words


@dataclass(frozen=True)
class Rule:
    field: str
    pattern: str
    unless: str = ""

    def matches(self, header: str) -> bool:
        if self.unless and re.search(self.unless, header):
            return False
        return re.search(self.pattern, header) is not None


_NOT_PERSON = r"\bcomune\b|\bente\b|amministrazione|ufficio|utente|compilat|referente|mail|codice"
RESPONSE_RULES: tuple[Rule, ...] = (
    Rule("timestamp", r"informazioni cronologiche|timestamp|marca temporale|data (e )?ora|^data (di )?invio|"
                      r"^data (di )?compilazione|^data$|submitted|submission"),
    Rule("fiscal_code", r"codice fiscale|^c ?f\b|\bc ?f$|fiscal code|\bcf\b"),
    Rule("filler_email", r"^(indirizzo )?e ?mail$|^email address$|^nome utente$|^username$|"
                         r"(compilat|referente|chi compila).*(e ?mail|posta)|(e ?mail|posta).*(compilat|referente)"),
    Rule("employee_email", r"e ?mail|posta elettronica|\bmail\b|\bpec\b"),
    Rule("permissions", r"permess|permission|abilitazion|autorizzazion|\beditor\b|profil[oi] (di )?accesso|^profil|"
                        r"^ruol[oi] (da|nel|sul)|utenz"),
    Rule("full_name", r"nome e cognome|cognome e nome|nominativ|nome cognome|cognome nome|nome completo|"
                      r"full name|employee name|^name$|^dipendente|dipendente (incaricato|individuato)$", unless=r"\bcomune\b|mail|codice"),
    Rule("surname", r"\bcognome\b|surname|last name", unless=_NOT_PERSON),
    Rule("first_name", r"\bnome\b|first name|given name", unless=_NOT_PERSON),
    Rule("comune", r"\bcomune\b|\bente\b|amministrazione|municipio|municipality", unless=r"dipendent|mail|codice|provincia"),
    Rule("province", r"\bprovincia\b|\bprov\b|\bprovince\b|sigla"),
    Rule("code_hint", r"istat|codice catastale|codice (del )?comune|\bcod comune\b|belfiore"),
    Rule("office", r"ufficio|settore|servizio|area|qualifica|ruolo"),
    Rule("phone", r"telefono|cellulare|\btel\b|phone"),
)  # fmt: skip

COMUNI_RULES: tuple[Rule, ...] = (
    Rule("ipa_code", r"\bipa\b"),  # "codice_ipa" of the 1.4.1 open data, "Codice IPA": IndicePA's code (c_f931)
    Rule("code", r"istat|\bcod comune\b|codice (del )?comune|codice catastale|belfiore|^codice$|^cod$"),
    Rule("province", r"^provincia|^prov\b|^province|sigla prov|^sigla$|^sigla automobilistica$", unless=r"codice|\bcod\b"),
    Rule("region", r"^(?:denominazione )?regione", unless=r"codice|\bcod\b"),
    Rule("pec", r"\bpec\b"),
    Rule("contact_email", r"e ?mail|posta elettronica|\bmail\b"),
    Rule("contact_name", r"referente|contatto|contact|responsabile|\brup\b|nominativ|persona"),
    Rule("phone", r"telefono|cellulare|\btel\b"),
    Rule("wave", r"ondata|wave|lotto|gruppo|tranche|\bfase\b"),
    Rule("golive", r"go ?live|messa (on ?line|in linea|in produzione)|pubblicazione|rilascio|data online"),
    # ISTAT's own list: "Progressivo del Comune", "Denominazione (Italiana e straniera)" ("Bolzano/Bozen"),
    # "Denominazione Regione" are not the name; "Denominazione in italiano" is.
    Rule("name", r"\bcomune\b|denominazione|^ente$|^nome|^name$|municipality|^citta$",
         unless=r"codice|\bcod\b|istat|progressivo|straniera|altra lingua|regione|sovracomunale|ripartizione|flag"),
)  # fmt: skip

# IndicePA's «Enti» file (Codice_IPA, Denominazione_ente, Codice_comune_ISTAT, Mail1, Tipo_Mail1, …) and
# its older export amministrazioni.txt (cod_amm, des_amm, mail1, tipo_mail1, tipologia_istat, …).
# "Codice_ISTAT" alone is the administration's own statistical code, not its comune's: not the istat field.
MAIL_SLOTS = range(1, 6)
CONTACT_RULES: tuple[Rule, ...] = (
    Rule("ipa_code", r"^(?:codice )?ipa$|^cod(?:ice)? amm$|^codice (?:ipa )?(?:dell )?(?:ente|amministrazione)$"),
    Rule("name", r"^denominazione(?: ente)?$|^des amm$|^ente$|^amministrazione$"),
    Rule("istat", r"\bcomune\b.*\bistat\b|\bistat\b.*\bcomune\b"),
    Rule("cadastral", r"catastale|belfiore"),
    Rule("category", r"^(?:codice )?categoria$|^tipologia istat$"),
    Rule("kind", r"^tipologia(?: amm)?$"),
    *(Rule(f"mail_type{i}", rf"^tipo (?:e ?)?mail ?{i}$") for i in MAIL_SLOTS),
    *(Rule(f"mail{i}", rf"^(?:e ?)?mail ?{i}$") for i in MAIL_SLOTS),
    Rule("pec", r"^pec$|^(?:indirizzo )?pec(?: ente)?$|domicilio digitale"),
)  # fmt: skip

FIELD_LABELS: dict[str, str] = {
    "ipa_code": "codice IPA (Codice_IPA, cod_amm)",
    "timestamp": 'data/ora della risposta ("Informazioni cronologiche")',
    "comune": "comune",
    "permissions": "permessi",
    "name": "nome del comune",
}


@dataclass(frozen=True)
class Columns:
    """Where each field is: field name -> column position, plus per-permission columns."""

    header_row: int
    headers: tuple[str, ...]
    fields: Mapping[str, int]
    permission_columns: Mapping[str, int]

    def get(self, field: str) -> int | None:
        return self.fields.get(field)


def _normalised_headers(cells: pd.DataFrame, row: int) -> list[str]:
    return [words(h) for h in cells.loc[row].to_numpy().tolist()]


def header_names(cells: pd.DataFrame, row: int) -> tuple[str, ...]:
    """Headers as shown to users: cleaned, empty ones named by position, duplicates numbered."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(cells.loc[row].to_numpy().tolist()):
        name = clean(raw) or f"(colonna {column_letter(i)})"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(out)


_DATA_LIKE = re.compile(
    r"^\d{1,4}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?!\d)"  # a date or timestamp (not "1.4.1 …")
    r"|^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"  # a fiscal code
    r"|^\S+@\S+\.\S+$",  # an email address
    re.IGNORECASE,
)


def shown_headers(headers: tuple[str, ...]) -> str:
    """The first headers, quoted, for an error message; never a row of data (personal data).

    When the row taken as the header holds a date, an email or a fiscal code, the file most
    likely has no header row: its cells are people's data and stay out of the message.
    """
    if any(_DATA_LIKE.search(h) for h in headers):
        return "(la riga contiene dati, non intestazioni: manca la riga delle intestazioni?)"
    return ", ".join(f"'{h[:80]}'" for h in headers[:12])


def column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def recognise(
    cells: pd.DataFrame,
    rules: tuple[Rule, ...],
    overrides: Mapping[str, str],
    required: tuple[str, ...],
    *,
    what: str,
    permission_columns: bool = False,
    accept: Callable[[dict[str, int], dict[str, int]], bool] | None = None,
    other_sheets: tuple[tuple[str, pd.DataFrame], ...] = (),
) -> Columns:
    """Find the header row (one of the first ten) and the column of each field.

    Raises InputError naming the missing field and the headers that were seen, and the other
    sheets of the workbook (``other_sheets``: name and first rows) that do have the columns.
    """
    candidates = [r for r in cells.index[:10] if (cells.loc[r] != "").any()]
    best: Columns | None = None
    for row in candidates:
        found = _assign(cells, row, rules, overrides, what, permission_columns)
        ok = all(f in found.fields for f in required)
        if ok and (accept is None or accept(dict(found.fields), dict(found.permission_columns))):
            return found
        if best is None:
            best = found
    assert best is not None  # a Grid is never empty
    missing = [f for f in required if f not in best.fields]
    shown = shown_headers(best.headers)
    if not missing:
        missing = ["permessi"]
    labels = ", ".join(FIELD_LABELS.get(f, f) for f in missing)
    options = {"what": what, "permission_columns": permission_columns, "accept": accept}
    fits = [name for name, head in other_sheets if _fits(head, rules, overrides, required, options)]
    if fits:
        names = ", ".join(f"'{n}'" for n in fits)
        raise InputError(
            f"{what}: il primo foglio del file non ha la colonna {labels} (forse è una copertina); "
            f"{'il foglio' if len(fits) == 1 else 'i fogli'} {names} {'la ha' if len(fits) == 1 else 'la hanno'}. "
            f'Indica il foglio da leggere nella configurazione (sheet = "{fits[0]}").'
        )
    raise InputError(
        f"{what}: manca la colonna {labels}. Colonne trovate nella riga {best.header_row}: {shown}. "
        "Indica il nome esatto della colonna nella configurazione (sezione [columns])."
    )


def _fits(
    head: pd.DataFrame, rules: tuple[Rule, ...], overrides: Mapping[str, str], required: tuple[str, ...], options: dict
) -> bool:
    """Whether the first rows of another sheet have the columns."""
    if head.empty or not (head != "").to_numpy().any():
        return False
    try:
        recognise(head, rules, overrides, required, **options)
    except InputError:
        return False
    return True


def _assign(
    cells: pd.DataFrame,
    row: int,
    rules: tuple[Rule, ...],
    overrides: Mapping[str, str],
    what: str,
    permission_columns: bool,
) -> Columns:
    names = header_names(cells, row)
    folded = _normalised_headers(cells, row)
    fields: dict[str, int] = {}
    perms: dict[str, int] = {}
    taken: set[int] = set()
    for field, header in overrides.items():
        if not header:
            continue
        pos = _find_header(header, names, folded)
        if pos is None:
            shown = shown_headers(names)
            raise InputError(
                f"{what}: la colonna '{header}' indicata per '{field}' nella configurazione non esiste. Colonne presenti: {shown}."
            )
        if field.startswith("permission."):
            perms[field.split(".", 1)[1]] = pos
        else:
            fields[field] = pos
        taken.add(pos)
    for pos, header in enumerate(folded):
        if pos in taken or not header:
            continue
        key = header_permission(names[pos]) if permission_columns else None
        if key and key not in perms and not _looks_combined(cells, row, pos, key):
            perms[key] = pos
            continue
        for rule in rules:
            if rule.field not in fields and rule.matches(header):
                fields[rule.field] = pos
                break
    return Columns(row, names, fields, perms)


def _find_header(wanted: str, names: tuple[str, ...], folded: list[str]) -> int | None:
    if clean(wanted) in names:
        return names.index(clean(wanted))
    key = words(wanted)
    return folded.index(key) if key in folded else None


def _looks_combined(cells: pd.DataFrame, header_row: int, pos: int, key: str) -> bool:
    """A column whose header names one permission but whose cells name others is a checkbox list."""
    sample = cells.loc[cells.index > header_row, pos].head(200)
    return any(value and (permissions_in(value) - {key}) for value in sample.unique())
