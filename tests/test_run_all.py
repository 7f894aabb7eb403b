"""The full-scale run command (tools/run_all.py): refusals, and a report from a real (quick) run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
TOOL = [sys.executable, str(ROOT / "tools" / "run_all.py")]
sys.path.insert(0, str(ROOT / "tools"))


def run(*args):
    return subprocess.run(TOOL + list(args), capture_output=True, text=True, cwd=ROOT)


def test_refuses_bad_input_and_keeps_earlier_reports(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "report.json").write_text('{"earlier": true}')
    bad = run("nope", "--out", str(out))
    assert bad.returncode == 2 and "no chapter 'nope'" in bad.stderr
    afile = tmp_path / "afile"
    afile.write_text("x")
    bad = run("03", "--out", str(afile))
    assert bad.returncode == 2 and "is a file" in bad.stderr
    bad = run("03", "--device", "tpu", "--out", str(out))
    assert bad.returncode == 2 and "device must be auto, cpu or cuda" in bad.stderr
    if not torch.cuda.is_available():
        bad = run("03", "--device", "cuda", "--out", str(out))
        assert bad.returncode == 2 and "sees no CUDA GPU" in bad.stderr
    assert json.loads((out / "report.json").read_text()) == {"earlier": True}


def test_a_quick_run_writes_both_reports(tmp_path):
    out = tmp_path / "run"
    ok = run("03", "--quick", "--device", "cpu", "--out", str(out))
    assert ok.returncode == 0, ok.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    (row,) = report["chapters"]
    assert row["chapter"] == "03_structured_matrices" and row["ok"] and row["quick"]
    assert row["wall_s"] > 0 and 50 < row["peak_mib"] < 8192
    # the key results: every glued value the chapter's prose quotes, in reading order
    from run_all import quoted_names

    quoted = quoted_names(ROOT / "book" / "03_structured_matrices.ipynb")
    assert row["results"] and list(row["results"]) == [n for n in quoted if n in row["results"]]
    assert any(isinstance(v, float) for v in row["results"].values())
    assert (out / "03_structured_matrices.ipynb").is_file()
    assert "| 03_structured_matrices | yes |" in (out / "report.md").read_text()
    # where the time goes: the slowest cells, longest first, with their section
    cells = row["slowest_cells"]
    assert 1 <= len(cells) <= 3
    assert [c["seconds"] for c in cells] == sorted((c["seconds"] for c in cells), reverse=True)
    assert all(c["seconds"] <= row["wall_s"] and c["section"] for c in cells)
    assert "## Where the time goes" in (out / "report.md").read_text()
    assert "- **03_structured_matrices**: " in (out / "report.md").read_text()


def test_slowest_cells_reads_papermill_timings(tmp_path):
    import nbformat

    sys.path.insert(0, str(ROOT / "tools"))
    from run_all import slowest_cells

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n## Training"),
        nbformat.v4.new_code_cell("import torch\nfit(model)  # slow"),
        nbformat.v4.new_markdown_cell("## Plots"),
        nbformat.v4.new_code_cell("# a comment\nplot()"),
        nbformat.v4.new_code_cell("not run"),
    ]
    nb.cells[1].metadata["papermill"] = {"duration": 12.5}
    nb.cells[3].metadata["papermill"] = {"duration": 0.5}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert slowest_cells(path) == [
        {"cell": 1, "seconds": 12.5, "section": "Training", "code": "fit(model)  # slow"},
        {"cell": 3, "seconds": 0.5, "section": "Plots", "code": "plot()"},
    ]


def test_relative_path_settings_are_made_absolute_before_kernels_start(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    from run_all import anchor_paths

    env = {"LAAIC_DATA_ROOT": "../shared/datasets", "LAAIC_CACHE_DIR": str(tmp_path), "OTHER": "x"}
    changed = anchor_paths(env, base=str(ROOT))
    assert changed == {"LAAIC_DATA_ROOT": str(ROOT.parent / "shared" / "datasets")}
    assert env["LAAIC_DATA_ROOT"] == str(ROOT.parent / "shared" / "datasets")
    assert env["LAAIC_CACHE_DIR"] == str(tmp_path) and env["OTHER"] == "x"
    assert anchor_paths({"LAAIC_DATA_ROOT": "  "}) == {}


def test_key_results_are_the_glued_values_the_prose_quotes_in_reading_order(tmp_path):
    import nbformat
    from run_all import key_results, quoted_names

    def glue_output(name, text):
        return nbformat.v4.new_output(
            "display_data", data={"text/plain": text}, metadata={"scrapbook": {"name": name, "mime_prefix": ""}}
        )

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell('Accuracy {eval}`helpers.glued("acc:.1f")`% and {glue:text}`speed:.2f`.'),
        nbformat.v4.new_code_cell("glue(...)"),
        nbformat.v4.new_markdown_cell('Again {eval}`helpers.glued("acc")`, then {eval}`helpers.glued("name")`.'),
        nbformat.v4.new_markdown_cell("```{glue:md} table\n```\n{glue}`figure` is a picture, not a result."),
    ]
    nb.cells[1].outputs = [
        glue_output("speed", "np.float64(2.5)"),
        glue_output("acc", "97.25"),
        glue_output("name", "'MNIST'"),
        glue_output("unquoted", "1.0"),
        glue_output("figure", "<Figure size 640x480 with 1 Axes>"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert quoted_names(path) == ["acc", "speed", "name", "table"]
    assert key_results(path) == {"acc": 97.25, "speed": 2.5, "name": "MNIST"}


def test_the_report_prints_whole_numbers_whole_and_skips_glued_tables():
    import run_all

    assert run_all._show(60000.0) == "60,000" and run_all._show(0.123456) == "0.1235"
    assert run_all._show(2.5e-16) == "2.5e-16" and run_all._show("7 → 2") == "7 → 2"
    assert run_all._is_display_object("<IPython.core.display.Markdown object>")
    assert not run_all._is_display_object("AMD EPYC, 2 logical cores")
    report = {
        "quick": True,
        "device": "cpu",
        "date": "today",
        "machine": "m",
        "total_s": 1.0,
        "chapters": [
            {
                "chapter": "00_x",
                "ok": True,
                "wall_s": 1.0,
                "peak_mib": 1.0,
                "results": {"n": 60000.0, "table": "<IPython.core.display.Markdown object>"},
                "slowest_cells": [],
            }
        ],
    }
    text = run_all.markdown(report)
    assert "n = 60,000" in text and "table" not in text


def _snapshot(folder):
    return {p: p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def test_refuses_an_output_folder_that_is_holds_or_lies_in_the_book(tmp_path):
    """Issue 20: `--out book` once overwrote the chapters with executed copies; refused before anything runs."""
    book = ROOT / "book"
    before = _snapshot(book)
    link = tmp_path / "book-link"
    link.symlink_to(book, target_is_directory=True)
    inside = book / "runs-should-not-exist"
    for out, why in [
        (book, "is the chapters' source folder"),
        (ROOT / "book" / ".." / "book", "is the chapters' source folder"),
        (link, "is the chapters' source folder"),
        (inside, "is the chapters' source folder"),
        (ROOT, "contains the chapters' source folder"),
    ]:
        bad = run("03", "--device", "cpu", "--out", str(out))
        assert bad.returncode == 2, (out, bad.stdout, bad.stderr[-2000:])
        assert why in bad.stderr and "_build" in bad.stderr, bad.stderr
        assert "running" not in bad.stdout
    assert not inside.exists()
    assert not (ROOT / "report.json").exists() and not (book / "report.json").exists()
    assert _snapshot(book) == before  # the chapters are byte for byte unchanged


def test_refuses_an_output_file_that_is_a_chapter_notebook(tmp_path):
    book = ROOT / "book"
    before = _snapshot(book)
    out = tmp_path / "run"
    out.mkdir()
    (out / "03_structured_matrices.ipynb").symlink_to(book / "03_structured_matrices.ipynb")
    bad = run("03", "--device", "cpu", "--out", str(out))
    assert bad.returncode == 2 and "chapter source notebook" in bad.stderr, bad.stderr
    assert "running" not in bad.stdout and sorted(p.name for p in out.iterdir()) == ["03_structured_matrices.ipynb"]
    assert _snapshot(book) == before


def test_check_out_compares_resolved_paths_and_hard_links(tmp_path):
    import nbformat
    import pytest
    from run_all import RunError, check_out

    book = tmp_path / "src" / "book"
    book.mkdir(parents=True)
    chapter = book / "01_x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), chapter)
    before = chapter.read_bytes()
    for out in (book, book / "sub" / "deeper", tmp_path / "src", tmp_path):
        with pytest.raises(RunError, match="source folder"):
            check_out(out, [chapter], book=book)
        assert not (book / "sub").exists()
    # an output notebook that is a chapter by a hard link or a symlink
    for how in ("hard", "sym"):
        out = tmp_path / f"out-{how}"
        out.mkdir()
        (os.link if how == "hard" else os.symlink)(chapter, out / chapter.name)
        with pytest.raises(RunError, match="chapter source notebook"):
            check_out(out, [chapter], book=book)
    # chapters of a run elsewhere (an earlier run's executed copies) are fine to replace
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / chapter.name).write_text("old run")
    check_out(earlier, [chapter], book=book)
    # an existing file, or a report path that is a folder, is refused
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(RunError, match="is a file.*_build"):
        check_out(afile, [chapter], book=book)
    (earlier / "report.md").mkdir()
    with pytest.raises(RunError, match="is a folder"):
        check_out(earlier, [chapter], book=book)
    assert chapter.read_bytes() == before and afile.read_text() == "x"
