r"""Finite differences on image batches (a leaf: imports nothing of restore).

Forward differences with a zero last row / column, their negative adjoint (the divergence)
and the 5-point Laplacian they make, all with a mirrored (Neumann) border:

.. math:: (D_y x)_{i,j} = x_{i+1,j} - x_{i,j}, \qquad \mathrm{div}\, p = -(D_y^T p_y + D_x^T p_x), \qquad L = \mathrm{div}\, \nabla

Every function takes tensors ``(..., H, W)`` of any float dtype and device and writes into
none of its arguments.
"""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F

__all__ = ["forward_diff", "divergence", "laplacian", "bilaplacian", "image_sum"]


def image_sum(t: torch.Tensor) -> torch.Tensor:
    """Sum of every dimension but the first.

    Parameters
    ----------
    t : torch.Tensor
        ``(B, ...)``.

    Returns
    -------
    torch.Tensor
        ``(B,)``.

    Examples
    --------
    >>> import torch
    >>> image_sum(torch.ones(2, 3, 4, 4)).tolist()
    [48.0, 48.0]
    """
    return t.reshape(t.shape[0], -1).sum(dim=1)


def forward_diff(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""Forward differences along the rows and the columns.

    Parameters
    ----------
    x : torch.Tensor
        Images ``(..., H, W)``.

    Returns
    -------
    tuple of torch.Tensor
        ``(Dy x, Dx x)``, each of the shape of ``x``, 0 on the last row / column.

    Notes
    -----
    .. math:: (D_y x)_{i,j} = x_{i+1,j} - x_{i,j}, \qquad (D_x x)_{i,j} = x_{i,j+1} - x_{i,j}

    Examples
    --------
    >>> import torch
    >>> dy, dx = forward_diff(torch.tensor([[0.0, 1.0], [2.0, 4.0]]))
    >>> dy.tolist(), dx.tolist()
    ([[2.0, 3.0], [0.0, 0.0]], [[1.0, 0.0], [2.0, 0.0]])
    """
    dy = F.pad(x[..., 1:, :] - x[..., :-1, :], (0, 0, 0, 1))
    dx = F.pad(x[..., :, 1:] - x[..., :, :-1], (0, 1))
    return dy, dx


def divergence(py: torch.Tensor, px: torch.Tensor) -> torch.Tensor:
    r"""Discrete divergence, the negative adjoint of :func:`forward_diff`.

    Parameters
    ----------
    py, px : torch.Tensor
        Vector field components ``(..., H, W)`` along the rows and the columns.

    Returns
    -------
    torch.Tensor
        :math:`-(D_y^T p_y + D_x^T p_x)`, shape of ``py``.

    Notes
    -----
    The adjoint identity :math:`\langle \nabla x, p \rangle = -\langle x, \mathrm{div}\, p \rangle`
    holds exactly, which the TV solvers rely on.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x, py, px = (torch.randn(5, 6, generator=g, dtype=torch.float64) for _ in range(3))
    >>> dy, dx = forward_diff(x)
    >>> bool(torch.isclose((dy * py + dx * px).sum(), -(x * divergence(py, px)).sum()))
    True
    """
    py = F.pad(py[..., :-1, :], (0, 0, 1, 1))
    px = F.pad(px[..., :, :-1], (1, 1))
    return (py[..., 1:, :] - py[..., :-1, :]) + (px[..., :, 1:] - px[..., :, :-1])


def laplacian(x: torch.Tensor) -> torch.Tensor:
    r"""Neumann 5-point Laplacian (mirror border).

    Parameters
    ----------
    x : torch.Tensor
        Images ``(..., H, W)``.

    Returns
    -------
    torch.Tensor
        :math:`L x = \mathrm{div}(\nabla x) = -(D_x^T D_x + D_y^T D_y)\, x`, shape of ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(5, 5); x[2, 2] = 1.0
    >>> laplacian(x)[1:4, 1:4].tolist()
    [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]
    """
    dy, dx = forward_diff(x)
    return divergence(dy, dx)


def bilaplacian(x: torch.Tensor) -> torch.Tensor:
    r"""The Laplacian applied twice (Neumann border).

    Parameters
    ----------
    x : torch.Tensor
        Images ``(..., H, W)``.

    Returns
    -------
    torch.Tensor
        :math:`L L x`, shape of ``x``; :math:`L` is symmetric, so this is :math:`L^T L x`.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(7, 7); x[3, 3] = 1.0
    >>> bilaplacian(x)[3].tolist()
    [0.0, 1.0, -8.0, 20.0, -8.0, 1.0, 0.0]
    """
    return laplacian(laplacian(x))
