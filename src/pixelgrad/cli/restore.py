"""``pixelgrad restore``: inpaint, deblur or denoise an image (or a folder of images), with a
progress bar, an optional GIF of the restoration and an energy plot.

    pixelgrad restore IMG -o OUT (--mask MASK | --corrupt 0.9 [--seed 0]) [--method auto]
                      [--animate progress.gif] [--plot energy.png]
    pixelgrad restore DIR -o OUTDIR (--mask-dir MASKS | --corrupt 0.9) [--resume]
    pixelgrad restore IMG -o OUT --task deblur [--blur-sigma S | --motion LENGTH ANGLE | --kernel PSF
                      | --kernel-size N] [--noise N] [--save-kernel K.png]
    pixelgrad restore IMG -o OUT --task denoise [--noise N]

``--task deblur`` / ``denoise`` restore the degraded input as it is; ``--noise`` is the noise
level to assume (estimated if absent). To try them on a clean image, ``--add-noise STD``
first degrades it (blurred with the given blur for deblur, then white noise of standard
deviation STD in [0, 1] units, seeded by ``--seed``) and reports the PSNR before and after.
``--corrupt FRACTION`` is inpainting's simulated salt-and-pepper corruption only.

``--kernel PSF`` reads the blur's point-spread function from an image file: one gray channel,
odd width and height, non-negative; it is normalised to sum 1 (so any brightness scale of
the file is fine) and applied as a convolution. ``--save-kernel K.png`` writes the PSF the
image was deblurred with, scaled so its largest weight is 255 (for viewing; reading it back
with ``--kernel`` gives the same PSF to uint8 rounding). Without any of ``--blur-sigma``, ``--motion``,
``--kernel``, deblurring is *blind*: the blur is estimated from the image (``--kernel-size N``,
odd >= 3, bounds its side; ``--save-kernel`` shows the estimate), and the result is checked
without a reference: an estimate that cannot be trusted leaves the image as it is, with a
warning. A given blur that does not fit the image (e.g. a motion angle of the wrong sign)
is also warned about.

Mask files follow OpenCV's inpainting convention: nonzero pixels are the ones to restore.
An alpha channel is kept as it is (only the colour is restored); uint16 and float32 (e.g. TIFF)
images are restored in their own range and written back in their own dtype.
Every output path (-o, --save-corrupted, --animate, --plot) is checked before any work: it
must not be an input (or the mask), nor an existing folder, and -o must have an image suffix;
--overwrite allows replacing an input. Exit status: 0 all written, 1 some inputs failed
(reported, the rest still done), 2 bad usage.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional

import numpy as np


from ..io.header import DEFAULT_MAX_PIXELS


def register(sub) -> None:
    """Add the ``restore`` subcommand to a parser's subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["restore", "img.png", "-o", "out.png", "--corrupt", "0.5"])
    >>> args.input, args.out, args.corrupt, args.task, args.method
    ('img.png', 'out.png', 0.5, 'inpaint', 'auto')
    """
    from ..restore.inpaint import INPAINT_METHODS

    p = sub.add_parser("restore", help="inpaint, deblur or denoise an image or a folder",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="image file, or a folder (processed recursively)")
    p.add_argument("-o", "--out", required=True, help="output image file, or output folder for a folder input")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--mask", help="mask image: nonzero = pixel to restore")
    src.add_argument("--mask-dir", help="folder of masks with the same relative names as the inputs")
    src.add_argument("--corrupt", type=float, metavar="FRACTION",
                     help="simulate salt-and-pepper corruption of this fraction of the pixels, then restore")
    p.add_argument("--add-noise", type=float, metavar="STD",
                   help="--task deblur/denoise: simulate the degradation on a clean input first "
                        "(blur, then white noise of this std in [0, 1] units) and report PSNR")
    p.add_argument("--seed", type=int, default=0, help="seed of --corrupt / --add-noise (default: %(default)s)")
    p.add_argument("--task", default="inpaint", choices=("inpaint", "deblur", "denoise"),
                   help="what to undo (default: %(default)s)")
    p.add_argument("--blur-sigma", type=float, help="--task deblur: Gaussian blur sigma (pixels)")
    p.add_argument("--motion", type=float, nargs=2, metavar=("LENGTH", "ANGLE"),
                   help="--task deblur: motion blur length (pixels) and angle (radians)")
    p.add_argument("--kernel", metavar="PSF", help="--task deblur: the blur's point-spread function as a gray "
                   "image file (odd sides, non-negative; normalised to sum 1)")
    p.add_argument("--save-kernel", metavar="PNG", help="--task deblur: write the point-spread function used, "
                   "scaled to [0, 255] for viewing (single image)")
    p.add_argument("--kernel-size", type=int, metavar="N",
                   help="--task deblur without a blur given (blind: the blur is estimated): upper bound (odd, >= 3) of the kernel side")
    p.add_argument("--noise", type=float, help="--task deblur/denoise: noise std in [0, 1] units (default: estimated)")
    p.add_argument("--method", default="auto", help="inpaint: " + ", ".join(INPAINT_METHODS)
                   + "; deblur/denoise: see pg.restore.deblur/denoise (default: %(default)s)")
    p.add_argument("--iterations", type=int, default=None, help="max iterations of the main solver")
    p.add_argument("--animate", metavar="GIF", help="write an animation of the restoration (single image)")
    p.add_argument("--plot", metavar="PNG", help="write the energy-per-iteration plot (single image)")
    p.add_argument("--save-corrupted", metavar="PATH", help="with --corrupt: also write the corrupted image")
    p.add_argument("--resume", action="store_true", help="folder mode: skip inputs whose output exists")
    p.add_argument("--overwrite", action="store_true",
                   help="allow an output path to be an input (replacing it); off by default")
    p.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, metavar="N",
                   help="refuse an image whose header declares more than N pixels, before "
                        "decoding it (default %(default)s)")
    p.add_argument("--max-seconds", type=float, default=None, metavar="S",
                   help="time budget per image in seconds, passed to inpaint / deblur / "
                        "denoise(time_budget=): every solver stage stops when its share has "
                        "passed (the result is then less converged)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _usage_exit(msg: str) -> int:
    """Print the usage error ``msg`` and return the exit status 2 (``return _usage_exit(...)``)."""
    print(f"pixelgrad restore: error: {msg}", file=sys.stderr)
    return 2


def _read_mask(path: Path, shape, max_pixels: Optional[int] = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Known mask (H, W) bool from a mask file (nonzero = unknown)."""
    from ..io import read_image

    m = read_image(path, max_pixels=max_pixels)
    if m.shape[:2] != tuple(shape[:2]):
        raise ValueError(f"mask {path} has size {m.shape[1]}x{m.shape[0]}, the image {shape[1]}x{shape[0]}")
    unknown = m.any(axis=2) if m.ndim == 3 else m != 0
    return ~unknown


def _to_supported(img: np.ndarray) -> tuple[np.ndarray, Optional[tuple]]:
    """uint16 images are restored as float32 in [0, 1] and written back as uint16; float
    images are mapped from their own range ``[lo, hi]`` to [0, 1] and back (dtype kept).
    Other dtypes never get here: ``read_image`` refuses them, naming the path and dtype."""
    if img.dtype == np.uint16:
        return img.astype(np.float32) / 65535.0, (np.dtype(np.uint16),)
    if img.dtype.kind == "f":
        finite = img[np.isfinite(img)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if lo >= 0.0 and hi <= 1.0:
            lo, hi = 0.0, 1.0
        span = hi - lo if hi > lo else 1.0
        work = ((np.nan_to_num(img.astype(np.float64), nan=lo, posinf=hi, neginf=lo) - lo) / span)
        return work.astype(np.float32), (img.dtype, lo, span)
    return img, None


def _split_alpha(img: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """``(colour, alpha)``: gray+alpha and RGBA images lose their last channel (kept apart)."""
    if img.ndim == 3 and img.shape[2] in (2, 4):
        color = img[..., :-1]
        return (color[..., 0] if color.shape[2] == 1 else color), img[..., -1]
    return img, None


def _join_alpha(img: np.ndarray, alpha: Optional[np.ndarray]) -> np.ndarray:
    if alpha is None:
        return img
    color = img[..., None] if img.ndim == 2 else img
    return np.ascontiguousarray(np.concatenate([color, alpha[..., None].astype(img.dtype)], axis=2))


def restore_file(src: Path, dst: Path, args, mask_path: Optional[Path] = None, progress: bool = True,
                 animate: Optional[str] = None, plot: Optional[str] = None, prefix: str = "",
                 out_root: Optional[Path] = None) -> str:
    """Restore one image file and write the result.

    Parameters
    ----------
    src : pathlib.Path
        The input image.
    dst : pathlib.Path
        The output image (written through a temporary file and a rename).
    args : argparse.Namespace
        Parsed ``restore`` arguments (task, method, corruption, noise, limits...).
    mask_path : pathlib.Path, optional
        Mask image for ``--task inpaint``: nonzero pixels are the ones to restore.
    progress : bool, default True
        Show a progress bar.
    animate : str, optional
        Path of a GIF of the restoration to write.
    plot : str, optional
        Path of the energy-per-iteration plot to write.
    prefix : str, default ""
        Text put before the progress bar's label (e.g. ``"[3/10] "``).
    out_root : pathlib.Path, optional
        Output folder of a folder run, for shorter paths in messages.

    Returns
    -------
    str
        A one-line summary: paths, method, iterations, time and (with ``--corrupt``) PSNR
        before and after.

    Raises
    ------
    ValueError, TypeError, OSError
        On an unreadable or unsupported image or mask, or an unwritable output.

    Examples
    --------
    >>> import argparse, numpy as np, pathlib, tempfile
    >>> from pixelgrad.io import write_image
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> write_image(tmp / "a.png", np.full((16, 16, 3), 128, np.uint8))
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["restore", str(tmp / "a.png"), "-o", str(tmp / "b.png"),
    ...                           "--corrupt", "0.3"])
    >>> summary = restore_file(tmp / "a.png", tmp / "b.png", args, progress=False)
    >>> print(summary.replace(str(tmp), "TMP"))
    TMP/a.png -> TMP/b.png: auto, ... iterations, ...s, PSNR ... -> ... dB
    """
    import torch

    from ..io import read_image, write_image
    from ..restore import inpaint, psnr, salt_and_pepper

    img, alpha = _split_alpha(read_image(src, max_pixels=getattr(args, "max_pixels", DEFAULT_MAX_PIXELS)))
    work, back = _to_supported(img)
    if getattr(args, "task", "inpaint") != "inpaint":
        return _restore_degraded(src, dst, args, work, back, alpha, plot, out_root)
    reference = None
    if args.corrupt is not None:
        bad, known = salt_and_pepper(work, args.corrupt, torch.Generator().manual_seed(args.seed))
        reference = work
        if args.save_corrupted:
            write_image(args.save_corrupted, _join_alpha(_back(bad, back), alpha))
    elif mask_path is not None:
        known = _read_mask(mask_path, img.shape, getattr(args, "max_pixels", DEFAULT_MAX_PIXELS))
        bad = work
    else:
        raise ValueError("no mask: give --mask/--mask-dir or --corrupt")

    frames, captions, psnrs = [], [], []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(desc=f"{prefix}{src.name}", unit="it", leave=False, file=sys.stderr)
    every = 1

    def cb(info) -> None:
        if bar is not None:
            bar.set_postfix_str(info.stage, refresh=False)
            bar.update(1)
        if info.psnr is not None:
            psnrs.append(float(info.psnr[0]))
        if animate:
            frames.append((info.image[0, :, ::every, ::every].detach().cpu().clamp(0, 1) * 255 + 0.5).to(torch.uint8))
            captions.append(f"{info.stage} {info.iteration + 1}"
                            + (f"  {float(info.psnr[0]):.2f} dB" if info.psnr is not None else ""))

    if animate:                                     # frames at most ~256 pixels wide
        every = max(1, -(-max(img.shape[:2]) // 256))
    res = inpaint(bad, known, args.method, iterations=args.iterations, reference=reference,
                  callback=cb if (bar is not None or animate or reference is not None) else None,
                  time_budget=getattr(args, "max_seconds", None))
    if bar is not None:
        bar.close()
    out = _join_alpha(_back(res.image, back), alpha)
    write_image(dst, out, root=out_root)
    if animate:
        from ..viz.animate import save_gif

        keep = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), 40)).round().astype(int)) if frames else []
        first = (bad if back is None else work)[::every, ::every]
        last = res.image[::every, ::every]
        save_gif(animate, [first] + [frames[i] for i in keep] + [last],
                 ["corrupted"] + [captions[i] for i in keep] + ["restored"], max_side=256)
    if plot:
        from ..viz.plot import plot_history

        plot_history(plot, res.history, res.stages, title=f"pixelgrad restore --method {args.method}: {src.name}",
                     psnr=psnrs or None)
    msg = f"{src} -> {dst}: {res.method}, {res.iterations} iterations, {res.seconds:.2f}s"
    if reference is not None:
        msg += f", PSNR {psnr(bad, reference):.2f} -> {psnr(res.image, reference):.2f} dB"
    return msg


#: The flags that give ``--task deblur`` its blur.
BLUR_FLAGS = "--blur-sigma S, --motion LENGTH ANGLE and --kernel PSF"


def read_kernel(path: "str | Path", max_pixels: Optional[int] = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The point-spread function stored in an image file (``--kernel``).

    Parameters
    ----------
    path : str or pathlib.Path
        A gray image (one channel; PNG, TIFF, ... of any bit depth or float32).
    max_pixels : int, optional
        Refuse a file whose header declares more pixels.

    Returns
    -------
    numpy.ndarray
        ``(kh, kw)`` float64, odd sides, non-negative, summing to 1.

    Raises
    ------
    ValueError
        Naming ``--kernel`` and the file: not one channel, an even side, a negative or
        non-finite value, or all zero.

    Examples
    --------
    >>> import numpy as np, pathlib, tempfile
    >>> from pixelgrad.io import write_image
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> write_image(tmp / "k.png", np.array([[0, 0, 0], [255, 255, 255], [0, 0, 0]], np.uint8))
    >>> read_kernel(tmp / "k.png")[1].tolist()
    [0.3333333333333333, 0.3333333333333333, 0.3333333333333333]
    >>> write_image(tmp / "e.png", np.ones((3, 4), np.uint8))
    >>> read_kernel(tmp / "e.png")
    Traceback (most recent call last):
    ...
    ValueError: --kernel .../e.png: the point-spread function must have an odd width and height, got 4x3
    """
    from ..io import read_image

    img = read_image(path, max_pixels=max_pixels)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim != 2:
        raise ValueError(f"--kernel {path}: the point-spread function must be a gray image (one "
                         f"channel), got {img.shape[2]} channels")
    h, w = img.shape
    if h % 2 == 0 or w % 2 == 0:
        raise ValueError(f"--kernel {path}: the point-spread function must have an odd width and "
                         f"height, got {w}x{h}")
    k = img.astype(np.float64)
    if not np.isfinite(k).all() or (k < 0).any():
        raise ValueError(f"--kernel {path}: the point-spread function must be finite and "
                         f"non-negative")
    total = float(k.sum())
    if not total > 0:
        raise ValueError(f"--kernel {path}: the point-spread function is all zero")
    return k / total


def kernel_image(kernel: "np.ndarray | object") -> np.ndarray:
    """A point-spread function as a viewable uint8 image (``--save-kernel``).

    Parameters
    ----------
    kernel : array-like
        ``(kh, kw)`` non-negative weights (a tensor or array).

    Returns
    -------
    numpy.ndarray
        ``(kh, kw)`` uint8: the weights scaled so the largest is 255, rounded half to even.

    Examples
    --------
    >>> kernel_image(np.array([[0.0, 0.25], [0.5, 0.25]])).tolist()
    [[0, 128], [255, 128]]
    """
    k = np.asarray(kernel, dtype=np.float64)
    top = float(k.max()) if k.size else 0.0
    scaled = k / top * 255.0 if top > 0 else np.zeros_like(k)
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def _blur_args(args) -> dict:
    given = [f for f, v in (("--blur-sigma", args.blur_sigma), ("--motion", args.motion),
                            ("--kernel", getattr(args, "kernel", None))) if v is not None]
    if len(given) > 1:
        raise ValueError(f"give one of {BLUR_FLAGS}, got {' and '.join(given)}")
    if args.blur_sigma is not None:
        return {"sigma": args.blur_sigma}
    if args.motion is not None:
        return {"motion": tuple(args.motion)}
    if getattr(args, "kernel", None) is not None:
        return {"kernel": read_kernel(args.kernel, getattr(args, "max_pixels", DEFAULT_MAX_PIXELS))}
    return {"kernel_size": getattr(args, "kernel_size", None)}          # blind: the blur is estimated


def _restore_degraded(src: Path, dst: Path, args, work, back, alpha, plot: Optional[str],
                      out_root: Optional[Path]) -> str:
    """``--task deblur`` / ``denoise`` for one file (alpha kept, own range and dtype)."""
    import torch

    from ..io import write_image
    from ..restore import deblur, denoise, psnr
    from ..restore.corrupt import blur

    x = work.astype(np.float32) / 255.0 if work.dtype == np.uint8 else work.astype(np.float32)
    gen = torch.Generator().manual_seed(args.seed)
    reference = None
    if args.task == "deblur":
        kw = _blur_args(args)
        bad = x
        if args.add_noise is not None:
            bad, _ = blur(x, **kw, noise=args.add_noise, generator=gen)
            reference = x
        res = deblur(bad, **kw, noise=args.noise, method=args.method,
                     time_budget=getattr(args, "max_seconds", None))
    else:
        bad = x
        if args.add_noise is not None:
            bad = (x + args.add_noise * torch.randn(x.shape, generator=gen).numpy()).astype(np.float32)
            reference = x
        res = denoise(bad, sigma=args.noise, method=args.method,
                      time_budget=getattr(args, "max_seconds", None))
    if args.save_corrupted and reference is not None:
        write_image(args.save_corrupted, _join_alpha(_back(np.clip(bad, 0, 1), back), alpha))
    write_image(dst, _join_alpha(_back(res.image, back), alpha), root=out_root)
    if getattr(args, "save_kernel", None) and res.kernel is not None:
        k = res.kernel
        write_image(args.save_kernel, kernel_image(k[0] if k.ndim == 3 else k))    # one image: one PSF
    if plot:
        from ..viz.plot import plot_history

        plot_history(plot, res.history, res.stages, title=f"pixelgrad restore --task {args.task}: {src.name}")
    noise = f", noise {float(res.noise[0]):.4f}" if res.noise is not None else ""
    msg = f"{src} -> {dst}: {args.task} {res.method}{noise}, {res.seconds:.2f}s"
    if reference is not None:
        msg += f", PSNR {psnr(np.clip(bad, 0, 1), reference):.2f} -> {psnr(res.image, reference):.2f} dB"
    return msg


def _back(x: np.ndarray, back: Optional[tuple]) -> np.ndarray:
    """The restored ``x`` (in [0, 1] unless uint8) back in the input's dtype and range."""
    if back is None:
        if x.dtype != np.uint8 and x.dtype != np.uint16:
            return np.clip(np.round(x.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
        return x
    if back[0] == np.uint16:
        return np.clip(np.round(x.astype(np.float64) * 65535.0), 0, 65535).astype(np.uint16)
    dtype, lo, span = back
    return (x.astype(np.float64) * span + lo).astype(dtype)


def _same_file(a: Path, b: Path) -> bool:
    """``a`` and ``b`` name the same file (resolved; an existing pair also by inode)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return Path(os.path.realpath(a)) == Path(os.path.realpath(b))


def _check_outputs(args, inputs: list[Path]) -> Optional[str]:
    """Why the single-image output paths are unusable (None when fine): checked before work."""
    from ..io import IMAGE_SUFFIXES

    outs = [("-o", args.out, IMAGE_SUFFIXES), ("--save-corrupted", args.save_corrupted, IMAGE_SUFFIXES),
            ("--save-kernel", getattr(args, "save_kernel", None), IMAGE_SUFFIXES),
            ("--animate", args.animate, (".gif",)), ("--plot", args.plot, (".png",))]
    named = []
    for flag, value, suffixes in outs:
        if not value:
            continue
        p = Path(value)
        if p.suffix.lower() not in suffixes:
            return f"{flag} {value} must end with one of {', '.join(suffixes)}"
        if p.is_dir():
            return f"{flag} {value} is an existing folder; give a file name"
        if not args.overwrite:
            for q in inputs:
                if _same_file(p, q):
                    return (f"{flag} {value} is the input {q}: refusing to overwrite it "
                            f"(pass --overwrite to allow it)")
        for other_flag, other in named:
            if _same_file(p, other):
                return f"{flag} {value} and {other_flag} name the same file"
        named.append((flag, p))
    return None


def job_spec(args: argparse.Namespace, mask_dir: Optional[Path] = None) -> dict:
    """What determines a folder run's outputs, for its job record (``OUT/.pixelgrad-job.json``).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``restore`` arguments.
    mask_dir : pathlib.Path, optional
        The resolved mask folder.

    Returns
    -------
    dict
        ``{"command": "restore", "task", "method", ...}``: two runs with different values
        (or seeds) are refused in one OUT, as ``pixelgrad augment`` refuses two pipelines.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> spec = job_spec(parser.parse_args(["restore", "in", "-o", "out", "--corrupt", "0.5"]))
    >>> spec["command"], spec["task"], spec["corrupt"]
    ('restore', 'inpaint', 0.5)
    """
    return {"command": "restore", "task": args.task, "method": args.method,
            "corrupt": args.corrupt, "add_noise": args.add_noise,
            "blur_sigma": args.blur_sigma,
            "motion": list(args.motion) if args.motion is not None else None,
            "kernel": str(Path(args.kernel).resolve()) if getattr(args, "kernel", None) else None,
            "kernel_size": getattr(args, "kernel_size", None),
            "noise": args.noise, "iterations": args.iterations, "max_seconds": args.max_seconds,
            "mask_dir": str(mask_dir) if mask_dir is not None else None}


def _restore_folder(src: Path, args: argparse.Namespace, progress: bool) -> int:
    """A folder run: plan (inputs and masks protected by identity), lock OUT, restore each."""
    from ..io.dataset import JobError, collect_inputs, plan_outputs, printable_path
    from ..io.identity import lies_in
    from ..io.outdir import job_directory, job_record

    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        return _usage_exit(f"-o {out_dir} must be a folder for a folder input")
    mask_dir = None
    if args.mask_dir is not None:
        mask_dir = Path(args.mask_dir)
        if not mask_dir.is_dir():
            return _usage_exit(f"--mask-dir {mask_dir} must be an existing folder")
    skipped_names: list[str] = []

    def on_skip(path: str, why: str) -> None:
        skipped_names.append(path)
        print(f"pixelgrad restore: skipped: {path}: {why}", file=sys.stderr)

    try:
        root, files = collect_inputs(src, on_skip)
        # an OUT inside IN (allowed by --overwrite) holds outputs, not inputs; masks are not
        # images to restore either
        if not lies_in(root, out_dir):
            files = [f for f in files if not lies_in(f, out_dir)]
        if mask_dir is not None:
            files = [f for f in files if not lies_in(f, mask_dir)]
        masks = [mask_dir / f.relative_to(root) for f in files] if mask_dir is not None else []
        items = plan_outputs(root, files, out_dir, copies=1, seed=args.seed,
                             overwrite=args.overwrite,
                             trees={"--mask-dir": mask_dir} if mask_dir is not None else None,
                             files=[m for m in masks if m.is_file()], command="restore")
    except JobError as exc:
        return _usage_exit(str(exc))
    if not items:
        return _usage_exit(f"no image to restore under {src} (all of them lie in -o or --mask-dir)")
    failed = done = skipped = 0
    job = job_record(job_spec(args, mask_dir.resolve() if mask_dir is not None else None),
                     seed=args.seed, copies=1)
    try:
        with job_directory(out_dir, job):
            for k, item in enumerate(items):
                if args.resume and item.dst.is_file():
                    skipped += 1
                    continue
                try:
                    mask_path = None
                    if mask_dir is not None:
                        mask_path = masks[k]
                        if not mask_path.is_file():
                            raise FileNotFoundError(f"no mask {mask_path} for {item.src}")
                    print(restore_file(item.src, item.dst, args, mask_path, progress=progress,
                                       prefix=f"[{k + 1}/{len(items)}] ", out_root=out_dir))
                    done += 1
                except (ValueError, TypeError, FileNotFoundError, OSError) as exc:
                    failed += 1
                    print(f"pixelgrad restore: failed: {printable_path(item.src)}: {exc}",
                          file=sys.stderr)
    except JobError as exc:
        return _usage_exit(str(exc))
    failed += len(skipped_names)
    print(f"pixelgrad restore: {done} restored, {skipped} skipped (already done), {failed} failed")
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    """Restore an image or a folder of images (the ``restore`` command).

    Every output path is checked before any work: it must not be an input (or the mask), nor
    an existing folder (unless ``--overwrite``).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``restore`` arguments (see :func:`register`).

    Returns
    -------
    int
        0 when everything was written, 1 when some inputs of a folder failed (each reported
        on stderr; the rest still done), 2 on bad usage (reported on stderr as one line).

    Raises
    ------
    ValueError, TypeError, OSError
        When the single input image cannot be restored or written (the command line reports
        it and exits with 2).

    Examples
    --------
    >>> import numpy as np, pathlib, tempfile
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.cli.main import main
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> write_image(tmp / "a.png", np.full((16, 16, 3), 128, np.uint8))
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as summary:
    ...     rc = main(["restore", str(tmp / "a.png"), "-o", str(tmp / "b.png"),
    ...                "--corrupt", "0.3", "--no-progress"])
    >>> rc, "PSNR" in summary.getvalue(), (tmp / "b.png").is_file()
    (0, True, True)
    >>> main(["restore", str(tmp / "a.png"), "-o", str(tmp / "b.png")])   # no mask given
    2
    """
    src = Path(args.input)
    if args.task == "inpaint":
        from ..restore.inpaint import DEPRECATED_METHODS, INPAINT_METHODS
        if args.method not in INPAINT_METHODS and args.method not in DEPRECATED_METHODS:
            return _usage_exit(f"--method must be one of {', '.join(INPAINT_METHODS)} for --task inpaint, "
                               f"got {args.method!r}")
    else:
        from ..restore import DEBLUR_METHODS, DENOISE_METHODS
        allowed = DEBLUR_METHODS if args.task == "deblur" else DENOISE_METHODS
        if args.method not in allowed:
            return _usage_exit(f"--method must be one of {', '.join(allowed)} for --task {args.task}, "
                               f"got {args.method!r}")
        if args.mask or args.mask_dir:
            return _usage_exit(f"--task {args.task} takes no mask")
        if args.corrupt is not None:
            return _usage_exit(f"--corrupt is inpainting's salt-and-pepper fraction; to simulate "
                               f"--task {args.task} on a clean image give --add-noise STD")
        if args.animate:
            return _usage_exit("--animate is for --task inpaint")
        if args.task == "deblur":
            given = [f for f, v in (("--blur-sigma", args.blur_sigma), ("--motion", args.motion),
                                    ("--kernel", args.kernel)) if v is not None]
            if len(given) > 1:
                return _usage_exit(f"--task deblur takes at most one of {BLUR_FLAGS} (none: the blur is "
                                   f"estimated), got {' and '.join(given)}")
            if not given and args.add_noise is not None:
                return _usage_exit(f"--add-noise simulates a known blur on a clean image: give one of {BLUR_FLAGS}")
    for flag, value in (("--kernel", args.kernel), ("--save-kernel", args.save_kernel),
                        ("--kernel-size", args.kernel_size)):
        if value is not None and args.task != "deblur":
            return _usage_exit(f"{flag} is for --task deblur")
    if args.kernel_size is not None:
        if args.kernel_size < 3 or args.kernel_size % 2 == 0:
            return _usage_exit(f"--kernel-size must be an odd integer >= 3, got {args.kernel_size}")
        if args.blur_sigma is not None or args.motion is not None or args.kernel is not None:
            return _usage_exit("--kernel-size bounds blind kernel estimation: it cannot be combined "
                               "with --blur-sigma, --motion or --kernel (the blur is given)")
    if args.kernel is not None and not Path(args.kernel).is_file():
        return _usage_exit(f"--kernel {args.kernel}: no such file")
    if args.noise is not None and not 0.0 <= args.noise <= 1.0:
        return _usage_exit(f"--noise must be a noise standard deviation in [0, 1] (image units), "
                           f"got {args.noise}")
    if args.blur_sigma is not None and not 0.0 < args.blur_sigma < float("inf"):
        return _usage_exit(f"--blur-sigma must be a finite number > 0, got {args.blur_sigma}")
    if args.motion is not None and not (0.0 < args.motion[0] < float("inf")
                                        and abs(args.motion[1]) < float("inf")):
        return _usage_exit(f"--motion LENGTH ANGLE must be a finite length > 0 and a finite angle, "
                           f"got {args.motion[0]} {args.motion[1]}")
    if not -2 ** 63 <= args.seed < 2 ** 64:
        return _usage_exit(f"--seed must be an integer in [-2**63, 2**64), got {args.seed}")
    if args.add_noise is not None:
        if args.task == "inpaint":
            return _usage_exit("--add-noise is for --task deblur / denoise (inpaint: --corrupt FRACTION)")
        if not 0.0 <= args.add_noise <= 1.0:
            return _usage_exit(f"--add-noise must be a noise standard deviation in [0, 1] (image "
                               f"units), got {args.add_noise}")
    if args.corrupt is not None and not 0.0 <= args.corrupt <= 1.0:
        return _usage_exit(f"--corrupt must be a fraction in [0, 1], got {args.corrupt}")
    if args.iterations is not None and args.iterations < 0:
        return _usage_exit(f"--iterations must be >= 0, got {args.iterations}")
    if args.max_pixels < 1:
        return _usage_exit(f"--max-pixels must be >= 1, got {args.max_pixels}")
    if args.max_seconds is not None and not args.max_seconds > 0:
        return _usage_exit(f"--max-seconds must be > 0, got {args.max_seconds}")
    if not src.exists():
        return _usage_exit(f"no such file or folder: {src}")
    progress = not args.no_progress
    if src.is_dir():
        if args.mask:
            return _usage_exit("a folder input takes --mask-dir (same relative names), not --mask")
        if args.animate or args.plot or args.save_corrupted or args.save_kernel:
            return _usage_exit("--animate, --plot, --save-corrupted and --save-kernel work on a single "
                               "image, not a folder")
        if args.task == "inpaint" and args.mask_dir is None and args.corrupt is None:
            return _usage_exit("give --mask-dir or --corrupt")
        return _restore_folder(src, args, progress)
    if args.mask_dir:
        return _usage_exit("--mask-dir needs a folder input")
    if args.task == "inpaint" and args.mask is None and args.corrupt is None:
        return _usage_exit("give --mask MASK or --corrupt FRACTION")
    if args.save_corrupted and args.corrupt is None and args.add_noise is None:
        return _usage_exit("--save-corrupted needs --corrupt (inpaint) or --add-noise (deblur, denoise)")
    if args.kernel and not args.overwrite:
        for flag in ("-o", "--save-corrupted", "--plot", "--animate", "--save-kernel"):
            value = getattr(args, flag.lstrip("-").replace("-", "_") if flag != "-o" else "out", None)
            if value and _same_file(Path(value), Path(args.kernel)):
                return _usage_exit(f"{flag} {value} is the --kernel file: refusing to overwrite it "
                                   f"(pass --overwrite to allow it)")
    why = _check_outputs(args, [src] + ([Path(args.mask)] if args.mask else [])
                         + ([Path(args.kernel)] if args.kernel else []))
    if why is not None:
        return _usage_exit(why)
    print(restore_file(src, Path(args.out), args, Path(args.mask) if args.mask else None, progress=progress,
                       animate=args.animate, plot=args.plot))
    return 0
