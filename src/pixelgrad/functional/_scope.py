"""The backend scope: what ``backend="auto"`` means for the functional ops called inside."""
from __future__ import annotations

import contextlib
import contextvars

#: The backend names every op accepts (illumination ops: all but ``"opencv"``).
BACKENDS = ("auto", "torch", "opencv", "triton")

#: The backend that ``backend="auto"`` means inside :func:`backend_scope` (``"auto"`` outside).
_SCOPE: contextvars.ContextVar[str] = contextvars.ContextVar("pixelgrad_backend", default="auto")


@contextlib.contextmanager
def backend_scope(backend: str):
    """Make ``backend="auto"`` mean ``backend`` for the functional ops called inside.

    This is how a transform or a pipeline called with ``backend=`` reaches the ops it calls.
    An explicit ``backend=`` other than ``"auto"`` on an op still wins. The setting lives in
    a :class:`contextvars.ContextVar`, so threads and asyncio tasks each see their own.

    Parameters
    ----------
    backend : str
        One of :data:`BACKENDS`.

    Yields
    ------
    None
        Inside the block, :func:`effective` maps ``"auto"`` to ``backend``; the previous
        scope is restored on exit, also on an exception.

    Examples
    --------
    >>> with backend_scope("torch"):
    ...     effective("auto"), effective("opencv")
    ('torch', 'opencv')
    >>> effective("auto")
    'auto'
    """
    token = _SCOPE.set(backend)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def effective(backend: str) -> str:
    """``backend``, with ``"auto"`` replaced by the one of the enclosing :func:`backend_scope`.

    Parameters
    ----------
    backend : str
        One of :data:`BACKENDS`.

    Returns
    -------
    str
        ``backend`` itself unless it is ``"auto"``; then the scope's backend (``"auto"``
        outside any scope).

    Examples
    --------
    >>> effective("opencv")
    'opencv'
    >>> effective("auto")
    'auto'
    """
    return _SCOPE.get() if backend == "auto" else backend
