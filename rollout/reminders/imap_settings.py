"""``[imap]`` of the secrets file: the mailbox where the receipts, bounces and replies arrive.

Found as ``[smtp]`` is (``--secrets``, ``$ROLLOUT_SECRETS``, ``.streamlit/secrets.toml`` of the
project, then of the home). A PEC mailbox has one login for both: without ``username`` and
``password`` in ``[imap]``, those of ``[smtp]`` in the same file are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rollout.errors import InputError
from rollout.reminders.mail_settings import LOCAL_HOSTS, SECURITY, secrets_table

IMAP_KEYS = {"host", "port", "security", "username", "password", "folder", "ca_file", "timeout"}
_DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}


@dataclass(frozen=True)
class ImapSettings:
    """``[imap]`` of the secrets file. The password is never shown."""

    host: str
    port: int
    security: str = "ssl"
    username: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    ca_file: str = ""  # a certificate (PEM) to trust besides the system's, e.g. the server's own
    timeout: float = 30.0


def imap_from_table(
    table: Mapping[str, object],
    base_dir: Path | None = None,
    where: str = "[imap]",
    login: Mapping[str, object] | None = None,
) -> ImapSettings:
    """Check ``[imap]`` (a dict, or ``st.secrets``' section); ``login`` is ``[smtp]``, whose username and
    password are used when ``[imap]`` has neither. InputError says what is wrong."""
    values = {str(k): v for k, v in table.items()}
    unknown = sorted(set(values) - IMAP_KEYS)
    if unknown:
        raise InputError(
            f"Chiave sconosciuta in {where}: {', '.join(unknown)}. Chiavi ammesse: {', '.join(sorted(IMAP_KEYS))}."
        )
    host = str(values.get("host") or "").strip()
    if not host:
        raise InputError(f"In {where} manca host (il server IMAP, per esempio imaps.pec.aruba.it).")
    security = str(values.get("security", "ssl")).strip().lower()
    if security not in SECURITY:
        raise InputError(f'In {where} security deve essere "ssl", "starttls" o "none", non "{security}".')
    if security == "none" and host not in LOCAL_HOSTS:
        raise InputError(f'In {where} security = "none" è ammesso solo per un server locale (127.0.0.1).')
    try:
        port = int(values.get("port", _DEFAULT_PORTS[security]))  # type: ignore[arg-type]
        timeout = float(values.get("timeout", 30))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"In {where} port e timeout devono essere numeri.") from None
    if not 0 < port < 65536 or timeout <= 0:
        raise InputError(f"In {where} port deve essere tra 1 e 65535 e timeout positivo.")
    folder = str(values.get("folder") or "INBOX").strip()
    if not folder or any(ord(c) < 32 for c in folder):
        raise InputError(f"In {where} folder non è un nome di cartella valido.")
    ca_file = str(values.get("ca_file") or "").strip()
    if ca_file:
        path = Path(ca_file).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise InputError(f"In {where} ca_file non esiste: {path}.")
        ca_file = str(path)
    username, password = str(values.get("username") or ""), str(values.get("password") or "")
    if not username and not password and login:
        username, password = str(login.get("username") or ""), str(login.get("password") or "")
    if not username or not password:
        raise InputError(f"In {where} mancano username e password della casella (o quelli di [smtp]).")
    return ImapSettings(host, port, security, username, password, folder, ca_file, timeout)


def find_imap(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> ImapSettings | None:
    """``[imap]`` of the secrets file, found as ``[smtp]`` is; None if absent."""
    found = secrets_table("imap", explicit, env)
    if found is None:
        return None
    table, path, data = found
    login = data.get("smtp") if isinstance(data.get("smtp"), dict) else None
    return imap_from_table(table, path.resolve().parent, f"{path.name} [imap]", login)
