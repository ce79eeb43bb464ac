r"""Batched linear algebra: per-image dot products and norms, and the one conjugate-gradient
iteration of the package (a leaf: imports nothing of restore).

Every quantity is per item of the leading (batch) dimension: a batch of independent systems
:math:`M_b x_b = r_b` is solved together, each with its own step sizes. The conjugate gradient
of the solvers (:class:`~pixelgrad.restore.solvers.ConjugateGradient`), of the priors' proxes
and of half-quadratic splitting all run :class:`CGState`.

References
----------
M. R. Hestenes, E. Stiefel, "Methods of conjugate gradients for solving linear systems",
J. Res. Natl. Bur. Stand. 49(6):409-436 (1952).
"""
from __future__ import annotations

from typing import Callable, Tuple

import torch

__all__ = ["batched_dot", "batched_norm", "CGState", "cg_solve"]

LinearMap = Callable[[torch.Tensor], torch.Tensor]


def batched_dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Inner product per item of the batch.

    Parameters
    ----------
    a, b : torch.Tensor
        ``(B, ...)`` of the same shape.

    Returns
    -------
    torch.Tensor
        ``(B,)``: :math:`\\sum a_b b_b`.

    Examples
    --------
    >>> import torch
    >>> batched_dot(torch.ones(2, 3), torch.arange(6.0).reshape(2, 3)).tolist()
    [3.0, 12.0]
    """
    return (a * b).reshape(a.shape[0], -1).sum(1)


def batched_norm(t: torch.Tensor) -> torch.Tensor:
    """Euclidean norm per item of the batch.

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
    >>> batched_norm(torch.tensor([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [5.0, 1.0]
    """
    return t.reshape(t.shape[0], -1).square().sum(1).sqrt()


def _safe_ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """``num / den`` where ``den > 0``, else 0 (a converged or empty system stops moving)."""
    return torch.where(den > 0, num / torch.where(den > 0, den, torch.ones_like(den)), torch.zeros_like(den))


class CGState:
    r"""One conjugate-gradient run on a batch of symmetric positive (semi)definite systems.

    Parameters
    ----------
    apply : callable
        :math:`v \mapsto M v` on ``(B, ...)`` tensors, symmetric positive (semi)definite per item.
    x : torch.Tensor
        Start ``(B, ...)``; not modified.
    residual : torch.Tensor
        :math:`r_0 = b - M x_0`, shape of ``x``.

    Attributes
    ----------
    x, r, p : torch.Tensor
        Iterate, residual and search direction.
    rr : torch.Tensor
        ``(B,)``: :math:`r^T r`.

    Notes
    -----
    :meth:`step` is one iteration, per item :math:`b` of the batch:

    .. math:: \alpha = \frac{r^T r}{p^T M p}, \quad x \leftarrow x + \alpha p, \quad r \leftarrow r - \alpha M p, \quad p \leftarrow r + \frac{r_{new}^T r_{new}}{r^T r}\, p

    with :math:`\alpha = 0` where :math:`p^T M p \le 0` (that system has converged).

    Examples
    --------
    >>> import torch
    >>> b = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    >>> cg = CGState(lambda v: 2.0 * v, torch.zeros_like(b), b.clone())
    >>> _ = cg.step(); cg.x
    tensor([[0.5000, 1.0000]], dtype=torch.float64)
    """

    def __init__(self, apply: LinearMap, x: torch.Tensor, residual: torch.Tensor) -> None:
        self.apply = apply
        self.x = x
        self.r = residual
        self.p = residual.clone()
        self.rr = batched_dot(residual, residual)
        self._view = (-1,) + (1,) * (x.ndim - 1)

    def step(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One iteration; returns ``(alpha, rr_before, pMp)``, each ``(B,)`` (what an exact
        bookkeeping of a quadratic objective needs: it drops by
        :math:`\\alpha r^T r - \\alpha^2 p^T M p / 2`)."""
        ap = self.apply(self.p)
        pap = batched_dot(self.p, ap)
        alpha = _safe_ratio(self.rr, pap)
        self.x = self.x + alpha.view(self._view) * self.p
        self.r = self.r - alpha.view(self._view) * ap
        rr_new = batched_dot(self.r, self.r)
        beta = _safe_ratio(rr_new, self.rr)
        self.p = self.r + beta.view(self._view) * self.p
        rr_old, self.rr = self.rr, rr_new
        return alpha, rr_old, pap


def cg_solve(apply: LinearMap, b: torch.Tensor, x0: torch.Tensor, *, iterations: int = 100,
             tol: float = 1e-6) -> torch.Tensor:
    r"""Solve a batch of symmetric positive (semi)definite systems :math:`M x = b` by CG.

    Parameters
    ----------
    apply : callable
        :math:`v \mapsto M v`.
    b : torch.Tensor
        Right-hand side ``(B, ...)``.
    x0 : torch.Tensor
        Start, shape of ``b``; not modified.
    iterations : int
        Most iterations.
    tol : float
        Stop once every item has :math:`\|r\| \le tol\, \|b\|`.

    Returns
    -------
    torch.Tensor
        The solution, shape of ``b``.

    Examples
    --------
    >>> import torch
    >>> b = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    >>> cg_solve(lambda v: 2.0 * v, b, torch.zeros_like(b))
    tensor([[0.5000, 1.0000]], dtype=torch.float64)
    """
    cg = CGState(apply, x0, b - apply(x0))
    bb = batched_dot(b, b).clamp_min(1e-30)
    for _ in range(iterations):
        if bool((cg.rr <= tol * tol * bb).all()):
            break
        cg.step()
    return cg.x
