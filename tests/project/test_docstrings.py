"""Docstrings keep one format: numpydoc sections on every public function and class of the
modules listed here. The list is a ratchet: add a module once its docstrings are converted
(the API site renders these sections; the examples run as doctests in `make test`)."""
from __future__ import annotations

import importlib
import inspect
import re

import pytest

NUMPYDOC_MODULES = [
    "pixelgrad._errors",
    "pixelgrad._dtypes",
    "pixelgrad._threads",
    "pixelgrad.borders",
    "pixelgrad.kernels.box",
    "pixelgrad.kernels.banded",
    "pixelgrad.kernels.gaussian",
    "pixelgrad.kernels.motion",
    "pixelgrad.kernels.fold",
    "pixelgrad.kernels.stack",
    "pixelgrad.io.images",
    "pixelgrad.viz.grid",
    "pixelgrad.viz.animate",
    "pixelgrad.viz.catalog",
    "pixelgrad.restore.deblur",
    "pixelgrad.restore.denoise",
    "pixelgrad.restore.solve",
    "pixelgrad.restore.metrics",
    "pixelgrad.restore.result",
    "pixelgrad.restore.noise",
    "pixelgrad.restore.shrinkage",
    "pixelgrad.restore.dct",
    "pixelgrad.restore.diffusion",
    "pixelgrad.restore.differences",
    "pixelgrad.restore.linalg",
    "pixelgrad.restore.checks",
    "pixelgrad.restore.iterate",
    "pixelgrad.restore.constraints",
    "pixelgrad.restore.methods",
    "pixelgrad.restore.energies",
    "pixelgrad.restore.corrupt",
    "pixelgrad.restore.priors",
    "pixelgrad.restore.operators",
    "pixelgrad.restore.solvers",
    "pixelgrad.restore.inpaint",
    "pixelgrad.restore.pull_push",
    "pixelgrad.augment.illumination",
    "pixelgrad.augment.containers",
    "pixelgrad.augment.fastai",
    "pixelgrad.augment.albumentations",
    "pixelgrad.augment._params",
    "pixelgrad.augment._base",
    "pixelgrad.augment._config",
    "pixelgrad.augment._fusion",
    "pixelgrad.augment._adapters",
    "pixelgrad.augment",
    "pixelgrad.functional.blur",
    "pixelgrad.functional.geometry",
    "pixelgrad.functional._params",
    "pixelgrad.functional.illumination",
    "pixelgrad._interop",
    "pixelgrad.io.batch_apply",
    "pixelgrad.scale.ray_augment",
    "pixelgrad.io.atomic",
    "pixelgrad._atomic",
    "pixelgrad.io.manifest",
    "pixelgrad.io.header",
    "pixelgrad.io.outdir",
    "pixelgrad.io.identity",
    "pixelgrad.io.dataset",
    "pixelgrad.scale.ray_engine",
    "pixelgrad.io.jobs",
    "pixelgrad.scale._common",
    "pixelgrad.augment._rng",
    "pixelgrad.augment.blur",
    "pixelgrad.viz.plot",
    "pixelgrad.viz.demo_blur",
    "pixelgrad.viz.demo_illumination",
    "pixelgrad.viz.demo_restore",
    "pixelgrad.viz.guide_restore",
    "pixelgrad.backends.torch_backend",
    "pixelgrad.backends.opencv_backend",
    "pixelgrad.backends.cpu_fused",
    "pixelgrad.backends.registry",
    "pixelgrad.functional._dispatch",
    "pixelgrad.cli.main",
    "pixelgrad.cli.demo",
    "pixelgrad.cli.bench",
    "pixelgrad.cli.augment",
    "pixelgrad.cli.gallery",
    "pixelgrad.cli.restore",
]

# public names that need no Examples section, and why
NO_EXAMPLE = {
    "pixelgrad.kernels.box.box_for_filtering": "the private-cache twin of box_kernel1d (same values)",
    "pixelgrad.viz.animate.frames_from_gif": "shown in the example of save_gif",
    "pixelgrad.restore.energies.tutorial": "deprecated alias of multiscale_smoothness",
    "pixelgrad.restore.dct.hard_threshold": "deprecated alias of block_hard_threshold",
}


def _section(doc: str, name: str) -> bool:
    return re.search(rf"^\s*{name}\n\s*-{{{len(name)}}}\s*$", doc, re.M) is not None


def _public_callables(module):
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for n in names:
        obj = getattr(module, n)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
            yield n, obj


@pytest.mark.parametrize("modname", NUMPYDOC_MODULES)
def test_numpydoc_sections(modname):
    module = importlib.import_module(modname)
    problems = []
    for name, obj in _public_callables(module):
        doc = inspect.getdoc(obj) or ""
        qual = f"{modname}.{name}"
        if not doc:
            problems.append(f"{qual}: no docstring")
            continue
        if inspect.isclass(obj):
            if not (_section(doc, "Attributes") or _section(doc, "Parameters")):
                problems.append(f"{qual}: no Parameters or Attributes section")
            continue
        sig = inspect.signature(obj)
        if [p for p in sig.parameters if p not in ("self", "cls")] and not _section(doc, "Parameters"):
            problems.append(f"{qual}: no Parameters section")
        if sig.return_annotation not in (None, "None", inspect.Signature.empty, "NoReturn") \
                and not _section(doc, "Returns"):
            problems.append(f"{qual}: no Returns section")
        if sig.return_annotation in ("NoReturn",) and not _section(doc, "Raises"):
            problems.append(f"{qual}: no Raises section")
        if qual not in NO_EXAMPLE and not _section(doc, "Examples"):
            problems.append(f"{qual}: no Examples section")
    assert not problems, "\n".join(problems)


def test_section_detector():
    assert _section("Intro.\n\nParameters\n----------\nx : int\n", "Parameters")
    assert not _section("Intro.\n\nParameters: x\n", "Parameters")
