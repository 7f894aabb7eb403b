"""Graded labs with nbgrader (tools/grading.py): the student release and autograding into a CSV.

Autograding executes the chapter once per submission, so the end-to-end part grades the
fastest chapter (05, about 10 s in quick mode) for three students only: one right, one with
a wrong answer and an answer cell that raises, one that tampered with two self-check cells;
a fourth notebook kills its kernel at once.
"""

import copy
import csv
import subprocess
import sys

import nbformat
import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import grading as G  # noqa: E402

CHAPTERS = sorted((REPO / "book").glob("[0-9][0-9]_*.ipynb"))
CH = "05_conv_layers_svd"


def nbmeta(cell):
    return cell.metadata.get("nbgrader", {})


def by_id(nb, grade_id):
    return next(c for c in nb.cells if nbmeta(c).get("grade_id") == grade_id)


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def solution_lines(original, student_text):
    """Substantial lines of the chapter's solutions that appear in a student notebook."""
    shared = "\n".join(c.source for c in original.cells if "solution" not in tags(c))
    leaked = []
    for cell in original.cells:
        if "solution" in tags(cell):
            for line in cell.source.splitlines():
                line = line.strip()
                if (
                    len(line) > 25
                    and not line.startswith(("```", ":class:"))
                    and line not in shared
                    and line in student_text
                ):
                    leaked.append(line)
    return leaked


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release chapter 05, fill in three submissions, autograde them; (rows by student, paths)."""
    base = tmp_path_factory.mktemp("grading")
    before = {p: p.read_bytes() for p in CHAPTERS}
    course = base / "course"
    [released] = G.release(["05"], course)
    student = nbformat.read(released, 4)
    source = nbformat.read(course / "source" / CH / f"{CH}.ipynb", 4)

    def filled():
        nb = copy.deepcopy(student)
        for cell in nb.cells:
            gid = nbmeta(cell).get("grade_id", "")
            if cell.cell_type == "code" and gid.endswith("-answer"):
                code = by_id(source, gid).source
                cell.source = code.replace("### BEGIN SOLUTION\n", "").replace("\n### END SOLUTION", "")
        return nb

    subs = base / "submissions"
    right = filled()
    mixed = filled()
    by_id(mixed, "convsvd-ex-bias-answer").source = "answer = 99"
    by_id(mixed, "convsvd-ex-orthogonal-answer").source = "answer = 1 / 0"
    tampered = filled()
    by_id(tampered, "convsvd-ex-bias-answer").source = "answer = 99"  # wrong, and its check edited away
    by_id(tampered, "convsvd-ex-bias").source = "print('all good')"
    # convsvd-ex-null: a right answer, but its check deleted
    tampered.cells = [c for c in tampered.cells if nbmeta(c).get("grade_id") != "convsvd-ex-null"]
    crashes = filled()  # kills its kernel: nbgrader cannot grade it, the others must still be graded
    crashes.cells.insert(0, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    for name, nb in (("right", right), ("mixed", mixed), ("tampered", tampered), ("crashes", crashes)):
        (subs / name).mkdir(parents=True)
        nbformat.write(nb, subs / name / f"{CH}.ipynb")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAAIC_CACHE_DIR", str(base / "cache"))
        rows = G.grade(subs, base / "grades.csv", course, quick=True, log=lambda *a: None)
    assert {p: p.read_bytes() for p in CHAPTERS} == before, "grading must only read book/"
    table = {}
    for row in rows:
        table.setdefault(row["student"], {})[(row["exercise"], row["part"])] = row
    return dict(table=table, csv=base / "grades.csv", course=course, released=released, subs=subs)


def checks(graded, student):
    return {
        ex: (r["score"], r["max_score"], r["flag"])
        for (ex, part), r in graded["table"][student].items()
        if part == "self-check"
    }


def test_a_right_submission_gets_full_marks(graded):
    assert checks(graded, "right") == {
        "convsvd-ex-bias": ("1", "1", ""),
        "convsvd-ex-orthogonal": ("1", "1", ""),
        "convsvd-ex-null": ("1", "1", ""),
        "convsvd-ex-opnorm": ("1", "1", ""),
    }
    written = [r for (_, part), r in graded["table"]["right"].items() if part == "written"]
    assert len(written) == 5 and all(r["score"] == "0" and r["flag"] == "no answer" for r in written)


def test_a_wrong_answer_and_a_raising_cell_cost_only_their_own_exercise(graded):
    got = checks(graded, "mixed")
    assert got["convsvd-ex-bias"] == ("0", "1", "")  # wrong answer
    assert got["convsvd-ex-orthogonal"] == ("0", "1", "")  # its answer cell raises ZeroDivisionError
    assert got["convsvd-ex-null"] == ("1", "1", "")  # the rest of the notebook still ran
    assert got["convsvd-ex-opnorm"] == ("1", "1", "")


def test_tampered_self_checks_score_zero_and_are_flagged(graded):
    got = checks(graded, "tampered")
    assert got["convsvd-ex-null"] == ("0", "1", "tampered: deleted")  # even though its answer is right
    assert got["convsvd-ex-bias"] == ("0", "1", "tampered: edited")
    assert got["convsvd-ex-orthogonal"] == ("1", "1", "")
    # nbgrader restored the edited check before running it (and it failed on the wrong answer)
    autograded = nbformat.read(graded["course"] / "autograded" / "tampered" / CH / f"{CH}.ipynb", 4)
    released = nbformat.read(graded["released"], 4)
    assert by_id(autograded, "convsvd-ex-bias").source == by_id(released, "convsvd-ex-bias").source
    assert graded["table"]["tampered"][("convsvd-ex-bias", "self-check")]["autograder_score"] == "0"


def test_the_csv_has_one_row_per_graded_cell(graded):
    with open(graded["csv"]) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == G.COLUMNS
    assert len(rows) == 4 * 9 and {r["chapter"] for r in rows} == {CH}
    assert {r["student"] for r in rows} == {"right", "mixed", "tampered", "crashes"}


def test_a_notebook_nbgrader_cannot_run_gets_no_score_and_says_why(graded):
    rows = graded["table"]["crashes"].values()
    assert len(rows) == 9 and all(r["score"] == "" and r["autograder_score"] == "" for r in rows)
    assert {r["flag"] for r in rows} == {"autograde failed: DeadKernelError: Kernel died"}


def test_the_release_leaks_no_solution_and_keeps_the_checks(graded):
    student = nbformat.read(graded["released"], 4)
    original = nbformat.read(REPO / "book" / f"{CH}.ipynb", 4)
    text = "\n".join(c.source for c in student.cells)
    assert not solution_lines(original, text) and "```{solution}" not in text
    assert "BEGIN SOLUTION" not in text and text.count(G.CODE_STUB) == 4
    for cell in original.cells:
        if set(tags(cell)) & {"exercise", "self-check"}:
            assert cell.source.rstrip() in text


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_converts_to_a_valid_nbgrader_assignment(path):
    """Every chapter, without running nbgrader's commands: valid metadata, each self-check a locked test
    worth a point, and nbgrader's own ClearSolutions leaves no solution text."""
    from nbgrader.nbgraderformat import MetadataValidator
    from nbgrader.preprocessors import ClearSolutions

    original = nbformat.read(path, 4)
    source = G.source_version(original, path.name)
    MetadataValidator().validate_nb(source)
    assert len(source.cells) == len(original.cells)
    for old, new in zip(original.cells, source.cells):
        meta = nbmeta(new)
        if "self-check" in tags(old):
            assert meta["grade"] and meta["locked"] and meta["points"] == 1
            assert new.source.rstrip(";") == old.source.rstrip() and new.source.endswith(";")  # no partial credit
            assert meta["grade_id"] in G._expected_ids(path.stem, REPO / "book")
        elif "solution" in tags(old):
            assert meta["solution"] and not meta["locked"]
        else:
            assert meta["locked"] and not meta["grade"] and new.source == old.source
    student, _ = ClearSolutions(code_stub={"python": G.CODE_STUB}, text_stub=G.TEXT_STUB).preprocess(
        copy.deepcopy(source), {}
    )
    assert not solution_lines(original, "\n".join(c.source for c in student.cells))


def test_bad_input_gives_clear_errors(tmp_path):
    with pytest.raises(G.GradingError, match="no submissions folder .*<student>/<chapter>.ipynb"):
        G.find_submissions(tmp_path / "nowhere")
    with pytest.raises(G.GradingError, match="no chapter '42' .*choose from: 00_datasets"):
        G.release(["42"], tmp_path / "course")
    with pytest.raises(G.GradingError, match="chapters' source folder"):
        G.release(["05"], REPO / "book" / "grading")
    with pytest.raises(G.GradingError, match="no notebooks in"):
        G.find_submissions(tmp_path)

    # a notebook of chapter 01 handed in under chapter 05's name, one under no chapter's name,
    # one outside a student folder, and the book's own chapter (no nbgrader cells)
    ch01 = G.source_version(nbformat.read(REPO / "book" / "01_svd.ipynb", 4))
    sub = tmp_path / "subs"
    (sub / "ann").mkdir(parents=True)
    (sub / "bob").mkdir()
    nbformat.write(ch01, sub / "ann" / f"{CH}.ipynb")
    nbformat.write(ch01, sub / "ann" / "homework.ipynb")
    nbformat.write(ch01, sub / "loose.ipynb")
    (sub / "bob" / f"{CH}.ipynb").write_bytes((REPO / "book" / f"{CH}.ipynb").read_bytes())
    (sub / "carl").mkdir()
    (sub / "carl" / "notes.txt").write_text("no notebook here")
    with pytest.raises(G.GradingError) as err:
        G.find_submissions(sub)
    msg = str(err.value)
    assert f"ann/{CH}.ipynb is named {CH} but holds the self-checks of 01_svd" in msg and "rename it" in msg
    assert "ann/homework.ipynb: no chapter 'homework'" in msg
    assert "loose.ipynb is not inside a student's folder" in msg
    assert f"bob/{CH}.ipynb holds none of {CH}'s self-check cells" in msg and "make release" in msg
    assert "carl holds no notebook" in msg

    # a number or a name a download changed is enough; the chapter is read from the name
    ok = tmp_path / "ok"
    for student, name in (("dee", "05.ipynb"), ("eve", f"{CH} (1).ipynb")):
        (ok / student).mkdir(parents=True)
        nbformat.write(G.source_version(nbformat.read(REPO / "book" / f"{CH}.ipynb", 4)), ok / student / name)
    assert [(s, c) for s, c, _ in G.find_submissions(ok)] == [("dee", CH), ("eve", CH)]

    # the command line says the same and exits 2 without a traceback
    run = subprocess.run(
        [sys.executable, str(REPO / "tools" / "grading.py"), "--course", str(tmp_path / "c"), "grade", str(sub)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "grading: error: cannot grade these submissions" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "c").exists()


def test_a_release_with_submissions_is_not_replaced_by_a_changed_chapter(graded, tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    nb = nbformat.read(REPO / "book" / f"{CH}.ipynb", 4)
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("A paragraph added after the lab was handed out."))
    nbformat.write(nb, book / f"{CH}.ipynb")
    before = (graded["course"] / "release" / CH / f"{CH}.ipynb").read_bytes()
    with pytest.raises(
        G.GradingError, match=r"changed in book/ since it was released, .*\(crashes, mixed, right, \.\.\.\)"
    ):
        G.release(["05"], graded["course"], book=book)
    assert (graded["course"] / "release" / CH / f"{CH}.ipynb").read_bytes() == before


def test_export_picks_up_scores_given_in_formgrader(graded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        gb.find_grade("convsvd-ex-masks-written", CH, CH, "mixed").manual_score = 0.5  # what formgrader stores
        gb.db.commit()
    rows = G.export(G.find_submissions(graded["subs"]), graded["course"])
    [row] = [r for r in rows if r["student"] == "mixed" and r["exercise"] == "convsvd-ex-masks"]
    assert (row["part"], row["score"], row["max_score"], row["flag"]) == ("written", "0.5", "1", "")
