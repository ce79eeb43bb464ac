"""``python -m pixelgrad``: the same as the ``pixelgrad`` command."""
from .cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
