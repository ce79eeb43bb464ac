"""`pixelgrad bench`: listing, unknown names are usage errors."""
from __future__ import annotations

from pixelgrad.cli.main import main


def test_bench_list(capsys):
    assert main(["bench", "--list"]) == 0
    assert "blur" in capsys.readouterr().out.split()


def test_bench_unknown_name_is_usage_error(capsys):
    assert main(["bench", "nope"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err
