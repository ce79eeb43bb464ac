"""Griffe extension of the pixelgrad site: the reST markup of the numpydoc docstrings, as Markdown.

The docstrings are written for ``help()``, numpydoc and ``pytest --doctest-modules``: numpydoc
sections with reST inline markup. mkdocstrings renders docstrings as Markdown, so before an
object's docstring is parsed (listed under ``extensions:`` of the python handler in mkdocs.yml)
this pass rewrites, for the site only:

* ``:math:`x``` and ``.. math::`` blocks -> arithmatex ``\\(x\\)`` / ``$$ ... $$`` (typeset into
  MathML by ``docs/hooks.py``; a multi-line block with ``\\\\`` is ``aligned``, as in Sphinx);
* ``:func:`~a.b```, ``:class:``, ``:mod:``, ... -> code linked to the object's API entry when the
  site has one (an optional autorefs reference: a name outside the site stays plain code);
* double-backtick literals -> Markdown code; ``nn.Module``\\ s (reST escaped space) -> ``nn.Module``s;
* ``[1]_`` citations -> links to their ``.. [1] ...`` entry, which becomes an anchored paragraph;
* ``>>>`` sessions outside an Examples section, and ``text::`` literal blocks -> fenced code;
* reST simple tables (``====  ====`` borders) -> Markdown tables;
* reST definition lists (a term line, its description indented below) -> Markdown bullet items;
* a Methods / Functions / Classes section whose entries are not names (prose about a
  ``method=`` argument, say) -> an admonition, not a table of functions.

Code (fences, doctest lines and their output, literal blocks) is never rewritten.
"""
from __future__ import annotations

import ast
import html
import re
from typing import Any, Callable, Optional

from griffe import Extension, Object

_ROLE = re.compile(r":(?:py:)?(func|meth|mod|class|data|attr|exc|obj|const|term|ref|doc|math):`([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``(?!`)")
_CITE = re.compile(r"\[([\w.-]+)\]_")
_REFDEF = re.compile(r"^(\s*)\.\. \[([\w.-]+)\]\s*(.*)$")
_MATH = re.compile(r"^(\s*)\.\. math::\s*(.*?)\s*$")
_DIRECTIVE = re.compile(r"^\s*\.\. [\w-]+::")
_FENCE = re.compile(r"^\s*(```|~~~)")
_DASHES = re.compile(r"^\s*-{3,}\s*$")
_NAME = re.compile(r"[A-Za-z_][\w.]*(\(.*\))?(\s*:.*)?")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#\.)\s")
_TABLE_BORDER = re.compile(r"^\s*=+(?: +=+)+\s*$")
_PLACEHOLDER = "\x00{}\x00"

#: numpydoc sections griffe reads as lists of items, not prose.
_ITEM_SECTIONS = {"parameters", "other parameters", "returns", "yields", "receives", "raises", "warns",
                  "attributes", "functions", "methods", "classes", "modules", "type parameters", "type aliases"}
_NAME_SECTIONS = {"functions", "methods", "classes", "modules"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(lower-case title, first body line, end) of each numpydoc section; '' for the text before."""
    marks = [i for i in range(len(lines) - 1)
             if lines[i].strip() and _DASHES.match(lines[i + 1]) and (i == 0 or not lines[i - 1].strip())]
    out = [("", 0, marks[0] if marks else len(lines))]
    for k, i in enumerate(marks):
        out.append((lines[i].strip().lower(), i + 2, marks[k + 1] if k + 1 < len(marks) else len(lines)))
    return out


def _language(block: list[str]) -> str:
    """``python`` for a literal block that is Python code, else ``text``."""
    try:
        ast.parse("\n".join(block))
    except SyntaxError:
        return "text"
    return "python" if any(c in "\n".join(block) for c in "(=:") else "text"


def _code_span(text: str) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds."""
    ticks = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _is_name_section(body: list[str]) -> bool:
    """Whether the entries of a Functions / Methods section are names (``name`` or ``name : ...``)."""
    heads = [ln.strip() for ln in body if ln.strip() and _indent(ln) == 0]
    return all(_NAME.fullmatch(h) for h in heads)


def _math_block(indent: str, body: list[str]) -> list[str]:
    """Sphinx ``.. math::`` content -> arithmatex ``$$`` blocks (one per blank-line-separated group)."""
    out: list[str] = []
    group: list[str] = []
    for ln in body + [""]:
        if ln.strip():
            group.append(ln.strip())
            continue
        if group:
            tex = "\n".join(group)
            if "\\\\" in tex and "\\begin" not in tex:
                tex = "\\begin{aligned}" + tex + "\\end{aligned}"
            out += ["", f"{indent}$$", *(f"{indent}{t}" for t in tex.split("\n")), f"{indent}$$", ""]
            group = []
    return out


class Converter:
    """One docstring's reST -> Markdown. ``resolve(name)`` gives the site identifier of a
    cross-referenced name, or None; ``anchor`` prefixes the ids of its reference list."""

    def __init__(self, resolve: Callable[[str], Optional[str]] = lambda name: None, anchor: str = "ref") -> None:
        self.resolve = resolve
        self.anchor = anchor

    # -- blocks ---------------------------------------------------------------------------
    def convert(self, text: str) -> str:
        lines = text.split("\n")
        self.labels = {m[2] for ln in lines if (m := _REFDEF.match(ln))}
        out: list[str] = []
        for title, start, end in _sections(lines):
            if start >= 2:
                heading = lines[start - 2:start]
                body = lines[start:end]
                if title in _NAME_SECTIONS and not _is_name_section(body):
                    out += [f'!!! abstract "{heading[0].strip()}"', ""]
                    out += [("    " + ln if ln.strip() else "") for ln in self._prose(body)]
                    continue
                out += [self._inline(heading[0]), heading[1]]
            else:
                body = lines[start:end]
            if title == "examples":
                out += self._code_aware(body, fence_doctest=False)
            elif title in _ITEM_SECTIONS:
                out += self._code_aware(body, fence_doctest=True)
            else:
                out += self._prose(body)
        return "\n".join(out)

    def _prose(self, body: list[str]) -> list[str]:
        return self._code_aware(self._deflists(body), fence_doctest=True)

    def _deflists(self, lines: list[str]) -> list[str]:
        """reST definition lists (a term line, its description indented below it) -> Markdown
        bullets, the description re-indented under the bullet."""
        out: list[str] = []
        i = 0
        in_fence = False
        after_item = False
        item_base = -1
        while i < len(lines):
            ln = lines[i]
            if _FENCE.match(ln):
                in_fence = not in_fence
            if not in_fence and ln.rstrip().endswith("::"):     # a literal block or a directive's body
                j = i + 1
                while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > _indent(ln)):
                    j += 1
                while j > i + 1 and not lines[j - 1].strip():
                    j -= 1
                out += lines[i:j]
                i = j
                after_item = False
                continue
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            prev_blank = i == 0 or not lines[i - 1].strip()
            next_item = after_item and not prev_blank and _indent(ln) == item_base   # a term with no description
            if (not in_fence and ln.strip() and (next_item or nxt.strip() and _indent(nxt) > _indent(ln) and
                                                 (prev_blank or after_item))
                    and not _BULLET.match(ln) and not ln.lstrip().startswith((">>>", "..", "$$", "```"))
                    and not ln.rstrip().endswith("::")):
                base = item_base = _indent(ln)
                j = i + 1
                while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
                    j += 1
                while j > i + 1 and not lines[j - 1].strip():
                    j -= 1
                sub = lines[i + 1:j]
                pad = " " * base
                if not after_item and out and out[-1].strip():
                    out.append("")
                out.append(f"{pad}- {ln.strip()}")
                if sub:
                    inner = min(_indent(s) for s in sub if s.strip())
                    out += [(pad + "    " + s) if s.strip() else "" for s in self._deflists([s[inner:] for s in sub])]
                i = j
                after_item = True
                continue
            after_item = False
            out.append(ln)
            i += 1
        return out

    def _code_aware(self, lines: list[str], fence_doctest: bool) -> list[str]:
        """Math directives, reference lists, literal blocks and doctest sessions; inline markup
        on every other line."""
        out: list[str] = []
        i = 0
        while i < len(lines):
            ln = lines[i]
            ind = _indent(ln)
            if _FENCE.match(ln):                                  # a Markdown fence: copied as is
                j = i + 1
                while j < len(lines) and not _FENCE.match(lines[j]):
                    j += 1
                out += lines[i:j + 1]
                i = j + 1
                continue
            if ln.lstrip().startswith(">>>"):                   # a doctest session
                j = i
                while j < len(lines) and lines[j].strip() and _indent(lines[j]) >= ind:
                    j += 1
                if fence_doctest:
                    pad = " " * ind
                    out += ["", f"{pad}```pycon", *lines[i:j], f"{pad}```", ""]
                else:
                    out += lines[i:j]
                i = j
                continue
            if _TABLE_BORDER.match(ln):                        # a reST simple table
                j, table = self._table(lines, i)
                out += ["", *table, ""]
                i = j
                continue
            m = _MATH.match(ln)
            if m:                                               # .. math:: [formula] + indented body
                j = i + 1
                while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > ind):
                    j += 1
                while j > i + 1 and not lines[j - 1].strip():
                    j -= 1
                body = [b for b in lines[i + 1:j] if not re.match(r"^\s*:\w+:", b)]
                out += _math_block(m[1], ([m[2]] if m[2] else []) + ([""] if m[2] and body else []) + body)
                i = j
                continue
            m = _REFDEF.match(ln)
            if m:                                               # .. [1] reference + continuation
                j = i + 1
                while j < len(lines) and lines[j].strip() and _indent(lines[j]) > ind and not _REFDEF.match(lines[j]):
                    j += 1
                text = " ".join([m[3]] + [s.strip() for s in lines[i + 1:j]])
                anchor = f"{self.anchor}-{m[2]}"
                out += ["", f'{m[1]}<span id="{anchor}"></span>\\[{m[2]}\\] {self._inline(text)}', ""]
                i = j
                continue
            if ln.rstrip().endswith("::") and not _DIRECTIVE.match(ln):   # text:: + literal block
                head = ln.rstrip()[:-2].rstrip()
                j = i + 1
                while j < len(lines) and not lines[j].strip():
                    j += 1
                k = j
                while k < len(lines) and (not lines[k].strip() or _indent(lines[k]) > ind):
                    k += 1
                while k > j and not lines[k - 1].strip():
                    k -= 1
                if head.strip():
                    out.append(self._inline(head + (":" if not head.endswith(":") else "")))
                if k == j:
                    i += 1
                    continue
                if k > j:
                    inner = min(_indent(s) for s in lines[j:k] if s.strip())
                    pad = " " * ind
                    block = [s[inner:] for s in lines[j:k]]
                    out += ["", f"{pad}```{_language(block)}", *[pad + s for s in block], f"{pad}```", ""]
                i = k
                continue
            while ln.count("``") % 2 and i + 1 < len(lines) and lines[i + 1].strip():
                i += 1                                          # a ``literal`` across a line break
                ln = ln.rstrip() + " " + lines[i].strip()
            out.append(self._inline(ln))
            i += 1
        return out

    def _table(self, lines: list[str], i: int) -> tuple[int, list[str]]:
        """The reST simple table whose top border is ``lines[i]`` -> (end, Markdown table). A
        line whose first column is blank, or follows a first cell ending in a comma, continues
        the row above (the last column may run past its border, as in reST). Pipes need no
        escape: the cells hold them only in code spans, which Markdown tables leave whole."""
        border = lines[i]
        cols = [(m.start(), m.end()) for m in re.finditer("=+", border)]
        starts = [a for a, _ in cols] + [None]

        def cells(line: str) -> list[str]:
            return [line[a:b].strip() if b is not None else line[a:].strip() for a, b in zip(starts, starts[1:])]

        rows: list[list[str]] = []
        header: Optional[list[str]] = None
        j = i + 1
        borders = 1
        while j < len(lines):
            ln = lines[j]
            if _TABLE_BORDER.match(ln):
                borders += 1
                if header is None and borders == 2:
                    header, rows = (rows[0] if rows else [""] * len(cols)), []
                    j += 1
                    continue
                j += 1
                break
            if not ln.strip():
                if header is None:
                    break
                j += 1
                continue
            c = cells(ln)
            if rows and (not c[0] or rows[-1][0].endswith(",")):
                rows[-1] = [(a + " " + b).strip() for a, b in zip(rows[-1], c)]
            else:
                rows.append(c)
            j += 1
        if header is None:
            header, rows = [""] * len(cols), rows
        pad = " " * _indent(border)

        def row(c: list[str]) -> str:
            return pad + "| " + " | ".join(self._inline(x) for x in c) + " |"

        return j, [row(header), pad + "|" + "---|" * len(cols), *(row(r) for r in rows)]

    # -- inline -----------------------------------------------------------------------------
    def _inline(self, line: str) -> str:
        kept: list[str] = []

        def keep(s: str) -> str:
            kept.append(s)
            return _PLACEHOLDER.format(len(kept) - 1)

        def role(m: re.Match) -> str:
            kind, target = m[1], m[2]
            if kind == "math":
                return keep(f"\\({target}\\)")
            title, _, ref = target.partition(" <")
            if ref:                                             # :func:`title <target>`
                target = ref.rstrip(">")
            short = target.startswith("~")
            target = target.lstrip("~.")
            shown = title if ref else (target.rsplit(".", 1)[-1] if short else target)
            code = keep(_code_span(shown))
            ident = self.resolve(target)
            if ident:
                return keep(f'<autoref identifier="{html.escape(ident)}" optional>') + code + keep("</autoref>")
            return code

        def literal(m: re.Match) -> str:
            return keep(_code_span(m[1]))

        def cite(m: re.Match) -> str:
            if m[1] in self.labels:
                return keep(f'<a href="#{self.anchor}-{m[1]}">[{html.escape(m[1])}]</a>')
            return keep(f"[{html.escape(m[1])}]")

        line = _ROLE.sub(role, line)
        line = _LITERAL.sub(literal, line)
        line = _CITE.sub(cite, line)
        line = line.replace("\\ ", "")                          # reST escaped space: ``nn.Module``\ s
        line = re.sub(r"^(\s*)>", r"\1\\>", line)                  # "> 0: ..." is text, not a quote
        return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m[1])], line)


def _resolver(obj: Object) -> Callable[[str], Optional[str]]:
    """A cross-reference's identifier on the site: absolute, or relative to the object, its
    class or its module (as Sphinx resolves them); None for names outside the package."""
    scopes = []
    o: Any = obj
    while o is not None:
        scopes.append(o)
        o = o.parent

    def resolve(name: str) -> Optional[str]:
        root = name.split(".", 1)[0]
        if root == scopes[-1].name:
            return name
        for scope in scopes:
            try:
                if root in scope.members:
                    return f"{scope.path}.{name}"
            except Exception:        # noqa: BLE001 (an alias that does not resolve)
                continue
        return None

    return resolve


class ReSTToMarkdown(Extension):
    """Rewrites every docstring of the loaded package once its object tree is complete."""

    def on_package(self, *, pkg: Object, **kwargs: Any) -> None:
        self.on_object(obj=pkg)          # on_object is not called for the root package itself

    def on_object(self, *, obj: Object, **kwargs: Any) -> None:
        doc = obj.docstring
        if doc is None or getattr(doc, "_pixelgrad_md", False):
            return
        anchor = "ref-" + obj.path.replace(".", "-").replace("_", "-")
        doc.value = Converter(_resolver(obj), anchor).convert(doc.value)
        doc._pixelgrad_md = True     # type: ignore[attr-defined]
