"""The documentation site covers the package: every public module has an API page entry,
every page is in the navigation. (The site itself is built by `make docs`, with --strict.)"""
from __future__ import annotations

import re

import yaml

from tests._layout import ROOT, public_modules

DOCS = ROOT / "docs"


def _documented_modules() -> set[str]:
    found = set()
    for page in (DOCS / "api").glob("*.md"):
        found |= set(re.findall(r"^:::\s+([\w.]+)\s*$", page.read_text(encoding="utf-8"), re.M))
    return found


def _nav_pages(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [p for v in node.values() for p in _nav_pages(v)]
    if isinstance(node, list):
        return [p for v in node for p in _nav_pages(v)]
    return []


def _mkdocs_config() -> dict:
    class _Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml may use !ENV / !!python tags; they do not matter here
    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)


def test_every_public_module_is_in_the_api_reference():
    missing = sorted(set(public_modules()) - _documented_modules())
    assert not missing, f"add `::: <module>` for these to a page in docs/api/: {missing}"


def test_api_reference_names_only_existing_modules():
    from tests._layout import all_modules

    unknown = sorted(_documented_modules() - set(all_modules()))
    assert not unknown, f"docs/api/ documents modules that do not exist: {unknown}"


def test_every_page_is_in_the_navigation():
    nav = set(_nav_pages(_mkdocs_config()["nav"]))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    missing = sorted(pages - nav)
    assert not missing, f"add these pages to `nav:` in mkdocs.yml: {missing}"
    generated = {"gallery.md"}                       # written by docs/hooks.py during the build
    dangling = sorted(nav - pages - generated)
    assert not dangling, f"mkdocs.yml lists pages that do not exist: {dangling}"
