"""Move between the user's image container and the internal ``(B, C, H, W)`` tensor.

Accepted inputs
---------------
* ``torch.Tensor`` of shape ``(..., C, H, W)`` (any number of leading batch dims, or none;
  a 2-D ``(H, W)`` tensor is treated as one gray plane).
* ``numpy.ndarray`` of shape ``(H, W)`` or ``(H, W, C)`` (OpenCV / scikit-image layout).
* ``PIL.Image.Image`` in modes ``L``, ``LA``, ``RGB``, ``RGBA``, ``I;16`` or ``F`` (as torchvision
  v2 accepts them); the result is a PIL image of the same mode and size.

torchvision ``tv_tensors`` (``Image``, ``Video``, ...) and other tensor subclasses come back as
the same subclass (as torchvision's functional API does).

``to_batch`` returns a :class:`Batch` holding a 4-D ``(B, C, H, W)`` tensor *view* of the
input (no copy for numpy: ``torch.from_numpy`` then a permute) and the recipe to give the
result back in the caller's container, shape and dtype. Functions never write into it.
"""
from __future__ import annotations

import contextvars
import math
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import torch

from ._errors import bad_type, bad_value

ImageLike = Union[torch.Tensor, np.ndarray, Any]   # Any: a PIL.Image.Image

SUPPORTED_DTYPES = (torch.uint8, torch.uint16, torch.float16, torch.bfloat16, torch.float32,
                    torch.float64)
_NUMPY_DTYPES = (np.uint8, np.uint16, np.float16, np.float32, np.float64)
#: PIL mode -> numpy dtype of its pixels (modes whose pixels pixelgrad can filter)
_PIL_MODES = {"L": np.uint8, "LA": np.uint8, "RGB": np.uint8, "RGBA": np.uint8,
              "I;16": np.uint16, "F": np.float32}


@dataclass
class Batch:
    """A validated image batch and the recipe to give results back in the caller's container.

    Built by :func:`to_batch`; ops compute on :attr:`data` and return
    ``batch.restore(result)``.

    Attributes
    ----------
    data : torch.Tensor
        ``(B, C, H, W)`` view of the caller's memory (never written to).
    is_numpy : bool
        Whether the caller passed a numpy array (or a PIL image).
    numpy_ndim : int
        2 for ``(H, W)``, 3 for ``(H, W, C)`` numpy input; 0 for tensors.
    lead_shape : tuple
        The caller's leading batch dims for tensors (``()`` for ``(C, H, W)``).
    tensor_ndim : int
        ndim of the caller's tensor; 0 for numpy input.
    numpy_dtype : numpy.dtype or None
        The caller's numpy dtype when it was not native-endian (restored on the way back).
    like : Any
        The caller's tensor subclass instance, or PIL image; None for plain tensors / arrays.

    Examples
    --------
    >>> import numpy as np
    >>> b = to_batch(np.zeros((4, 5, 3), np.uint8), "my_op")
    >>> b.data.shape, b.batch_size, b.is_numpy
    (torch.Size([1, 3, 4, 5]), 1, True)
    >>> b.restore(b.data + 1).shape
    (4, 5, 3)
    """

    data: torch.Tensor
    is_numpy: bool
    numpy_ndim: int
    lead_shape: tuple
    tensor_ndim: int
    numpy_dtype: Any = None          # the caller's numpy dtype when not native-endian
    like: Any = None                 # the caller's tensor subclass instance, or PIL image

    @property
    def batch_size(self) -> int:
        """``B``: the product of the caller's leading dims (1 for numpy and PIL images)."""
        return self.data.shape[0]

    @property
    def empty(self) -> bool:
        """True for an empty batch or a zero-size image (the op then returns an empty result)."""
        return self.data.numel() == 0

    def restore(self, out: torch.Tensor) -> ImageLike:
        """Give a result back in the caller's container and layout.

        Parameters
        ----------
        out : torch.Tensor
            ``(B, C, H, W)`` result, same dtype as the input.

        Returns
        -------
        tensor, numpy array or PIL image
            ``out`` as numpy ``(H, W[, C])`` (native-endian data cast back to the caller's
            byte order), as a PIL image of the input's mode, or as a tensor of the caller's
            shape ``(*lead_shape, C, H, W)`` / ``(H, W)`` and tensor subclass.

        Examples
        --------
        >>> import torch
        >>> b = to_batch(torch.zeros(2, 3, 1, 4, 5), "my_op")
        >>> b.data.shape, b.restore(b.data).shape
        (torch.Size([6, 1, 4, 5]), torch.Size([2, 3, 1, 4, 5]))
        """
        if self.is_numpy:
            host = out.detach().cpu().numpy()            # (1, C, H, W); the rest in numpy views
            res = np.ascontiguousarray(host[0].transpose(1, 2, 0) if self.numpy_ndim == 3 else host[0, 0])
            res = res if self.numpy_dtype is None else res.astype(self.numpy_dtype)
            return res if self.like is None else _to_pil(res, self.like)
        nd = self.tensor_ndim
        # (B, C, H, W) and (C, H, W) inputs without a reshape call: views cost torch microseconds
        res = out[0, 0] if nd == 2 else out if nd == 4 else out[0] if nd == 3 else \
            out.reshape(*self.lead_shape, *out.shape[1:])
        return res if self.like is None else wrap_like(res, self.like)


def wrap_like(out: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Return ``out`` as the tensor subclass of ``like``.

    Parameters
    ----------
    out : torch.Tensor
        The result (any shape).
    like : torch.Tensor
        The caller's input; a torchvision ``tv_tensor`` keeps its metadata through
        ``tv_tensors.wrap`` (torchvision is imported only when ``like`` is one).

    Returns
    -------
    torch.Tensor
        ``out`` itself for a plain ``like`` (or a non-tensor ``out``), else a view of ``out``
        of ``type(like)``.

    Examples
    --------
    >>> import torch
    >>> class Tagged(torch.Tensor):
    ...     pass
    >>> type(wrap_like(torch.ones(2), torch.zeros(1).as_subclass(Tagged))).__name__
    'Tagged'
    """
    if type(like) is torch.Tensor or not isinstance(out, torch.Tensor):
        return out
    plain = out.as_subclass(torch.Tensor)
    mod = type(like).__module__
    if mod.startswith("torchvision.tv_tensors"):
        from torchvision import tv_tensors  # only reached when torchvision is already in use

        return tv_tensors.wrap(plain, like=like)
    return plain.as_subclass(type(like))


def _is_pil(x: Any) -> bool:
    mod = type(x).__module__
    return mod.startswith("PIL.") and hasattr(x, "mode") and hasattr(x, "size")


def _from_pil(img: Any, fn: str, arg: str) -> np.ndarray:
    if img.mode not in _PIL_MODES:
        bad_value(fn, arg, "a PIL image in mode " + ", ".join(_PIL_MODES) +
                  " (convert others first, e.g. img.convert('RGB'))", f"mode {img.mode!r}")
    arr = np.asarray(img)
    want = _PIL_MODES[img.mode]
    return arr if arr.dtype == want else arr.astype(want)


def _to_pil(arr: np.ndarray, like: Any) -> Any:
    from PIL import Image

    if like.mode == "I;16":
        out = Image.new("I;16", like.size)
        out.frombytes(np.ascontiguousarray(arr.astype("<u2")).tobytes())
        return out
    out = Image.fromarray(np.ascontiguousarray(arr))    # uint8 (H, W[, 2|3|4]) / float32 (H, W)
    return out if out.mode == like.mode else out.convert(like.mode)


def to_batch(x: Any, fn: str, arg: str = "x", *, allow_empty: bool = False,
             check_finite: bool = True) -> Batch:
    """Validate an image and view it as a ``(B, C, H, W)`` tensor.

    Parameters
    ----------
    x : tensor, numpy array or PIL image
        ``(..., C, H, W)`` tensor (uint8, uint16, float16, bfloat16, float32, float64; a 2-D
        tensor is one gray plane), numpy ``(H, W)`` / ``(H, W, C)`` array (uint8, uint16,
        float16, float32, float64; any byte order and strides) or PIL image in mode ``L``,
        ``LA``, ``RGB``, ``RGBA``, ``I;16`` or ``F``.
    fn : str
        Name of the calling function, used in error messages.
    arg : str, default "x"
        Name of the argument, used in error messages.
    allow_empty : bool, default False
        Accept an empty batch or a zero-size image (the caller then returns an empty result,
        see :attr:`Batch.empty`); otherwise it is refused.
    check_finite : bool, default True
        Reject NaN / inf in a float image. ``False`` leaves that check to the caller, which
        must then run :func:`require_finite` on :attr:`Batch.data` (with the caller's ``x``)
        before using a value (e.g. in the same pass that reads the image for its own work).

    Returns
    -------
    Batch
        The ``(B, C, H, W)`` view (no copy for tensors and native, writeable numpy arrays;
        ``B`` the product of the leading dims) and the recipe to restore the container.

    Raises
    ------
    TypeError
        If ``x`` is not a tensor, numpy array or PIL image.
    ValueError
        For an unsupported dtype, PIL mode, shape or layout (sparse), an empty input without
        ``allow_empty``, or NaN / inf in a float image (with ``check_finite``).

    Examples
    --------
    >>> import torch
    >>> b = to_batch(torch.zeros(2, 3, 1, 4, 5), "my_op")
    >>> b.data.shape, b.lead_shape
    (torch.Size([6, 1, 4, 5]), (2, 3))
    >>> to_batch(torch.zeros(2, 3, 0, 5), "my_op")
    Traceback (most recent call last):
    ...
    ValueError: my_op: argument `x` must be a non-empty tensor (empty batch or zero-size image), got tensor of shape (2, 3, 0, 5) and dtype torch.float32
    """
    if x is _CHECKED.get() and type(x) is torch.Tensor and x.ndim == 4 and (allow_empty or x.numel()):
        # the (B, C, H, W) batch a transform validated, handed to an op: nothing to check again
        return Batch(x, False, 0, (x.shape[0],), 4)
    if _is_pil(x):
        b = to_batch(_from_pil(x, fn, arg), fn, arg, allow_empty=allow_empty,
                     check_finite=check_finite)
        b.like = x
        return b
    if isinstance(x, np.ndarray):
        if x.ndim not in (2, 3):
            bad_value(fn, arg, "a numpy image of shape (H, W) or (H, W, C)", x)
        if x.dtype.type not in _NUMPY_DTYPES:
            bad_value(fn, arg, "uint8, uint16, float16, float32 or float64", x)
        if x.size == 0 and not allow_empty:
            bad_value(fn, arg, "a non-empty image", x)
        given = x
        if not x.dtype.isnative:
            x = x.astype(x.dtype.newbyteorder("="))  # e.g. big-endian FITS data; torch refuses it
        if min(x.strides) < 0 or not x.flags.writeable:
            x = np.array(x, order="C", copy=True)  # torch.from_numpy refuses negative strides / read-only
        # the (1, C, H, W) view made by numpy (one torch call: views cost torch microseconds)
        t = torch.from_numpy(np.asarray(x)[None, None] if x.ndim == 2 else np.asarray(x).transpose(2, 0, 1)[None])
        if check_finite:
            require_finite(t, fn, arg, given)
        return Batch(t, True, x.ndim, (), 0, None if given.dtype.isnative else given.dtype)
    if not isinstance(x, torch.Tensor):
        bad_type(fn, arg, "a torch.Tensor (..., C, H, W), a numpy array (H, W[, C]) or a PIL "
                 "image", x)
    if x.layout != torch.strided:
        bad_value(fn, arg, "a dense (strided) tensor; call .to_dense() first", x)
    if x.ndim < 2:
        bad_value(fn, arg, "a tensor with at least 2 dims (..., C, H, W)", x)
    if x.dtype not in SUPPORTED_DTYPES:
        bad_value(fn, arg, "of dtype uint8, uint16, float16, bfloat16, float32 or float64", x)
    if x.numel() == 0 and not allow_empty:
        bad_value(fn, arg, "a non-empty tensor (empty batch or zero-size image)", x)
    like = None if type(x) is torch.Tensor else x
    if like is not None:
        x = x.as_subclass(torch.Tensor)   # tv_tensors' own ops would unwrap / rewrap every step
    if x.ndim == 2:
        data = x[None, None]
        lead: tuple = ()
    else:
        lead = tuple(x.shape[:-3])
        n = 1
        for d in lead:
            n *= d
        data = x.reshape(n, *x.shape[-3:]) if x.ndim != 4 else x
    if check_finite and x is not _CHECKED.get():
        require_finite(data, fn, arg, x)
    return Batch(data, False, 0, lead, x.ndim, None, like)


_CHECKED: contextvars.ContextVar[torch.Tensor | None] = contextvars.ContextVar("pixelgrad_checked",
                                                                              default=None)


def run_checked(t: torch.Tensor, call: Any) -> Any:
    """``call()`` with ``t`` known to be finite: :func:`to_batch` skips its NaN / inf check
    when it is handed this very tensor object.

    A transform validates its image once (:func:`to_batch`) and then calls functional ops on
    the same ``(B, C, H, W)`` tensor; without this each op would read the whole image again
    for the same check.

    Parameters
    ----------
    t : torch.Tensor
        A tensor that :func:`require_finite` accepted (or an integer tensor).
    call : callable
        A function of no arguments.

    Returns
    -------
    Any
        What ``call()`` returns.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 2, 2)
    >>> run_checked(x, lambda: to_batch(x, "my_op").data is x)
    True
    """
    token = _CHECKED.set(t)
    try:
        return call()
    finally:
        _CHECKED.reset(token)


def require_finite(t: torch.Tensor, fn: str, arg: str = "x", given: Any = None) -> None:
    """Reject NaN / inf in a float image (the check :func:`to_batch` runs by default).

    Parameters
    ----------
    t : torch.Tensor
        The image data (integer tensors always pass).
    fn, arg : str
        Function and argument names used in the error message.
    given : Any, optional
        The caller's value, described in the message instead of ``t``.

    Raises
    ------
    ValueError
        If ``t`` holds a NaN or an infinity.

    Notes
    -----
    One fast reduction: the sum is finite whenever every value is (a finite sum that
    overflows only sends us to the exact, slower check).

    Examples
    --------
    >>> import torch
    >>> require_finite(torch.zeros(1, 1, 2, 2), "my_op")
    >>> require_finite(torch.full((1, 1, 2, 2), float("nan")), "my_op")
    Traceback (most recent call last):
    ...
    ValueError: my_op: argument `x` must be finite (no NaN or inf values), got tensor of shape (1, 1, 2, 2) and dtype torch.float32
    """
    if not t.is_floating_point() or t.device.type == "meta":
        return
    with torch.no_grad():
        total = t.sum(dtype=torch.float64 if t.dtype == torch.float64 else torch.float32)
        if math.isfinite(float(total)) or bool(torch.isfinite(t).all()):
            return
    bad_value(fn, arg, "finite (no NaN or inf values)", t if given is None else given)
