"""Random augmentations: draw per-sample parameters from a CPU ``torch.Generator``, call
:mod:`pixelgrad.functional`.

CONTRACT (the CLI ``pixelgrad augment`` and the Ray engine rely on it)
----------------------------------------------------------------------
* ``pixelgrad.augment.from_dict(d) -> Transform``; ``transform.to_dict() -> dict`` (JSON /
  YAML-able); ``pixelgrad.augment.load(path)`` / ``pixelgrad.augment.save(transform, path)``
  for ``.yaml`` / ``.yml`` / ``.json``. Dict format:
  ``{"type": "RandomGaussianBlur", "p": 0.5, "sigma": [0.1, 2.0], ...}`` (the keys are the
  constructor's arguments; ranges are ``[low, high]`` lists or single numbers); containers:
  ``{"type": "Compose", "transforms": [...]}`` (also ``RandomApply`` with ``p``, ``OneOf`` with
  ``p`` and ``weights``).
* Call: ``y = t(x, generator=None, seed=None)``; ``y, params = t(x, ..., return_params=True)``;
  replay ``y = t(x, params=params)``. ``x``: a ``(B, C, H, W)`` tensor (also ``(..., C, H, W)``
  and ``(C, H, W)``), a numpy ``(H, W[, C])`` image (returned as numpy), a torchvision
  ``tv_tensors.Image`` or a tuple / list / dict of images and targets, or ``t(image=img)``
  (albumentations style, returns a dict). Output: same container, shape and dtype.
* ``generator``: ``None`` = torch's global CPU generator; a CPU ``torch.Generator``; or a list
  of ``B`` CPU generators, one per sample: sample ``i``'s parameters are then drawn only from
  generator ``i`` (in an order fixed by the pipeline, independent of the other samples), so
  results do not depend on how images are grouped into batches or workers.
  ``sample_generators(seed, indices, epoch=None)`` builds such a list from a run seed, global
  image indices and the epoch (:class:`EpochSeeds` keeps the epoch for DataLoader workers).
  ``seed=int`` is shorthand for ``torch.Generator().manual_seed(seed)``. Parameters are always
  drawn on the CPU in float64: the same seed gives the same parameters on every device.
* ``params.per_sample() -> list[dict]``: for each sample a JSON-serializable dict of the
  parameters drawn for it, e.g. ``{"type": "Compose", "applied": true, "transforms": [{"type":
  "RandomGradient", "applied": true, "a": 0.31, "b": -0.72, "alpha": 0.11, "offset": 0.0},
  ...]}`` (``applied`` is whether the transform really touched the sample);
  ``Params.from_per_sample(list)`` rebuilds replayable params, ``Params.cat`` joins batches,
  ``params.subset(idx)`` slices.
* Transforms are ``nn.Module``\\ s: one base class :class:`Transform` (generators, ``p``,
  replay, containers of the input) and thin leaf classes that only draw parameters and call a
  functional op; containers compose.

Random streams, in detail
-------------------------
Each transform draws, for the whole batch, its gate ``rand < p`` first and then its
parameters, in the order its docstring lists; containers draw their own gate (and choice)
and then each child in order. Every child draws for every sample even when a gate skips it,
so a sample always consumes the same numbers.

DataLoader workers
------------------
With ``generator=None`` the draws come from torch's global generator. In a
``torch.utils.data.DataLoader`` worker, PyTorch seeds it with ``base_seed + worker_id``,
where ``base_seed`` is drawn once per epoch from the main process's generator (or the
DataLoader's ``generator=``). Hence workers differ, and a run repeats when the main process
is seeded (``torch.manual_seed(s)``) — but *which* worker gets *which* image depends on
``num_workers``. For results independent of the worker count, derive the generator from the
image's index and the epoch: ``t(img, generator=sample_generators(seed, [index],
epoch=epoch))`` gives every image new parameters each epoch, the same ones again when the run
is repeated (without ``epoch`` an image gets the *same* augmentation every epoch).
``derive_seed(seed, index, epoch)`` hashes the triple with ``numpy.random.SeedSequence``.
To get the epoch into the workers, keep an :class:`EpochSeeds` in the Dataset (its epoch lives
in shared memory, so it also reaches ``persistent_workers=True`` workers)::

    class Images(torch.utils.data.Dataset):
        def __init__(self, images, seed):
            self.images, self.seeds = images, pg.augment.EpochSeeds(seed)
            self.t = pg.augment.RandomGradient()
        def __len__(self):
            return len(self.images)
        def __getitem__(self, i):
            return self.t(self.images[i], generator=self.seeds.generators([i]))

    ds = Images(images, seed=0)
    loader = DataLoader(ds, batch_size=64, num_workers=2, persistent_workers=True)
    for epoch in range(epochs):
        ds.seeds.set_epoch(epoch)         # before iterating the loader
        for batch in loader:
            ...

Never pass one explicit ``torch.Generator`` created before the DataLoader into a Dataset:
every worker receives a copy in the same state and repeats the other workers' draws.

Example
-------
>>> import torch, pixelgrad as pg
>>> aug = pg.augment.Compose([pg.augment.RandomGradient(p=0.5),
...                           pg.augment.RandomGaussianBlur(sigma=(0.1, 2.0))])
>>> x = torch.rand(8, 3, 32, 32)
>>> y, params = aug(x, seed=0, return_params=True)
>>> bool((aug(x, params=params) == y).all())
True
"""
from ._base import Transform
from ._config import REGISTRY, from_dict, load, register, save
from ._params import Params
from ._rng import EpochSeeds, Rng, derive_seed, sample_generators
from .blur import RandomBoxBlur, RandomCameraShake, RandomGaussianBlur, RandomMotionBlur, RandomShear
from .containers import Compose, OneOf, RandomApply
from .illumination import RandomCornerGradient, RandomGaussianSpot, RandomGradient, RandomRadialGradient

for _cls in (RandomGradient, RandomCornerGradient, RandomRadialGradient, RandomGaussianSpot,
             RandomGaussianBlur, RandomBoxBlur, RandomMotionBlur, RandomCameraShake, RandomShear,
             Compose, RandomApply, OneOf):
    register(_cls)
del _cls


def to_fastai(transform: Transform, **kwargs):
    """Wrap ``transform`` as a fastai batch transform (see :func:`pixelgrad.augment.fastai.to_fastai`).

    Parameters
    ----------
    transform : Transform
        The pixelgrad transform.
    **kwargs :
        ``order``, ``split_idx``, ``generator`` of :func:`pixelgrad.augment.fastai.to_fastai`.

    Returns
    -------
    fastcore Transform
        A batch transform for ``batch_tfms=``.

    Raises
    ------
    ImportError
        fastai is not installed.
    TypeError
        ``transform`` is not a pixelgrad transform.

    Examples
    --------
    Needs fastai (not a dependency of pixelgrad), so not run here:

    >>> from pixelgrad import augment as A                                  # doctest: +SKIP
    >>> dls = ImageDataLoaders.from_folder(path, batch_tfms=[A.to_fastai(A.RandomGradient())])  # doctest: +SKIP
    """
    from .fastai import to_fastai as _to_fastai

    return _to_fastai(transform, **kwargs)


def to_albumentations(transform: Transform, p: float = 1.0, backend: str = "auto"):
    """Wrap ``transform`` as a real albumentations transform (see
    :func:`pixelgrad.augment.albumentations.to_albumentations`).

    Parameters
    ----------
    transform : Transform
        The pixelgrad transform.
    p : float
        albumentations' probability of applying it (default 1.0; the transform's own ``p``
        still applies inside).
    backend : str
        ``auto`` | ``torch`` | ``opencv`` | ``triton``, for the functional ops.

    Returns
    -------
    albumentations.ImageOnlyTransform or albumentations.DualTransform
        ``PixelgradImageOnlyTransform`` for a photometric transform, ``PixelgradDualTransform``
        (moves masks, boxes, keypoints) when it holds a geometric one.

    Raises
    ------
    ImportError
        albumentations is not installed.
    TypeError
        ``transform`` is not a pixelgrad transform.
    ValueError
        ``p`` outside [0, 1], an unknown ``backend``.

    Examples
    --------
    >>> import albumentations as A, numpy as np
    >>> from pixelgrad import augment as pa
    >>> pipe = A.Compose([pa.to_albumentations(pa.RandomShear(sx=0.2)), A.HorizontalFlip(p=0.5)],
    ...                  bbox_params=A.BboxParams(format="coco"), seed=0)
    >>> out = pipe(image=np.zeros((32, 32, 3), np.uint8), bboxes=[[4, 4, 8, 8]])
    >>> out["image"].shape, len(out["bboxes"])
    ((32, 32, 3), 1)
    """
    from .albumentations import to_albumentations as _to_albumentations

    return _to_albumentations(transform, p=p, backend=backend)


__all__ = ["Transform", "Params", "Rng", "EpochSeeds", "derive_seed", "sample_generators", "from_dict",
           "load", "save", "register", "REGISTRY", "to_fastai", "to_albumentations", "Compose", "RandomApply", "OneOf",
           "RandomGradient", "RandomCornerGradient", "RandomRadialGradient", "RandomGaussianSpot",
           "RandomGaussianBlur", "RandomBoxBlur", "RandomMotionBlur", "RandomShear"]
