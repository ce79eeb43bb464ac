"""Command line: ``pixelgrad SUBCOMMAND ...`` (also ``python -m pixelgrad``)."""
from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(ValueError):
    """Bad command-line usage: a missing or inconsistent argument, an unknown device, an
    unreadable pipeline file, ...

    :func:`pixelgrad.cli.main.main` reports it (like every ``ValueError``, including the
    library's :class:`pixelgrad.io.dataset.JobError`) as one line on stderr, no stack trace,
    exit code 2.

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what was wrong, naming the argument.

    Examples
    --------
    >>> err = UsageError("augment: argument `--copies` must be in [1, 10000], got 0")
    >>> isinstance(err, ValueError)
    True
    """
