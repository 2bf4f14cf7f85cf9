"""Read the sender's mailbox over IMAP, read-only and incrementally, into Receipts.

The folder is opened with EXAMINE (read-only) and read with ``BODY.PEEK``: no flag is set (not
even ``\\Seen``), nothing is deleted or moved. A ``Cursor`` (the folder, its UIDVALIDITY and the
last UID read) makes the next read start after the messages already read, so a receipt is never
counted twice; when the server renumbers the folder (a new UIDVALIDITY) everything is read again and
the receipts' own ids (``Receipt.receipt_id``) tell the repeats. Only headers are fetched for every
new message (in batches); whole messages (at most ``MAX_MESSAGE`` bytes each) only for the few that
may be receipts or bounces. A fault gives one Italian line (``MailboxError``) and no partial result:
the caller keeps its cursor, and the next read starts again from there.
"""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientError, LoginError

from rollout.errors import InputError
from rollout.reminders.imap_settings import ImapSettings
from rollout.reminders.receipts import MAX_MESSAGE, Receipt, classify, triage

HEADER_BATCH = 500  # messages per FETCH of headers
BODY_BATCH = 20  # messages per FETCH of whole messages (each at most MAX_MESSAGE bytes)
MAX_HEADER = 64 * 1024  # bytes of a header block that are fetched (real ones: a few KB)
_HEADER_ITEM = f"BODY.PEEK[HEADER]<0.{MAX_HEADER}>"
_BODY_ITEM = f"BODY.PEEK[]<0.{MAX_MESSAGE}>"


class MailboxError(InputError):
    """The mailbox cannot be read (server down, login refused, TLS, missing folder, dropped connection)."""


@dataclass(frozen=True)
class Cursor:
    """Where the last read stopped: the folder, its UIDVALIDITY and the last UID read (all 0/"" at first)."""

    folder: str = ""
    uidvalidity: int = 0
    last_uid: int = 0


def read_new(
    settings: ImapSettings,
    since: Cursor | None = None,
    *,
    connect: Callable[[ImapSettings], IMAPClient] | None = None,
) -> tuple[list[Receipt], Cursor]:
    """The messages that arrived in ``settings.folder`` after ``since``, each as a Receipt (``unrelated``
    ones included, in arrival order; ``key`` is ``UIDVALIDITY:UID``; a second copy of a receipt already in
    the list is ``unrelated``), and the cursor to pass next time. MailboxError with one Italian line when
    the mailbox cannot be read. ``connect`` opens the session (default ``open_client``)."""
    since = since or Cursor()
    with _session(settings, connect or open_client) as client:
        uidvalidity = _examine(client, settings)
        same = since.folder == settings.folder and since.uidvalidity == uidvalidity
        start = since.last_uid if same else 0
        with _reading(settings):
            uids = sorted(int(u) for u in client.search(["UID", f"{start + 1}:*"]) if int(u) > start)
            found = _read(client, uids)
    receipts: list[Receipt] = []
    seen: set[str] = set()
    for uid in uids:
        if uid not in found:
            continue  # expunged by someone else between SEARCH and FETCH: nothing left to read
        receipt = replace(found[uid], key=f"{uidvalidity}:{uid}")
        if receipt.receipt_id in seen and receipt.kind != "unrelated":
            receipt = replace(receipt, kind="unrelated", reason="copia di un messaggio già letto")
        seen.add(receipt.receipt_id)
        receipts.append(receipt)
    return receipts, Cursor(settings.folder, uidvalidity, uids[-1] if uids else start)


def _read(client: IMAPClient, uids: Sequence[int]) -> dict[int, Receipt]:
    found: dict[int, Receipt] = {}
    for chunk in _chunks(uids, HEADER_BATCH):
        heads = client.fetch(chunk, [_HEADER_ITEM])
        later = []
        for uid in chunk:
            data = heads.get(uid)
            if data is None:
                continue
            receipt = triage(_item(data, b"BODY[HEADER]"))
            if receipt is None:
                later.append(uid)
            else:
                found[uid] = receipt
        for part in _chunks(later, BODY_BATCH):
            bodies = client.fetch(part, [_BODY_ITEM])
            for uid in part:
                if uid in bodies:
                    found[uid] = classify(_item(bodies[uid], b"BODY[]"))
    return found


def _item(data: dict, name: bytes) -> bytes:
    """A FETCH item by name, whatever partial suffix (``<0>``) the server put on it."""
    for key, value in data.items():
        if isinstance(key, bytes) and key.split(b"<")[0].upper() == name and isinstance(value, bytes):
            return value
    return b""


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


# -- the connection -------------------------------------------------------------------------------------


def open_client(settings: ImapSettings) -> IMAPClient:
    """Connect, secure (ssl or starttls) and log in; raises the libraries' own errors (see ``_session``)."""
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    client = IMAPClient(
        settings.host,
        port=settings.port,
        ssl=settings.security == "ssl",
        ssl_context=context if settings.security == "ssl" else None,
        timeout=settings.timeout,
    )
    try:
        if settings.security == "starttls":
            client.starttls(context)
        client.login(settings.username, settings.password)
    except BaseException:
        with contextlib.suppress(OSError, IMAPClientError, imaplib.IMAP4.error):
            client.shutdown()
        raise
    return client


@contextlib.contextmanager
def _session(settings: ImapSettings, connect: Callable[[ImapSettings], IMAPClient]) -> Iterator[IMAPClient]:
    where = f"{settings.host}:{settings.port}"
    try:
        client = connect(settings)
    except LoginError:
        raise MailboxError(
            f"Accesso rifiutato dal server IMAP {where}: controlla username e password in [imap] dei segreti."
        ) from None
    except CapabilityError:
        raise MailboxError(
            f'Il server IMAP {where} non offre STARTTLS: usa security = "ssl" (di solito porta 993) in [imap].'
        ) from None
    except ssl.SSLCertVerificationError as err:
        raise MailboxError(
            f"Il certificato TLS del server IMAP {where} non è valido ({err.verify_message}): se il server usa "
            "un certificato proprio, indicalo in ca_file di [imap]."
        ) from None
    except ssl.SSLError as err:
        raise MailboxError(
            f"Connessione TLS con il server IMAP {where} non riuscita ({err.reason or err}): controlla port e "
            "security in [imap]."
        ) from None
    except socket.gaierror:
        raise MailboxError(f"Server IMAP {settings.host} sconosciuto: controlla host in [imap].") from None
    except TimeoutError:
        raise MailboxError(
            f"Il server IMAP {where} non ha risposto entro {settings.timeout:g} secondi: riprova più tardi."
        ) from None
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as err:
        raise MailboxError(f"Il server IMAP {where} non risponde: {_why(err)}. Riprova più tardi.") from None
    try:
        yield client
    finally:
        with contextlib.suppress(OSError, IMAPClientError, imaplib.IMAP4.error):
            client.logout()


def _examine(client: IMAPClient, settings: ImapSettings) -> int:
    """Open the folder read-only (EXAMINE); its UIDVALIDITY. MailboxError naming the folders when absent."""
    with _reading(settings):
        try:
            info = client.select_folder(settings.folder, readonly=True)
        except IMAPClientError as err:
            if isinstance(err, imaplib.IMAP4.abort):
                raise
            names = sorted(str(f[2]) for f in client.list_folders())[:20]
            raise MailboxError(
                f"La cartella «{settings.folder}» non esiste nella casella (cartelle: {', '.join(names) or 'nessuna'}): "
                "correggi folder in [imap]."
            ) from None
    if b"READ-ONLY" not in info:
        # A server that ignored EXAMINE: stop rather than risk changing a flag.
        raise MailboxError(f"Il server IMAP {settings.host} non ha aperto «{settings.folder}» in sola lettura.")
    return int(info.get(b"UIDVALIDITY") or 0)


@contextlib.contextmanager
def _reading(settings: ImapSettings) -> Iterator[None]:
    """Faults after login: one line, nothing kept (the caller's cursor does not move)."""
    where = f"{settings.host}:{settings.port}"
    try:
        yield
    except MailboxError:
        raise
    except TimeoutError:
        raise MailboxError(
            f"Il server IMAP {where} ha smesso di rispondere durante la lettura (oltre {settings.timeout:g} secondi): "
            "niente è stato registrato, riprova più tardi."
        ) from None
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as err:
        raise MailboxError(
            f"Lettura della casella IMAP {where} interrotta ({_why(err)}): niente è stato registrato, riprova più tardi."
        ) from None


def _why(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, ConnectionRefusedError):
        return "connessione rifiutata"
    return text[:160]
