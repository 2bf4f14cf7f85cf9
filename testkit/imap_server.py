"""A real IMAP server on 127.0.0.1 for the tests: Debian's Dovecot (``dovecot-imapd``), started as a
child process with its own configuration in a temporary folder (no system configuration, no service).

One server has two listeners: ``port`` (plain IMAP, with STARTTLS) and ``ssl_port`` (IMAPS), with a
self-signed certificate for 127.0.0.1 (``cert``, to trust as ``ca_file``); users live in a
passwd-file, their mail in maildirs under the temporary folder. Run as root, the login processes
run as Dovecot's own unprivileged users, as Dovecot requires; run as anyone else, everything runs as
that user.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from testkit.smtp_server import free_port, self_signed

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").is_file() else None)
MISSING = "Dovecot non installato: apt-get install dovecot-imapd (lo installa .ci/run)"


class Dovecot:
    """``with Dovecot({"user": "password"}) as server:`` listening on 127.0.0.1:server.port / ssl_port."""

    def __init__(self, users: dict[str, str]) -> None:
        if DOVECOT is None:
            raise RuntimeError(MISSING)
        self.users = dict(users)
        shm = Path("/dev/shm")  # memory: thousands of small files are written fast whatever the disk's load
        where = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
        self.root = Path(tempfile.mkdtemp(prefix="rollout-imap-", dir=where))
        self.root.chmod(0o755)  # the unprivileged login processes must reach the sockets
        self.port, self.ssl_port = free_port(), free_port()
        self.process: subprocess.Popen | None = None
        if os.geteuid() == 0:
            account = pwd.getpwnam("dovecot") if _exists("dovecot") else pwd.getpwnam("nobody")
            self.login_user = "dovenull" if _exists("dovenull") else account.pw_name
            self.internal_user = account.pw_name
        else:
            account = pwd.getpwuid(os.getuid())
            self.login_user = self.internal_user = account.pw_name
        self.uid, self.gid = account.pw_uid, account.pw_gid
        self.cert, self.key = self_signed(self.root)

    # -- mailboxes on disk ------------------------------------------------------------------------------

    def maildir(self, user: str) -> Path:
        return self.root / "home" / user / "Maildir"

    def fill_maildir(self, user: str, messages: list[bytes]) -> None:
        """Messages written straight into ``user``'s INBOX (before the server has seen it): fast for thousands."""
        folder = self.maildir(user)
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        stamp = int(time.time())
        for n, data in enumerate(messages):
            (folder / "cur" / f"{stamp}.M{n}P1.rollout:2,").write_bytes(crlf(data))
        self._own(self.root / "home")

    def _own(self, top: Path) -> None:
        if os.geteuid() != 0:
            return
        for path in [top, *top.rglob("*")]:
            os.chown(path, self.uid, self.gid)

    # -- the server --------------------------------------------------------------------------------------

    def _config(self) -> Path:
        root = self.root
        (root / "home").mkdir(exist_ok=True)
        self._own(root / "home")
        passwd = root / "passwd"
        passwd.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()), encoding="utf-8")
        dh = "/usr/share/dovecot/dh.pem"
        conf = root / "dovecot.conf"
        conf.write_text(
            f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
{f"ssl_dh = <{dh}" if Path(dh).is_file() else ""}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {self.internal_user}
default_internal_group = {grp.getgrgid(pwd.getpwnam(self.internal_user).pw_gid).gr_name}
default_login_user = {self.login_user}
first_valid_uid = 1
mail_location = maildir:{root}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""",
            encoding="utf-8",
        )
        return conf

    def start(self) -> Dovecot:
        """Start (or start again, on the same ports and mailboxes) and wait until both ports answer."""
        conf = self._config()
        log = (self.root / "dovecot.out").open("ab")
        self.process = subprocess.Popen(  # its own process group: stop() ends the sessions' processes too
            [DOVECOT, "-F", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + 30
        while not (_listening(self.port) and _listening(self.ssl_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log()[-2000:]
                self.__exit__()
                raise RuntimeError(f"Dovecot non è partito: {log}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Stop the server: all its processes end (the master alone leaves the open sessions' running), open
        connections drop; the mailboxes stay."""
        if self.process is None or self.process.poll() is not None:
            return  # never signal a group whose leader is gone: its id may be someone else's by now
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        return "".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in (self.root / "dovecot.out", self.root / "dovecot.log")
            if p.is_file()
        )


def crlf(data: bytes) -> bytes:
    """A message with CRLF line ends, as IMAP and maildir want them."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
