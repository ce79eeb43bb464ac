"""Where random numbers come from: one CPU ``torch.Generator`` for the batch, or one per sample.

Every random draw of :mod:`pixelgrad.augment` goes through :class:`Rng`, on the CPU, in
float64, so the same seed gives the same parameters whatever the image's device or dtype.

* One generator: each draw takes a ``(B, *size)`` block from it (fast; the numbers a sample
  gets depend on its position in the batch).
* A list of ``B`` generators: sample ``i`` draws only from generator ``i``, in a fixed order
  that does not depend on the other samples, so results do not depend on how images are
  grouped into batches or spread over workers. :func:`sample_generators` derives such a list
  from a run seed, the images' global indices and (optionally) the epoch; :class:`EpochSeeds`
  keeps the epoch where DataLoader workers see it.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Iterable, Sequence

import numpy as np
import torch

from .._errors import bad_type, bad_value


def _check_int(value: Any, fn: str, arg: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, bool):
        try:
            return operator.index(value)       # int, numpy / 0-d torch integers
        except TypeError:
            pass
    bad_type(fn, arg, "an int" + (" or None" if allow_none else ""), value)


def _check_indices(indices: Any, fn: str) -> list[int]:
    """``indices`` as a list of ints: one index (int, numpy integer, 0-d integer array or
    tensor) is a list of one; an iterable (list, range, 1-d array or tensor) gives its items.
    Errors name ``fn`` and the argument ``indices``."""
    if isinstance(indices, (str, bytes, bool)) or indices is None:
        bad_type(fn, "indices", "an int or an iterable of ints", indices)
    if getattr(indices, "ndim", None) == 0 or not hasattr(indices, "__iter__"):
        try:
            return [operator.index(indices)]
        except TypeError:
            bad_type(fn, "indices", "an int or an iterable of ints", indices)
    out = []
    for i, v in enumerate(indices):
        if isinstance(v, bool):
            bad_type(fn, f"indices[{i}]", "an int", v)
        try:
            out.append(operator.index(v))
        except TypeError:
            bad_type(fn, f"indices[{i}]", "an int", v)
    return out


def derive_seed(seed: int, index: int, epoch: int | None = None) -> int:
    r"""A 63-bit seed for item ``index`` (in epoch ``epoch``) of a run seeded with ``seed``.

    Parameters
    ----------
    seed : int
        The run seed.
    index : int
        The item's global index (e.g. the dataset index of an image).
    epoch : int or None
        The training epoch. ``None`` (default) derives from ``(seed, index)`` only, so an item
        gets the same seed in every epoch; an int makes every ``(seed, index, epoch)`` triple
        its own stream.

    Returns
    -------
    int
        A seed in ``[0, 2**63)`` for ``torch.Generator.manual_seed``.

    Raises
    ------
    TypeError
        If ``seed``, ``index`` or ``epoch`` is not an int (``epoch`` may be None).

    Notes
    -----
    ``numpy.random.SeedSequence([seed, index], spawn_key=(epoch,))`` (no ``spawn_key`` without
    an epoch; every entry taken modulo :math:`2^{64}`) hashes the triple, so nearby seeds,
    indices or epochs give unrelated streams; the seed is :math:`(w_0 2^{32} + w_1) \bmod
    2^{63}` of its first two 32-bit words :math:`w_0, w_1`. The epoch goes into the spawn key
    rather than the entropy list because ``SeedSequence`` pads the entropy with zero words:
    ``[seed, index, 0]`` would hash like ``[seed, index]``. Without ``epoch`` the result is the
    one of earlier releases.

    Examples
    --------
    >>> from pixelgrad.augment import derive_seed
    >>> derive_seed(7, 3) == derive_seed(7, 3, epoch=None)
    True
    >>> derive_seed(7, 3, epoch=0) != derive_seed(7, 3, epoch=1)
    True
    """
    fn = "derive_seed"
    entropy = [_check_int(seed, fn, "seed") & (2**64 - 1), _check_int(index, fn, "index") & (2**64 - 1)]
    epoch = _check_int(epoch, fn, "epoch", allow_none=True)
    spawn_key = () if epoch is None else (epoch & (2**64 - 1),)
    w = np.random.SeedSequence(entropy, spawn_key=spawn_key).generate_state(2)
    return ((int(w[0]) << 32) | int(w[1])) & (2**63 - 1)


def sample_generators(seed: int, indices: int | Iterable[int],
                      epoch: int | None = None) -> list[torch.Generator]:
    """One CPU generator per item, seeded with :func:`derive_seed` ``(seed, index, epoch)``.

    Parameters
    ----------
    seed : int
        The run seed.
    indices : int or iterable of int
        The items' global indices (one generator each, in this order). A single index (an
        int, a numpy integer, a 0-d integer array or tensor) gives a list of one generator,
        ready for ``generator=`` of a single image.
    epoch : int or None
        The training epoch: pass it so that an item gets new parameters every epoch (the
        same ones again when the run is repeated). ``None``: the same parameters every epoch.

    Returns
    -------
    list of torch.Generator
        Pass it as ``generator=`` to a transform: item ``index`` then gets the same
        parameters whatever the batch it is in, the batch size or the number of workers.

    Raises
    ------
    TypeError
        If ``seed``, an index or ``epoch`` is not an int (``epoch`` may be None), or
        ``indices`` is neither an int nor an iterable of ints.

    See Also
    --------
    EpochSeeds : the same with an epoch that DataLoader workers see (``set_epoch``).

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.augment import RandomGradient, sample_generators
    >>> t, x = RandomGradient(), torch.full((2, 3, 8, 8), 0.5)
    >>> e0 = t(x, generator=sample_generators(1, [4, 5], epoch=0))
    >>> bool((t(x, generator=sample_generators(1, [4, 5], epoch=0)) == e0).all())
    True
    >>> bool((t(x, generator=sample_generators(1, [4, 5], epoch=1)) == e0).all())
    False
    >>> len(sample_generators(1, 4))       # one index: a list of one generator
    1
    """
    fn = "sample_generators"
    seed = _check_int(seed, fn, "seed")
    epoch = _check_int(epoch, fn, "epoch", allow_none=True)
    return [torch.Generator().manual_seed(derive_seed(seed, i, epoch)) for i in _check_indices(indices, fn)]


class EpochSeeds:
    """Per-item generators for a run seed and a current epoch that DataLoader workers share.

    A Dataset keeps one ``EpochSeeds`` and draws ``generator=seeds.generators([index])`` in
    ``__getitem__``; the training loop calls ``set_epoch(epoch)`` before iterating the loader.
    The epoch lives in a one-element int64 tensor in shared memory, so the workers of a
    ``DataLoader(..., persistent_workers=True)`` (which keep the Dataset copy they received at
    the first epoch) read the value the main process wrote. With non-persistent workers the
    Dataset is re-sent every epoch and sees it too.

    Parameters
    ----------
    seed : int
        The run seed.
    epoch : int
        The initial epoch.

    Raises
    ------
    TypeError
        If ``seed`` or ``epoch`` is not an int.

    Notes
    -----
    Item ``i`` in epoch ``e`` draws from ``torch.Generator().manual_seed(derive_seed(seed, i,
    e))`` (:func:`derive_seed`): a different augmentation every epoch, reproducible from
    ``seed`` alone, independent of the batch size, the number of workers and which worker
    loads which item. Call ``set_epoch`` *before* ``iter(loader)`` (a ``for`` loop over the
    loader): that is when workers start loading the epoch's items, the same contract as
    ``torch.utils.data.distributed.DistributedSampler.set_epoch``. The shared tensor travels
    through torch's multiprocessing pickler, so this holds for the ``fork``, ``spawn`` and
    ``forkserver`` start methods; a plain ``pickle``/``copy.deepcopy`` makes an independent copy.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.augment import EpochSeeds, RandomGradient
    >>> class Images(torch.utils.data.Dataset):
    ...     def __init__(self, images, seed):
    ...         self.images, self.t, self.seeds = images, RandomGradient(), EpochSeeds(seed)
    ...     def __len__(self):
    ...         return len(self.images)
    ...     def __getitem__(self, i):
    ...         return self.t(self.images[i], generator=self.seeds.generators([i]))
    >>> ds = Images(torch.full((4, 3, 8, 8), 0.5), seed=0)
    >>> loader = torch.utils.data.DataLoader(ds, batch_size=2)
    >>> epochs = []
    >>> for epoch in range(2):
    ...     ds.seeds.set_epoch(epoch)         # before iterating
    ...     epochs.append(torch.cat(list(loader)))
    >>> bool((epochs[0] == epochs[1]).all())
    False
    """

    def __init__(self, seed: int, epoch: int = 0):
        self.seed = _check_int(seed, "EpochSeeds", "seed")
        self._epoch = torch.tensor([_check_int(epoch, "EpochSeeds", "epoch")], dtype=torch.int64)
        self._epoch.share_memory_()

    @property
    def epoch(self) -> int:
        """The current epoch (as last set by :meth:`set_epoch`, in any process)."""
        return int(self._epoch[0])

    def set_epoch(self, epoch: int) -> None:
        """Make ``epoch`` the current epoch for this process and every worker sharing it.

        Parameters
        ----------
        epoch : int
            The new current epoch.

        Raises
        ------
        TypeError
            If ``epoch`` is not an int.

        Examples
        --------
        >>> from pixelgrad.augment import EpochSeeds
        >>> seeds = EpochSeeds(0)
        >>> seeds.set_epoch(3)
        >>> seeds.epoch
        3
        """
        self._epoch[0] = _check_int(epoch, "EpochSeeds.set_epoch", "epoch")

    def generators(self, indices: int | Iterable[int]) -> list[torch.Generator]:
        """:func:`sample_generators` ``(seed, indices, epoch=self.epoch)``.

        Parameters
        ----------
        indices : int or iterable of int
            The items' global indices (one generator each, in this order). A single index
            (an int, a numpy integer, a 0-d integer array or tensor) gives a list of one
            generator: ``generators(i)`` is ``generators([i])``.

        Returns
        -------
        list of torch.Generator
            One CPU generator per index, for the current epoch.

        Raises
        ------
        TypeError
            If ``indices`` is neither an int nor an iterable of ints (the message names
            ``indices`` or the offending ``indices[k]``).

        Examples
        --------
        >>> import numpy as np
        >>> from pixelgrad.augment import EpochSeeds
        >>> seeds = EpochSeeds(0)
        >>> len(seeds.generators([2, 5]))
        2
        >>> g = seeds.generators(np.int64(5))       # one index: a list of one generator
        >>> g[0].initial_seed() == seeds.generators([5])[0].initial_seed()
        True
        """
        return sample_generators(self.seed, _check_indices(indices, "EpochSeeds.generators"), self.epoch)

    def __repr__(self) -> str:
        return f"EpochSeeds(seed={self.seed}, epoch={self.epoch})"


class Uniform:
    """A :meth:`Rng.draws` spec: uniform in ``[low, high]`` of per-sample shape ``size``.

    Parameters
    ----------
    low, high : float
        The bounds (``low + (high - low) * u``: exactly ``low`` when they are equal).
    *size : int
        The per-sample shape.

    Examples
    --------
    >>> Uniform(1.0, 3.0, 2).size
    (2,)
    """

    __slots__ = ("low", "high", "size")

    def __init__(self, low: float, high: float, *size: int):
        self.low, self.high, self.size = low, high, size

    def finish(self, u: np.ndarray) -> np.ndarray:
        """The values from uniform [0, 1) draws ``u`` (float64 numpy operations: a few
        microseconds less per draw than torch's)."""
        return self.low + (self.high - self.low) * u


class Integers:
    """A :meth:`Rng.draws` spec: uniform integers in ``0 .. n - 1`` of per-sample shape ``size``.

    Parameters
    ----------
    n : int
        The number of values (positive).
    *size : int
        The per-sample shape.

    Examples
    --------
    >>> Integers(4).size
    ()
    """

    __slots__ = ("n", "size")

    def __init__(self, n: int, *size: int):
        self.n, self.size = n, size

    def finish(self, u: np.ndarray) -> np.ndarray:
        """``floor(n * u)``, at most ``n - 1``, as int64."""
        return np.minimum(np.floor(u * self.n), self.n - 1).astype(np.int64)


def _check_cpu(g: Any, fn: str) -> torch.Generator:
    if not isinstance(g, torch.Generator):
        bad_type(fn, "generator", "a torch.Generator, a list of them, or None", g)
    if g.device.type != "cpu":
        bad_value(fn, "generator", "a CPU torch.Generator (parameters are always drawn on the "
                  "CPU so that CPU and GPU give the same result)", g.device)
    return g


class Rng:
    """Draws per-sample random numbers for a batch of ``B`` samples (see the module docstring).

    All draws are float64 on the CPU and have shape ``(B, *size)``.

    Parameters
    ----------
    B : int
        The batch size (number of samples).
    generator : None, torch.Generator or sequence of torch.Generator
        ``None`` (default): torch's global CPU generator, which ``torch.manual_seed`` and the
        DataLoader's per-worker seeding control. A CPU ``torch.Generator``: one ``(B, *size)``
        block per draw. A sequence of ``B`` CPU generators: sample ``i`` draws only from
        generator ``i``.
    seed : int or None
        Shorthand for ``generator=torch.Generator().manual_seed(seed)``; must be omitted when
        ``generator`` is given.
    fn : str
        The name of the calling function, used in error messages.

    Raises
    ------
    TypeError
        If ``seed`` is not an int, or ``generator`` is not a ``torch.Generator``, a list of
        them, or None.
    ValueError
        If both ``seed`` and ``generator`` are given, a generator is not on the CPU, or a list
        of generators does not have ``B`` entries.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.augment._rng import Rng
    >>> Rng(2, seed=0).uniform(1.0, 3.0, 4).shape
    torch.Size([2, 4])
    >>> def gens(*seeds):
    ...     return [torch.Generator().manual_seed(s) for s in seeds]
    >>> a, b = Rng(2, gens(1, 2)).rand(3), Rng(1, gens(2)).rand(3)
    >>> bool((a[1] == b[0]).all())
    True
    >>> Rng(3, seed=0).integers(5).dtype
    torch.int64
    """

    def __init__(self, B: int, generator: Any = None, seed: Any = None, fn: str = "augment"):
        self.B = B
        self.gens: Sequence[torch.Generator] | None = None
        if seed is not None:
            if generator is not None:
                bad_value(fn, "seed", "omitted when `generator` is given", seed)
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
                bad_type(fn, "seed", "an int", seed)
            self.gen = torch.Generator().manual_seed(int(seed))
        elif generator is None:
            self.gen = torch.default_generator
        elif isinstance(generator, (list, tuple)):
            if len(generator) != B:
                bad_value(fn, "generator", f"a list of {B} generators (one per sample)",
                          f"a list of {len(generator)}")
            self.gens = [_check_cpu(g, fn) for g in generator]
            self.gen = None
        else:
            self.gen = _check_cpu(generator, fn)
        self._gate_p: float | None = None        # a gate drawn with the next block (defer_gate)
        self._gate: np.ndarray | None = None

    def _block(self, sizes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
        """Uniform [0, 1) float64 draws of per-sample shapes ``sizes``, as numpy arrays
        ``(B, *size)``, from one ``torch.rand`` call per generator.

        torch fills a CPU float64 tensor serially from the generator, so one draw of the
        total count gives exactly the numbers of the consecutive draws (tested): draw ``i``
        is the ``i``-th block of a shared generator's stream, or of each sample's own. A
        gate left by :meth:`defer_gate` is drawn first, in the same block.
        """
        gate_p = self._gate_p
        if gate_p is not None:
            sizes = [(), *sizes]
            self._gate_p = None
        counts = [math.prod(sz) for sz in sizes]
        B = self.B
        out = []
        if self.gens is None:
            flat = torch.rand(B * sum(counts), generator=self.gen, dtype=torch.float64).numpy()
            o = 0
            for sz, c in zip(sizes, counts):
                out.append(flat[o:o + B * c].reshape(B, *sz))
                o += B * c
        else:
            total = sum(counts)
            rows = (torch.stack([torch.rand(total, generator=g, dtype=torch.float64) for g in self.gens])
                    if B else torch.empty((0, total), dtype=torch.float64)).numpy()
            o = 0
            for sz, c in zip(sizes, counts):
                out.append(np.ascontiguousarray(rows[:, o:o + c]).reshape(B, *sz))
                o += c
        if gate_p is not None:
            self._gate = out.pop(0) < gate_p
        return out

    def defer_gate(self, p: float) -> None:
        """Draw the ``(B,)`` gate ``rand() < p`` with the next draw (one ``torch.rand`` for
        both: the same numbers as :meth:`bernoulli` now, then that draw); collect it with
        :meth:`take_gate`.

        Parameters
        ----------
        p : float
            The probability of True, in ``[0, 1]``.

        Raises
        ------
        RuntimeError
            If a deferred gate is still pending (take it first).
        """
        if self._gate_p is not None or self._gate is not None:
            raise RuntimeError("Rng.defer_gate: a deferred gate is still pending")
        self._gate_p = float(p)

    def take_gate(self) -> torch.Tensor:
        """The gate of :meth:`defer_gate` (drawn now if no draw came after it).

        Returns
        -------
        torch.Tensor
            Bool CPU tensor of shape ``(B,)``.
        """
        if self._gate_p is not None:
            self._block([])
        gate, self._gate = self._gate, None
        if gate is None:
            raise RuntimeError("Rng.take_gate: no deferred gate (call defer_gate first)")
        return torch.from_numpy(gate)

    def draws(self, *specs: "Uniform | Integers") -> list[torch.Tensor]:
        """Several draws in one ``torch.rand`` call: the values of the same
        :meth:`uniform` / :meth:`integers` calls made in turn.

        Parameters
        ----------
        *specs : Uniform or Integers
            What to draw, in order.

        Returns
        -------
        list of torch.Tensor
            One per spec: float64 ``(B, *size)`` for :class:`Uniform`, int64 for
            :class:`Integers`.

        Examples
        --------
        >>> a = Rng(2, seed=0).draws(Uniform(1.0, 3.0), Integers(5, 2))
        >>> r = Rng(2, seed=0)
        >>> b = [r.uniform(1.0, 3.0), r.integers(5, 2)]
        >>> all(bool((u == v).all()) for u, v in zip(a, b))
        True
        """
        blocks = self._block([sp.size for sp in specs])
        return [torch.from_numpy(sp.finish(u)) for sp, u in zip(specs, blocks)]

    def rand(self, *size: int) -> torch.Tensor:
        """Uniform [0, 1) float64, shape ``(B, *size)``.

        Parameters
        ----------
        *size : int
            The per-sample shape.

        Returns
        -------
        torch.Tensor
            Float64 CPU tensor of shape ``(B, *size)``.
        """
        return torch.from_numpy(self._block([size])[0])

    def uniform(self, low: float, high: float, *size: int) -> torch.Tensor:
        """Uniform in [low, high] (exactly ``low`` when ``low == high``), ``(B, *size)``.

        Parameters
        ----------
        low, high : float
            The bounds of the interval.
        *size : int
            The per-sample shape.

        Returns
        -------
        torch.Tensor
            Float64 CPU tensor of shape ``(B, *size)``: ``low + (high - low) * rand(*size)``.
        """
        return torch.from_numpy(Uniform(low, high, *size).finish(self._block([size])[0]))

    def integers(self, n: int, *size: int) -> torch.Tensor:
        """Uniform integers in ``0 .. n - 1`` (int64), ``(B, *size)``.

        Parameters
        ----------
        n : int
            The number of values (positive).
        *size : int
            The per-sample shape.

        Returns
        -------
        torch.Tensor
            Int64 CPU tensor of shape ``(B, *size)``: ``floor(n * rand(*size))``, at most
            ``n - 1``.
        """
        return torch.from_numpy(Integers(n, *size).finish(self._block([size])[0]))

    def bernoulli(self, p: float) -> torch.Tensor:
        """``(B,)`` bool, True with probability ``p``.

        Parameters
        ----------
        p : float
            The probability of True, in ``[0, 1]``.

        Returns
        -------
        torch.Tensor
            Bool CPU tensor of shape ``(B,)``: ``rand() < p``.
        """
        return self.rand() < p
