"""``pixelgrad gallery IN --config pipeline.yaml -o gallery.html``: see what a pipeline does.

Writes one self-contained HTML page (every image inlined as a base64 PNG, no external files,
scripts or fonts): for a few inputs, several random draws of the whole pipeline and of each of
its top-level transforms, each captioned with the parameters that were drawn. Transforms are
shown with ``p = 1`` so every draw shows an effect (their configured ``p`` is printed).
"""
from __future__ import annotations

import argparse
import base64
import html
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

_CSS = """
body{font-family:system-ui,sans-serif;margin:16px;background:#f4f4f4;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #bbb}
pre{background:#fff;border:1px solid #ddd;padding:6px;font-size:11px;overflow:auto;max-height:160px}
.row{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0 12px}
figure{margin:0;background:#fff;border:1px solid #ddd;padding:4px}
figure img{display:block;image-rendering:pixelated;height:auto}
figcaption{font-size:10px;font-family:monospace;white-space:pre-wrap;overflow-wrap:anywhere;margin-top:3px}
.orig figcaption{font-weight:bold} .note{font-size:12px;color:#555}
"""


def _fmt(v: Any) -> Any:
    if isinstance(v, float):
        return float(f"{v:.4g}")
    if isinstance(v, list):
        return [_fmt(u) for u in v]
    if isinstance(v, dict):
        return {k: _fmt(u) for k, u in v.items()}
    return v


def format_params(params: dict[str, Any]) -> str:
    """Drawn parameters as readable lines, for a gallery caption.

    Parameters
    ----------
    params : dict
        The parameters a transform drew (as :func:`pixelgrad.io.batch_apply.apply_pipeline`
        returns them): ``type``, ``applied``, the drawn values, and ``transforms`` for a
        container.

    Returns
    -------
    str
        One ``Name: k=v, ...`` line per transform that was really applied (floats to 4
        significant digits; containers are flattened; ``applied`` flags and skipped transforms
        are left out); ``"identity (nothing applied)"`` when nothing was applied.

    Examples
    --------
    >>> print(format_params({"type": "Compose", "transforms": [
    ...     {"type": "RandomGaussianBlur", "applied": True, "sigma": 1.23456},
    ...     {"type": "RandomBrightness", "applied": False, "factor": 1.1}]}))
    RandomGaussianBlur: sigma=1.235
    >>> format_params({"type": "RandomBrightness", "applied": False})
    'identity (nothing applied)'
    """
    lines: list[str] = []

    def walk(d: dict[str, Any]) -> None:
        if not d.get("applied", True):
            return
        if "transforms" in d:
            for child in d["transforms"]:
                walk(child)
            return
        vals = ", ".join(f"{k}={json.dumps(_fmt(v))}" for k, v in d.items() if k not in ("type", "applied"))
        lines.append(f"{d.get('type', '?')}: {vals}" if vals else str(d.get("type", "?")))

    walk(params)
    return "\n".join(lines) if lines else "identity (nothing applied)"


def to_uint8_preview(img: np.ndarray) -> np.ndarray:
    r"""8-bit preview of an image.

    Parameters
    ----------
    img : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` image, uint8, uint16 or float (NaN shown as 0).

    Returns
    -------
    numpy.ndarray
        uint8 array of the same shape (``img`` itself when already uint8; ``img`` is never
        modified).

    Notes
    -----
    uint16 is scaled by 1/257. A float image is mapped from its own range to 0..255, so an
    image outside [0, 1] is shown, not clipped to black and white:

    .. math:: q = \operatorname{round}\left(255 \operatorname{clip}\left(\frac{v - \min(0, lo)}{\max(1, hi) - \min(0, lo)}, 0, 1\right)\right)

    with :math:`lo, hi` the finite extremes of the colour channels. The alpha channel of a
    gray+alpha / RGBA float image is shown as :math:`\operatorname{clip}(a, 0, 1)`.

    Examples
    --------
    >>> import numpy as np
    >>> to_uint8_preview(np.array([[0.0, 0.5, 2.0]]))
    array([[  0,  64, 255]], dtype=uint8)
    >>> to_uint8_preview(np.array([[0, 65535]], np.uint16))
    array([[  0, 255]], dtype=uint8)
    """
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return np.rint(img.astype(np.float64) / 257.0).astype(np.uint8)
    arr = np.nan_to_num(img.astype(np.float64), nan=0.0)
    color = arr[..., :-1] if arr.ndim == 3 and arr.shape[2] in (2, 4) else arr
    finite = color[np.isfinite(color)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = max(1.0, float(finite.max())) if finite.size else 1.0
    out = np.clip((arr - lo) / (hi - lo), 0.0, 1.0)
    if color is not arr:
        out[..., -1] = np.clip(arr[..., -1], 0.0, 1.0)
    return np.rint(out * 255.0).astype(np.uint8)


def thumbnail_uri(img: np.ndarray, size: int) -> str:
    """A PNG data URI of an image, scaled down to a thumbnail.

    Parameters
    ----------
    img : numpy.ndarray
        uint8/uint16/float image, gray, gray+alpha, RGB or RGBA.
    size : int
        Thumbnail width in pixels; wider images are shrunk (area interpolation), narrower
        ones are kept as they are (never enlarged).

    Returns
    -------
    str
        ``data:image/png;base64,...``, 8 bits per channel (see :func:`to_uint8_preview`).

    Examples
    --------
    >>> import numpy as np
    >>> thumbnail_uri(np.zeros((4, 6, 3), np.uint8), 3).startswith("data:image/png;base64,")
    True
    """
    import cv2

    from ..io.images import encode_image

    arr = to_uint8_preview(img)
    h, w = arr.shape[:2]
    if w > size:
        arr = cv2.resize(arr, (size, max(1, round(h * size / w))), interpolation=cv2.INTER_AREA)
    return "data:image/png;base64," + base64.b64encode(encode_image(arr, ".png")).decode("ascii")


def _figure(uri: str, caption: str, size: int, cls: str = "") -> str:
    # displayed at width `size` (small images are enlarged by the browser, pixelated)
    return (f'<figure class="{cls}" style="width:{size}px"><img src="{uri}" width="{size}" '
            f'alt="{html.escape(caption[:60])}"><figcaption>{html.escape(caption)}</figcaption></figure>')


def _sections(pipeline) -> list[tuple[str, dict[str, Any]]]:
    """``(title, spec)`` of the whole pipeline then each top-level transform (with ``p = 1``)."""
    spec = pipeline.to_dict()
    out = [("whole pipeline", spec)]
    children = spec.get("transforms") if spec.get("type") == "Compose" else [spec]
    for child in children or []:
        shown = dict(child)
        title = child.get("type", "?")
        if "p" in shown:
            title += f"  (configured p = {shown['p']}; shown with p = 1)"
            shown["p"] = 1.0
        out.append((title, shown))
    return out


def build_gallery(pipeline, images: Sequence[tuple[str, np.ndarray]], *, draws: int = 4,
                  seed: int = 0, size: int = 192, title: str = "pixelgrad gallery",
                  stats: dict[str, int] | None = None) -> str:
    """The HTML text of the gallery.

    Sections: the whole pipeline, then each top-level transform shown with ``p = 1``.

    Parameters
    ----------
    pipeline : pixelgrad.augment.Transform
        The pipeline to show.
    images : sequence of (str, numpy.ndarray)
        ``(name, image)`` pairs; images ``(H, W[, C])``, uint8/uint16/float.
    draws : int, default 4
        Random draws per (section, image). Draw ``d`` of image ``i`` in section ``s`` is
        seeded with ``output_seed(seed, f"{s}/{i}", d)``.
    seed : int, default 0
        Seed of the draws.
    size : int, default 192
        Thumbnail width in pixels.
    title : str, default "pixelgrad gallery"
        Page title.
    stats : dict, optional
        When given, receives the counts ``"ok"`` and ``"failed"`` of the draws (a failed draw
        is shown in the page with its error).

    Returns
    -------
    str
        A self-contained HTML page (images inlined as base64 PNG).

    Notes
    -----
    Draws are augmented one at a time at full resolution (so the parameters mean what they
    mean in ``pixelgrad augment``) and shrunk to their thumbnail at once: the extra memory is
    that of one image's path through the pipeline, whatever ``draws`` is.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelgrad import augment
    >>> pipe = augment.Compose([augment.RandomGaussianBlur(sigma=(0.5, 1.0))])
    >>> stats = {}
    >>> page = build_gallery(pipe, [("zeros", np.zeros((8, 8, 3), np.uint8))], draws=2, stats=stats)
    >>> page.startswith("<!DOCTYPE html>"), stats
    (True, {'ok': 4, 'failed': 0})
    """
    if stats is None:
        stats = {}
    stats.setdefault("ok", 0)
    stats.setdefault("failed", 0)
    from .. import augment
    from ..io.batch_apply import apply_pipeline
    from ..io.dataset import output_seed

    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p class='note'>{len(images)} input(s), {draws} random draws each, seed {seed}. "
             f"Captions list the parameters drawn for each image.</p>",
             f"<pre>{html.escape(json.dumps(pipeline.to_dict(), indent=1))}</pre>"]
    for s, (sec_title, spec) in enumerate(_sections(pipeline)):
        transform = augment.from_dict(spec)
        parts.append(f"<h2>{html.escape(sec_title)}</h2>")
        if s > 0:
            parts.append(f"<pre>{html.escape(json.dumps(spec))}</pre>")
        for i, (name, img) in enumerate(images):
            figs = [_figure(thumbnail_uri(img, size), f"{name}\n{img.shape[1]}x{img.shape[0]} {img.dtype}",
                            size, "orig")]
            for d in range(draws):
                # One draw at a time, shrunk to its thumbnail at once: a batch of all the
                # draws held `draws` full-size copies and their outputs (a 2048 x 2048 image
                # with 40 draws peaked at 4.1 GB, 325 x the decoded image). Each image's
                # result depends only on its seed, so the draws are the same.
                (res,) = apply_pipeline(transform, [img], [output_seed(seed, f"{s}/{i}", d)])
                if isinstance(res, BaseException):
                    stats["failed"] += 1
                    figs.append(f"<figure><figcaption>draw {d}: failed: "
                                f"{html.escape(str(res))}</figcaption></figure>")
                    continue
                out, params = res
                del res
                stats["ok"] += 1
                uri = thumbnail_uri(out, size)
                del out                                 # only the thumbnail is kept
                figs.append(_figure(uri, f"draw {d}\n{format_params(params)}", size))
            parts.append("<div class='row'>" + "".join(figs) + "</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def register(sub) -> None:
    """Add the ``gallery`` subcommand to a parser's subcommands.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["gallery", "photos", "-c", "aug.yaml"])
    >>> args.input, args.out, args.inputs, args.draws, args.size
    ('photos', 'gallery.html', 3, 4, 192)
    """
    p = sub.add_parser("gallery", help="write an HTML page of random draws of a pipeline",
                       description="Write a self-contained HTML page (images inlined) showing, for "
                                   "a few inputs, several random draws of the whole pipeline and "
                                   "of each of its transforms, with the parameters drawn.")
    p.add_argument("input", metavar="IN", help="an image, a folder of images, or a text file of paths")
    p.add_argument("-c", "--config", required=True, help="pipeline file (.yaml/.json)")
    p.add_argument("-o", "--out", default="gallery.html", help="output HTML file (default %(default)s)")
    p.add_argument("--inputs", type=int, default=3, help="how many inputs to show (default %(default)s)")
    p.add_argument("--draws", type=int, default=4, help="random draws per transform and input "
                   "(default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the input choice and the draws")
    p.add_argument("--size", type=int, default=192, help="thumbnail width in pixels (default %(default)s)")
    p.add_argument("--max-pixels", type=int, default=None, metavar="N",
                   help="skip an image whose header declares more than N pixels (default: the "
                        "reader's limit, 8192^2)")
    p.set_defaults(func=run)


def _pick_inputs(source: str, k: int, seed: int) -> list[Path]:
    from ..io.dataset import collect_inputs
    from ..io.images import IMAGE_SUFFIXES

    src = Path(source)
    if src.is_file() and src.suffix.lower() in IMAGE_SUFFIXES:
        return [src]

    def on_skip(path: str, why: str) -> None:
        print(f"pixelgrad gallery: skipped: {path}: {why}", file=sys.stderr)

    _, files = collect_inputs(src, on_skip=on_skip)
    if len(files) <= k:
        return files
    return sorted(random.Random(seed).sample(files, k))


def run(args: argparse.Namespace) -> int:
    """Write the gallery page of ``args.config`` for a few inputs (the ``gallery`` command).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``gallery`` arguments (see :func:`register`).

    Returns
    -------
    int
        0 when the page was written and every input was read; 1 when an input could not be
        read, no input was readable, or every draw failed (nothing written then).

    Raises
    ------
    pixelgrad.cli.UsageError
        (a ``ValueError``) On bad usage: a count below 1, ``-o`` naming a folder or an
        input, an unreadable pipeline file.

    Examples
    --------
    >>> import numpy as np, pathlib, tempfile
    >>> from pixelgrad.io import write_image
    >>> from pixelgrad.cli.main import main
    >>> from pixelgrad.cli.augment import example_config_text
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> write_image(tmp / "a.png", np.zeros((8, 8, 3), np.uint8))
    >>> _ = (tmp / "aug.yaml").write_text(example_config_text())
    >>> main(["gallery", str(tmp / "a.png"), "-c", str(tmp / "aug.yaml"),
    ...       "-o", str(tmp / "g.html"), "--draws", "1"])
    pixelgrad gallery: wrote ...g.html (... MB, 1 inputs, 1 draws) in ... s
    0
    """
    from ..io.jobs import write_file
    from . import UsageError
    from ..io.images import read_image
    from .augment import load_pipeline

    from ..io.dataset import printable_path
    from ..io.header import DEFAULT_MAX_PIXELS

    for name in ("inputs", "draws", "size"):
        if getattr(args, name) < 1:
            raise UsageError(f"gallery: argument `--{name}` must be >= 1, got {getattr(args, name)}")
    if args.max_pixels is not None and args.max_pixels < 1:
        raise UsageError(f"gallery: argument `--max-pixels` must be >= 1, got {args.max_pixels}")
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"gallery: argument `-o` must be a file name, got the existing folder "
                         f"{str(out)!r}")
    t0 = time.perf_counter()
    pipeline = load_pipeline(args.config)
    picked = _pick_inputs(args.input, args.inputs, args.seed)
    for p in picked + [Path(args.config)]:
        if os.path.realpath(out) == os.path.realpath(p):
            raise UsageError(f"gallery: argument `-o` must not be an input, got {str(out)!r} "
                             f"(the input {str(p)!r})")
    images, failed = [], 0
    max_pixels = DEFAULT_MAX_PIXELS if args.max_pixels is None else args.max_pixels
    for path in picked:
        try:
            images.append((path.name, read_image(path, max_pixels=max_pixels)))
        except (ValueError, OSError) as exc:
            failed += 1
            print(f"pixelgrad gallery: failed: {printable_path(path)}: {exc}", file=sys.stderr)
    if not images:
        print("pixelgrad gallery: no readable input image", file=sys.stderr)
        return 1
    stats: dict[str, int] = {}
    page = build_gallery(pipeline, images, draws=args.draws, seed=args.seed, size=args.size,
                         title=f"pixelgrad gallery: {Path(args.config).name}", stats=stats)
    if stats["ok"] == 0:
        print(f"pixelgrad gallery: every one of the {stats['failed']} draws failed; nothing "
              f"written to {args.out}", file=sys.stderr)
        return 1
    write_file(out, page.encode("utf-8"))
    print(f"pixelgrad gallery: wrote {args.out} ({len(page) / 1e6:.2f} MB, {len(images)} inputs, "
          f"{args.draws} draws) in {time.perf_counter() - t0:.2f} s")
    if stats["failed"]:
        print(f"pixelgrad gallery: {stats['failed']} of {stats['ok'] + stats['failed']} draws "
              f"failed (shown in the page)", file=sys.stderr)
    return 1 if failed else 0
