"""Lab handouts (tools/handouts.py) and the self-checks they keep."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import handouts as H  # noqa: E402

from helpers import selfcheck  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_tags_its_exercises_solutions_and_a_self_check(path):
    nb = nbformat.read(path, 4)
    exercises = [c for c in nb.cells if "exercise" in tags(c)]
    solutions = [c for c in nb.cells if "solution" in tags(c) and c.cell_type == "markdown"]
    assert len(exercises) >= 2 and len(exercises) == len(solutions)
    assert all("```{exercise}" in c.source for c in exercises)
    assert all("```{solution}" in c.source for c in solutions)
    # no exercise or solution hides in an untagged cell
    for c in nb.cells:
        if not set(tags(c)) & {"exercise", "solution"}:
            assert "```{exercise}" not in c.source and "```{solution}" not in c.source
    # solutions stay hidden until asked for: markdown ones are closed dropdowns
    # (HTML and jupyterlab-myst), code ones hidden in the HTML (hide-input) and
    # collapsed in JupyterLab (source_hidden)
    assert all(":class: dropdown" in c.source for c in solutions)
    for c in nb.cells:
        if c.cell_type == "code" and "solution" in tags(c):
            assert "hide-input" in tags(c) and c.metadata.get("jupyter", {}).get("source_hidden") is True, c.source[:80]
    checks = [c for c in nb.cells if "self-check" in tags(c)]
    assert checks, "each chapter keeps at least one self-check cell for students"
    for c in checks:
        label = c.source.split('check("', 1)[1].split('"', 1)[0]
        assert label in selfcheck.CHECKS


def test_every_self_check_follows_its_own_solution_and_every_check_is_used():
    """nbval (part of `make test`) runs each chapter top to bottom in quick mode, so a solution that fails
    its own self-check fails CI. This test makes sure that pairing exists: each self-check cell checks an
    exercise of its own chapter, right after a solution code cell for that exercise that sets `answer`."""
    used = []
    for path in CHAPTERS:
        nb = nbformat.read(path, 4)
        labels = {c.source.split(":label:", 1)[1].split()[0] for c in nb.cells if "exercise" in tags(c)}
        for i, c in enumerate(nb.cells):
            if "self-check" not in tags(c):
                continue
            label = c.source.split('check("', 1)[1].split('"', 1)[0]
            assert label in labels, f"{path.name}: self-check for {label}, which is not an exercise of this chapter"
            before = [p for p in nb.cells[:i] if p.cell_type == "code" and "solution" in tags(p)]
            assert before and label in before[-1].source and "answer =" in before[-1].source, (
                f"{path.name}: the self-check for {label} must follow a solution code cell that sets `answer`"
            )
            assert "hide-input" in tags(before[-1]), f"{path.name}: {label}'s solution code must be hidden"
            used.append(label)
    assert sorted(used) == sorted(selfcheck.CHECKS), "every self-check in helpers.selfcheck is used exactly once"


def test_student_handouts_leak_no_solution(tmp_path):
    written = H.write(tmp_path / "labs")
    assert len(written) == 2 * len(CHAPTERS)
    for src in CHAPTERS:
        original = nbformat.read(src, 4)
        student = nbformat.read(tmp_path / "labs" / "student" / src.name, 4)
        instructor = nbformat.read(tmp_path / "labs" / "instructor" / src.name, 4)
        assert student.metadata["laaic_handout"] == "student"
        text = "\n".join(c.source for c in student.cells)
        shared = "\n".join(c.source for c in original.cells if "solution" not in tags(c))
        assert not any("solution" in tags(c) for c in student.cells)
        assert "```{solution}" not in text
        for cell in original.cells:
            if "solution" in tags(cell):
                # every substantial line of a solution is absent from the student version
                for line in cell.source.splitlines():
                    line = line.strip()
                    if len(line) > 25 and not line.startswith(("```", ":class:")) and line not in shared:
                        assert line not in text, f"{src.name}: solution line leaked: {line!r}"
            if set(tags(cell)) & {"exercise", "self-check"}:
                assert cell.source in text
        # the instructor version is the chapter, without outputs
        assert [c.source for c in instructor.cells] == [c.source for c in original.cells]
        assert all(not c.get("outputs") for c in instructor.cells if c.cell_type == "code")
        # students get one answer cell per removed solution cell
        removed = sum("solution" in tags(c) for c in original.cells)
        assert sum("answer" in tags(c) for c in student.cells) == removed
        # and can see them in JupyterLab (nothing collapsed)
        assert not any(c.metadata.get("jupyter", {}).get("source_hidden") for c in student.cells)


def test_handouts_select_chapters_and_refuse_bad_input(tmp_path):
    assert [p.name for p in H.write(tmp_path / "one", ["06"])] == [
        "06_low_rank_compression.ipynb",
        "06_low_rank_compression.ipynb",
    ]
    with pytest.raises(H.HandoutError, match="no chapter '42' in .*choose from: 00_datasets"):
        H.write(tmp_path / "x", ["42"])
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    with pytest.raises(H.HandoutError, match="is a file; pass a folder"):
        H.write(afile)
    assert afile.read_text() == "keep me"
    with pytest.raises(H.HandoutError, match="source folder"):
        H.write(ROOT / "book")
    with pytest.raises(H.HandoutError, match="source folder"):
        H.write(ROOT / "book" / "labs")
    bare = tmp_path / "book"
    bare.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# no exercises here")]
    nbformat.write(nb, bare / "00_bare.ipynb")
    with pytest.raises(H.HandoutError, match="has no cells tagged 'exercise'"):
        H.write(tmp_path / "out", book=bare)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.ipynb"))


def test_handout_command_line(tmp_path):
    before = {p: p.read_bytes() for p in CHAPTERS}
    ok = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "handouts.py"), str(tmp_path / "h"), "01"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "wrote 1 student and 1 instructor" in ok.stdout
    bad = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "handouts.py"), str(tmp_path / "h"), "nope"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "no chapter 'nope'" in bad.stderr
    assert {p: p.read_bytes() for p in CHAPTERS} == before  # sources untouched


def test_self_checks_accept_right_and_reject_wrong_answers(capsys):
    assert selfcheck.check("svd-ex-rank-one", 15.0)
    assert "✓ svd-ex-rank-one" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="not right yet. Hint"):
        selfcheck.check("svd-ex-rank-one", 14.0)
    with pytest.raises(AssertionError, match="no answer yet"):
        selfcheck.check("lr-ex-breakeven", None)
    with pytest.raises(AssertionError, match="should be a single number"):
        selfcheck.check("rp-ex-jl", "many")
    assert selfcheck.check("train-ex-params", 5234)
    with pytest.raises(KeyError, match="no self-check for exercise 'nope'"):
        selfcheck.check("nope", 1)


def test_an_instructor_notebook_executes_with_its_self_check(tmp_path, monkeypatch):
    """The instructor notebooks are the chapters' own cells (checked above), which nbval runs in full;
    here one runs from the handout folder itself, quick mode, self-check included."""
    from nbclient import NotebookClient

    H.write(tmp_path / "labs", ["03"])
    path = tmp_path / "labs" / "instructor" / "03_structured_matrices.ipynb"
    nb = nbformat.read(path, 4)
    monkeypatch.setenv("LAAIC_QUICK", "1")
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o.get("text", "") for c in nb.cells if "self-check" in tags(c) for o in c.outputs]
    assert any("✓ param-ex-7" in t for t in outputs)


def _snapshot(folder):
    return {p: p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def test_a_target_folder_that_is_a_file_is_refused_before_anything_is_written(tmp_path):
    """Issue 20: `OUT/instructor` a file gave a traceback with OUT/student/*.ipynb already written."""
    before = _snapshot(ROOT / "book")
    for kind in ("instructor", "student"):
        out = tmp_path / kind
        out.mkdir()
        (out / kind).write_text("keep me")
        bad = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "handouts.py"), str(out), "01", "06"], capture_output=True, text=True
        )
        assert bad.returncode == 2, bad.stderr
        assert "Traceback" not in bad.stderr and f"{out / kind} exists and is not a folder" in bad.stderr
        assert sorted(p.name for p in out.rglob("*")) == [kind]  # nothing written, no temporary files
        assert (out / kind).read_text() == "keep me"
    assert _snapshot(ROOT / "book") == before


def test_every_output_path_is_checked_before_writing(tmp_path):
    import os

    before = _snapshot(ROOT / "book")
    # a target notebook that is a folder
    out = tmp_path / "dir-target"
    (out / "instructor" / "06_low_rank_compression.ipynb").mkdir(parents=True)
    with pytest.raises(H.HandoutError, match="is a folder"):
        H.write(out, ["01", "06"])
    assert not (out / "student").exists() and not any((out / "instructor").glob("*.ipynb.*"))
    # a target folder that is a symlink into the book, or a file link to a chapter
    out = tmp_path / "link-target"
    out.mkdir()
    (out / "student").symlink_to(ROOT / "book", target_is_directory=True)
    with pytest.raises(H.HandoutError, match="source folder"):
        H.write(out, ["01"])
    out = tmp_path / "file-link"
    (out / "instructor").mkdir(parents=True)
    (out / "instructor" / "01_svd.ipynb").symlink_to(ROOT / "book" / "01_svd.ipynb")
    with pytest.raises(H.HandoutError, match="source notebook"):
        H.write(out, ["01"])
    assert not (out / "student").exists()
    # a dangling symlink where a target folder should be
    out = tmp_path / "dangling"
    out.mkdir()
    (out / "student").symlink_to(tmp_path / "gone")
    with pytest.raises(H.HandoutError, match="not a folder"):
        H.write(out, ["01"])
    assert not (out / "instructor").exists()
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(H.HandoutError, match="not writable"):
                H.write(locked / "labs", ["01"])
        finally:
            locked.chmod(0o700)
    assert _snapshot(ROOT / "book") == before


def test_handouts_are_written_atomically(tmp_path, monkeypatch):
    out = tmp_path / "labs"
    H.write(out, ["01"])
    old = _snapshot(out)

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(H.os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        H.write(out, ["01"])
    assert _snapshot(out) == old  # the earlier handouts intact, and no temporary file left
