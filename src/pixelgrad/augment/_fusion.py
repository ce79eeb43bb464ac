"""Pipeline fusion: a blur transform directly followed by an illumination transform runs as
one kernel when the Triton backend is selected.

``Compose([..., RandomGaussianBlur(...), RandomGradient(...), ...])`` applies each transform
in turn; for an adjacent (blur, illumination) pair whose gates select the same samples, the
pair goes to :func:`pixelgrad.functional._run.run_fused` (the Triton
``blur_then_blend`` kernel: the field is mixed into the blurred values in registers, one read
and one write of the image instead of two of each). The fused kernel rounds the blurred
value to the image dtype before mixing, exactly as storing it would, so the result has the
same bits as the two transforms run one after the other on the same backend. Any other case
(other transforms, different gates, the torch backend, an op Triton does not cover in
``auto`` mode) runs the transforms in turn.
"""
from __future__ import annotations

from typing import Sequence

import torch

from ..functional import _run, _scope
from ._params import Params
from .blur import RandomBoxBlur, RandomGaussianBlur, RandomMotionBlur
from .illumination import (RandomCornerGradient, RandomGaussianSpot, RandomGradient,
                           RandomRadialGradient)

#: Transforms whose ``apply_params`` is one blur op / one illumination op of :mod:`pixelgrad.functional`.
BLURS = (RandomGaussianBlur, RandomBoxBlur, RandomMotionBlur)
FIELDS = (RandomGradient, RandomCornerGradient, RandomRadialGradient, RandomGaussianSpot)


def sequence(children: Sequence, params: Sequence[Params], x: torch.Tensor) -> torch.Tensor:
    """Replay transforms with their parameters in order, fusing (blur, illumination) pairs.

    Parameters
    ----------
    children : sequence of Transform
        The transforms, in order.
    params : sequence of Params
        Their drawn parameters, one per child.
    x : torch.Tensor
        The batch ``(B, C, H, W)``.

    Returns
    -------
    torch.Tensor
        The result: bitwise the same as replaying the children one after the other on the
        same backend (adjacent pairs fused where :func:`fused_pair` applies).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> from pixelgrad.augment._rng import Rng
    >>> ts = [A.RandomGaussianBlur(), A.RandomGradient()]
    >>> x = torch.rand(2, 3, 16, 16)
    >>> ps = [t.draw(x.shape, Rng(2, None, 0, "doc")) for t in ts]
    >>> bool(torch.equal(sequence(ts, ps, x), ts[1].replay(ts[0].replay(x, ps[0]), ps[1])))
    True
    """
    i, n = 0, len(children)
    while i < n:
        if i + 1 < n:
            y = fused_pair(children[i], params[i], children[i + 1], params[i + 1], x)
            if y is not None:
                x = y
                i += 2
                continue
        x = children[i].replay(x, params[i])
        i += 1
    return x


def fused_pair(blur, p_blur: Params, field, p_field: Params, x: torch.Tensor) -> torch.Tensor | None:
    """A blur followed by an illumination transform in one Triton kernel, if that applies.

    Parameters
    ----------
    blur : Transform
        One of :data:`BLURS`.
    p_blur : Params
        Its drawn parameters.
    field : Transform
        One of :data:`FIELDS`.
    p_field : Params
        Its drawn parameters (the same gates as ``p_blur``).
    x : torch.Tensor
        The batch ``(B, C, H, W)``.

    Returns
    -------
    torch.Tensor or None
        ``field.replay(blur.replay(x, p_blur), p_field)`` computed in one kernel, or ``None``
        when fusion does not apply (other transform types, different gates, the torch or
        OpenCV backend, an op Triton does not cover); then nothing has been computed.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> from pixelgrad.augment._rng import Rng
    >>> b, f = A.RandomGaussianBlur(), A.RandomGradient()
    >>> x = torch.rand(1, 3, 16, 16)
    >>> rng = Rng(1, None, 0, "doc")
    >>> fused_pair(f, f.draw(x.shape, rng), b, b.draw(x.shape, rng), x) is None   # wrong order
    True
    """
    if type(blur) not in BLURS or type(field) not in FIELDS:
        return None
    applied = p_blur.applied
    if not bool(applied.any()) or not torch.equal(applied, p_field.applied):
        return None
    if _scope.effective("auto") in ("torch", "opencv"):
        return None
    if bool(applied.all()):
        return _fused(blur, p_blur, field, p_field, x)
    idx = applied.nonzero().flatten()
    d = idx.to(x.device)
    y = _fused(blur, p_blur.subset(idx), field, p_field.subset(idx), x[d])
    if y is None:
        return None
    out = x.clone()
    out[d] = y
    return out


def _fused(blur, p_blur: Params, field, p_field: Params, x: torch.Tensor) -> torch.Tensor | None:
    op_blur = _run.capture(lambda: blur.apply_params(x, **p_blur.values))
    op_field = _run.capture(lambda: field.apply_params(x, **p_field.values))
    if op_blur is None or op_field is None:
        return None
    return _run.run_fused(x, "auto", op_blur, op_field)
