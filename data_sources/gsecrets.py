"""The Google service account and default sheet, from ``[connections.gsheets]`` of a secrets file.

The layout is st-gsheets-connection's, so existing Streamlit secrets work unchanged::

    [connections.gsheets]
    spreadsheet = "https://docs.google.com/spreadsheets/d/KEY/edit"   # or the bare KEY
    worksheet = "Risposte del modulo 1"                               # tab name or gid
    type = "service_account"
    client_email = "…@….iam.gserviceaccount.com"
    private_key = "-----BEGIN PRIVATE KEY-----\\n…"
    token_uri = "https://oauth2.googleapis.com/token"
    # … the other fields of the JSON key

Instead of the key's fields, ``service_account_file = "key.json"`` (relative to the secrets file)
names the JSON key Google Cloud downloads; ``ROLLOUT_SECRETS`` (or the command line's
``--secrets``) may also point straight at that JSON file. Nothing here is ever put in a message
except the service account's address, which the user needs to share the sheet with.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "ROLLOUT_SECRETS"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = (PROJECT_ROOT / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")
_REQUIRED = ("client_email", "private_key", "token_uri")
_NOT_KEY_FIELDS = {"spreadsheet", "worksheet", "service_account_file"}


@dataclass(frozen=True)
class SheetsAccess:
    """What ``[connections.gsheets]`` provides; ``error`` says why it cannot be used.

    The error is raised only when a Google Sheet is actually read, so a broken secrets file
    never stops a configuration made of local files.
    """

    account: Mapping[str, str] | None = field(default=None, repr=False)  # the service-account key fields
    spreadsheet: str = ""
    worksheet: str = ""
    origin: str = ""  # the file it came from, for messages
    error: str = ""

    @property
    def has_account(self) -> bool:
        return self.account is not None

    @property
    def client_email(self) -> str:
        return str(self.account.get("client_email", "")) if self.account else ""


def from_table(table: Mapping[str, object], base_dir: Path | None = None, origin: str = "secrets.toml") -> SheetsAccess:
    """Build the access from a ``[connections.gsheets]`` table (a dict, or ``st.secrets``' section)."""
    values = {str(k): v for k, v in table.items()}
    spreadsheet = str(values.get("spreadsheet") or "").strip()
    worksheet = str(values.get("worksheet") if values.get("worksheet") is not None else "").strip()
    key_file = str(values.get("service_account_file") or "").strip()
    if key_file:
        path = Path(key_file).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        access = read_key_file(path)
        return SheetsAccess(access.account, spreadsheet, worksheet, access.origin, access.error)
    fields = {k: str(v) for k, v in values.items() if k not in _NOT_KEY_FIELDS and v not in (None, "")}
    if not fields.get("client_email") and not fields.get("private_key"):
        return SheetsAccess(None, spreadsheet, worksheet, origin)  # layout without a key: public sheets only
    error = _check_account(fields, f"{origin} [connections.gsheets]")
    return SheetsAccess(None if error else fields, spreadsheet, worksheet, origin, error)


def read_key_file(path: Path) -> SheetsAccess:
    """A service-account JSON key file, as Google Cloud downloads it."""
    shown = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SheetsAccess(origin=shown, error=f"File della chiave dell'account di servizio non trovato: {path}.")
    except (OSError, UnicodeDecodeError) as err:
        return SheetsAccess(
            origin=shown, error=f"Impossibile leggere la chiave dell'account di servizio {shown}: {err}."
        )
    except json.JSONDecodeError:
        return SheetsAccess(origin=shown, error=f"{shown} non è un file JSON valido (chiave dell'account di servizio).")
    if not isinstance(data, dict):
        return SheetsAccess(origin=shown, error=f"{shown} non è una chiave JSON di account di servizio.")
    fields = {str(k): str(v) for k, v in data.items() if v not in (None, "")}
    error = _check_account(fields, shown)
    return SheetsAccess(None if error else fields, origin=shown, error=error)


def read_secrets_file(path: Path) -> SheetsAccess | None:
    """``[connections.gsheets]`` of a secrets.toml, or a JSON key file; None when the section is absent."""
    if path.suffix.lower() == ".json":
        return read_key_file(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SheetsAccess(origin=path.name, error=f"File dei segreti non trovato: {path}.")
    except (OSError, UnicodeDecodeError) as err:
        return SheetsAccess(origin=path.name, error=f"Impossibile leggere il file dei segreti {path}: {err}.")
    except tomllib.TOMLDecodeError as err:
        return SheetsAccess(origin=path.name, error=f"Il file dei segreti {path.name} non è TOML valido: {err}.")
    table = data.get("connections", {})
    table = table.get("gsheets") if isinstance(table, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        return SheetsAccess(origin=path.name, error=f"In {path.name} [connections.gsheets] deve essere una tabella.")
    return from_table(table, path.resolve().parent, path.name)


def find_secrets(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> SheetsAccess | None:
    """The access to use: ``explicit`` (``--secrets``), else ``$ROLLOUT_SECRETS``, else the first of
    ``<project>/.streamlit/secrets.toml`` and ``~/.streamlit/secrets.toml`` that has the section."""
    env = os.environ if env is None else env
    chosen = explicit or env.get(ENV_VAR)
    if chosen:
        return read_secrets_file(Path(chosen).expanduser()) or SheetsAccess(origin=Path(chosen).name)
    for path in DEFAULT_FILES:
        if path.is_file():
            access = read_secrets_file(path)
            if access is not None:
                return access
    return None


def _check_account(fields: Mapping[str, str], where: str) -> str:
    kind = fields.get("type", "service_account")
    if kind != "service_account":
        return f'In {where} type = "{kind}" non è supportato: serve un account di servizio (type = "service_account").'
    missing = [k for k in _REQUIRED if not fields.get(k)]
    if missing:
        return (
            f"In {where} mancano i campi dell'account di servizio: {', '.join(missing)} "
            "(vedi docs/google-sheets.md, «Connect the form's sheet with a service account»)."
        )
    if "PRIVATE KEY" not in fields["private_key"]:
        return f"In {where} private_key non è una chiave privata PEM: copiala intera dal file JSON, con gli \\n."
    return ""
