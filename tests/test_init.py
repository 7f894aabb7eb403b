"""The package's front page (helpers/__init__.py): its top-level names and the module-to-chapter map."""

import json
import re
from pathlib import Path

import helpers

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem for p in (ROOT / "helpers").glob("*.py") if p.stem != "__init__")


def test_every_module_is_mapped_to_the_chapter_that_introduces_it():
    assert sorted([*helpers.MODULE_CHAPTERS, *helpers.INTERNAL_MODULES]) == MODULES
    assert not set(helpers.MODULE_CHAPTERS) & set(helpers.INTERNAL_MODULES)
    for module, chapter in helpers.MODULE_CHAPTERS.items():
        path = ROOT / "book" / f"{chapter}.ipynb"
        assert path.is_file(), f"{module}: no chapter {chapter}"
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        # the chapter uses or names the module, or uses the top-level names it exports
        exported = [n for n in helpers.__all__ if getattr(getattr(helpers, n), "__module__", "") == f"helpers.{module}"]
        used = re.search(rf"helpers\.{module}\b|from helpers import [^\n]*\b{module}\b", code) or any(
            re.search(rf"\b{n}\b", code) for n in exported
        )
        assert used, f"{chapter} does not use helpers.{module}, which the map says it introduces"


def test_the_docstring_lists_every_module_with_its_chapter():
    doc = helpers.__doc__
    for module, chapter in helpers.MODULE_CHAPTERS.items():
        row = next((line for line in doc.splitlines() if line.startswith(f"``{module}``")), None)
        assert row and row.rstrip().split("  ")[-1].strip().startswith(chapter[:2]), f"{module}: {row!r}"


def test_the_docstring_names_the_internal_modules():
    for module in helpers.INTERNAL_MODULES:
        assert f"``{module}``" in helpers.__doc__


def test_top_level_names_exist():
    for name in helpers.__all__:
        assert hasattr(helpers, name), name
