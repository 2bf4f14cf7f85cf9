"""Building reminder messages and finding comuni again in the log: ``python -m bench.mail_headers [--check]``.

- one sent message (``send.build_message``) and one .eml draft (``drafts.eml_bytes``) for a comune
  name of 20, 5,000 and 100,000 characters (accented, so every word is an RFC 2047 encoded word):
  the median of a few builds, and the longest line (RFC 5322 allows 998);
- ``identity.identifiers`` for every comune of Italy (about 7,900, by name and province, as a list
  without codes gives them): the first pass (the national index built) and a second (cached);
- ``drafts.reminders_list`` for the same comuni with a log that holds a reminder for each, keyed
  by the ISTAT code (the open-data file) while the list has no codes.

Targets: one message or draft <= 50 ms even for a 5,000-character name (10.5 s before issue 18,
the ``email`` package's folder being quadratic), no line over 998 characters; the national
identifiers <= 2 s cold. Exits 0 (a measurement); with ``--check``, 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

from rollout.reminders.drafts import eml_bytes
from rollout.reminders.send import Outcome, build_message

WHEN = dt.datetime(2023, 9, 20, 10, 0, tzinfo=dt.UTC)
SENDER = "Ufficio <pnrr@azienda.it>"


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def messages(check: list[str]) -> None:
    print("message and draft, by length of the comune's name (median, ms; longest line)")
    for length in (20, 5_000, 100_000):
        name = ("Patèrnò " * (length // 8 + 1))[:length]
        item = Outcome("x", name, "CT", "ufficio@comune.paterno.ct.it", "due", "", f"Sollecito - Comune di {name}",
                       f"Gentile Comune di {name},\nil modulo.\n")  # fmt: skip
        repeat = 3 if length > 10_000 else 7
        sent, data = timed(lambda item=item: build_message(item, SENDER, "<1@azienda.it>", WHEN), repeat)
        draft, eml = timed(lambda i=item: eml_bytes(i.to, i.subject, i.body, i.comune, SENDER), repeat)
        longest = max(len(line) for blob in (data, eml) for line in blob.split(b"\r\n"))
        print(f"  {length:>7,} characters: sent {sent * 1000:8.1f} ms, draft {draft * 1000:8.1f} ms, "
              f"longest line {longest}")  # fmt: skip
        if length <= 5_000 and max(sent, draft) > 0.05:
            check.append(f"{length} characters: {max(sent, draft) * 1000:.0f} ms > 50 ms")
        if longest > 998:
            check.append(f"{length} characters: a line of {longest}")


def identities(check: list[str]) -> None:
    import pandas as pd

    from rollout.read.reference import national_comuni
    from rollout.reminders import identity

    comuni = [(m.name, m.province) for m in national_comuni()]
    start = time.perf_counter()
    found = [identity.identifiers("", n, p) for n, p in comuni]
    cold = time.perf_counter() - start
    identity.identifiers.cache_clear()
    start = time.perf_counter()
    found = [identity.identifiers("", n, p) for n, p in comuni]
    warm = time.perf_counter() - start
    coded = sum(any(i.startswith("istat:") for i in ids) for ids in found)
    print(f"identifiers of {len(comuni):,} comuni by name and province: first {cold:.2f} s, again {warm:.2f} s; "
          f"{coded:,} found in the national index")  # fmt: skip
    if cold > 2:
        check.append(f"identifiers cold {cold:.1f} s > 2 s")

    from rollout.reminders.drafts import comuni_marks

    istat = [next((i[6:] for i in ids if i.startswith("istat:")), "") for ids in found]
    marks = pd.DataFrame(
        {"reminders_sent": 1, "last_reminder": "2023-09-20", "last_channel": "pec",
         "ids": [f"istat:{c}" for c in istat]},
        index=pd.Index([c or f"x{n}" for n, c in enumerate(istat)], name="comune_key"),
    )  # fmt: skip
    listed = pd.DataFrame({"code": "", "name": [n for n, _ in comuni], "province": [p for _, p in comuni]})
    keys = [f"{n} ({p})" for n, p in comuni]
    start = time.perf_counter()
    table = comuni_marks(listed, marks, keys)
    took = time.perf_counter() - start
    print(f"reminders found again for {len(comuni):,} comuni listed without codes, recorded by ISTAT code: "
          f"{took * 1000:.0f} ms ({int((table['reminders_sent'] > 0).sum()):,} found)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    missed: list[str] = []
    messages(missed)
    identities(missed)
    for line in missed:
        print(f"target missed: {line}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
