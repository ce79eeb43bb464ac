"""Stack kernels of different sizes into one per-sample tensor, each centred and zero-padded
to the largest size (extra zero taps change no sum, so each row stays the exact kernel), and
:class:`KernelStack`, the form in which every backend receives filter weights."""
from __future__ import annotations

from typing import NamedTuple

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


class KernelStack(NamedTuple):
    """Filter weights as every backend receives them: one tensor, plus each row's own shape.

    ``weights`` holds one kernel per sample (``N = B``) or one for the whole batch
    (``N = 1``), each centred and zero-padded to the largest shape, in float64 on the CPU:
    ``(N, K)`` for 1-D kernels, ``(N, Kh, Kw)`` for 2-D ones. ``shapes[i]`` is the shape of
    row ``i`` before padding, so a backend that runs each sample separately (OpenCV) filters
    with exactly the kernel that was built, and a fused kernel (Triton) reads the padded
    tensor in one launch. Build one with :func:`stack_kernels` or :func:`from_padded`.

    Attributes
    ----------
    weights : torch.Tensor
        ``(N, K)`` or ``(N, Kh, Kw)`` float64, rows centred and zero-padded.
    shapes : tuple of tuple of int
        ``shapes[i]``: the shape of row ``i`` before padding (odd sides).

    Examples
    --------
    >>> import torch
    >>> s = stack_kernels([torch.tensor([1.0]), torch.tensor([0.25, 0.5, 0.25])])
    >>> s.weights.shape, s.shapes, s.shared
    (torch.Size([2, 3]), ((1,), (3,)), False)
    >>> s.row(0).tolist(), s.max_shape
    ([1.0], (3,))
    """

    weights: torch.Tensor
    shapes: tuple[tuple[int, ...], ...]

    @property
    def shared(self) -> bool:
        """Whether one kernel serves the whole batch (``N = 1``)."""
        return self.weights.shape[0] == 1

    @property
    def max_shape(self) -> tuple[int, ...]:
        """The padded shape of one row: ``(K,)`` or ``(Kh, Kw)``."""
        return tuple(self.weights.shape[1:])

    def __len__(self) -> int:           # the number of rows N
        return self.weights.shape[0]

    def row(self, i: int) -> torch.Tensor:
        """Row ``i`` without its zero padding: the kernel as built (a view)."""
        w = self.weights[i]
        for d, (full, own) in enumerate(zip(w.shape, self.shapes[i])):
            o = (full - own) // 2
            w = w.narrow(d, o, own)
        return w

    def rows(self) -> list[torch.Tensor]:
        """Every row without its padding (see :meth:`row`)."""
        return [self.row(i) for i in range(len(self))]

    def select(self, idx: list[int]) -> "KernelStack":
        """The rows ``idx``, padded to their own largest shape."""
        return stack_kernels([self.row(i) for i in idx])


def stack_kernels(ks: list[torch.Tensor]) -> KernelStack:
    """A :class:`KernelStack` of 1-D or 2-D kernels of odd sides (one or one per sample).

    Parameters
    ----------
    ks : list of torch.Tensor
        Float64 CPU kernels, all 1-D or all 2-D, of odd sides.

    Returns
    -------
    KernelStack
        ``weights`` ``(len(ks), K...)``; a single kernel is stored without a copy.

    Examples
    --------
    >>> import torch
    >>> stack_kernels([torch.ones(3, 1), torch.ones(1, 5)]).weights.shape
    torch.Size([2, 3, 5])
    """
    shapes = tuple(tuple(k.shape) for k in ks)
    if len(ks) == 1:
        return KernelStack(ks[0][None], shapes)
    w = stack_centered_1d(ks) if ks[0].dim() == 1 else stack_centered_2d(ks)
    return KernelStack(w, shapes)


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
