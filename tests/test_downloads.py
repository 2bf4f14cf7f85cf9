"""The download sweep's bookkeeping (ui/downloads.py), on an injected clock: no sweep run may end
while the file just made is younger than KEEP_SECONDS, since a run's end is what deletes it."""

from __future__ import annotations

import threading

from ui.downloads import KEEP_SECONDS, SWEEP_RUNS, Sweep


class Clock:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_runs_queued_while_a_slow_file_was_made_wait_until_it_is_old_enough():
    """Seen in chromium on a loaded machine: the sweep's runs, queued while a picture was being
    made, ended one after the other as soon as it was stored, and the browser got a 404."""
    clock = Clock()
    sweep = Sweep(clock, clock.sleep)
    release = threading.Event()
    make = sweep.made_by(lambda: release.wait(60) and b"png")
    maker = threading.Thread(target=make)
    maker.start()
    sweep.clicked("dl_png")  # returns once the making has begun
    assert sweep.started == 1 and sweep.making == 1
    assert [sweep.swept() for _ in range(3)] == [False, False, False]  # nothing stored yet: no wait
    assert clock.slept == []
    clock.now += 0.5
    release.set()
    maker.join(60)
    made = clock.now
    ends = []
    for _ in range(SWEEP_RUNS):  # the queued runs, all at once
        over = sweep.swept()
        ends.append((clock.now - made, over))
    assert ends == [(KEEP_SECONDS, False), (KEEP_SECONDS, True)]  # the first waits; the last ends the sweep
    assert clock.slept == [KEEP_SECONDS]
    assert sweep.sweeping == ""


def test_a_file_made_while_the_sweep_runs_starts_the_count_again():
    clock = Clock()
    sweep = Sweep(clock, clock.sleep)
    first, second = sweep.made_by(lambda: b"csv"), sweep.made_by(lambda: b"xlsx")
    first()
    sweep.clicked("dl_csv")
    clock.now += 3
    assert sweep.swept() is False  # held 1 s: the CSV is 4 s old when this run ends
    second()  # another button, clicked meanwhile
    sweep.clicked("dl_xlsx")
    assert [sweep.swept() for _ in range(SWEEP_RUNS)] == [False, True]
    assert clock.slept == [1.0, KEEP_SECONDS]
