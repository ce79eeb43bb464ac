"""Cheap first guesses for the unknown pixels (starting points for the iterative solvers).

:func:`push_pull` -- the pull-push (Gortler et al. 1996) pyramid fill: average the known
pixels over 2x2 blocks level by level (``value = sum(w x) / sum(w)``, ``w`` the known
weights), then fill each level's holes from the coarser level upsampled bilinearly. Cost
O(H W); every unknown pixel gets a smooth average of its nearest known neighbours.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def push_pull(x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    r"""Pull-push pyramid fill of the unknown pixels (a first guess for the solvers).

    Parameters
    ----------
    x : torch.Tensor
        Float images ``(B, C, H, W)``.
    known : torch.Tensor
        Bool mask broadcastable to ``x``, True where the pixel is known.

    Returns
    -------
    torch.Tensor
        A filled copy of ``x``: known pixels unchanged, unknown ones interpolated; an image
        with no known pixel at all becomes 0.5.

    Notes
    -----
    Pull: average the known pixels over 2x2 blocks level by level,
    :math:`v = \sum w x / \sum w` with :math:`w` the known weights. Push: fill each level's
    holes from the coarser level upsampled bilinearly, blending by the level's weight. Cost
    :math:`O(HW)`. After Gortler et al. [1]_.

    References
    ----------
    .. [1] S. J. Gortler, R. Grzeszczuk, R. Szeliski, M. F. Cohen, "The Lumigraph",
       Proc. SIGGRAPH 96, 43-54 (1996).

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[[0.0, 9.0], [9.0, 1.0]]]])
    >>> known = torch.tensor([[[[True, False], [False, True]]]])
    >>> push_pull(x, known)[0, 0].tolist()
    [[0.0, 0.5], [0.5, 1.0]]
    """
    w = known.to(x.dtype).expand_as(x)
    num = x * w
    levels = []
    cur_num, cur_w = num, w
    while min(cur_num.shape[-2:]) > 1:
        levels.append((cur_num, cur_w))
        h, wd = cur_num.shape[-2:]
        ph, pw = h % 2, wd % 2
        if ph or pw:
            cur_num = F.pad(cur_num, (0, pw, 0, ph), mode="replicate")
            cur_w = F.pad(cur_w, (0, pw, 0, ph), mode="replicate")
        cur_num = F.avg_pool2d(cur_num, 2)
        cur_w = F.avg_pool2d(cur_w, 2)
    levels.append((cur_num, cur_w))
    num_c, w_c = levels[-1]
    fill = torch.where(w_c > 0, num_c / w_c.clamp_min(1e-12), torch.full_like(num_c, 0.5))
    for num_l, w_l in reversed(levels[:-1]):
        up = F.interpolate(fill, size=num_l.shape[-2:], mode="bilinear", align_corners=False)
        wl = w_l.clamp(0.0, 1.0)
        val = num_l / w_l.clamp_min(1e-12)
        # blend: trust this level's average in proportion to its known weight
        fill = torch.where(w_l > 0, wl * val + (1 - wl) * up, up)
    return torch.where(known, x, fill)
