"""``python -m rollout``: the command line."""

import sys

try:
    from rollout.cli import main
except KeyboardInterrupt:  # Ctrl-C while the libraries load: nothing has started yet
    print("errore: interrotto", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
