"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd in a thread) and a self-signed certificate.

The handler keeps every message it accepted and can refuse recipients, drop connections, slow
down and require a login, as real servers do.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import socket
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "pnrr", "segreta-lunga"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the server does and what it received (messages parsed, with their envelope recipients)."""

    refuse: set[str] = field(default_factory=set)  # RCPT answered 550
    drop_after: int | None = None  # after this many messages, every MAIL FROM drops the connection
    drop_once_at: int | None = None  # drop the connection once, at the MAIL FROM after this many messages
    delay: float = 0.0  # seconds before answering DATA
    lost_in_data: set[str] = field(default_factory=set)  # these messages: the connection drops before the answer
    received: list = field(default_factory=list)  # (rcpt_tos, EmailMessage)
    raw: list = field(default_factory=list)  # each accepted message's bytes, as they came
    logins: list = field(default_factory=list)
    clock: Callable[[], float] | None = None  # when set, the moment of each accepted message goes to times
    times: list = field(default_factory=list)

    def recipients(self) -> list[str]:
        return [message["To"].addresses[0].addr_spec for _, message in self.received]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        count = len(self.received)
        if (self.drop_after is not None and count >= self.drop_after) or self.drop_once_at == count:
            if self.drop_once_at == count:
                self.drop_once_at = None
            server.transport.close()
            return "421 4.3.2 chiusura"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if set(envelope.rcpt_tos) & self.lost_in_data:
            self.lost_in_data -= set(envelope.rcpt_tos)
            server.transport.close()  # the message arrived, its answer never leaves
            return "451 4.3.0 perso"
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        self.raw.append(envelope.original_content)
        if self.clock is not None:
            self.times.append(self.clock())
        return "250 2.0.0 Ok: queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        self.logins.append(ok)
        return AuthResult(success=ok, handled=False)


class Server:
    """``with Server(mailbox, ...) as server:`` listening on 127.0.0.1:server.port."""

    def __init__(self, mailbox: Mailbox, *, auth: bool = False, tls: ssl.SSLContext | None = None,
                 port: int | None = None) -> None:  # fmt: skip
        self.mailbox = mailbox
        self.port = port or free_port()
        kwargs: dict = {"auth_require_tls": False}  # plain AUTH is fine on 127.0.0.1
        if auth:
            kwargs.update(authenticator=mailbox.authenticate, auth_required=True)
        if tls is not None:
            kwargs.update(tls_context=tls, require_starttls=False)
        self.controller = Controller(mailbox, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def self_signed(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` and its key (PEM files): ``cryptography`` (installed with
    Authlib), else the ``openssl`` command."""
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    try:
        import cryptography  # noqa: F401
    except ImportError:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "30", "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
             "-keyout", str(key_path), "-out", str(cert_path)],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert_path, key_path
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
