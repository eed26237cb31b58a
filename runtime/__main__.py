"""``python -m runtime``: the command line (see :mod:`runtime.cli`)."""

from runtime.cli import main

raise SystemExit(main())
