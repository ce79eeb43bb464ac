"""The public numeric arguments carry real types (:mod:`pixelgrad.types`), not ``Any``.

Two checks:

* the signatures, read with :func:`inspect.signature` and :func:`typing.get_type_hints`: the
  numeric arguments of issue 21 name their alias, and no parameter of a public function,
  transform constructor or restoration front end is ``Any`` or unannotated (except the
  entries of :data:`ANY_ALLOWED`, each with its reason);
* mypy on user code (``typing_snippets/``): the correct calls of ``usage_ok.py`` pass (and run:
  the annotations describe calls that work), every line marked ``# error`` in
  ``usage_bad.py`` is reported, and no other.
"""
from __future__ import annotations

import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

import pixelgrad as pg
from pixelgrad import augment as A
from pixelgrad import restore as R
from pixelgrad import types as T

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = Path(__file__).resolve().parent / "typing_snippets"

#: (callable, parameter) -> the alias its annotation must be (``Optional[alias]`` for a
#: parameter whose default is None).
EXPECTED = {
    (pg.gaussian_blur, "sigma"): T.Sigma,
    (pg.gaussian_blur, "angle"): T.Angle,
    (pg.gaussian_blur, "kernel_size"): T.KernelSize,
    (pg.gaussian_blur, "radius"): T.IntPair,
    (pg.box_blur, "size"): T.PairValue,
    (pg.motion_blur, "length"): T.Length,
    (pg.motion_blur, "angle"): T.Angle,
    (pg.motion_blur, "direction"): T.Value,
    (pg.filter2d, "kernel"): T.Kernel,
    (A.RandomCameraShake, "anxiety"): T.Range,
    (A.RandomCameraShake, "exposure"): T.Range,
    (pg.shear, "sx"): T.Value,
    (pg.shear, "sy"): T.Value,
    (pg.linear_gradient, "a"): T.Value,
    (pg.linear_gradient, "b"): T.Value,
    (pg.linear_gradient, "alpha"): T.Alpha,
    (pg.linear_gradient, "angle"): T.Angle,
    (pg.linear_gradient, "strength"): T.Value,
    (pg.linear_gradient, "offset"): T.Value,
    (pg.corner_gradient, "corner"): T.Corner,
    (pg.corner_gradient, "alpha"): T.Alpha,
    (pg.radial_gradient, "alpha"): T.Alpha,
    (pg.radial_gradient, "center"): T.PairValue,
    (pg.radial_gradient, "radius"): T.PairValue,
    (pg.gaussian_spot, "alpha"): T.Alpha,
    (pg.gaussian_spot, "sigma"): T.Sigma,
    (A.RandomGaussianBlur, "sigma"): T.Range,
    (A.RandomGaussianBlur, "angle"): T.Range,
    (A.RandomBoxBlur, "size"): T.Range,
    (A.RandomMotionBlur, "length"): T.Range,
    (A.RandomMotionBlur, "angle"): T.Range,
    (A.RandomShear, "sx"): T.Range,
    (A.RandomGradient, "a"): T.Range,
    (A.RandomGradient, "b"): T.Range,
    (A.RandomGradient, "alpha"): T.Range,
    (A.RandomCornerGradient, "alpha"): T.Range,
    (A.RandomRadialGradient, "radius"): T.Range,
    (A.RandomGaussianSpot, "sigma"): T.Range,
    (R.deblur, "sigma"): T.Sigma,
    (R.deblur, "angle"): T.Angle,
    (R.deblur, "motion"): T.Motion,
    (R.deblur, "kernel"): T.Kernel,
    (R.deblur, "noise"): T.NoiseLevel,
    (R.deblur, "time_budget"): T.Scalar,
    (R.denoise, "sigma"): T.NoiseLevel,
    (R.denoise, "time_budget"): T.Scalar,
    (R.inpaint, "time_budget"): T.Scalar,
    (R.solve, "time_budget"): T.Scalar,
    (R.blur, "sigma"): T.Sigma,
    (R.operators.Blur, "sigma"): T.Sigma,
    (R.operators.Blur, "motion"): T.Motion,
}

#: (callable name, parameter) allowed to be ``Any``, with the reason (none so far).
ANY_ALLOWED: dict[tuple[str, str], str] = {}


def _hints(obj: Any) -> tuple[inspect.Signature, dict[str, Any]]:
    f = obj.__init__ if inspect.isclass(obj) else obj
    return inspect.signature(f), typing.get_type_hints(f)


def _public() -> list[tuple[str, Any]]:
    """Every public function of ``pixelgrad`` (the functional ops) and ``pixelgrad.restore``,
    every registered transform and the restoration operators' ``Blur``."""
    out = [(n, getattr(pg, n)) for n in pg.functional.__all__]
    out += [(f"restore.{n}", getattr(R, n)) for n in R.__all__ if inspect.isfunction(getattr(R, n))]
    out += [(f"augment.{n}", c) for n, c in sorted(A.REGISTRY.items())]
    out.append(("restore.operators.Blur", R.operators.Blur))
    return out


def _name(obj: Any) -> str:
    return getattr(obj, "__qualname__", repr(obj))


@pytest.mark.parametrize("obj, arg", list(EXPECTED), ids=[f"{_name(o)}.{a}" for o, a in EXPECTED])
def test_numeric_argument_has_its_alias(obj, arg):
    sig, hints = _hints(obj)
    assert arg in sig.parameters, f"{_name(obj)} has no parameter {arg!r}"
    hint = hints.get(arg)
    assert hint is not None, f"{_name(obj)}({arg}) is unannotated"
    assert hint is not Any, f"{_name(obj)}({arg}) is annotated Any"
    want = EXPECTED[obj, arg]
    if sig.parameters[arg].default is None:
        want = typing.Optional[want]
    assert hint == want, f"{_name(obj)}({arg}): {hint} is not {want}"


@pytest.mark.parametrize("name, obj", _public(), ids=[n for n, _ in _public()])
def test_no_public_parameter_is_any_or_unannotated(name, obj):
    sig, hints = _hints(obj)
    bad = [p.name for p in sig.parameters.values()
           if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
           and hints.get(p.name, Any) is Any and (name, p.name) not in ANY_ALLOWED]
    assert not bad, f"{name}: parameters annotated Any or not at all: {bad}"


def test_aliases_are_exported_and_documented():
    assert set(T.__all__) <= set(dir(T))
    for n in T.__all__:
        assert f"`{n}`" in (T.__doc__ or ""), f"pixelgrad.types.{n} missing from the module docstring"


def test_typed_calls_run():
    """The calls mypy accepts in ``usage_ok.py`` work at run time too."""
    from tests.project.typing_snippets import usage_ok

    usage_ok.run()


def test_mypy_on_user_code():
    """One mypy run (the repository's ``[tool.mypy]`` configuration and cache: about 2 s warm,
    20 s cold) over both files: ``usage_ok.py`` is clean, ``usage_bad.py`` has an error on
    exactly the lines marked ``# error``."""
    files = [SNIPPETS / "usage_ok.py", SNIPPETS / "usage_bad.py"]
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context",
                        *(str(f.relative_to(ROOT)) for f in files)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out                   # 1: type errors found (2 would be a crash)
    errors = re.findall(r"^(.*?):(\d+): error:", r.stdout, flags=re.M)
    assert {Path(f).name for f, _ in errors} == {"usage_bad.py"}, out
    want = {i for i, line in enumerate(files[1].read_text().splitlines(), 1) if line.endswith("# error")}
    got = {int(n) for _, n in errors}
    assert want and got == want, (sorted(want), sorted(got), out)
