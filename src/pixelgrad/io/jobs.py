"""The job engine of ``pixelgrad augment``: one job skeleton (:func:`run_job`) and the local
engine (:class:`LocalEngine`, :func:`run_local`).

:func:`run_job` owns everything both engines share: the outputs left to do (resume from the
manifest, :func:`pending_items`), the chunks (:func:`make_chunks`), the manifest writer, the
progress bar, the summary (:class:`JobSummary`) and the failure reports (each distinct
``(input, reason)`` once, an item reported twice by a retried chunk counted once). An *engine*
(:class:`Engine`) only maps chunks of :class:`~pixelgrad.io.dataset.WorkItem` to typed item
outcomes, :class:`ItemResult` (the file is durably written; here is its manifest line) or
:class:`ItemFailure` (the input and why), through the same two steps everywhere:
:func:`process_chunk` (decode, augment, encode: :class:`Encoded` or :class:`ItemFailure`) and
:func:`write_chunk` (atomic writes). The Ray engine is
:class:`pixelgrad.scale.ray_engine.RayEngine`.

Data flow of the local engine::

    chunk of batch_size outputs --(worker thread: decode -> group by (shape, dtype)
        -> apply_pipeline on device -> encode)--> I/O thread: per file temp file, fsync, rename
        --> calling thread: run_job's emit -> manifest line (job order)

Why this shape (measured on a busy 2-core machine, see docs/scale.md): parallelism comes from
running chunks side by side, so on the CPU every op runs single-threaded (torch and OpenCV
intra-op threads on top of the chunk threads oversubscribe the cores, and torch's OpenMP
barriers then cost 2-25x); each chunk stays in one thread, in cache, from decode to encode;
fsync is mostly latency (3-4 ms a file on this machine's ext4), overlapped with the compute by
the I/O threads.

A *chunk* is ``batch_size`` consecutive outputs of the planned job (:func:`make_chunks`); the
images of a chunk with equal shape and dtype form one batch. Chunks depend only on the job and
``batch_size``, never on thread timing, and :func:`run_job` gives both engines the very same
chunks, so outputs are byte-identical whatever ``workers`` is and whichever engine runs the job
(each image also has its own seed, so which images share a batch does not change the
parameters drawn).
"""
from __future__ import annotations

import collections
import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence, Union

import numpy as np

from .atomic import atomic_write
from .batch_apply import apply_pipeline
from .dataset import WorkItem
from .header import DEFAULT_MAX_PIXELS
from .images import encode_image, read_image
from .manifest import MANIFEST_NAME, ManifestWriter, compact_manifest, read_manifest

__all__ = ["JobSummary", "ItemResult", "ItemFailure", "ItemOutcome", "Encoded", "Engine",
           "EngineStopped", "run_job", "LocalEngine", "run_local", "pending_items", "make_chunks",
           "augment_chunk", "process_chunk", "write_chunk", "write_output", "write_file",
           "write_files", "decode", "record", "reason", "single_threaded_ops", "io_threads"]


@dataclass
class JobSummary:
    """What a run did.

    Attributes
    ----------
    total : int
        Outputs in the planned job.
    done : int
        Outputs written (and recorded in the manifest).
    skipped : int
        Outputs already done (``--resume``).
    failed : list of (str, str)
        ``(input path, reason)``, one per failed output.
    seconds : float
        Wall time of the run.

    Examples
    --------
    >>> s = JobSummary(total=4, done=3, failed=[("IN/b.png", "corrupt")], seconds=2.0)
    >>> s.exit_code, s.text()
    (1, 'done 3, skipped 0, failed 1 of 4 outputs in 2.00 s (1.5 images/s)')
    """

    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, else 1."""
        return 1 if self.failed else 0

    def text(self) -> str:
        """One line for the end of a run: counts, wall time and images per second."""
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        return (f"done {self.done}, skipped {self.skipped}, failed {len(self.failed)} "
                f"of {self.total} outputs in {self.seconds:.2f} s ({rate:.1f} images/s)")


@dataclass(frozen=True)
class Encoded:
    """An output decoded, augmented and encoded, not yet written (the compute step's result).

    Attributes
    ----------
    item : WorkItem
        The output.
    data : bytes
        The file's content, in the format of ``item.dst``'s suffix.
    params : dict
        The parameters drawn for it (JSON-serializable).

    Examples
    --------
    >>> from pathlib import Path
    >>> it = WorkItem(Path("IN/a.png"), "a.png", 0, Path("OUT/a.png"), "a.png", 7)
    >>> Encoded(it, b"\\x89PNG", {"sigma": 1.0}).item.out_rel
    'a.png'
    """

    item: WorkItem
    data: bytes
    params: dict[str, Any]


@dataclass(frozen=True)
class ItemResult:
    """An output durably written into OUT (renamed into place), with its manifest line.

    Attributes
    ----------
    item : WorkItem
        The output.
    record : dict
        Its manifest line (:func:`record`).

    Examples
    --------
    >>> from pathlib import Path
    >>> it = WorkItem(Path("IN/a.png"), "a.png", 0, Path("OUT/a.png"), "a.png", 7)
    >>> ItemResult(it, record(it, {})).record["output"]
    'a.png'
    """

    item: WorkItem
    record: dict[str, Any]


@dataclass(frozen=True)
class ItemFailure:
    """An output that could not be made: its input is reported with the reason.

    Attributes
    ----------
    item : WorkItem
        The output.
    reason : str
        Why (one line, naming the file when it helps: "cannot write OUT/a.png: ...").

    Examples
    --------
    >>> from pathlib import Path
    >>> it = WorkItem(Path("IN/a.png"), "a.png", 0, Path("OUT/a.png"), "a.png", 7)
    >>> ItemFailure(it, "corrupt").source
    'IN/a.png'
    """

    item: WorkItem
    reason: str

    @property
    def source(self) -> str:
        """The input path as text (what the failure report names)."""
        return str(self.item.src)


#: what an engine reports for each output of a chunk
ItemOutcome = Union[ItemResult, ItemFailure]


class EngineStopped(RuntimeError):
    """Raised by an engine that gave up before reporting every output (e.g. Ray lost its
    workers): :func:`run_job` reports the outputs not yet reported as failed, to be finished by
    ``--resume``. The message says what stopped.

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what stopped the engine.

    Examples
    --------
    >>> str(EngineStopped("Ray job stopped (RayTaskError: worker died)"))
    'Ray job stopped (RayTaskError: worker died)'
    """


class Engine(Protocol):
    """What :func:`run_job` needs from an engine: map chunks of work items to item outcomes.

    An engine decodes, augments, encodes and atomically writes the outputs of each chunk, in
    whatever order and wherever it likes, and reports them through ``emit`` **from the thread
    that called** :meth:`run`, each only once its file is durably renamed into place. Everything
    else (which items to do, the chunks, the manifest, progress, the summary, failure reports)
    belongs to :func:`run_job`.

    Attributes
    ----------
    label : str
        Name of the progress bar (``"augment"``, ``"augment[ray]"``).

    Examples
    --------
    >>> class Failing:
    ...     label = "fail"
    ...     def run(self, chunks, emit):
    ...         for chunk in chunks:
    ...             emit([ItemFailure(it, "no") for it in chunk])
    >>> isinstance(Failing().label, str)
    True
    """

    label: str

    def run(self, chunks: Sequence[Sequence[WorkItem]],
            emit: Callable[[Sequence[ItemOutcome]], None]) -> None:
        """Process every chunk, calling ``emit`` with outcomes as outputs are written.

        Each item is reported at least once (a retried chunk may be reported again: the
        duplicates are ignored). On an interruption (``KeyboardInterrupt``, a bug), emit the
        :class:`ItemResult` of every file already written, then re-raise. Raise
        :class:`EngineStopped` when the engine gives up on the remaining items.
        """


def reason(exc: BaseException) -> str:
    """Short text of an exception for the failure report.

    Parameters
    ----------
    exc : BaseException
        The exception.

    Returns
    -------
    str
        Its message (the class name when empty), prefixed by the class name unless it is a
        ``ValueError`` or ``OSError`` (whose messages already say what went wrong).

    Examples
    --------
    >>> reason(ValueError("bad size")), reason(KeyError("k"))
    ('bad size', "KeyError: 'k'")
    """
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, (ValueError, OSError)) else f"{type(exc).__name__}: {text}"


def decode(path: Path, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read one input image.

    Parameters
    ----------
    path : pathlib.Path
        The input file.
    max_pixels : int or None, default DEFAULT_MAX_PIXELS
        Limit on the declared size, checked from the header before decoding.

    Returns
    -------
    numpy.ndarray
        ``(H, W[, C])`` uint8 / uint16 (see :func:`pixelgrad.io.images.read_image`).

    Raises
    ------
    ValueError
        For an unreadable or too large image (the message names the path).
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> img = decode(items[0].src)
    >>> img.shape, img.dtype
    ((8, 8, 3), dtype('uint8'))
    """
    return read_image(path, max_pixels=max_pixels)


def write_file(path: Path, data: bytes, root: Path | None = None) -> None:
    """Write ``data`` to ``path`` atomically: :func:`pixelgrad.io.atomic.atomic_write`.

    Temporary file, fsync, rename, with the usual ``0o666 & ~umask`` permissions.

    Parameters
    ----------
    path : pathlib.Path
        The final file.
    data : bytes
        The content.
    root : pathlib.Path, optional
        The output folder: no folder between ``root`` and ``path`` may be a symlink.

    Raises
    ------
    OSError
        If writing fails (``path`` is then untouched); :class:`pixelgrad.io.atomic.SymlinkError`
        for a symlinked folder under ``root``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp())
    >>> write_file(out / "a.txt", b"zz", root=out)
    >>> (out / "a.txt").read_bytes()
    b'zz'
    """
    atomic_write(path, data, root=root)


def write_output(item: WorkItem, image: np.ndarray, root: Path | None = None) -> None:
    """Encode ``image`` in the format of ``item.dst``'s suffix and write it atomically.

    Parameters
    ----------
    item : WorkItem
        The output (its ``dst`` gives the file and format).
    image : numpy.ndarray
        ``(H, W[, C])`` image.
    root : pathlib.Path, optional
        As :func:`write_file`.

    Raises
    ------
    ValueError
        If the image cannot be encoded in that format.
    OSError
        If writing fails.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> write_output(items[0], np.full((8, 8, 3), 9, np.uint8))
    >>> int(decode(items[0].dst).max())
    9
    """
    write_file(item.dst, encode_image(image, item.dst.suffix), root)


def record(item: WorkItem, params: dict[str, Any]) -> dict[str, Any]:
    """The manifest line of a finished output.

    Parameters
    ----------
    item : WorkItem
        The output.
    params : dict
        The parameters drawn for it (JSON-serializable).

    Returns
    -------
    dict
        ``{"output", "input", "copy", "seed", "params"}``.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> rec = record(items[1], {"sigma": 0.7})
    >>> rec["output"], rec["input"], rec["copy"], rec["params"]
    ('a_1.png', 'a.png', 1, {'sigma': 0.7})
    """
    return {"output": item.out_rel, "input": item.rel, "copy": item.copy, "seed": item.seed,
            "params": params}


def pending_items(items: Sequence[WorkItem], out: Path, resume: bool) -> tuple[list[WorkItem], int]:
    """Split the planned outputs into those to (re)do and the count of skipped ones.

    Parameters
    ----------
    items : sequence of WorkItem
        The planned job.
    out : pathlib.Path
        The output folder (its ``manifest.jsonl`` is read).
    resume : bool
        Skip outputs that exist *and* have a manifest line; without it everything is redone.
        Either way the manifest is compacted (:func:`pixelgrad.io.manifest.compact_manifest`):
        the lines of the outputs to redo are dropped (they are appended again when written),
        so it keeps one line per output.

    Returns
    -------
    (list of WorkItem, int)
        ``(to_do, skipped)``, ``to_do`` in job order.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> blur = augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0)
    >>> _ = run_local(items[:1], blur, d / "OUT", progress=False)     # the first output only
    >>> todo, skipped = pending_items(items, d / "OUT", resume=True)
    >>> [it.out_rel for it in todo], skipped
    (['a_1.png'], 1)
    """
    if not resume:
        todo = list(items)
    else:
        done = read_manifest(Path(out) / MANIFEST_NAME)
        todo = [it for it in items if not (it.out_rel in done and it.dst.is_file())]
    # one line per output: the ones redone get theirs again when written
    compact_manifest(Path(out) / MANIFEST_NAME, redo={it.out_rel for it in todo})
    return todo, len(items) - len(todo)


def make_chunks(items: Sequence[WorkItem], todo: Sequence[WorkItem], batch_size: int) -> list[list[WorkItem]]:
    """Cut the planned job into chunks of ``batch_size`` consecutive outputs.

    Both engines batch by these chunks, which depend only on the job and ``batch_size`` (so
    a resumed run batches the remaining outputs as the first run would have).

    Parameters
    ----------
    items : sequence of WorkItem
        The whole planned job.
    todo : sequence of WorkItem
        The outputs still to do (elements of ``items``).
    batch_size : int
        Outputs per chunk, >= 1.

    Returns
    -------
    list of list of WorkItem
        The ``todo`` outputs of each run of ``batch_size`` items; empty chunks dropped.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> [[it.out_rel for it in c] for c in make_chunks(items, items, 1)]
    [['a_0.png'], ['a_1.png']]
    >>> [[it.out_rel for it in c] for c in make_chunks(items, items[1:], 2)]
    [['a_1.png']]
    """
    keep = {id(it) for it in todo}
    chunks = [[it for it in items[i:i + batch_size] if id(it) in keep]
              for i in range(0, len(items), batch_size)]
    return [c for c in chunks if c]


def augment_chunk(pipeline: Callable, chunk: Sequence[WorkItem], images: dict[Path, Any], *,
                  device: str = "cpu") -> list[tuple[np.ndarray, dict] | ItemFailure]:
    """Augment the outputs of one chunk (images of equal shape as one batch).

    Parameters
    ----------
    pipeline : callable
        A :class:`pixelgrad.augment.Transform`.
    chunk : sequence of WorkItem
        The outputs.
    images : dict
        Maps each source path to its decoded array, or to the exception that stopped its
        decoding.
    device : str, default "cpu"
        Where the pipeline runs.

    Returns
    -------
    list of (numpy.ndarray, dict) or ItemFailure
        Per item ``(image, params)`` or why it failed.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> blur = augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0)
    >>> res = augment_chunk(blur, items, {items[0].src: decode(items[0].src)})
    >>> [(img.shape, params["type"]) for img, params in res]
    [((8, 8, 3), 'RandomGaussianBlur'), ((8, 8, 3), 'RandomGaussianBlur')]
    >>> augment_chunk(blur, items[:1], {items[0].src: ValueError("corrupt")})[0].reason
    'corrupt'
    """
    results: list[Any] = [None] * len(chunk)
    ok = []
    for i, it in enumerate(chunk):
        img = images[it.src]
        if isinstance(img, BaseException):
            results[i] = ItemFailure(it, reason(img))
        else:
            ok.append(i)
    out = apply_pipeline(pipeline, [images[chunk[i].src] for i in ok], [chunk[i].seed for i in ok],
                         device=device)
    for i, res in zip(ok, out):
        results[i] = (ItemFailure(chunk[i], f"augmentation failed: {reason(res)}")
                      if isinstance(res, BaseException) else res)
    return results


def process_chunk(pipeline: Callable, chunk: Sequence[WorkItem], *, device: str = "cpu",
                  max_pixels: int | None = DEFAULT_MAX_PIXELS) -> list[Encoded | ItemFailure]:
    """Decode, augment and encode one chunk (no file is written).

    A source shared by several outputs of the chunk (``--copies``) is decoded once; no
    exception escapes (each is reported per output).

    Parameters
    ----------
    pipeline : callable
        A :class:`pixelgrad.augment.Transform`.
    chunk : sequence of WorkItem
        The outputs.
    device : str, default "cpu"
        Where the pipeline runs.
    max_pixels : int or None, default DEFAULT_MAX_PIXELS
        As :func:`decode`.

    Returns
    -------
    list of Encoded or ItemFailure
        Per item its encoded file (in the format of its output suffix) and parameters, or why
        it failed.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> blur = augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0)
    >>> res = process_chunk(blur, items)
    >>> [r.data[:4] for r in res]
    [b'\\x89PNG', b'\\x89PNG']
    """
    images: dict[Path, Any] = {}
    for it in chunk:
        if it.src not in images:
            try:
                images[it.src] = decode(it.src, max_pixels)
            except Exception as exc:  # noqa: BLE001 - reported per output, never aborts the run
                images[it.src] = exc
    results: list[Encoded | ItemFailure] = []
    for it, res in zip(chunk, augment_chunk(pipeline, chunk, images, device=device)):
        if isinstance(res, ItemFailure):
            results.append(res)
            continue
        try:
            results.append(Encoded(it, encode_image(res[0], it.dst.suffix), res[1]))
        except Exception as exc:  # noqa: BLE001
            results.append(ItemFailure(it, f"cannot write {it.dst}: {reason(exc)}"))
    return results


def write_chunk(encoded: Sequence[Encoded | ItemFailure], root: Path | None = None) -> list[ItemOutcome]:
    """Write the encoded outputs of one chunk atomically, file after file.

    Parameters
    ----------
    encoded : sequence of Encoded or ItemFailure
        What :func:`process_chunk` returned (failures pass through).
    root : pathlib.Path, optional
        The output folder (never written through a symlink under it, see :func:`write_file`).

    Returns
    -------
    list of ItemResult or ItemFailure
        Per item, in order: written (with its manifest line), or why not.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> blur = augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0)
    >>> (d / "OUT").mkdir()
    >>> res = write_chunk(process_chunk(blur, items), d / "OUT")
    >>> [r.record["output"] for r in res], sorted(p.name for p in (d / "OUT").iterdir())
    (['a_0.png', 'a_1.png'], ['a_0.png', 'a_1.png'])
    """
    todo = [e for e in encoded if isinstance(e, Encoded)]
    errors = iter(write_files([(e.item.dst, e.data) for e in todo], root))
    results: list[ItemOutcome] = []
    for e in encoded:
        if isinstance(e, ItemFailure):
            results.append(e)
            continue
        exc = next(errors)
        results.append(ItemResult(e.item, record(e.item, e.params)) if exc is None else
                       ItemFailure(e.item, f"cannot write {e.item.dst}: {reason(exc)}"))
    return results


def io_threads(workers: int) -> int:
    """Number of threads that write files (one chunk per task, file after file).

    Parameters
    ----------
    workers : int
        Compute threads of the run.

    Returns
    -------
    int
        ``max(2, workers // 2)``.

    Notes
    -----
    On 2 cores, one task per file over 4 threads cost ~15% more CPU, in GIL and thread
    hand-offs, than one task per chunk; 2 threads leave fsync headroom: one alone was 70-80%
    busy (measured on a busy machine).

    Examples
    --------
    >>> io_threads(1), io_threads(8)
    (2, 4)
    """
    return max(2, int(workers) // 2)


def write_files(jobs: Sequence[tuple[Path, bytes]], root: Path | None = None) -> list[Exception | None]:
    """:func:`write_file` each ``(path, data)`` in order, collecting the errors.

    Parameters
    ----------
    jobs : sequence of (pathlib.Path, bytes)
        Files to write.
    root : pathlib.Path, optional
        As :func:`write_file` (never through a symlink under it).

    Returns
    -------
    list of Exception or None
        Per file ``None`` or the error that stopped it (the others are still written).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp())
    >>> errors = write_files([(out / "a.bin", b"1"), (out / "a.bin" / "b.bin", b"2")], out)
    >>> errors[0] is None, isinstance(errors[1], OSError)
    (True, True)
    """
    errors: list[Exception | None] = []
    for path, data in jobs:
        try:
            write_file(path, data, root)
            errors.append(None)
        except Exception as exc:  # noqa: BLE001 - reported per output by the caller
            errors.append(exc)
    return errors


@contextlib.contextmanager
def single_threaded_ops(device: str | Any = "cpu") -> Iterator[None]:
    """Context manager running torch and OpenCV ops single-threaded on a CPU device.

    The engine parallelises across chunks instead. The previous settings are restored on
    exit; they are process-wide, so threads started inside pick them up. No-op for other
    devices. The torch part is :func:`pixelgrad.restore.result.single_thread` (one
    implementation, in ``pixelgrad._threads``); OpenCV's thread count is set here.

    Parameters
    ----------
    device : str or torch.device, default "cpu"
        The run's device.

    Returns
    -------
    contextlib.AbstractContextManager of None

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with single_threaded_ops("cpu"):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    import cv2
    import torch

    from .._threads import single_thread

    if torch.device(device).type != "cpu":
        yield
        return
    cv_threads = cv2.getNumThreads()
    with single_thread():
        cv2.setNumThreads(1)
        try:
            yield
        finally:
            cv2.setNumThreads(cv_threads)


def run_job(items: Sequence[WorkItem], out: str | Path, engine: Engine, *, batch_size: int = 16,
            resume: bool = False, progress: bool = True,
            on_fail: Callable[[str, str], None] | None = None) -> JobSummary:
    """Run the planned job ``items`` with ``engine``, appending to ``OUT/manifest.jsonl``.

    The one job skeleton of both engines: which outputs are left (:func:`pending_items`, which
    also compacts the manifest), the chunks (:func:`make_chunks`), the manifest writer, the
    progress bar, the summary and the failure reports. The engine only maps chunks to
    :class:`ItemResult` / :class:`ItemFailure` (see :class:`Engine`).

    Parameters
    ----------
    items : sequence of WorkItem
        The planned job (:func:`pixelgrad.io.dataset.plan_outputs` with the same OUT).
    out : str or pathlib.Path
        The output folder.
    engine : Engine
        Maps chunks to item outcomes (:class:`LocalEngine`,
        :class:`pixelgrad.scale.ray_engine.RayEngine`).
    batch_size : int, default 16
        Outputs per chunk.
    resume : bool, default False
        Skip outputs that exist and have a manifest line.
    progress : bool, default True
        Show a progress bar.
    on_fail : callable, optional
        Called as ``on_fail(input_path, reason)`` once per distinct ``(path, reason)`` (a
        corrupt input with ``--copies 3`` fails three outputs, reported once).

    Returns
    -------
    JobSummary
        One ``failed`` entry per failed output. An item reported twice (a retried chunk) is
        counted once. If the engine gives up (:class:`EngineStopped`), the outputs it did not
        report are failed with "rerun with --resume to finish".

    Raises
    ------
    OSError
        If the manifest cannot be written (the run stops).

    Notes
    -----
    A manifest line is appended only for an :class:`ItemResult`, which an engine reports only
    after its file is durably renamed into place; so after a crash every manifest line names a
    complete file, and ``--resume`` redoes the rest. On an interruption the engine first
    reports the files already written, whose lines are appended before the exception goes on.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=3)
    >>> class Refusing:                       # an engine that fails everything, twice
    ...     label = "refuse"
    ...     def run(self, chunks, emit):
    ...         for chunk in chunks + chunks:
    ...             emit([ItemFailure(it, "refused") for it in chunk])
    >>> seen = []
    >>> s = run_job(items, d / "OUT", Refusing(), batch_size=2, progress=False,
    ...             on_fail=lambda path, why: seen.append(why))
    >>> s.text()[:38], seen
    ('done 0, skipped 0, failed 3 of 3 outpu', ['refused'])
    """
    from tqdm import tqdm

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo, skipped = pending_items(items, out, resume)
    summary = JobSummary(total=len(items), skipped=skipped)
    chunks = make_chunks(items, todo, max(1, int(batch_size)))
    reported: set[tuple[str, str]] = set()      # (path, reason) given to on_fail
    seen: set[str] = set()                      # out_rel of every item already counted
    bar = tqdm(total=len(todo), unit="img", desc=engine.label, disable=not progress,
               smoothing=0.1, dynamic_ncols=True)

    def fail(item: WorkItem, why: str) -> None:
        path = str(item.src)
        summary.failed.append((path, why))
        if on_fail is not None and (path, why) not in reported:
            reported.add((path, why))
            on_fail(path, why)

    try:
        with ManifestWriter(out / MANIFEST_NAME, append=True) as manifest:

            def emit(outcomes: Sequence[ItemOutcome]) -> None:
                for res in outcomes:
                    if res.item.out_rel in seen:      # a retried chunk's, already counted
                        continue
                    seen.add(res.item.out_rel)
                    if isinstance(res, ItemResult):
                        manifest.write(res.record)
                        summary.done += 1
                    else:
                        fail(res.item, res.reason)
                    bar.update(1)

            if chunks:
                try:
                    engine.run(chunks, emit)
                except EngineStopped as exc:
                    why = f"{exc}; rerun with --resume to finish"
                    for item in (it for chunk in chunks for it in chunk):
                        if item.out_rel not in seen:
                            seen.add(item.out_rel)
                            fail(item, why)
                            bar.update(1)
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - t0
    return summary


class LocalEngine:
    """The local engine: ``workers`` threads each take a whole chunk (:func:`process_chunk`:
    decode, augment, encode), a few I/O threads write each chunk's files (:func:`write_chunk`),
    and the calling thread reports each chunk, in job order, once its files are written.

    Parameters
    ----------
    pipeline : callable
        A :class:`pixelgrad.augment.Transform`.
    workers : int, default 2
        Chunks processed at the same time (threads).
    device : str, default "cpu"
        Where the pipeline runs; on a CPU each op runs single-threaded during the run
        (:func:`single_threaded_ops`).
    out : pathlib.Path, optional
        The output folder (files are never written through a symlink under it).
    max_pixels : int or None, default DEFAULT_MAX_PIXELS
        As :func:`decode`.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=3)
    >>> (d / "OUT").mkdir()
    >>> engine = LocalEngine(augment.RandomGaussianBlur(sigma=1.0), workers=1, out=d / "OUT")
    >>> got = []
    >>> engine.run(make_chunks(items, items, 2), got.extend)
    >>> [type(r).__name__ for r in got]
    ['ItemResult', 'ItemResult', 'ItemResult']
    """

    label = "augment"

    def __init__(self, pipeline: Callable, *, workers: int = 2, device: str = "cpu",
                 out: Path | None = None, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> None:
        self.pipeline, self.device, self.out, self.max_pixels = pipeline, device, out, max_pixels
        self.workers = max(1, int(workers))

    def run(self, chunks: Sequence[Sequence[WorkItem]],
            emit: Callable[[Sequence[ItemOutcome]], None]) -> None:
        """Process ``chunks`` (see :class:`Engine`); at most ``2 * workers`` chunks are in
        flight and ``2 * io_threads(workers)`` wait to be written (bounded memory)."""
        workers = self.workers
        pending: collections.deque[Future] = collections.deque()    # compute, in job order
        writes: collections.deque[Future] = collections.deque()     # writes, in job order
        max_writes = 2 * io_threads(workers)
        ahead = 2 * workers

        with single_threaded_ops(self.device), \
                ThreadPoolExecutor(workers, thread_name_prefix="pg-work") as work, \
                ThreadPoolExecutor(io_threads(workers), thread_name_prefix="pg-write") as writers:

            def submit(chunk: Sequence[WorkItem]) -> None:
                pending.append(work.submit(process_chunk, self.pipeline, chunk, device=self.device,
                                           max_pixels=self.max_pixels))

            def drain(limit: int) -> None:
                while len(writes) > limit:
                    emit(writes.popleft().result())

            todo_chunks = iter(chunks)
            try:
                for chunk in todo_chunks:
                    submit(chunk)
                    if len(pending) >= ahead:
                        break
                while pending:
                    encoded = pending.popleft().result()
                    nxt = next(todo_chunks, None)
                    if nxt is not None:
                        submit(nxt)
                    writes.append(writers.submit(write_chunk, encoded, self.out))
                    drain(max_writes)
                drain(0)
            except BaseException:  # Ctrl-C or a bug: report what is already written, then stop
                for fut in pending:
                    fut.cancel()
                for fut in writes:
                    with contextlib.suppress(BaseException):
                        emit([r for r in fut.result() if isinstance(r, ItemResult)])
                writes.clear()
                raise


def run_local(items: Sequence[WorkItem], pipeline: Callable, out: str | Path, *, workers: int = 2,
              batch_size: int = 16, device: str = "cpu", resume: bool = False,
              progress: bool = True, on_fail: Callable[[str, str], None] | None = None,
              max_pixels: int | None = DEFAULT_MAX_PIXELS) -> JobSummary:
    """Run the planned job ``items`` with ``pipeline`` on local threads: :func:`run_job` with a
    :class:`LocalEngine`.

    Never raises for a bad image: it is counted in ``failed`` and reported through
    ``on_fail(path, reason)``.

    Parameters
    ----------
    items : sequence of WorkItem
        The planned job (:func:`pixelgrad.io.dataset.plan_outputs` with the same OUT).
    pipeline : callable
        A :class:`pixelgrad.augment.Transform`.
    out : str or pathlib.Path
        The output folder.
    workers : int, default 2
        Chunks processed at the same time (threads).
    batch_size : int, default 16
        Outputs per chunk (:func:`make_chunks`).
    device : str, default "cpu"
        Where the pipeline runs.
    resume : bool, default False
        Skip outputs that exist and have a manifest line (:func:`pending_items`).
    progress : bool, default True
        Show a progress bar.
    on_fail : callable, optional
        Called as ``on_fail(input_path, reason)`` once per distinct failure.
    max_pixels : int or None, default DEFAULT_MAX_PIXELS
        As :func:`decode`.

    Returns
    -------
    JobSummary
        Counts, failures with reasons, wall time.

    Raises
    ------
    OSError
        If the manifest cannot be written (the run stops).

    Notes
    -----
    Without ``resume`` every output is redone; the lines of the outputs redone are dropped
    from the manifest first and appended again as each is written, so it keeps one line per
    file in OUT. Files are
    written under OUT without following symlinks (:func:`pixelgrad.io.atomic.atomic_write`).
    The caller holds OUT's lock (:func:`pixelgrad.io.outdir.job_directory`, as the CLI does).

    ``workers`` chunks are processed at the same time (threads: decoding, the pipeline's ops and
    encoding release the GIL); on a CPU device each op runs single-threaded meanwhile
    (:func:`single_threaded_ops`). Outputs do not depend on ``workers``: a chunk is always
    augmented as the same batches. Manifest lines are appended in job order, each one after its
    file is durably renamed into place.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pixelgrad import augment
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.io.dataset import collect_inputs, plan_outputs
    >>> d = Path(tempfile.mkdtemp()); (d / "IN").mkdir()
    >>> write_image(d / "IN" / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT", copies=2)
    >>> blur = augment.RandomGaussianBlur(sigma=(0.5, 1.0), p=1.0)
    >>> (d / "IN" / "b.png").write_bytes(b"not a png")
    9
    >>> items = plan_outputs(*collect_inputs(d / "IN"), d / "OUT")
    >>> summary = run_local(items, blur, d / "OUT", progress=False)
    >>> summary.done, len(summary.failed), summary.exit_code
    (1, 1, 1)
    >>> sorted(p.name for p in (d / "OUT").iterdir())
    ['a.png', 'manifest.jsonl']
    """
    engine = LocalEngine(pipeline, workers=workers, device=device, out=Path(out),
                         max_pixels=max_pixels)
    return run_job(items, out, engine, batch_size=batch_size, resume=resume, progress=progress,
                   on_fail=on_fail)
