"""`pixelgrad gallery`: a self-contained page whose captions are the true parameters, rendered
by headless Chromium."""
from __future__ import annotations

import base64
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy import ndimage

import pixelgrad.augment as A
from pixelgrad.cli.main import main
from pixelgrad.io.images import write_image
from tests._hostile import _cfg, _img, _one_error_line

DRAWS = 3
INPUTS = 2


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.captions: list[str] = []
        self.h2: list[str] = []
        self.refs: list[str] = []
        self._tag: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for key in ("src", "href"):
            if key in a:
                self.refs.append(a[key])
        self._tag = tag

    def handle_data(self, data):
        if self._tag == "figcaption":
            self.captions.append(data)
        elif self._tag == "h2":
            self.h2.append(data)

    def handle_endtag(self, tag):
        self._tag = None


def _decode(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    img = cv2.imdecode(np.frombuffer(base64.b64decode(uri.split(",", 1)[1]), np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None
    return img[..., ::-1] if img.ndim == 3 else img  # BGR -> RGB


@pytest.fixture
def gallery(tmp_path: Path) -> tuple[Path, np.ndarray]:
    src = tmp_path / "in"
    src.mkdir()
    img = np.zeros((48, 64, 3), np.uint8)
    img[..., 0] = 230                      # saturated red with a green block
    img[12:36, 16:48] = (20, 200, 40)
    for name in ("a.png", "b.png", "c.png"):
        write_image(src / name, img)
    pipe = A.Compose([A.RandomGaussianBlur(p=0.5, sigma=(0.8, 2.0)), A.RandomGradient(p=0.5),
                      A.RandomShear(p=0.3, sx=(-0.2, 0.2))])
    cfg = tmp_path / "p.yaml"
    A.save(pipe, cfg)
    out = tmp_path / "gallery.html"
    code = main(["gallery", str(src), "-c", str(cfg), "-o", str(out), "--draws", str(DRAWS),
                 "--size", "128", "--inputs", str(INPUTS)])
    assert code == 0
    return out, img


def test_page_is_self_contained_and_complete(gallery):
    out, img = gallery
    text = out.read_text()
    page = _Page()
    page.feed(text)
    sections = 1 + 3  # whole pipeline + each transform
    assert len(page.imgs) == sections * INPUTS * (DRAWS + 1)
    assert all(r.startswith("data:") for r in page.refs)
    assert not re.search(r"url\(|@import|<script|<link", text)
    assert page.h2[0] == "whole pipeline" and "RandomGaussianBlur" in page.h2[1]
    assert "configured p = 0.5; shown with p = 1" in page.h2[1]
    decoded = [_decode(u) for u in page.imgs]
    np.testing.assert_array_equal(decoded[0], img)  # the original, inlined losslessly
    assert all(d.shape == img.shape for d in decoded)


def test_captions_are_the_parameters_that_made_each_image(gallery):
    out, img = gallery
    page = _Page()
    page.feed(out.read_text())
    # section 1 = RandomGaussianBlur with p = 1: every draw is a blur with its caption's sigma
    row = INPUTS  # rows: (section, input); section 1, input 0
    imgs = page.imgs[row * (DRAWS + 1): (row + 1) * (DRAWS + 1)]
    caps = [c for c in page.captions if c.startswith("draw")][row * DRAWS: (row + 1) * DRAWS]
    sigmas = []
    for uri, cap in zip(imgs[1:], caps):
        m = re.search(r"RandomGaussianBlur: sigma=([0-9.e-]+)", cap)
        assert m, cap
        sigma = float(m.group(1))
        sigmas.append(sigma)
        assert 0.8 <= sigma <= 2.0
        ref = ndimage.gaussian_filter(img.astype(np.float64), (sigma, sigma, 0), mode="mirror", truncate=4.0)
        err = np.abs(_decode(uri).astype(np.float64) - ref)
        assert err.max() <= 1.0, (cap, err.max())  # caption sigma has 4 significant digits
    assert len(set(sigmas)) == DRAWS  # several different draws


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="Debian's chromium is not installed (make test installs it)")
def test_renders_in_headless_chromium(gallery, tmp_path: Path):
    out, _ = gallery
    shot = tmp_path / "shot.png"
    w, h = 1000, 1400
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
           f"--screenshot={shot}", f"--window-size={w},{h}", out.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={"HOME": str(tmp_path),
                          "PATH": "/usr/bin:/bin"})
    assert shot.is_file(), proc.stderr[-2000:]
    rgb = cv2.imread(str(shot))[..., ::-1].astype(np.int64)
    assert rgb.shape[:2] == (h, w)
    gray = rgb.mean(axis=2)
    assert gray.std() > 20  # not blank
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)
    green = (rgb[..., 1] > 120) & (rgb[..., 0] < 100)
    # the inlined images were decoded and drawn: several 128-px thumbnails of red/green pictures
    assert red.sum() > 4 * 0.4 * 128 * 96, red.sum()
    assert green.sum() > 4 * 0.1 * 128 * 96, green.sum()


def test_unreadable_input_is_reported_and_the_page_still_written(tmp_path: Path, capsys):
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    write_image(good, np.full((8, 8), 128, np.uint8))
    bad.write_bytes(b"nope")
    lst = tmp_path / "list.txt"
    lst.write_text(f"{good}\n{bad}\n")
    cfg = tmp_path / "p.json"
    A.save(A.RandomGaussianBlur(sigma=1.0), cfg)
    out = tmp_path / "g.html"
    assert main(["gallery", str(lst), "-c", str(cfg), "-o", str(out), "--draws", "2"]) == 1
    assert str(bad) in "".join(capsys.readouterr())          # reported (on stderr)
    page = _Page()
    page.feed(out.read_text())
    assert len(page.imgs) == 2 * 1 * 3  # whole pipeline + the blur itself, one input, 1 + 2 draws
    assert main(["gallery", str(lst), "-c", str(cfg), "-o", str(out), "--draws", "0"]) == 2


def test_gallery_previews_float_images_in_their_own_range(rng):
    from pixelgrad.cli.gallery import thumbnail_uri, to_uint8_preview

    img = rng.uniform(-498, 498, (16, 16, 3)).astype(np.float32)
    prev = to_uint8_preview(img)
    assert prev.dtype == np.uint8 and len(np.unique(prev)) > 50     # not clipped to 0 / 255
    order = np.argsort(img, axis=None)
    assert np.all(np.diff(prev.reshape(-1)[order].astype(int)) >= 0)  # monotone in the value
    unit = rng.random((4, 4)).astype(np.float32)
    assert np.array_equal(to_uint8_preview(unit), np.rint(unit * 255).astype(np.uint8))
    assert thumbnail_uri(img, 8).startswith("data:image/png;base64,")


def test_gallery_refuses_a_folder_as_output_and_fails_when_every_draw_fails(tmp_path, rng, capsys,
                                                                           monkeypatch):
    write_image(tmp_path / "in" / "a.png", _img(rng))
    cfg = _cfg(tmp_path)
    (tmp_path / "g").mkdir()
    assert main(["gallery", str(tmp_path / "in"), "-c", str(cfg), "-o", str(tmp_path / "g")]) == 2
    _one_error_line(capsys, str(tmp_path / "g"))
    from pixelgrad.io import batch_apply

    def broken(*a, **k):
        raise RuntimeError("every draw fails")

    monkeypatch.setattr(batch_apply, "_run", broken)
    out = tmp_path / "g.html"
    assert main(["gallery", str(tmp_path / "in"), "-c", str(cfg), "-o", str(out), "--draws", "2"]) == 1
    assert "every one" in capsys.readouterr().err
    assert not out.exists()


def test_gallery_memory_does_not_grow_with_the_number_of_draws(tmp_path):
    """Issue 22.5: `gallery` on one 2048 x 2048 image with 40 draws peaked at 4.1 GB (325 x
    the decoded image): all the draws were one batch of full-size copies. Here a 1024 x 1024
    RGB image (3 MiB decoded) with 40 draws runs under an address-space limit of 40 x the
    decoded size (it needed ~140 x of resident memory before; ~15 x now)."""
    from tests._hostile import run_limited

    rng = np.random.default_rng(0)
    write_image(tmp_path / "big.png", rng.integers(0, 256, (1024, 1024, 3), dtype=np.uint8))
    write_image(tmp_path / "warm.png", rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    cfg = _cfg(tmp_path, transform=A.Compose([A.RandomGaussianBlur(sigma=(0.5, 2.0)), A.RandomGradient()]))
    decoded_mb = 1024 * 1024 * 3 / 2 ** 20
    run = ("from pixelgrad.cli.main import main\n"
           "rc = main(['gallery', {src!r}, '-c', {cfg!r}, '-o', {out!r}, '--draws', '{n}'])\n")
    res = run_limited(run.format(src=str(tmp_path / "big.png"), cfg=str(cfg), out=str(tmp_path / "g.html"), n=40)
                      + "print('RC', rc)\n", budget_mb=int(40 * decoded_mb), timeout=600,
                      setup=run.format(src=str(tmp_path / "warm.png"), cfg=str(cfg),
                                       out=str(tmp_path / "w.html"), n=2))
    assert res.returncode == 0 and "RC 0" in res.stdout, res.stderr[-2000:]
    assert (tmp_path / "g.html").read_text().count("<figcaption>draw 39") == 3   # 3 sections
