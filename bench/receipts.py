"""How long reading the sender's mailbox takes: ``python -m bench.receipts [--messages N] [--check]``.

Starts Debian's Dovecot on 127.0.0.1 (as the tests do, ``testkit.imap_server``) with a mailbox of
N messages (default 10,000) written straight into its maildir: ordinary mail, and 1 in 100 a PEC
delivery receipt, 1 in 250 a reply; with ``--pec``, a PEC mailbox where every message is a receipt
(the test files of the four providers in turn, each with its own id: every body is fetched and
every daticert.xml read). Then measures ``read_new``:

- first read: everything, on a mailbox the server has never opened (it builds its index);
- read again from scratch (a new UIDVALIDITY in the cursor): everything, index warm;
- incremental read: from the cursor of the first read, nothing new;
- classify: the median of ``classify`` over the test messages of tests/data/receipts.

Target: reading 10,000 messages <= 30 s (first read). The script exits 0 (a measurement); with
``--check`` it exits 1 when the target is missed. It prints the load average: on a shared machine
every figure moves with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from rollout.reminders.imap_settings import ImapSettings
from rollout.reminders.mailbox import Cursor, read_new
from rollout.reminders.receipts import classify
from testkit.imap_server import DOVECOT, MISSING, Dovecot
from testkit.mail_samples import mixed_mailbox

ROOT = Path(__file__).resolve().parents[1]

TARGET = 30.0
PASSWORD = "segreta-lunga-della-casella"


def pec_mailbox(count: int) -> list[bytes]:
    folder = ROOT / "tests" / "data" / "receipts"
    names = ["aruba-accettazione.eml", "aruba-avvenuta-consegna.eml", "legalmail-avvenuta-consegna.eml",
             "aruba-errore-consegna.eml", "poste-non-accettazione.eml", "namirial-preavviso-errore-consegna.eml"]  # fmt: skip
    samples = [(folder / n).read_bytes() for n in names]
    out = []
    for n in range(count):
        raw = samples[n % len(samples)]
        head, body = raw.split(b"\nMessage-ID: <", 1)
        out.append(head + f"\nMessage-ID: <bench{n}.".encode() + body)
    return out


def mailbox(count: int) -> list[bytes]:
    """The tests' big mailbox (``mixed_mailbox``), ``count`` messages."""
    return mixed_mailbox(count, (ROOT / "tests" / "data" / "receipts" / "risposta.eml").read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--pec", action="store_true", help="every message a PEC receipt")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    if DOVECOT is None:
        print(MISSING)
        return 1 if args.check else 0
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, cores: {os.cpu_count()}")
    server = Dovecot({"bench": PASSWORD})
    start = time.perf_counter()
    server.fill_maildir("bench", (pec_mailbox if args.pec else mailbox)(args.messages))
    print(f"maildir of {args.messages:,} messages written in {time.perf_counter() - start:.2f} s")
    with server:
        settings = ImapSettings("127.0.0.1", server.port, "none", "bench", PASSWORD, "INBOX", timeout=60)
        start = time.perf_counter()
        receipts, cursor = read_new(settings)
        first = time.perf_counter() - start
        kinds = Counter(r.kind for r in receipts)
        print(f"first read: {first:.2f} s for {len(receipts):,} messages ({dict(kinds)}) (target <= {TARGET:g} s)")
        start = time.perf_counter()
        again, _ = read_new(settings, Cursor("INBOX", cursor.uidvalidity + 1, cursor.last_uid))
        print(f"read again from scratch: {time.perf_counter() - start:.2f} s for {len(again):,} messages")
        start = time.perf_counter()
        nothing, _ = read_new(settings, cursor)
        print(f"incremental read, nothing new: {time.perf_counter() - start:.3f} s ({len(nothing)} messages)")
    samples = sorted((ROOT / "tests" / "data" / "receipts").glob("*.eml"))
    times = []
    for path in samples:
        raw = path.read_bytes()
        start = time.perf_counter()
        classify(raw)
        times.append(time.perf_counter() - start)
    print(f"classify: median {statistics.median(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms "
          f"over {len(samples)} test messages")  # fmt: skip
    met = first <= TARGET
    print("target met" if met else "TARGET MISSED")
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
