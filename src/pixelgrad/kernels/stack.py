"""Stack kernels of different sizes into one per-sample tensor, each centred and zero-padded
to the largest size (extra zero taps change no sum, so each row stays the exact kernel), and
:class:`KernelStack`, the form in which every backend receives filter weights."""
from __future__ import annotations

import numpy as np

import torch


def stack_centered_1d(ks: list[torch.Tensor]) -> torch.Tensor:
    """Stack 1-D kernels of different odd lengths, each centred and zero-padded.

    Parameters
    ----------
    ks : list of torch.Tensor
        1-D kernels of odd lengths.

    Returns
    -------
    torch.Tensor
        ``(len(ks), Kmax)`` float64 on the CPU, ``Kmax`` the longest length; row ``i`` is
        ``ks[i]`` with zeros on both sides (extra zero taps change no sum).

    Examples
    --------
    >>> import torch
    >>> stack_centered_1d([torch.tensor([1.0]), torch.tensor([0.25, 0.5, 0.25])]).tolist()
    [[0.0, 1.0, 0.0], [0.25, 0.5, 0.25]]
    """
    K = max(k.numel() for k in ks)
    out = torch.zeros(len(ks), K, dtype=torch.float64)
    for i, k in enumerate(ks):
        o = (K - k.numel()) // 2
        out[i, o:o + k.numel()] = k
    return out


def stack_centered_2d(ks: list[torch.Tensor]) -> torch.Tensor:
    """Stack 2-D kernels of different odd sides, each centred and zero-padded.

    Parameters
    ----------
    ks : list of torch.Tensor
        2-D kernels ``(Kh, Kw)`` of odd sides.

    Returns
    -------
    torch.Tensor
        ``(len(ks), Khmax, Kwmax)`` float64 on the CPU.

    Examples
    --------
    >>> import torch
    >>> stack_centered_2d([torch.ones(1, 3), torch.ones(3, 1)]).shape
    torch.Size([2, 3, 3])
    """
    Kh = max(k.shape[0] for k in ks)
    Kw = max(k.shape[1] for k in ks)
    out = torch.zeros(len(ks), Kh, Kw, dtype=torch.float64)
    for i, k in enumerate(ks):
        oy, ox = (Kh - k.shape[0]) // 2, (Kw - k.shape[1]) // 2
        out[i, oy:oy + k.shape[0], ox:ox + k.shape[1]] = k
    return out


class KernelStack:
    """Filter weights as every backend receives them: one tensor, plus each row's own shape.

    ``weights`` holds one kernel per sample (``N = B``) or one for the whole batch
    (``N = 1``), each centred and zero-padded to the largest shape, in float64 on the CPU:
    ``(N, K)`` for 1-D kernels, ``(N, Kh, Kw)`` for 2-D ones. ``shapes[i]`` is the shape of
    row ``i`` before padding, so a backend that runs each sample separately (OpenCV) filters
    with exactly the kernel that was built, and a fused kernel (Triton) reads the padded
    tensor in one launch. Build one with :func:`stack_kernels` (from separate kernels: the
    padded tensor is then made only if a backend asks for it) or :func:`from_padded`.

    Parameters
    ----------
    weights : torch.Tensor
        ``(N, K)`` or ``(N, Kh, Kw)`` float64, rows centred and zero-padded.
    shapes : tuple of tuple of int
        ``shapes[i]``: the shape of row ``i`` before padding (odd sides).

    Attributes
    ----------
    shapes : tuple of tuple of int
        As given.

    Examples
    --------
    >>> import torch
    >>> s = stack_kernels([torch.tensor([1.0]), torch.tensor([0.25, 0.5, 0.25])])
    >>> s.weights.shape, s.shapes, s.shared
    (torch.Size([2, 3]), ((1,), (3,)), False)
    >>> s.row(0).tolist(), s.max_shape
    ([1.0], (3,))
    """

    __slots__ = ("_weights", "_rows", "shapes", "_host", "_boxes")

    def __init__(self, weights: torch.Tensor | None, shapes: tuple[tuple[int, ...], ...],
                 rows: list[torch.Tensor] | None = None) -> None:
        self._weights = weights
        self._rows = rows
        self.shapes = shapes
        self._host: dict[str, list[np.ndarray]] = {}
        self._boxes: bool | None = None

    def host_rows(self, dtype: str = "float64") -> list[np.ndarray]:
        """Every row without its padding as a read-only numpy array of ``dtype``, made once.

        The form the CPU libraries (OpenCV) take; a stack cached by its parameters then
        costs no conversion on later calls.

        Parameters
        ----------
        dtype : {"float64", "float32"}
            The numpy dtype of the copies.

        Returns
        -------
        list of numpy.ndarray
            One array per row, of the row's own shape.

        Examples
        --------
        >>> import torch
        >>> s = stack_kernels([torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)])
        >>> s.host_rows("float32")[0].dtype, s.host_rows("float32")[0] is s.host_rows("float32")[0]
        (dtype('float32'), True)
        """
        rows = self._host.get(dtype)
        if rows is None:
            rows = []
            for r in self.rows():
                # a copy made by torch (never a view of the kernel; long-lived, so in torch's
                # allocation rather than numpy's: see kernels.gaussian._kernel1d)
                a = r.detach().to("cpu", getattr(torch, dtype), copy=True).numpy()
                a.flags.writeable = False
                rows.append(a)
            self._host[dtype] = rows
        return rows

    def all_boxes(self) -> bool:
        """Whether every row is a box: all its taps equal (as built, without padding); made once.

        OpenCV's running-sum box filter gives the same uint8 bits as the taps of such a
        kernel at a cost independent of its length; a stack cached by its parameters then
        costs no check on later calls.

        Returns
        -------
        bool

        Examples
        --------
        >>> import torch
        >>> stack_kernels([torch.full((3,), 1 / 3, dtype=torch.float64)]).all_boxes()
        True
        >>> stack_kernels([torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)]).all_boxes()
        False
        """
        if self._boxes is None:
            self._boxes = all(_all_equal(r) for r in self.rows())
        return self._boxes

    @property
    def weights(self) -> torch.Tensor:
        """The padded ``(N, K...)`` tensor (stacked on first use when built from rows)."""
        if self._weights is None:
            rows = self._rows or []
            self._weights = (rows[0][None] if len(rows) == 1 else
                             stack_centered_1d(rows) if rows[0].dim() == 1 else stack_centered_2d(rows))
        return self._weights

    @property
    def shared(self) -> bool:
        """Whether one kernel serves the whole batch (``N = 1``)."""
        return len(self) == 1

    @property
    def max_shape(self) -> tuple[int, ...]:
        """The padded shape of one row: ``(K,)`` or ``(Kh, Kw)``."""
        if len(self.shapes) == 1:
            return self.shapes[0]
        return tuple(max(s[d] for s in self.shapes) for d in range(len(self.shapes[0])))

    def __len__(self) -> int:           # the number of rows N
        return len(self.shapes)

    def row(self, i: int) -> torch.Tensor:
        """Row ``i`` without its zero padding: the kernel as built (a view)."""
        if self._rows is not None:
            return self._rows[i]
        w = self.weights[i]
        for d, (full, own) in enumerate(zip(w.shape, self.shapes[i])):
            w = w.narrow(d, (full - own) // 2, own)
        return w

    def rows(self) -> list[torch.Tensor]:
        """Every row without its padding (see :meth:`row`)."""
        return list(self._rows) if self._rows is not None else [self.row(i) for i in range(len(self))]

    def __repr__(self) -> str:
        return f"KernelStack(rows={len(self)}, max_shape={self.max_shape})"


def _all_equal(r: torch.Tensor) -> bool:
    """Whether the non-empty kernel ``r`` has all its taps equal (Python floats for short
    kernels: a few times cheaper than two torch operations)."""
    n = r.numel()
    if n == 0:
        return False
    if n <= 256 and r.device.type == "cpu":
        vals = r.reshape(-1).tolist()
        first = vals[0]
        return all(v == first for v in vals)
    return bool((r == r.reshape(-1)[0]).all())


def stack_kernels(ks: list[torch.Tensor]) -> KernelStack:
    """A :class:`KernelStack` of 1-D or 2-D kernels of odd sides (one or one per sample).

    Parameters
    ----------
    ks : list of torch.Tensor
        Float64 CPU kernels, all 1-D or all 2-D, of odd sides.

    Returns
    -------
    KernelStack
        Holding the kernels themselves; its padded ``weights`` ``(len(ks), K...)`` are built
        on first use (a single kernel without a copy).

    Examples
    --------
    >>> import torch
    >>> stack_kernels([torch.ones(3, 1), torch.ones(1, 5)]).weights.shape
    torch.Size([2, 3, 5])
    """
    return KernelStack(None, tuple(tuple(k.shape) for k in ks), rows=list(ks))


def from_padded(weights: torch.Tensor, radii: torch.Tensor) -> KernelStack:
    """A :class:`KernelStack` of 1-D kernels already stacked and centred.

    Parameters
    ----------
    weights : torch.Tensor
        ``(N, 2 R + 1)`` float64, row ``i`` zero outside ``|t| <= radii[i]``.
    radii : torch.Tensor
        ``(N,)`` integer radii, ``<= R``.

    Returns
    -------
    KernelStack
        The same tensor, with row shapes ``(2 radii[i] + 1,)``.

    Examples
    --------
    >>> import torch
    >>> s = from_padded(torch.tensor([[0.0, 1.0, 0.0], [0.25, 0.5, 0.25]]), torch.tensor([0, 1]))
    >>> s.shapes
    ((1,), (3,))
    """
    return KernelStack(weights, tuple((2 * int(r) + 1,) for r in radii.tolist()))
