"""``python -m rollout`` and the ``rollout`` command: the command line.

Ctrl-C, SIGTERM and SIGHUP are turned into the Ctrl-C exception before the libraries load (about a
second): a stop then also ends with one line and 128 + the signal's number (``rollout.interrupts``).
"""

import sys

from rollout import interrupts


def run() -> int:
    with interrupts.handled():
        try:
            from rollout.cli import main
        except KeyboardInterrupt as err:  # stopped while the libraries load: nothing has started yet
            print(f"errore: interrotto ({interrupts.signal_name(err)})", file=sys.stderr)
            return interrupts.exit_code(err)
        return main()


if __name__ == "__main__":
    sys.exit(run())
