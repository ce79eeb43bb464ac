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
    """Drawn parameters as readable lines: one ``Name: k=v, ...`` line per transform that was
    really applied (floats to 4 significant digits; containers are flattened; ``applied`` flags
    and skipped transforms are left out). ``"identity"`` when nothing was applied."""
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
    """8-bit preview of ``img``: uint16 scaled by 1/257; a float image mapped from its own
    range ``[min(0, lo), max(1, hi)]`` (``lo``, ``hi`` its finite extremes) to 0..255, so an
    image outside [0, 1] is shown, not clipped to black and white. The alpha channel of a
    gray+alpha / RGBA float image is shown as ``clip(a, 0, 1)``."""
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
    """``data:image/png;base64,...`` of ``img`` (uint8/uint16/float, gray/gray+alpha/RGB/RGBA)
    scaled to width ``size`` (never enlarged), 8 bits per channel (:func:`to_uint8_preview`)."""
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

    ``pipeline``: a ``pixelgrad.augment`` transform; ``images``: ``(name, (H, W[, C]) uint8/uint16
    array)`` pairs; ``draws`` random draws per (section, image), draw ``d`` of image ``i`` in
    section ``s`` seeded with ``derive_seed(seed, f"{s}/{i}", d)``. ``stats``, when given, gets
    the counts ``"ok"`` and ``"failed"`` of the draws.
    """
    if stats is None:
        stats = {}
    stats.setdefault("ok", 0)
    stats.setdefault("failed", 0)
    from .. import augment
    from ..io.batch_apply import apply_pipeline
    from ..io.dataset import derive_seed

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
            seeds = [derive_seed(seed, f"{s}/{i}", d) for d in range(draws)]
            results = apply_pipeline(transform, [img] * draws, seeds)
            figs = [_figure(thumbnail_uri(img, size), f"{name}\n{img.shape[1]}x{img.shape[0]} {img.dtype}",
                            size, "orig")]
            for d, res in enumerate(results):
                if isinstance(res, BaseException):
                    stats["failed"] += 1
                    figs.append(f"<figure><figcaption>draw {d}: failed: "
                                f"{html.escape(str(res))}</figcaption></figure>")
                    continue
                out, params = res
                stats["ok"] += 1
                figs.append(_figure(thumbnail_uri(out, size), f"draw {d}\n{format_params(params)}", size))
            parts.append("<div class='row'>" + "".join(figs) + "</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def register(sub) -> None:
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
    from ..io.jobs import write_file
    from ..io.dataset import UsageError
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
