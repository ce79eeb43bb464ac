"""The package as a user gets it: build the sdist and the wheel (the wheel from the sdist, as
``python -m build`` does), install the wheel into a fresh virtual environment and run it
from outside the checkout. Catches modules or data files missing from the package, a broken
entry point, metadata that does not match the code.

The fresh venv has no site packages of its own except the wheel; its dependencies (torch,
numpy, OpenCV, ...) come from the environment running this test through a ``.pth`` line,
so nothing is downloaded and torch is never reinstalled. A ``.pth`` line adds a folder to
``sys.path`` without processing the ``.pth`` files inside it, so the editable install of the
checkout that lives there is *not* active in the fresh venv: ``import pixelgrad`` must find
the installed wheel, and the test checks it does.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests._layout import ROOT, all_modules, public_modules

VERSION_FILE = ROOT / "pyproject.toml"
DATA_FILES = ("pixelgrad/py.typed", "pixelgrad/data/astronaut.png", "pixelgrad/data/example_pipeline.yaml")


def _run(cmd: list, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _project_version() -> str:
    import tomllib

    return tomllib.loads(VERSION_FILE.read_text(encoding="utf-8"))["project"]["version"]


def _clean_copy(dest: Path) -> Path:
    """The files a fresh clone would have (tracked, plus new files git does not ignore), so
    build output left in the checkout (an old ``*.egg-info`` lists files that may be gone
    from the configuration) cannot hide a file missing from the package."""
    files = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT).stdout
    for rel in filter(None, files.split("\0")):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    tree = _clean_copy(tmp_path_factory.mktemp("tree"))
    # --no-isolation: build with this environment's setuptools instead of downloading one
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, tree], cwd=tree)
    return out


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=env_dir)
    py = env_dir / "bin" / "python"
    purelib = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=env_dir).stdout.strip()
    [wheel] = dist.glob("*.whl")
    # install first: with the dependencies' folder on the path, pip would see the checkout's
    # editable install there and call pixelgrad already installed
    _run([sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index", "-q", wheel],
         cwd=env_dir, env=_clean_env(env_dir))
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "_pixelgrad_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return env_dir


def _clean_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONNOUSERSITE="1", OMP_NUM_THREADS="1", HOME=str(home), MPLBACKEND="Agg")
    return env


def test_sdist_and_wheel_hold_every_module_and_data_file(dist):
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    version = _project_version()
    assert wheel.name == f"pixelgrad-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        in_wheel = set(z.namelist())
    with tarfile.open(sdist) as t:
        in_sdist = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    sources = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "pixelgrad").rglob("*.py")}
    assert sources <= in_wheel, f"missing from the wheel: {sorted(sources - in_wheel)}"
    assert {f"src/{s}" for s in sources} <= in_sdist
    for f in DATA_FILES:
        assert f in in_wheel, f
        assert f"src/{f}" in in_sdist, f
    assert not any(n.startswith(("tests/", "conftest", "docs/")) for n in in_wheel)


def test_installed_wheel_runs_outside_the_checkout(venv, tmp_path):
    bin_ = venv / "bin"
    env = _clean_env(tmp_path)
    version = _project_version()

    out = _run([bin_ / "pixelgrad", "--version"], cwd=tmp_path, env=env).stdout.strip()
    assert out == version

    _run([bin_ / "pixelgrad", "demo", "--quick", "-o", tmp_path / "demo"], cwd=tmp_path, env=env)
    written = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert "blur_family.png" in written and "restore_progress.gif" in written, written

    config = _run([bin_ / "pixelgrad", "augment", "--example-config"], cwd=tmp_path, env=env).stdout
    assert "type:" in config

    optional = {"triton": importlib.util.find_spec("triton") is not None}
    script = textwrap.dedent(f"""
        import importlib, importlib.metadata, pathlib, sys
        import pixelgrad
        where = pathlib.Path(pixelgrad.__file__).resolve()
        assert where.is_relative_to(pathlib.Path({str(venv)!r}).resolve()), where
        assert (where.parent / "py.typed").is_file()
        assert importlib.metadata.version("pixelgrad") == pixelgrad.__version__ == {version!r}
        optional = {optional!r}
        for name in {public_modules()!r}:
            if "triton" in name.split(".") and not optional["triton"]:
                continue
            importlib.import_module(name)
        installed = sorted(str(p.relative_to(where.parent.parent)) for p in where.parent.rglob("*.py"))
        print("\\n".join(installed))
    """)
    listed = _run([bin_ / "python", "-c", script], cwd=tmp_path, env=env).stdout.split()
    modules = {p[:-3].replace("/", ".").removesuffix(".__init__") for p in listed}
    assert set(all_modules()) <= modules, f"not installed: {sorted(set(all_modules()) - modules)}"
