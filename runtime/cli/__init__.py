"""The command line: ``python -m runtime`` (or ``session-actors``)."""
