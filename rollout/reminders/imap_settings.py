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
from rollout.reminders.mail_settings import connection_from_table, secrets_table

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
    server = connection_from_table(
        values,
        known=IMAP_KEYS,
        default_ports=_DEFAULT_PORTS,
        example_host="il server IMAP, per esempio imaps.pec.aruba.it",
        base_dir=base_dir,
        where=where,
    )
    folder = str(values.get("folder") or "INBOX").strip()
    if not folder or any(ord(c) < 32 for c in folder):
        raise InputError(f"In {where} folder non è un nome di cartella valido.")
    username, password = str(values.get("username") or ""), str(values.get("password") or "")
    if not username and not password and login:
        username, password = str(login.get("username") or ""), str(login.get("password") or "")
    if not username or not password:
        raise InputError(f"In {where} mancano username e password della casella (o quelli di [smtp]).")
    return ImapSettings(
        server.host, server.port, server.security, username, password, folder, server.ca_file, server.timeout
    )


def find_imap(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> ImapSettings | None:
    """``[imap]`` of the secrets file, found as ``[smtp]`` is; None if absent."""
    found = secrets_table("imap", explicit, env)
    if found is None:
        return None
    table, path, data = found
    login = data.get("smtp") if isinstance(data.get("smtp"), dict) else None
    return imap_from_table(table, path.resolve().parent, f"{path.name} [imap]", login)
