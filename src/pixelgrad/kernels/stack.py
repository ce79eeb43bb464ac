"""Stack kernels of different sizes into one per-sample tensor, each centred and zero-padded
to the largest size (extra zero taps change no sum, so each row stays the exact kernel)."""
from __future__ import annotations

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
