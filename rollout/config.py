"""The configuration: one TOML file (``rollout.toml`` or ``$ROLLOUT_CONFIG``), else the demo.

Every section is parsed and checked here, once, when the file is read, into typed settings
(frozen dataclasses): an unknown key or a bad value is one Italian line naming it (InputError),
for the command line and the dashboard alike. Nothing else reads the file's raw tables; the
secrets file has its own readers (``data_sources.gsecrets``, ``rollout.reminders.mail_settings``,
``rollout.access.access_secrets``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from rollout.config_sections import (
    ACCESS_KEYS,
    ACCOUNTS_KEYS,
    CACHE_KEYS,
    COLUMN_KEYS,
    COLUMN_TABLES,
    DEFAULT_CACHE_FOLDER,
    DEFAULT_DATABASE,
    DEFAULT_TTL_SECONDS,
    MIN_TTL_SECONDS,
    PERMISSION_COLUMN_KEYS,
    REMINDERS_KEYS,
    TEMPLATE_KEYS,
    WEEKLY_KEYS,
    AccountsSettings,
    CacheSettings,
    ReminderSettings,
    WeeklySettings,
    check_known,
    parse_access,
    parse_accounts,
    parse_aliases,
    parse_cache,
    parse_columns,
    parse_reminders,
    parse_weekly,
)
from rollout.errors import InputError
from rollout.italian import DATE

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = PROJECT_ROOT / "data" / "demo" / "rollout.toml"
DEFAULT_CONFIG = PROJECT_ROOT / "rollout.toml"
_PREFILL_KEYS = ("form_prefill_field", "form_prefill_province_field", "form_prefill_code_field")
# The keys each section accepts (docs/configuration.md lists them; tests/test_docs.py checks both agree).
TOP_KEYS = frozenset({"campaign", "deadline", "as_of", "timezone", "form_url", "form_hosts", "date_order", "comuni",
                      "submissions", "contacts", "columns", "aliases", "reminders", "cache", "accounts", "access",
                      "weekly", *_PREFILL_KEYS})  # fmt: skip
SOURCE_KEYS = frozenset({"source", "sheet", "worksheet"})  # a source given as a table
# The typed sections and the keys each accepts, for whoever reads the configuration (and tests/test_docs.py).
__all__ = ["ACCESS_KEYS", "ACCOUNTS_KEYS", "CACHE_KEYS", "COLUMN_KEYS", "COLUMN_TABLES", "DEFAULT_CACHE_FOLDER",
           "DEFAULT_DATABASE", "DEFAULT_TTL_SECONDS", "MIN_TTL_SECONDS", "PERMISSION_COLUMN_KEYS", "REMINDERS_KEYS",
           "SOURCE_KEYS", "TEMPLATE_KEYS", "TOP_KEYS", "WEEKLY_KEYS", "AccountsSettings", "CacheSettings", "Config",
           "ReminderSettings", "SourceSpec", "WeeklySettings", "find_config", "form_link_problem", "load_config",
           "parse_as_of", "parse_config", "parse_deadline"]  # fmt: skip
_ENTRY = re.compile(r"(?:entry\.)?(\d{1,15})")
# Links: Google Forms' two hosts (with the path a form has there), else a host of form_hosts.
GOOGLE_FORMS = {"docs.google.com": "/forms/", "forms.gle": "/"}
_URL = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]{1,2000}")  # RFC 3986's characters, nothing else
_HOST = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


@dataclass(frozen=True)
class SourceSpec:
    """Where a table comes from: a path (relative to the config file), a URL or a Google Sheet."""

    location: str
    sheet: str | None = None
    base_dir: Path = PROJECT_ROOT

    def __str__(self) -> str:
        return self.location + (f" (foglio '{self.sheet}')" if self.sheet else "")


@dataclass(frozen=True)
class Config:
    comuni: SourceSpec | None = None
    submissions: SourceSpec | None = None
    contacts: SourceSpec | None = None  # optional: IndicePA's «Enti» file, the comuni's official addresses
    deadline: dt.date | None = None
    as_of: pd.Timestamp | None = None
    timezone: str = "Europe/Rome"
    campaign: str = "Raccolta dati account editor"
    form_url: str = ""
    # The Google Form's field ids ("entry.1234567") that a pre-filled link fills per comune.
    form_prefill_field: str = ""
    form_prefill_province_field: str = ""
    form_prefill_code_field: str = ""
    date_order: str = "auto"
    columns_comuni: Mapping[str, str] = field(default_factory=dict)
    columns_submissions: Mapping[str, str] = field(default_factory=dict)
    columns_contacts: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    accounts: AccountsSettings = field(default_factory=AccountsSettings)
    allowed: tuple[str, ...] = ()  # [access] allowed: emails and @domains admitted after login
    weekly: WeeklySettings = field(default_factory=WeeklySettings)
    path: Path | None = None
    demo: bool = False
    form_hosts: tuple[str, ...] = ()  # hosts besides Google Forms that form_url may name

    def __post_init__(self) -> None:
        """Every link the tracker writes comes from ``form_url``: it is checked whatever built the Config."""
        problem = form_link_problem(self.form_url, self.form_hosts) if self.form_url else ""
        if problem:
            raise InputError(problem)

    @property
    def base_dir(self) -> Path:
        """The folder that relative paths of the configuration start from: the file's own."""
        return self.path.resolve().parent if self.path else PROJECT_ROOT

    @property
    def cache_dir(self) -> Path:
        """``[cache] folder``, relative to the configuration file; default ``.rollout-cache`` beside it."""
        folder = Path(self.cache.folder).expanduser()
        return folder if folder.is_absolute() else self.base_dir / folder

    @property
    def weekly_dir(self) -> Path:
        """``[weekly] out``, relative to the configuration file; default ``out`` beside it."""
        folder = Path(self.weekly.out).expanduser()
        return folder if folder.is_absolute() else self.base_dir / folder

    def with_overrides(
        self,
        *,
        comuni: str | None = None,
        submissions: str | None = None,
        contacts: str | None = None,
        deadline: str | None = None,
        as_of: str | None = None,
    ) -> Config:
        """A copy with the command-line values that were given (None = keep); own files given end the demo."""

        def source(given: str | None, current: SourceSpec | None) -> SourceSpec | None:
            return current if given is None else SourceSpec(given, base_dir=Path.cwd())

        return replace(
            self,
            comuni=source(comuni, self.comuni),
            submissions=source(submissions, self.submissions),
            contacts=source(contacts, self.contacts),
            deadline=self.deadline if deadline is None else parse_deadline(deadline),
            as_of=self.as_of if as_of is None else parse_as_of(as_of, self.timezone),
            demo=False if comuni is not None or submissions is not None else self.demo,
        )

    def signature(self, *, notes: bool = False) -> str:
        """Who signs the reminders' drafts (``[reminders] signature``) or, with ``notes``, the notes of
        the accounts (``[accounts] signature``, else the drafts' one); "" when none is set."""
        own = self.accounts.signature if notes else ""
        return own or self.reminders.signature

    def require(self) -> dt.date:
        """Raise InputError unless both sources and the deadline are known; the deadline."""
        missing = [
            n
            for n, v in (("comuni", self.comuni), ("submissions", self.submissions), ("deadline", self.deadline))
            if not v
        ]
        if missing or self.deadline is None:
            raise InputError(
                f"Configurazione incompleta: manca {', '.join(missing)} (vedi docs/configuration.md, «Top-level keys»)."
            )
        return self.deadline


def missing_signature(config: Config) -> str:
    """Why the texts sent to the comuni end with «Cordiali saluti» and no one signing (Italian), or ""."""
    if config.signature():
        return ""
    what = "bozze e promemoria" if config.signature(notes=True) else "bozze, promemoria e note degli account"
    return (
        f"Firma non impostata: {what} finiscono con «Cordiali saluti» e nessuna firma. Aggiungi "
        'signature = "…" nella sezione [reminders] di rollout.toml (vedi docs/configuration.md, «[reminders]»).'
    )


def find_config(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """The config file to use and whether it is the embedded demo."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit), False
    if env.get("ROLLOUT_CONFIG"):
        return Path(env["ROLLOUT_CONFIG"]), False
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG, False
    return DEMO_CONFIG, True


def load_config(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the configuration; with none at all, the embedded demo campaign."""
    path, demo = find_config(explicit, env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"File di configurazione non trovato: {path}.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"Il file di configurazione {path.name} non è TOML valido: {err}.") from None
    except OSError as err:
        raise InputError(f"Impossibile leggere la configurazione {path}: {err.strerror or err}.") from None
    return parse_config(data, path.resolve().parent, path=path, demo=demo)


def parse_config(data: Mapping[str, object], base_dir: Path, *, path: Path | None = None, demo: bool = False) -> Config:
    """Check every section of a configuration file's ``data`` (relative paths start at ``base_dir``)."""
    check_known(data, TOP_KEYS, "nella configurazione", "Chiavi ammesse")
    tz = str(data.get("timezone", "Europe/Rome"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"Fuso orario sconosciuto nella configurazione: '{tz}'.") from None
    columns = parse_columns(data)
    order = str(data.get("date_order", "auto")).upper()
    if order not in ("AUTO", "DMY", "MDY"):
        raise InputError('date_order deve essere "auto", "DMY" o "MDY".')
    return Config(
        comuni=_source(data.get("comuni"), base_dir, "comuni"),
        submissions=_source(data.get("submissions"), base_dir, "submissions"),
        contacts=_source(data.get("contacts"), base_dir, "contacts"),
        deadline=parse_deadline(data["deadline"]) if "deadline" in data else None,
        as_of=parse_as_of(data["as_of"], tz) if data.get("as_of") else None,
        timezone=tz,
        campaign=str(data.get("campaign", Config.campaign)),
        form_url=str(data.get("form_url", "")).strip(),
        form_hosts=_form_hosts(data.get("form_hosts", [])),
        **_prefill_fields(data),
        date_order=order.lower() if order == "AUTO" else order,
        columns_comuni=columns["comuni"],
        columns_submissions=columns["submissions"],
        columns_contacts=columns["contacts"],
        aliases=parse_aliases(data),
        reminders=parse_reminders(data),
        cache=parse_cache(data),
        accounts=parse_accounts(data, base_dir),
        allowed=parse_access(data),
        weekly=parse_weekly(data),
        path=path,
        demo=demo,
    )


def _prefill_fields(data: Mapping[str, object]) -> dict[str, str]:
    """``form_prefill_field = "entry.1234567"`` (a bare number is accepted), checked."""
    out = {}
    for key in _PREFILL_KEYS:
        text = str(data.get(key, "")).strip()
        if not text:
            out[key] = ""
            continue
        found = _ENTRY.fullmatch(text)
        if not found:
            raise InputError(
                f"{key} non valido: '{text}'. Scrivi l'identificativo del campo come appare nel link "
                'precompilato di Google Moduli, per esempio "entry.1234567" '
                "(vedi docs/data.md, «Pre-filled form links»)."
            )
        out[key] = f"entry.{found[1]}"
    if (out["form_prefill_province_field"] or out["form_prefill_code_field"]) and not out["form_prefill_field"]:
        raise InputError("form_prefill_province_field e form_prefill_code_field richiedono anche form_prefill_field.")
    if out["form_prefill_field"] and not str(data.get("form_url", "")).strip():
        raise InputError("form_prefill_field richiede form_url, il link del modulo da precompilare.")
    return out


def form_link_problem(url: str, hosts: Iterable[str] = ()) -> str:
    """ "" when ``url`` is an https link to a Google Form (``docs.google.com/forms/…``, ``forms.gle/…``)
    or to one of ``hosts``; else why not, as the Italian line the user reads.

    The one rule for every link the tracker writes (drafts, notes, CSV/XLSX, the sent mail, the
    dashboard): a link built from a list or a mistyped configuration never points elsewhere."""
    shown = "".join(c if c.isprintable() else "?" for c in str(url)[:200])
    why = ""
    parts = urlsplit(url) if _URL.fullmatch(url) else None
    if parts is None:
        why = "contiene spazi o caratteri che un link non può avere"
    elif parts.scheme.lower() != "https" or not parts.netloc:
        why = "non è un link https://"
    elif "@" in parts.netloc:
        why = "ha un nome utente prima del sito (@)"
    elif parts.netloc.rpartition(":")[2] not in ("", "443") and ":" in parts.netloc:
        why = "indica una porta di rete"
    else:
        host = (parts.hostname or "").rstrip(".")
        if host in GOOGLE_FORMS:
            if not parts.path.startswith(GOOGLE_FORMS[host]) or len(parts.path) <= len(GOOGLE_FORMS[host]):
                why = "non è il link di un modulo" + (
                    " (su docs.google.com inizia con /forms/)" if host[0] == "d" else ""
                )
        elif host not in set(hosts):
            why = f"porta al sito {host}, che non è Google Moduli né uno dei siti di form_hosts"
    if not why:
        return ""
    return (
        f"form_url non valido: '{shown}' {why}. Usa il link del modulo Google (https://docs.google.com/forms/… "
        "o https://forms.gle/…), oppure indica il sito del modulo in form_hosts (vedi docs/configuration.md, «Top-level keys»)."
    )


def _form_hosts(value: object) -> tuple[str, ...]:
    """``form_hosts = ["moduli.azienda.it"]``: the hosts of forms other than Google's."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InputError('form_hosts deve essere un elenco di nomi di sito, per esempio ["moduli.azienda.it"].')
    out = []
    for item in items:
        host = str(item).strip().lower().rstrip(".")
        if not _HOST.fullmatch(host):
            shown = "".join(c if c.isprintable() else "?" for c in str(item)[:200])
            raise InputError(
                f"form_hosts: '{shown}' non è il nome di un sito (solo il nome, come moduli.azienda.it, "
                "senza https:// né percorso)."
            )
        out.append(host)
    return tuple(out)


def _source(value: object, base_dir: Path, key: str) -> SourceSpec | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return SourceSpec(value, base_dir=base_dir)
    if isinstance(value, dict) and value.get("source"):
        check_known(value, SOURCE_KEYS, f"nella tabella {key}")
        sheet = value.get("sheet") or value.get("worksheet")
        return SourceSpec(str(value["source"]), str(sheet) if sheet else None, base_dir)
    raise InputError(f"Nella configurazione '{key}' deve essere un percorso, un URL o una tabella con 'source'.")


def parse_deadline(value: object) -> dt.date:
    """A date: TOML date, ``YYYY-MM-DD`` or ``DD/MM/YYYY``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", DATE, "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InputError(f"Scadenza non valida: '{text}'. Usa il formato AAAA-MM-GG, per esempio 2023-09-13.")


def parse_as_of(value: object, tz: str = "Europe/Rome") -> pd.Timestamp:
    """A moment in UTC. A bare date means the end of that day; a time without zone is local."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T23:59:59"
    try:
        stamp = pd.Timestamp(value if isinstance(value, dt.datetime) else text)
    except (ValueError, TypeError):
        raise InputError(f"Data di riferimento (as_of) non valida: '{text}'. Usa AAAA-MM-GGTHH:MM:SS.") from None
    if pd.isna(stamp):
        raise InputError(f"Data di riferimento (as_of) non valida: '{text}'.")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC").floor("s")
