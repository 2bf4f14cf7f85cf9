"""The settings of the reminders' sending: ``[smtp]`` of the secrets file (found as the Google
credentials are) and the ``[reminders]`` keys of rollout.toml about sending (checked by
``rollout.config`` when it is read).

The reader of the mail sections of the secrets file: ``secrets_table`` finds a section the way the
Google credentials are found, and each section has its parser, which checks every key once and
returns typed settings: ``smtp_from_table`` here, ``imap_from_table`` (the mailbox of the receipts)
in ``rollout.reminders.imap_settings``, which finds its section with the same ``secrets_table``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from data_sources.gsecrets import DEFAULT_FILES, ENV_VAR
from rollout.config import Config
from rollout.errors import InputError
from rollout.reminders.headers import usable_address

SECURITY = ("ssl", "starttls", "none")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SMTP_KEYS = {"host", "port", "security", "username", "password", "sender", "channel", "ca_file", "timeout"}
_DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """``[smtp]`` of the secrets file. The password is never shown."""

    host: str
    port: int
    security: str = "ssl"
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    channel: str = "email"
    ca_file: str = ""  # a certificate (PEM) to trust besides the system's, e.g. the server's own
    timeout: float = 30.0


@dataclass(frozen=True)
class Connection:
    """The keys every mail server's section has, checked: where it is and how to reach it."""

    host: str
    port: int
    security: str
    ca_file: str
    timeout: float


def connection_from_table(
    values: Mapping[str, object],
    *,
    known: set[str],
    default_ports: Mapping[str, int],
    example_host: str,
    base_dir: Path | None,
    where: str,
) -> Connection:
    """Check a mail section's keys (``known``), ``host``, ``security``, ``port``, ``timeout`` and
    ``ca_file`` (relative to ``base_dir``): one rule for ``[smtp]`` and ``[imap]``. InputError says what
    is wrong, naming the section (``where``)."""
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(
            f"Chiave sconosciuta in {where}: {', '.join(unknown)}. Chiavi ammesse: {', '.join(sorted(known))}."
        )
    host = str(values.get("host") or "").strip()
    if not host:
        raise InputError(f"In {where} manca host ({example_host}).")
    security = str(values.get("security", "ssl")).strip().lower()
    if security not in SECURITY:
        raise InputError(f'In {where} security deve essere "ssl", "starttls" o "none", non "{security}".')
    if security == "none" and host not in LOCAL_HOSTS:
        raise InputError(f'In {where} security = "none" è ammesso solo per un server locale (127.0.0.1).')
    try:
        given_port, given_timeout = values.get("port", default_ports[security]), values.get("timeout", 30)
        if not isinstance(given_port, int | float | str) or not isinstance(given_timeout, int | float | str):
            raise TypeError(given_port, given_timeout)
        port, timeout = int(given_port), float(given_timeout)
    except (TypeError, ValueError):
        raise InputError(f"In {where} port e timeout devono essere numeri.") from None
    if not 0 < port < 65536 or timeout <= 0:
        raise InputError(f"In {where} port deve essere tra 1 e 65535 e timeout positivo.")
    ca_file = str(values.get("ca_file") or "").strip()
    if ca_file:
        path = Path(ca_file).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise InputError(f"In {where} ca_file non esiste: {path}.")
        ca_file = str(path)
    return Connection(host, port, security, ca_file, timeout)


def smtp_from_table(table: Mapping[str, object], base_dir: Path | None = None, where: str = "[smtp]") -> SmtpSettings:
    """Check ``[smtp]`` (a dict, or ``st.secrets``' section); InputError says what is wrong."""
    values = {str(k): v for k, v in table.items()}
    server = connection_from_table(
        values,
        known=SMTP_KEYS,
        default_ports=_DEFAULT_PORTS,
        example_host="il server SMTP, per esempio smtps.pec.aruba.it",
        base_dir=base_dir,
        where=where,
    )
    sender = str(values.get("sender") or "").strip()
    if sender and not usable_address(parseaddr(sender)[1]):
        raise InputError(f"In {where} sender non è un indirizzo email valido: '{sender}'.")
    channel = str(values.get("channel") or ("pec" if "pec" in server.host.lower() else "email")).strip().lower()
    if channel not in ("email", "pec"):
        raise InputError(f'In {where} channel deve essere "email" o "pec".')
    username, password = str(values.get("username") or ""), str(values.get("password") or "")
    if username and not password:
        raise InputError(f"In {where} c'è username ma manca password.")
    return SmtpSettings(
        server.host, server.port, server.security, username, password, sender, channel, server.ca_file, server.timeout
    )


def find_smtp(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """``[smtp]`` of the secrets file, found as the Google credentials are (``--secrets``,
    ``$ROLLOUT_SECRETS``, ``.streamlit/secrets.toml`` of the project, then of the home); None if absent."""
    found = secrets_table("smtp", explicit, env)
    if found is None:
        return None
    table, path, _ = found
    return smtp_from_table(table, path.resolve().parent, f"{path.name} [smtp]")


def secrets_table(
    name: str, explicit: str | Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[dict, Path, dict] | None:
    """The first secrets file (``--secrets``, ``$ROLLOUT_SECRETS``, then the default places) with a
    section ``[name]``: the section, the file and all of it; None when none has it. InputError when
    a file cannot be read or the section is not a table."""
    env = os.environ if env is None else env
    chosen = explicit or env.get(ENV_VAR)
    paths = [Path(chosen).expanduser()] if chosen else [p for p in DEFAULT_FILES if p.is_file()]
    for path in paths:
        if path.suffix.lower() == ".json":
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"File dei segreti non trovato: {path}.") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise InputError(f"Il file dei segreti {path.name} non è leggibile: {err}.") from None
        table = data.get(name)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise InputError(f"In {path.name} [{name}] deve essere una tabella.")
        return table, path, data
    return None


@dataclass(frozen=True)
class SendOptions:
    """``[reminders]`` keys about sending."""

    resend_after_days: int = 7
    max_per_minute: int = 20
    reply_to: str = ""
    bcc: tuple[str, ...] = ()


def options_from_config(config: Config) -> SendOptions:
    """The ``[reminders]`` keys about sending (checked when the configuration was read)."""
    r = config.reminders
    return SendOptions(r.resend_after_days, r.max_per_minute, r.reply_to, r.bcc)
