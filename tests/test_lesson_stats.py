"""tools/lesson_stats.py: the size of the chapters' code cells and their functions that read notebook globals."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import lesson_stats  # noqa: E402


def _nb(*cells):
    out = []
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = list(tags)
        out.append(cell)
    return nbformat.v4.new_notebook(cells=out)


def test_counts_the_cells_a_reader_reads():
    nb = _nb(
        ("quick = None\nseed = 0", ["parameters"]),
        ("import numpy as np\nx = np.arange(3)\n\ny = x + 1", []),
        ("answer = 3\n" * 30, ["solution", "hide-input"]),
        ("check('a', answer)", ["self-check"]),
        ("expect(True, 's', cfg)", ["remove-cell"]),
        ("\n".join(f"z{i} = {i}" for i in range(25)), []),
    )
    stats = lesson_stats.analyse(nb)
    assert stats.lengths == [3, 25]  # blank lines do not count; skipped tags are left out
    assert stats.median == 14 and not stats.ok


def test_finds_functions_that_read_notebook_globals():
    nb = _nb(
        ("import numpy as np\nfrom math import pi\ndata = np.ones(3)\nscale = 2", []),
        ("def pure(a, b=1):\n    c = np.sum(a) * pi\n    return len([c]) + b", []),
        ("def leaky(a):\n    return a * scale + data.sum()", []),
        ("def calls_pure(a):\n    for k in range(3):\n        a = pure(a, k)\n    return a", []),
        ("def nested():\n    def inner(v):\n        return v\n    return inner(scale)", []),
        ("%matplotlib inline\nresult = leaky(1)", []),
    )
    stats = lesson_stats.analyse(nb)
    assert stats.functions == ["pure", "leaky", "calls_pure", "nested", "inner"]
    assert stats.reading_globals == {"leaky": ["data", "scale"], "nested": ["scale"]}
    assert stats.median <= lesson_stats.MEDIAN_TARGET and not stats.ok


def test_a_lesson_that_meets_the_targets():
    nb = _nb(("import helpers\nacc = helpers.run(3)", []), ("print(acc)", []))
    assert lesson_stats.analyse(nb).ok


def test_a_cell_that_does_not_parse_is_named():
    with pytest.raises(ValueError, match="chapter-x: a code cell does not parse"):
        lesson_stats.analyse(_nb(("def f(:\n    pass", [])), "chapter-x")


def test_the_command_prints_every_chapter_and_checks_on_request():
    tool = [sys.executable, str(ROOT / "tools" / "lesson_stats.py")]
    shown = subprocess.run(tool, capture_output=True, text=True, cwd=ROOT)
    assert shown.returncode == 0
    chapters = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    assert all(f"| {c} |" in shown.stdout for c in chapters)
    checked = subprocess.run(tool + ["--check"], capture_output=True, text=True, cwd=ROOT)
    assert checked.returncode == (0 if "not yet" not in shown.stdout else 1)
