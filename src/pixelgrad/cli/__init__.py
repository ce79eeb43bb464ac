"""Command line: ``pixelgrad SUBCOMMAND ...`` (also ``python -m pixelgrad``)."""
