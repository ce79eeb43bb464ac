"""Every Python snippet of README.md and docs/**/*.md runs as written.

The fenced blocks of one file (```` ```python ```` or ```` ```py ````) run in order in one shared
namespace, in a temporary working directory, as a reader pasting them one after the other
would. A block that cannot run here (it needs a cluster, a GPU, a bucket) carries a marker on
the line right above its fence::

    <!-- snippet: skip (needs a Ray cluster) -->

(an HTML comment, invisible on the rendered page); it is reported as a skipped test with
that reason. New pages under docs/ are picked up without any change here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
SKIP = re.compile(r"^\s*<!--\s*snippet:\s*skip\s*\((?P<reason>[^)]*)\)\s*-->\s*$")
PYTHON = {"python", "py", "python3"}


@dataclass
class Block:
    path: Path
    line: int            # 1-based line of the first code line in the file
    code: str
    skip: str | None     # reason, or None


def extract_blocks(path: Path) -> list[Block]:
    """The fenced code blocks tagged Python in a Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent, info = m["fence"], len(m["indent"]), m["info"].lower()
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].strip().startswith(fence[0] * len(fence)):
            j += 1
        if info in PYTHON:
            body = [ln[indent:] if ln[:indent].strip() == "" else ln for ln in lines[start:j]]
            prev = lines[i - 1] if i > 0 else ""
            s = SKIP.match(prev)
            blocks.append(Block(path, start + 1, "\n".join(body) + "\n", s["reason"].strip() if s else None))
        i = j + 1
    return blocks


def markdown_files() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))


def _cases():
    for path in markdown_files():
        blocks = extract_blocks(path)
        rel = path.relative_to(ROOT).as_posix()
        if any(b.skip is None for b in blocks):
            yield pytest.param(path, None, id=rel)
        for b in blocks:
            if b.skip is not None:
                yield pytest.param(path, b, id=f"{rel}:{b.line}")


@pytest.mark.parametrize("path, skipped", list(_cases()))
def test_snippets_run(path: Path, skipped: Block | None, tmp_path, monkeypatch) -> None:
    if skipped is not None:
        pytest.skip(f"{skipped.path.name}:{skipped.line}: {skipped.skip}")
    monkeypatch.chdir(tmp_path)                   # snippets may write files (pipeline.yaml, ...)
    namespace: dict = {"__name__": "__snippets__"}
    for block in extract_blocks(path):
        if block.skip is not None:
            continue
        # pad with newlines so tracebacks give the line numbers of the Markdown file
        code = compile("\n" * (block.line - 1) + block.code, str(path), "exec")
        exec(code, namespace)


# ----------------------------------------------------------------- the extractor itself
def test_extractor_finds_blocks_markers_and_line_numbers(tmp_path) -> None:
    md = tmp_path / "page.md"
    md.write_text("# t\n\n```python\na = 1\n```\n\n```bash\nls\n```\n"
                  "<!-- snippet: skip (needs a GPU) -->\n```py\nb = a + 1\n```\n"
                  "  ```python\n  c = 3\n  ```\n", encoding="utf-8")
    blocks = extract_blocks(md)
    assert [b.code for b in blocks] == ["a = 1\n", "b = a + 1\n", "c = 3\n"]
    assert [b.line for b in blocks] == [4, 12, 15]
    assert [b.skip for b in blocks] == [None, "needs a GPU", None]


def test_failing_snippet_fails_with_markdown_line(tmp_path, monkeypatch) -> None:
    md = tmp_path / "bad.md"
    md.write_text("text\n\n```python\nx = 1\ny = undefined_name\n```\n", encoding="utf-8")
    with pytest.raises(NameError) as info:
        test_snippets_run(md, None, tmp_path, monkeypatch)
    tb = info.traceback[-1]
    assert Path(str(tb.path)) == md and tb.lineno + 1 == 5
