"""fastai adapter: a pixelgrad transform as a fastai *batch* transform (``batch_tfms=``).

fastai is optional: it is imported only when :func:`to_fastai` is called.
"""
# No ``from __future__ import annotations``: fastcore dispatches on real annotations.
from typing import Any


def to_fastai(transform: Any, *, order: int = 50, split_idx: Any = 0, generator: Any = None):
    """Wrap a pixelgrad transform as a fastai *batch* transform (for ``batch_tfms=``).

    Parameters
    ----------
    transform : pixelgrad.augment.Transform
        The transform to apply to every ``TensorImage`` batch.
    order : int
        fastai pipeline order; the default 50 runs after ``IntToFloatTensor`` (10) and
        before ``Normalize`` (99), so images are float in [0, 1] as pixelgrad expects.
    split_idx : int or None
        0 = training set only (fastai's augmentation default), ``None`` = all sets.
    generator : torch.Generator, optional
        CPU generator (``None``: torch's global generator, which
        ``fastai.torch_core.set_seed`` controls).

    Returns
    -------
    fastcore Transform
        Applies ``transform`` to ``TensorImage`` batches. Masks (``TensorMask``), points,
        boxes and labels pass through unchanged (fastai only calls ``encodes`` for the
        annotated type).

    Raises
    ------
    ImportError
        fastai is not installed (it is imported only when this function is called).
    TypeError
        ``transform`` is not a pixelgrad transform.

    Examples
    --------
    Needs fastai (not a dependency of pixelgrad), so not run here:

    >>> from pixelgrad import augment as A                                  # doctest: +SKIP
    >>> from pixelgrad.augment.fastai import to_fastai                      # doctest: +SKIP
    >>> tfm = to_fastai(A.RandomGradient(p=0.5))                            # doctest: +SKIP
    >>> dls = ImageDataLoaders.from_folder(path, batch_tfms=[tfm])          # doctest: +SKIP
    """
    from fastai.vision.core import TensorImage
    try:  # fastai >= 2.8 moved Transform to the fasttransform package
        from fasttransform import Transform as FastTransform
    except ImportError:  # pragma: no cover - older fastai
        from fastcore.transform import Transform as FastTransform

    from ._base import Transform as PgTransform
    from .._errors import bad_type

    if not isinstance(transform, PgTransform):
        bad_type("to_fastai", "transform", "a pixelgrad.augment transform", transform)

    class PixelgradTransform(FastTransform):
        def __init__(self):
            super().__init__()
            self.pg_transform = transform
            self.order = order
            self.split_idx = split_idx
            self.generator = generator

        def encodes(self, x: TensorImage):
            y = self.pg_transform(x.as_subclass(__import__("torch").Tensor), generator=self.generator)
            return TensorImage(y)

        def __repr__(self):
            return f"PixelgradTransform({self.pg_transform!r})"

    return PixelgradTransform()
