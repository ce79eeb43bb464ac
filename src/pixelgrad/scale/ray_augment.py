"""``ray_augment``: augment the images of an existing Ray dataset with a pixelgrad pipeline."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..io.batch_apply import apply_pipeline
from ..io.dataset import output_seed
from ._common import import_ray, pipeline_spec, single_threaded_actor, worker_pool

__all__ = ["ray_augment", "DatasetAugmenter"]


class DatasetAugmenter:
    """Ray Data callable class holding the pipeline (one per actor), used by :func:`ray_augment`.

    Each input row gives ``copies`` rows with the augmented ``image`` (same shape / dtype),
    ``copy``, ``seed`` and ``params`` (JSON text); the other columns are repeated.

    Parameters
    ----------
    spec : dict
        The pipeline as ``Transform.to_dict()`` writes it (rebuilt on the actor by
        :func:`pixelgrad.augment.from_dict`).
    seed : int
        Base seed; each output's seed is ``output_seed(seed, key, copy)``.
    copies : int
        Outputs per input row.
    image_column, key_column : str
        Names of the image column and of the column whose value keys the seed.
    device : str
        Where the pipeline runs.

    Examples
    --------
    Called directly on one batch of rows (Ray itself is not needed for this):

    >>> import numpy as np
    >>> from pixelgrad import augment
    >>> spec = augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0).to_dict()
    >>> aug = DatasetAugmenter(spec, seed=0, copies=2, image_column="image", key_column="path",
    ...                        device="cpu")
    >>> out = aug({"image": np.zeros((1, 8, 8, 3), np.uint8), "path": np.array(["a.png"])})
    >>> out["image"].shape, out["copy"].tolist(), out["path"].tolist()
    ((2, 8, 8, 3), [0, 1], ['a.png', 'a.png'])
    """

    def __init__(self, spec: dict, *, seed: int, copies: int, image_column: str, key_column: str,
                 device: str) -> None:
        from .. import augment

        self.pipeline = augment.from_dict(spec)
        single_threaded_actor(device)
        self.seed, self.copies = int(seed), int(copies)
        self.image_column, self.key_column, self.device = image_column, key_column, device

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        images = [np.asarray(im) for im in batch[self.image_column]]
        keys = [str(k) for k in batch[self.key_column]]
        rows = [(r, k) for r in range(len(images)) for k in range(self.copies)]
        seeds = [output_seed(self.seed, keys[r], k) for r, k in rows]
        results = apply_pipeline(self.pipeline, [images[r] for r, _ in rows], seeds, device=self.device)
        out_images, params = [], []
        for res in results:
            if isinstance(res, BaseException):
                raise res
            out_images.append(res[0])
            params.append(json.dumps(res[1], sort_keys=True, separators=(",", ":")))
        out: dict[str, np.ndarray] = {}
        for name, col in batch.items():
            if name != self.image_column:
                out[name] = np.asarray([col[r] for r, _ in rows], dtype=getattr(col, "dtype", object))
        same = len({(im.shape, im.dtype.str) for im in out_images}) == 1
        if same and out_images:
            out[self.image_column] = np.stack(out_images)
        else:
            col = np.empty(len(out_images), dtype=object)
            col[:] = out_images
            out[self.image_column] = col
        out["copy"] = np.asarray([k for _, k in rows], dtype=np.int64)
        out["seed"] = np.asarray(seeds, dtype=np.int64)
        out["params"] = np.asarray(params, dtype=object)
        return out


def ray_augment(dataset: Any, pipeline: Any, *, seed: int = 0, copies: int = 1,
                image_column: str = "image", key_column: str = "path", batch_size: int = 32,
                device: str = "cpu", concurrency: int | None = None) -> Any:
    """Augment every row of a Ray dataset with a pixelgrad pipeline.

    Parameters
    ----------
    dataset : ray.data.Dataset
        Rows with an image column (``(H, W[, C])`` uint8/uint16 arrays, as produced by
        ``ray.data.read_images(paths, include_paths=True)``) and a key column whose string
        value identifies the row.
    pipeline : Transform, dict, str or os.PathLike
        A ``pixelgrad.augment`` transform, its dict, or a ``.yaml`` / ``.json`` path.
    seed : int, default 0
        Run seed; copy ``k`` of the row with key ``key`` uses ``output_seed(seed, str(key), k)``,
        so results do not depend on the partitioning.
    copies : int, default 1
        Output rows per input row.
    image_column, key_column : str, default "image", "path"
        Names of the image and key columns.
    batch_size : int, default 32
        Rows per ``map_batches`` call.
    device : str, default "cpu"
        ``"cuda"`` asks one GPU per actor.
    concurrency : int, optional
        Number of actors (default: one per CPU, or per GPU with ``device="cuda"``).

    Returns
    -------
    ray.data.Dataset
        A new lazy dataset with ``copies`` rows per input: the augmented image (same shape and
        dtype) and the columns ``copy`` (int64), ``seed`` (int64) and ``params`` (JSON text of
        the drawn parameters); the other columns are carried over.

    Raises
    ------
    ValueError
        If ``copies`` or ``batch_size`` is not an integer >= 1.
    TypeError
        If ``dataset`` is not a ``ray.data.Dataset``.

    Examples
    --------
    >>> import ray, pixelgrad.scale as ps                                  # doctest: +SKIP
    >>> ds = ray.data.read_images("s3://bucket/imgs", include_paths=True)   # doctest: +SKIP
    >>> out = ps.ray_augment(ds, "aug.yaml", seed=1, copies=2)             # doctest: +SKIP
    """
    ray = import_ray()
    if not isinstance(copies, int) or copies < 1:
        raise ValueError(f"ray_augment: argument `copies` must be an integer >= 1, got {copies!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"ray_augment: argument `batch_size` must be an integer >= 1, got {batch_size!r}")
    if not isinstance(dataset, ray.data.Dataset):
        raise TypeError(f"ray_augment: argument `dataset` must be a ray.data.Dataset, "
                        f"got {type(dataset).__name__}")
    spec = pipeline_spec(pipeline)
    strategy, resources = worker_pool(ray, device, concurrency)
    return dataset.map_batches(
        DatasetAugmenter, batch_size=batch_size, batch_format="numpy", compute=strategy,
        fn_constructor_kwargs={"spec": spec, "seed": seed, "copies": copies,
                               "image_column": image_column, "key_column": key_column,
                               "device": device}, **resources)
