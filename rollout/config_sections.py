"""The sections of the configuration, typed: ``[cache]``, ``[reminders]`` and its texts, ``[accounts]``,
``[access]``, ``[aliases]`` and ``[columns.*]``, each parsed and checked once (``rollout.config``
calls these when the file is read). An unknown key or a bad value is an InputError naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from rollout.access import parse_allowlist
from rollout.errors import InputError
from rollout.read.columns import COMUNI_RULES, CONTACT_RULES, RESPONSE_RULES
from rollout.read.permissions import PERMISSION_KEYS
from rollout.read.text import normalise_email
from rollout.reminder_texts import DEFAULT_TEMPLATES, REASONS, check_template

COLUMN_TABLES = ("comuni", "submissions", "contacts")  # [columns.comuni], [columns.submissions], [columns.contacts]
COLUMN_KEYS = {
    "comuni": frozenset(r.field for r in COMUNI_RULES),
    "submissions": frozenset(r.field for r in RESPONSE_RULES),
    "contacts": frozenset(r.field for r in CONTACT_RULES),
}
PERMISSION_COLUMN_KEYS = frozenset(PERMISSION_KEYS)  # [columns.submissions.permissions]
CACHE_KEYS = frozenset({"folder", "ttl_seconds"})
REMINDERS_KEYS = frozenset({"database", "sender", "signature", "resend_after_days", "max_per_minute", "reply_to", "bcc",
                            *REASONS})  # fmt: skip
TEMPLATE_KEYS = frozenset({"subject", "body"})  # [reminders.pending], [reminders.missing], [reminders.no_at_editor]
ACCOUNTS_KEYS = frozenset({"note_template", "signature"})
ACCESS_KEYS = frozenset({"allowed"})  # the password belongs in .streamlit/secrets.toml
WEEKLY_KEYS = frozenset({"out", "keep_weeks", "send_reminders", "recipients"})
DEFAULT_CACHE_FOLDER = ".rollout-cache"
DEFAULT_TTL_SECONDS = 300
MIN_TTL_SECONDS = 10
DEFAULT_DATABASE = "promemoria.sqlite3"


@dataclass(frozen=True)
class CacheSettings:
    """``[cache]``: where the last good copies of remote sources are kept, and how long the
    dashboard keeps loaded data."""

    folder: str = DEFAULT_CACHE_FOLDER  # relative to the configuration file (``Config.cache_dir``)
    ttl_seconds: int = DEFAULT_TTL_SECONDS


@dataclass(frozen=True)
class ReminderSettings:
    """``[reminders]``: the log, the drafts' texts, sender and signature, and the limits of sending.

    ``sender`` and ``reply_to`` are checked addresses (with an optional display name); ``bcc`` holds
    the checked addresses in lower case; ``texts`` has a subject and a body per reason, each checked
    (``rollout.reminder_texts.check_template``), the built-in text where none is given."""

    database: str = DEFAULT_DATABASE  # relative to the configuration file (``rollout.reminders.log.database_path``)
    sender: str = ""
    signature: str = ""
    resend_after_days: int = 7
    max_per_minute: int = 20
    reply_to: str = ""
    bcc: tuple[str, ...] = ()
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_TEMPLATES)


@dataclass(frozen=True)
class AccountsSettings:
    """``[accounts]``: the notes' template (an absolute path; "" = the built-in one) and signature."""

    note_template: str = ""
    signature: str = ""


@dataclass(frozen=True)
class WeeklySettings:
    """``[weekly]``: the scheduled run (``python -m rollout weekly``). ``out`` is relative to the
    configuration file (``Config.weekly_dir``); ``keep_weeks`` 0 keeps every week; ``recipients``
    are checked addresses in lower case (the steering committee's summary)."""

    out: str = "out"
    keep_weeks: int = 12
    send_reminders: bool = False
    recipients: tuple[str, ...] = ()


def table_of(data: Mapping[str, object], key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"Nella configurazione '{key}' deve essere una tabella [{key}].")
    return value


def check_known(table: Mapping[str, object], allowed: Iterable[str], where: str, label: str = "") -> None:
    """InputError naming the keys of ``table`` that are not ``allowed`` (``where``: «in [cache]»)."""
    allowed = set(allowed)
    unknown = sorted(str(k) for k in set(table) - allowed)
    if unknown:
        label = label or ("Chiave ammessa" if len(allowed) == 1 else "Chiavi ammesse")
        raise InputError(f"Chiave sconosciuta {where}: {', '.join(unknown)}. {label}: {', '.join(sorted(allowed))}.")


def _whole(value: object) -> int | None:
    """A whole number given as a TOML integer or as digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _address(value: object, where: str) -> str:
    """An address with an optional display name (``Ufficio PNRR <pnrr@azienda.it>``), checked; "" stays ""."""
    text = str(value).strip() if isinstance(value, str) else ""
    if not isinstance(value, str) or (text and not normalise_email(parseaddr(text)[1])):
        raise InputError(f"{where} non è un indirizzo email valido: '{text or value}'.")
    return text


def parse_cache(data: Mapping[str, object]) -> CacheSettings:
    table = table_of(data, "cache")
    check_known(table, CACHE_KEYS, "in [cache]")
    folder = table.get("folder") or DEFAULT_CACHE_FOLDER
    if not isinstance(folder, str) or not folder.strip():
        raise InputError("In [cache] folder deve essere il percorso di una cartella.")
    ttl = _whole(table.get("ttl_seconds", DEFAULT_TTL_SECONDS))
    if ttl is None or ttl < MIN_TTL_SECONDS:
        shown = str(table.get("ttl_seconds"))[:80]
        raise InputError(
            f"In [cache] ttl_seconds deve essere un numero intero di secondi, almeno {MIN_TTL_SECONDS}: '{shown}'."
        )
    return CacheSettings(folder.strip(), ttl)


def parse_reminders(data: Mapping[str, object]) -> ReminderSettings:
    """``[reminders]`` and its templates, checked; the defaults for what is not set."""
    section = table_of(data, "reminders")
    check_known(section, REMINDERS_KEYS, "in [reminders]")
    texts: dict[str, dict[str, str]] = {}
    for reason in REASONS:
        given = section.get(reason, {})
        if not isinstance(given, dict):
            raise InputError(f"[reminders.{reason}] deve contenere solo subject e body (testi).")
        if unknown := sorted(set(given) - TEMPLATE_KEYS):
            raise InputError(
                f"[reminders.{reason}] deve contenere solo subject e body (testi): chiave sconosciuta {', '.join(unknown)}."
            )
        texts[reason] = {}
        for part in ("subject", "body"):
            text = str(given.get(part, DEFAULT_TEMPLATES[reason][part]))
            check_template(text, f"[reminders.{reason}] {part}")
            texts[reason][part] = text
    database = section.get("database", DEFAULT_DATABASE)
    if not isinstance(database, str) or not database.strip():
        raise InputError("Nella configurazione [reminders] database deve essere il percorso di un file.")
    sender = _address(section.get("sender", ""), "[reminders] sender")
    days, rate = _whole(section.get("resend_after_days", 7)), _whole(section.get("max_per_minute", 20))
    if days is None or rate is None:
        raise InputError("In [reminders] resend_after_days e max_per_minute devono essere numeri interi.")
    if days < 1 or rate < 1:
        raise InputError("In [reminders] resend_after_days e max_per_minute devono essere almeno 1.")
    reply_to = _address(section.get("reply_to", ""), "In [reminders] reply_to")
    given = section.get("bcc", [])
    bcc = [given] if isinstance(given, str) else given
    if not isinstance(bcc, list):
        raise InputError("In [reminders] bcc deve essere un indirizzo o un elenco di indirizzi.")
    checked = []
    for text in bcc:
        address = normalise_email(text) if isinstance(text, str) and text.strip() else ""
        if (not isinstance(text, str) or text.strip()) and not address:
            raise InputError(f"In [reminders] bcc non è un indirizzo email valido: '{text}'.")
        if address:
            checked.append(address)
    signature = section.get("signature", "")
    return ReminderSettings(
        database.strip(), sender, str(signature).strip(), days, rate, reply_to, tuple(checked), texts
    )


def parse_aliases(data: Mapping[str, object]) -> dict[str, str]:
    """``[aliases]``: ``"text as typed" = "Comune"`` lines."""
    table = table_of(data, "aliases")
    for key, value in table.items():
        if not isinstance(value, str | int):
            raise InputError(
                f"In [aliases] '{str(key)[:80]}' deve indicare un comune dell'elenco (un testo), "
                'per esempio "Comune di Avella" = "Avella".'
            )
    return {str(k): str(v) for k, v in table.items()}


def parse_columns(data: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """``[columns.comuni]``, ``[columns.submissions]`` (with ``[columns.submissions.permissions]``) and
    ``[columns.contacts]``, each flat: ``{field: header}``, ``permission.<key>`` for a permission's column."""
    columns = table_of(data, "columns")
    check_known(columns, COLUMN_TABLES, "in [columns]")
    out: dict[str, dict[str, str]] = {}
    for name in COLUMN_TABLES:
        table = columns.get(name, {})
        if not isinstance(table, dict):
            raise InputError(
                "Nella configurazione [columns.comuni], [columns.submissions] e [columns.contacts] devono essere tabelle."
            )
        nested = {"permissions"} if name == "submissions" else set()
        flat: dict[str, str] = {}
        for key, value in table.items():
            if key in nested and isinstance(value, dict):
                check_known(value, PERMISSION_COLUMN_KEYS, "in [columns.submissions.permissions]")
                flat.update(
                    {f"permission.{k}": _header(v, f"[columns.submissions.permissions] {k}") for k, v in value.items()}
                )
            else:
                check_known({key: value}, COLUMN_KEYS[name], f"in [columns.{name}]")
                flat[str(key)] = _header(value, f"[columns.{name}] {key}")
        out[name] = flat
    return out


def _header(value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"In {where} deve essere il nome di una colonna (un testo).")
    return str(value)


def parse_accounts(data: Mapping[str, object], base_dir: Path) -> AccountsSettings:
    """``[accounts] note_template`` (a .docx, relative to this file) and ``signature`` of the notes."""
    table = table_of(data, "accounts")
    check_known(table, ACCOUNTS_KEYS, "in [accounts]")
    signature = str(table.get("signature", "")).strip()
    template = str(table.get("note_template", "")).strip()
    if not template:
        return AccountsSettings("", signature)
    path = Path(template).expanduser()
    return AccountsSettings(str(path if path.is_absolute() else base_dir / path), signature)


def parse_access(data: Mapping[str, object]) -> tuple[str, ...]:
    """``[access] allowed = [...]``; the password belongs in .streamlit/secrets.toml, never here."""
    table = table_of(data, "access")
    if "password" in table:
        raise InputError(
            "La password non va in rollout.toml: mettila in .streamlit/secrets.toml, sezione [access] "
            "(vedi docs/deploying.md, «A team password»)."
        )
    check_known(table, ACCESS_KEYS, "in [access]")
    return parse_allowlist(table.get("allowed", []))


def parse_weekly(data: Mapping[str, object]) -> WeeklySettings:
    """``[weekly]``: the reports' folder, how many weeks to keep, whether to send the reminders, the
    summary's recipients (an address or a list)."""
    table = table_of(data, "weekly")
    check_known(table, WEEKLY_KEYS, "in [weekly]")
    out = table.get("out", WeeklySettings.out)
    if not isinstance(out, str) or not out.strip():
        raise InputError("In [weekly] out deve essere il percorso di una cartella.")
    keep = _whole(table.get("keep_weeks", WeeklySettings.keep_weeks))
    if keep is None or keep < 0:
        raise InputError("In [weekly] keep_weeks deve essere un numero intero di settimane (0: tienile tutte).")
    send = table.get("send_reminders", False)
    if not isinstance(send, bool):
        raise InputError("In [weekly] send_reminders deve essere true o false.")
    given = table.get("recipients", [])
    items = [given] if isinstance(given, str) else given
    if not isinstance(items, list):
        raise InputError(
            'In [weekly] recipients deve essere un indirizzo o un elenco, per esempio ["comitato@azienda.it"].'
        )
    recipients = []
    for item in items:
        address = normalise_email(item) if isinstance(item, str) else ""
        if not address:
            shown = "".join(c if c.isprintable() else "?" for c in str(item)[:200])
            raise InputError(f"In [weekly] recipients non è un indirizzo email valido: '{shown}'.")
        recipients.append(address)
    return WeeklySettings(out.strip(), keep, send, tuple(dict.fromkeys(recipients)))
