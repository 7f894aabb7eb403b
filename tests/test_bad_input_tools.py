"""Issue 20 for the command-line tools: bad arguments are refused with a clear error, and nothing is written.

Every tool in tools/ is called through its ``main(argv)`` with many bad argument sets: unknown chapters,
a bad ``--device``, missing or unreadable input folders, output paths that are files (or folders where a
file is meant), output paths in the book's source folder ``book/``, in the ``helpers`` package or in the
dataset mirror (``$LAAIC_DATA_ROOT``), directly or through a symlink, and output paths that are an input.
Each must exit non-zero with a message that names the problem, without a traceback, and leave every folder
as it was (the temporary folder of the test, the mirror, ``book/``, ``helpers/`` and the repository root).

Nothing is executed: the functions that would run a chapter, npm or nbgrader are replaced by ones that
fail the test, so a bad argument that slipped through validation shows up as a failure, not a long run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
HELPERS = ROOT / "helpers"
sys.path.insert(0, str(ROOT / "tools"))
import bootstrap_cell  # noqa: E402
import chapters  # noqa: E402
import fetch_assets  # noqa: E402
import grading  # noqa: E402
import handouts  # noqa: E402
import lesson_stats  # noqa: E402
import run_all  # noqa: E402

CH = "05_conv_layers_svd"
# what the tools would write into the repository root (the default output folders are under _build/)
OUTPUT_NAMES = {
    "student",
    "instructor",
    "report.json",
    "report.md",
    "grades.csv",
    "mathjax",
    "source",
    "release",
    "submitted",
    "autograded",
    "gradebook.db",
    "nbgrader_config.py",
}


def _never(what):
    def fail(*args, **kwargs):
        raise AssertionError(f"bad input got past validation: {what} was called")

    return fail


@pytest.fixture(scope="module")
def submission_text():
    """A submission of chapter 05 as nbgrader hands it out (its self-checks carry nbgrader metadata)."""
    return nbformat.writes(grading.source_version(nbformat.read(BOOK / f"{CH}.ipynb", 4), CH))


@pytest.fixture
def world(tmp_path, monkeypatch, submission_text):
    """The paths the bad argument sets are made of, by name; a fake dataset mirror in $LAAIC_DATA_ROOT."""
    mirror = tmp_path / "mirror"
    (mirror / "MNIST" / "raw").mkdir(parents=True)
    (mirror / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"pixels")
    monkeypatch.setenv("LAAIC_DATA_ROOT", str(mirror))
    monkeypatch.setenv("LAAIC_CACHE_DIR", str(tmp_path / "cache"))
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    work = tmp_path / "work"
    subs = work / "subs"
    (subs / "ann").mkdir(parents=True)
    (subs / "ann" / f"{CH}.ipynb").write_text(submission_text)
    links = {"booklink": BOOK, "helperslink": HELPERS, "mirrorlink": mirror}
    for name, target in links.items():
        (tmp_path / name).symlink_to(target, target_is_directory=True)
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    # nothing may run: a chapter, npm, nbgrader
    monkeypatch.setattr(run_all, "run", _never("run_all.run (executing the chapters)"))
    monkeypatch.setattr(fetch_assets, "fetch_mathjax", _never("fetch_mathjax (npm)"))
    monkeypatch.setattr(grading, "_api", _never("nbgrader"))
    return {
        "tmp": tmp_path,
        "afile": afile,
        "out": out,
        "mirror": mirror,
        "book": BOOK,
        "helpers": HELPERS,
        "root": ROOT,
        "work": work,
        "subs": subs,
        "course": work / "course",
        "dangling": tmp_path / "dangling",
        **{name: tmp_path / name for name in links},
    }


def _listing(folder: Path, contents: bool = True) -> dict:
    """Every entry under ``folder`` (symlinks not followed): its bytes, its link target, or that it is a folder."""
    found = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(top) / name
            key = str(p.relative_to(folder))
            if p.is_symlink():
                found[key] = ("link", os.readlink(p))
            elif p.is_dir():
                found[key] = "dir"
            else:
                found[key] = p.read_bytes() if contents else "file"
    return found


def _state(world) -> dict:
    helpers_entries = {
        k for k in _listing(HELPERS, contents=False) if "__pycache__" not in k and not k.endswith((".py", ".pyc"))
    }
    return {
        "tmp": _listing(world["tmp"]),
        "book": _listing(BOOK),
        "helpers": helpers_entries | {k for k in os.listdir(HELPERS) if k == "nbgrader_config.py"},
        "root": {n for n in os.listdir(ROOT) if n in OUTPUT_NAMES or n.endswith((".ipynb", ".tmp", ".csv"))},
    }


def _invoke(main, argv, capsys) -> tuple[int, str]:
    """(exit status, stderr) of ``main(argv)``, as the shell would see them; an exception is a failure."""
    try:
        status = main(argv)
    except SystemExit as exit:
        status = exit.code
    except Exception as err:  # a traceback in the shell
        pytest.fail(f"{main.__module__}.main({argv}) raised {type(err).__name__}: {err}")
    err = capsys.readouterr().err
    if isinstance(status, str):  # SystemExit("message"): Python prints it to stderr and exits 1
        err, status = err + status + "\n", 1
    return status or 0, err


# --------------------------------------------------------------------------- setups that some cases need


def _link(path: Path, target: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target, target_is_directory=target.is_dir())


SETUPS = {
    "student-file": lambda w: (w["out"] / "student").write_text("keep me"),
    "instructor-file": lambda w: (w["out"] / "instructor").write_text("keep me"),
    "student-link-book": lambda w: _link(w["out"] / "student", BOOK),
    "student-link-helpers": lambda w: _link(w["out"] / "student", HELPERS),
    "student-link-mirror": lambda w: _link(w["out"] / "instructor", w["mirror"]),
    "student-dangling": lambda w: _link(w["out"] / "student", w["tmp"] / "gone"),
    "handout-link-chapter": lambda w: _link(w["out"] / "instructor" / "01_svd.ipynb", BOOK / "01_svd.ipynb"),
    "handout-hardlink-chapter": lambda w: (
        (w["out"] / "student").mkdir(),
        os.link(BOOK / "01_svd.ipynb", w["out"] / "student" / "01_svd.ipynb"),
    ),
    "handout-dir": lambda w: (w["out"] / "instructor" / "06_low_rank_compression.ipynb").mkdir(parents=True),
    "run-link-chapter": lambda w: _link(
        w["out"] / "03_structured_matrices.ipynb", BOOK / "03_structured_matrices.ipynb"
    ),
    "run-report-dir": lambda w: (w["out"] / "report.md").mkdir(),
    "run-json-dir": lambda w: (w["out"] / "report.json").mkdir(),
    "mathjax-file": lambda w: (w["out"] / "mathjax").write_text("keep me"),
    "mathjax-link-book": lambda w: _link(w["out"] / "mathjax", BOOK),
    "mathjax-link-mirror": lambda w: _link(w["out"] / "mathjax", w["mirror"]),
    "course-file": lambda w: w["course"].write_text("keep me"),
    "course-gradebook": lambda w: (w["course"].mkdir(), (w["course"] / "gradebook.db").write_text("db")),
    "loose-notebook": lambda w: (w["subs"] / "loose.ipynb").write_text("{}"),
    "bad-student-name": lambda w: (w["subs"] / "ann" / f"{CH}.ipynb").rename(w["subs"] / "ann" / "homework.ipynb"),
    "broken-submission": lambda w: (w["subs"] / "ann" / f"{CH}.ipynb").write_text("{ not json"),
    "two-submissions": lambda w: (w["subs"] / "ann" / "05.ipynb").write_bytes(
        (w["subs"] / "ann" / f"{CH}.ipynb").read_bytes()
    ),
    "empty-subs": lambda w: (w["subs"] / "ann" / f"{CH}.ipynb").unlink(),
}


def case(tool, argv, *says, setup=None, lines=1, id=None):
    """A bad argument set: ``argv`` with ``{name}`` for the paths of :func:`world`; ``says``: words the error
    must hold; ``lines``: how many lines the error may take (argparse adds its usage line)."""
    return pytest.param(tool, argv, says, setup, lines, id=id or f"{tool}:{' '.join(argv)}:{setup or ''}")


ARGPARSE = 2  # usage line + error line
NO_GPU = not __import__("torch").cuda.is_available()

CASES = [
    # ---------------------------------------------------------------- run_all
    case("run_all", ["nope"], "no chapter 'nope'", "choose from: 00_datasets"),
    case("run_all", ["42", "--device", "cpu"], "no chapter '42'"),
    case("run_all", ["03", "6"], "no chapter '6'"),
    case("run_all", ["", "--out", "{out}"], "no chapter ''"),
    case("run_all", ["01_nope"], "no chapter '01_nope'"),
    case("run_all", ["03", "--device", "tpu", "--out", "{out}"], "device must be auto, cpu or cuda", "'tpu'"),
    case("run_all", ["03", "--device", "", "--out", "{out}"], "device must be auto, cpu or cuda"),
    case("run_all", ["03", "--device", "CUDA", "--out", "{out}"], "device must be auto, cpu or cuda", "'CUDA'"),
    case("run_all", ["03", "--device", "cuda:0", "--out", "{out}"], "device must be auto, cpu or cuda"),
    case("run_all", ["03", "--device", "gpu", "--out", "{out}"], "device must be auto, cpu or cuda"),
    *(
        [case("run_all", ["03", "--device", "cuda", "--out", "{out}"], "sees no CUDA GPU", "--device cpu")]
        if NO_GPU
        else []
    ),
    case("run_all", ["03", "--out", "{afile}"], "output folder", "is a file", "_build"),
    case("run_all", ["03", "--out", "{afile}/sub"], "cannot create the output folder", "is not a folder"),
    case("run_all", ["03", "--out", "{book}"], "is the chapters' source folder", "_build"),
    case("run_all", ["03", "--out", "{book}/runs"], "is the chapters' source folder"),
    case("run_all", ["03", "--out", "{booklink}"], "is the chapters' source folder"),
    case("run_all", ["03", "--out", "{booklink}/runs"], "is the chapters' source folder"),
    case("run_all", ["03", "--out", "{root}"], "contains the chapters' source folder"),
    case("run_all", ["03", "--out", "{book}/03_structured_matrices.ipynb"], "is a file"),
    case("run_all", ["03", "--out", "{helpers}"], "helpers package's source folder", "_build"),
    case("run_all", ["03", "--out", "{helpers}/runs"], "helpers package's source folder"),
    case("run_all", ["03", "--out", "{helperslink}/runs"], "helpers package's source folder"),
    case("run_all", ["03", "--out", "{mirror}"], "dataset mirror ($LAAIC_DATA_ROOT)", "_build"),
    case("run_all", ["03", "--out", "{mirror}/MNIST"], "dataset mirror ($LAAIC_DATA_ROOT)"),
    case("run_all", ["03", "--out", "{mirror}/runs/new"], "dataset mirror"),
    case("run_all", ["03", "--out", "{mirrorlink}/runs"], "dataset mirror"),
    case("run_all", ["03", "--out", "{tmp}"], "contains the dataset mirror"),
    case("run_all", ["03", "--out", "{out}"], "chapter source notebook", setup="run-link-chapter"),
    case("run_all", ["03", "--out", "{out}"], "report.md is a folder", setup="run-report-dir"),
    case("run_all", ["03", "--out", "{out}"], "report.json is a folder", setup="run-json-dir"),
    case("run_all", ["03", "--out", "{dangling}"], "output folder", "is a broken link"),
    case("run_all", ["03", "--out", ""], "argument --out: an empty path ('')", lines=ARGPARSE),
    case("run_all", ["03", "--out", " "], "argument --out: an empty path", lines=ARGPARSE),
    case("run_all", ["03", "--bogus"], "unrecognized arguments: --bogus", lines=ARGPARSE),
    case("run_all", ["03", "--quick=yes"], "--quick: ignored explicit argument 'yes'", lines=ARGPARSE),
    case("run_all", ["03", "--out"], "--out: expected one argument", lines=ARGPARSE),
    case("run_all", ["03", "--device"], "--device: expected one argument", lines=ARGPARSE),
    # ---------------------------------------------------------------- handouts
    case("handouts", [], "the following arguments are required: out", lines=ARGPARSE),
    case("handouts", ["", "01"], "argument out: an empty path", lines=ARGPARSE),
    case("handouts", ["\t", "01"], "argument out: an empty path", lines=ARGPARSE),
    case("handouts", ["{out}", "--bogus"], "unrecognized arguments: --bogus", lines=ARGPARSE),
    case("handouts", ["{out}", "nope"], "no chapter 'nope'", "choose from: 00_datasets"),
    case("handouts", ["{out}", "01", "42"], "no chapter '42'"),
    case("handouts", ["{out}", ""], "no chapter ''"),
    case("handouts", ["{out}", "6"], "no chapter '6'"),
    case("handouts", ["{afile}", "01"], "output folder", "is a file"),
    case("handouts", ["{afile}/labs", "01"], "cannot create the folder", "is not a folder"),
    case("handouts", ["{book}", "01"], "is the chapters' source folder", "handouts/"),
    case("handouts", ["{book}/labs", "01"], "is the chapters' source folder"),
    case("handouts", ["{booklink}", "01"], "is the chapters' source folder"),
    case("handouts", ["{book}/01_svd.ipynb", "01"], "is a file"),
    case("handouts", ["{helpers}", "01"], "helpers package's source folder"),
    case("handouts", ["{helpers}/labs", "01"], "helpers package's source folder"),
    case("handouts", ["{helperslink}/labs", "01"], "helpers package's source folder"),
    case("handouts", ["{mirror}", "01"], "dataset mirror ($LAAIC_DATA_ROOT)"),
    case("handouts", ["{mirror}/MNIST/labs", "01"], "dataset mirror"),
    case("handouts", ["{mirrorlink}/labs", "01"], "dataset mirror"),
    case("handouts", ["{dangling}", "01"], "output folder", "is a broken link"),
    case("handouts", ["{out}", "01", "06"], "student exists and is not a folder", setup="student-file"),
    case("handouts", ["{out}", "01", "06"], "instructor exists and is not a folder", setup="instructor-file"),
    case("handouts", ["{out}", "01"], "student exists and is not a folder", setup="student-dangling"),
    case("handouts", ["{out}", "01"], "chapters' source folder", setup="student-link-book"),
    case("handouts", ["{out}", "01"], "helpers package's source folder", setup="student-link-helpers"),
    case("handouts", ["{out}", "01"], "dataset mirror", setup="student-link-mirror"),
    case("handouts", ["{out}", "01"], "refusing to overwrite the source notebook", setup="handout-link-chapter"),
    case("handouts", ["{out}", "01"], "refusing to overwrite the source notebook", setup="handout-hardlink-chapter"),
    case("handouts", ["{out}", "01", "06"], "is a folder, so the handout cannot be written", setup="handout-dir"),
    # ---------------------------------------------------------------- fetch_assets
    case("fetch_assets", ["--dest", "{afile}"], "--dest", "is a file; give a folder"),
    case("fetch_assets", ["--dest", "{dangling}"], "--dest", "is a broken link"),
    case("fetch_assets", ["--dest", "{afile}/assets"], "cannot create the assets folder", "is not a folder"),
    case("fetch_assets", ["--dest", "{book}"], "chapters' source folder", "--dest"),
    case("fetch_assets", ["--dest", "{book}/_assets"], "chapters' source folder"),
    case("fetch_assets", ["--dest", "{booklink}"], "chapters' source folder"),
    case("fetch_assets", ["--dest", "{helpers}"], "helpers package's source folder"),
    case("fetch_assets", ["--dest", "{helperslink}/static"], "helpers package's source folder"),
    case("fetch_assets", ["--dest", "{mirror}"], "dataset mirror ($LAAIC_DATA_ROOT)"),
    case("fetch_assets", ["--dest", "{mirror}/MNIST"], "dataset mirror"),
    case("fetch_assets", ["--dest", "{mirrorlink}/assets"], "dataset mirror"),
    case("fetch_assets", ["--dest", "{out}"], "mathjax exists and is not a folder", setup="mathjax-file"),
    case("fetch_assets", ["--dest", "{out}"], "chapters' source folder", setup="mathjax-link-book"),
    case("fetch_assets", ["--dest", "{out}"], "dataset mirror", setup="mathjax-link-mirror"),
    case("fetch_assets", ["--dest", ""], "argument --dest: an empty path", lines=ARGPARSE),
    case("fetch_assets", ["--dest"], "--dest: expected one argument", lines=ARGPARSE),
    case("fetch_assets", ["{out}"], "unrecognized arguments", lines=ARGPARSE),
    # ---------------------------------------------------------------- lesson_stats (reads the book only)
    case("lesson_stats", ["--check=yes"], "--check: ignored explicit argument 'yes'", lines=ARGPARSE),
    case("lesson_stats", ["06"], "unrecognized arguments: 06", lines=ARGPARSE),
    case("lesson_stats", ["--bogus"], "unrecognized arguments: --bogus", lines=ARGPARSE),
    # ---------------------------------------------------------------- bootstrap_cell (argument errors)
    case("bootstrap_cell", ["--check=1"], "--check: ignored explicit argument '1'", lines=ARGPARSE),
    case("bootstrap_cell", ["01"], "unrecognized arguments: 01", lines=ARGPARSE),
    # ---------------------------------------------------------------- grading: arguments
    case("grading", [], "the following arguments are required: command", lines=ARGPARSE),
    case("grading", ["publish"], "invalid choice: 'publish'", lines=ARGPARSE),
    case("grading", ["grade"], "the following arguments are required: submissions", lines=ARGPARSE),
    case("grading", ["release", "--force=1"], "--force: ignored explicit argument '1'", lines=ARGPARSE),
    case("grading", ["grade", "{subs}", "--out"], "--out: expected one argument", lines=ARGPARSE),
    # grading release: chapters and the course folder
    case("grading", ["--course", "{course}", "release", "nope"], "no chapter 'nope'", "choose from: 00_datasets"),
    case("grading", ["--course", "{course}", "release", "05", "42"], "no chapter '42'"),
    case("grading", ["--course", "{course}", "release", ""], "no chapter ''"),
    case("grading", ["--course", "", "release", "05"], "argument --course: an empty path", lines=ARGPARSE),
    case("grading", ["--course", "{afile}", "release", "05"], "course folder", "is a file"),
    case("grading", ["--course", "{afile}/c", "release", "05"], "cannot create the course folder", "not a folder"),
    case("grading", ["--course", "{book}", "release", "05"], "chapters' source folder", "--course grading"),
    case("grading", ["--course", "{book}/grading", "release", "05"], "chapters' source folder"),
    case("grading", ["--course", "{booklink}/grading", "release", "05"], "chapters' source folder"),
    case("grading", ["--course", "{root}", "release", "05"], "contains the chapters' source folder"),
    case("grading", ["--course", "{helpers}/grading", "release", "05"], "helpers package's source folder"),
    case("grading", ["--course", "{helperslink}", "release", "05"], "helpers package's source folder"),
    case("grading", ["--course", "{mirror}/grading", "release", "05"], "dataset mirror ($LAAIC_DATA_ROOT)"),
    case("grading", ["--course", "{mirrorlink}", "release", "05"], "dataset mirror"),
    case("grading", ["--course", "{tmp}", "release", "05"], "contains the dataset mirror"),
    case("grading", ["--course", "{dangling}", "release", "05"], "course folder", "is a broken link"),
    # grading grade / export: the submissions, the course folder, the CSV
    *[
        case("grading", ["--course", "{course}", cmd, *args], *says, setup=setup, lines=lines)
        for cmd in ("grade", "export")
        for args, says, setup, lines in [
            (["{tmp}/nowhere"], ("no submissions folder", "<student>/<chapter>.ipynb"), None, 1),
            (["{afile}"], ("is a file, not a folder of submissions",), None, 1),
            (["{subs}"], ("cannot grade these submissions", "is not inside a student's folder"), "loose-notebook", 2),
            (["{subs}"], ("no chapter 'homework'",), "bad-student-name", 2),
            (["{subs}"], ("cannot be read as a notebook",), "broken-submission", 2),
            (["{subs}"], ("more than one notebook for the same student and chapter",), "two-submissions", 1),
            (["{subs}"], ("holds no notebook",), "empty-subs", 2),
            (["{book}"], ("is not inside a student's folder",), None, 100),
            (["{subs}", "--out", "{subs}"], ("the CSV path", "is a folder"), None, 1),
            (["{subs}", "--out", "{tmp}"], ("the CSV path", "is a folder"), None, 1),
            (["{subs}", "--out", ""], ("argument --out: an empty path",), None, ARGPARSE),
            (["{subs}", "--out", "  "], ("argument --out: an empty path",), None, ARGPARSE),
            ([""], ("argument submissions: an empty path",), None, ARGPARSE),
            (["{subs}", "--out", "{afile}/grades.csv"], ("the CSV's folder", "is not a folder"), None, 1),
            (["{subs}", "--out", "{subs}/grades.csv"], ("into the submissions folder",), None, 1),
            (["{subs}", "--out", f"{{subs}}/ann/{CH}.ipynb"], ("into the submissions folder",), None, 1),
            (["{subs}", "--out", "{book}/grades.csv"], ("chapters' source folder", "grades.csv"), None, 1),
            (["{subs}", "--out", f"{{book}}/{CH}.ipynb"], ("chapters' source folder",), None, 1),
            (["{subs}", "--out", "{booklink}/grades.csv"], ("chapters' source folder",), None, 1),
            (["{subs}", "--out", "{helpers}/grades.csv"], ("helpers package's source folder",), None, 1),
            (["{subs}", "--out", "{helpers}/__init__.py"], ("helpers package's source folder",), None, 1),
            (["{subs}", "--out", "{mirror}/grades.csv"], ("dataset mirror ($LAAIC_DATA_ROOT)",), None, 1),
            (["{subs}", "--out", "{mirrorlink}/MNIST/x.csv"], ("dataset mirror",), None, 1),
            (["{subs}", "--out", "{course}/gradebook.db"], ("nbgrader's files",), None, 1),
            (["{subs}", "--out", "{course}/nbgrader_config.py"], ("nbgrader's files",), None, 1),
            (["{subs}", "--out", "{course}/release/grades.csv"], ("nbgrader's files",), None, 1),
            (["{subs}", "--course", "{subs}"], ("unrecognized arguments",), None, ARGPARSE),
        ]
    ],
    *[
        case("grading", ["--course", course, cmd, "{subs}"], *says, setup=setup)
        for cmd in ("grade", "export")
        for course, says, setup in [
            ("{subs}", ("overlap", "keep them apart"), None),
            ("{subs}/course", ("overlap",), None),
            ("{work}", ("overlap",), None),
            ("{course}", ("course folder", "is a file"), "course-file"),
            ("{book}", ("chapters' source folder",), None),
            ("{mirror}", ("dataset mirror",), None),
        ]
    ],
    case("grading", ["--course", "{course}", "export", "{subs}"], "no gradebook in", "run the grade command first"),
    case("grading", ["--course", "{course}", "export", "{subs}"], "no release of 05", setup="course-gradebook"),
]

MAINS = {
    "run_all": run_all.main,
    "handouts": handouts.main,
    "fetch_assets": fetch_assets.main,
    "lesson_stats": lesson_stats.main,
    "bootstrap_cell": bootstrap_cell.main,
    "grading": grading.main,
}


def _fill(argv, world):
    return [a.format(**{k: str(v) for k, v in world.items()}) for a in argv]


@pytest.mark.parametrize("tool, argv, says, setup, lines", CASES)
def test_bad_arguments_are_refused_by_name_and_nothing_is_written(tool, argv, says, setup, lines, world, capsys):
    if setup:
        SETUPS[setup](world)
    before = _state(world)
    status, err = _invoke(MAINS[tool], _fill(argv, world), capsys)
    assert status != 0, f"{tool} {argv} was accepted"
    assert "Traceback" not in err
    for words in says:
        assert words in err, f"{tool} {argv}: {words!r} not in {err!r}"
    assert 1 <= len(err.strip().splitlines()) <= lines, err
    assert _state(world) == before, f"{tool} {argv} wrote something"


# --------------------------------------------------------------------------- inputs a tool cannot read


@pytest.mark.parametrize(
    "which, says",
    [
        ("submissions", "the submissions folder {locked} cannot be read (permission denied)"),
        ("student", "{locked} cannot be read (permission denied)"),
        ("handouts-parent", "cannot create the folder {locked}/labs/student: {locked} is not writable"),
        ("handouts-out", "the folder {locked} is not writable"),
        ("run-out", "the output folder {locked} is not writable"),
        ("run-parent", "cannot create the output folder {locked}/run: {locked} is not writable"),
        ("fetch-dest", "the assets folder {locked} is not writable"),
        ("fetch-mathjax", "the folder {locked} is not writable"),
        ("course", "the course folder {locked} is not writable"),
        ("csv-folder", "the CSV's folder {locked} is not writable"),
    ],
)
def test_unreadable_or_unwritable_folders_are_refused(which, says, world, monkeypatch, capsys):
    """Permissions are simulated (``os.access`` says no for one folder), so that this runs as root too."""
    subs, course, out = world["subs"], str(world["course"]), world["out"]
    locked, tool, argv = {
        "submissions": (subs, "grading", ["--course", course, "grade", str(subs)]),
        "student": (subs / "ann", "grading", ["--course", course, "grade", str(subs)]),
        "handouts-parent": (out, "handouts", [str(out / "labs"), "01"]),
        "handouts-out": (out / "student", "handouts", [str(out), "01"]),
        "run-out": (out, "run_all", ["03", "--out", str(out)]),
        "run-parent": (out, "run_all", ["03", "--out", str(out / "run")]),
        "fetch-dest": (out, "fetch_assets", ["--dest", str(out)]),
        "fetch-mathjax": (out / "mathjax", "fetch_assets", ["--dest", str(out)]),
        "course": (world["course"], "grading", ["--course", course, "release", "05"]),
        "csv-folder": (out, "grading", ["--course", course, "grade", str(subs), "--out", str(out / "g.csv")]),
    }[which]
    locked.mkdir(exist_ok=True)
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != locked and real(path, mode, **kw))
    before = _state(world)
    status, err = _invoke(MAINS[tool], argv, capsys)
    assert status != 0 and says.format(locked=locked) in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == (2 if which == "student" else 1), err  # grading lists each problem
    assert _state(world) == before


# --------------------------------------------------------------------------- the real dataset mirror


@pytest.mark.skipif(not os.environ.get("LAAIC_DATA_ROOT"), reason="no $LAAIC_DATA_ROOT set")
@pytest.mark.parametrize("tool", ["run_all", "handouts", "fetch_assets", "grading"])
def test_the_real_dataset_mirror_is_refused_by_name(tool, monkeypatch, capsys):
    """With $LAAIC_DATA_ROOT as the tests run (/work/shared/datasets here): the refusal says why, rather than
    failing on a read-only folder; a relative setting is refused too, read as helpers.config reads it."""
    mirror = Path(os.environ["LAAIC_DATA_ROOT"]).expanduser()
    if not mirror.is_absolute():
        mirror = ROOT / mirror
    if not mirror.is_dir():
        pytest.skip(f"{mirror} is not a folder")
    monkeypatch.setattr(run_all, "run", _never("run_all.run"))
    monkeypatch.setattr(grading, "_api", _never("nbgrader"))
    target = str(mirror / "tool-output")
    argv = {
        "run_all": ["03", "--out", target],
        "handouts": [target, "01"],
        "fetch_assets": ["--dest", target],
        "grading": ["--course", target, "release", "05"],
    }[tool]
    for setting in (str(mirror), os.path.relpath(mirror, ROOT)):
        monkeypatch.setenv("LAAIC_DATA_ROOT", setting)
        status, err = _invoke(MAINS[tool], argv, capsys)
        assert status != 0 and "dataset mirror ($LAAIC_DATA_ROOT)" in err and "Traceback" not in err, err
    assert not Path(target).exists()


def test_a_mirror_that_holds_the_repository_leaves_its_build_folders_writable(tmp_path, monkeypatch):
    """$LAAIC_DATA_ROOT naming a folder above the checkout must not make every default output refused."""
    monkeypatch.setenv("LAAIC_DATA_ROOT", str(ROOT.parent))
    chapters.refuse_protected(ROOT / "_build" / "full-run", "x", "y")
    with pytest.raises(chapters.OutputError, match="dataset mirror"):
        chapters.refuse_protected(ROOT.parent / "elsewhere", "x", "y")
    with pytest.raises(chapters.OutputError, match="helpers package"):
        chapters.refuse_protected(HELPERS / "x", "x", "y")


# --------------------------------------------------------------------------- the scripts themselves


@pytest.mark.parametrize(
    "script, argv, says",
    [
        ("run_all.py", ["03", "--device", "tpu", "--out", "{out}"], "device must be auto, cpu or cuda"),
        ("handouts.py", ["{book}", "01"], "is the chapters' source folder"),
        ("fetch_assets.py", ["--dest", "{mirror}"], "dataset mirror"),
        ("grading.py", ["release", "42"], "no chapter '42'"),
        ("lesson_stats.py", ["--check=yes"], "ignored explicit argument"),
        ("bootstrap_cell.py", ["extra"], "unrecognized arguments"),
    ],
)
def test_the_scripts_exit_with_one_error_line_and_no_traceback(script, argv, says, world):
    before = _state(world)
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / script), *_fill(argv, world)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "LAAIC_DATA_ROOT": str(world["mirror"])},
        timeout=120,
    )
    assert done.returncode != 0 and says in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert [ln for ln in done.stderr.splitlines() if "error" in ln] and len(done.stderr.splitlines()) <= 2
    assert _state(world) == before


# --------------------------------------------------------------------------- a broken book or setting


def _tiny_repo(tmp_path, url="https://github.com/someone/book"):
    """A repository with a _config.yml and a book of two chapters whose set-up cells are stale."""
    repo = tmp_path / "repo"
    (repo / "book").mkdir(parents=True)
    (repo / "_config.yml").write_text(f"repository:\n  url: {url}\n  branch: main\n")
    for name in ("01_a", "02_b"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("quick = False"), nbformat.v4.new_markdown_cell(f"# {name}")]
        nb.cells[0].metadata["tags"] = ["parameters"]
        (repo / "book" / f"{name}.ipynb").write_text(json.dumps(nb, indent=1, sort_keys=True) + "\n")
    return repo


def _break(repo, how):
    book = repo / "book"
    if how == "no-parameters-cell":  # the second chapter: the first must not be rewritten either
        nb = json.loads((book / "02_b.ipynb").read_text())
        nb["cells"][0]["metadata"]["tags"] = []
        (book / "02_b.ipynb").write_text(json.dumps(nb))
    elif how == "two-parameters-cells":
        nb = json.loads((book / "02_b.ipynb").read_text())
        nb["cells"][1]["metadata"]["tags"] = ["parameters"]
        (book / "02_b.ipynb").write_text(json.dumps(nb))
    elif how == "broken-json":
        (book / "02_b.ipynb").write_text("{ not json")
    elif how == "not-a-notebook":
        (book / "02_b.ipynb").write_text("[1, 2]")
    elif how == "no-chapters":
        for p in book.iterdir():
            p.unlink()
    elif how == "http-url":
        (repo / "_config.yml").write_text("repository:\n  url: http://example.org/book\n")
    elif how == "no-url":
        (repo / "_config.yml").write_text("title: a book\n")
    elif how == "empty-config":
        (repo / "_config.yml").write_text("")
    elif how == "bad-yaml":
        (repo / "_config.yml").write_text("repository: [unclosed\n")
    elif how == "no-config":
        (repo / "_config.yml").unlink()
    elif how == "repository-a-string":
        (repo / "_config.yml").write_text("repository: https://github.com/someone/book\n")


BOOTSTRAP_BREAKS = {
    "no-parameters-cell": "02_b.ipynb: needs exactly one cell tagged 'parameters', found 0",
    "two-parameters-cells": "02_b.ipynb: needs exactly one cell tagged 'parameters', found 2",
    "broken-json": "02_b.ipynb: not a notebook (Expecting property name",
    "not-a-notebook": "02_b.ipynb: not a notebook",
    "no-chapters": "no chapter notebooks",
    "http-url": "repository.url must be an https URL",
    "no-url": "repository.url must be an https URL",
    "empty-config": "cannot read the repository setting",
    "bad-yaml": "cannot read the repository setting",
    "no-config": "cannot read the repository setting",
    "repository-a-string": "cannot read the repository setting",
}


@pytest.mark.parametrize("check", [False, True], ids=["rewrite", "check"])
@pytest.mark.parametrize("how", list(BOOTSTRAP_BREAKS))
def test_bootstrap_cell_refuses_a_broken_book_or_setting_and_rewrites_nothing(
    how, check, tmp_path, monkeypatch, capsys
):
    repo = _tiny_repo(tmp_path)
    _break(repo, how)
    monkeypatch.setattr(bootstrap_cell, "ROOT", repo)
    monkeypatch.setattr(bootstrap_cell, "BOOK", repo / "book")
    before = _listing(tmp_path)
    status, err = _invoke(bootstrap_cell.main, ["--check"] if check else [], capsys)
    assert status != 0 and BOOTSTRAP_BREAKS[how] in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert _listing(tmp_path) == before


def test_bootstrap_cell_rewrites_a_sound_book(tmp_path, monkeypatch, capsys):
    """The broken books above differ from this one only in what is broken."""
    repo = _tiny_repo(tmp_path)
    monkeypatch.setattr(bootstrap_cell, "ROOT", repo)
    monkeypatch.setattr(bootstrap_cell, "BOOK", repo / "book")
    assert bootstrap_cell.main(["--check"]) == 1
    assert bootstrap_cell.main([]) == 0
    assert bootstrap_cell.main(["--check"]) == 0
    assert sorted(p.name for p in (repo / "book").iterdir()) == ["01_a.ipynb", "02_b.ipynb"]  # no temporary files


LESSON_BREAKS = {
    "broken-json": ("{ not json", "cannot read"),
    "not-a-notebook": ("[1, 2]", "not a notebook"),
    "cells-not-mappings": ('{"cells": [1, "x"]}', "not a notebook (no list of cells)"),
    "does-not-parse": (None, "a code cell does not parse"),
    "no-chapters": ("", "no chapter notebooks"),
}


@pytest.mark.parametrize("how", list(LESSON_BREAKS))
def test_lesson_stats_names_a_chapter_it_cannot_read(how, tmp_path, monkeypatch, capsys):
    book = tmp_path / "book"
    book.mkdir()
    text, says = LESSON_BREAKS[how]
    if text is None:
        text = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def f(:\n    pass")]))
    if how != "no-chapters":
        (book / "01_a.ipynb").write_text(text)
    monkeypatch.setattr(lesson_stats, "BOOK", book)
    before = _listing(tmp_path)
    status, err = _invoke(lesson_stats.main, ["--check"], capsys)
    assert status != 0 and says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert _listing(tmp_path) == before


# --------------------------------------------------------------------------- regressions


def test_chapters_named_twice_are_selected_once():
    """run_all ran a chapter named twice twice (`run_all.py 03 03_structured_matrices`)."""
    assert chapters.select(["03", "03_structured_matrices", "03"]) == [BOOK / "03_structured_matrices.ipynb"]


def test_the_csv_path_is_checked_before_anything_is_graded(world, capsys):
    """`grade SUBS --out FOLDER` autograded every submission and then failed on writing the CSV."""
    status, err = _invoke(
        grading.main,
        ["--course", str(world["course"]), "grade", str(world["subs"]), "--out", str(world["out"])],
        capsys,
    )
    assert status == 2 and "is a folder" in err
    assert not world["course"].exists()  # no release made, nothing copied


def test_run_all_creates_its_output_folder_only_once_everything_is_checked(world, capsys):
    """check_out used to create the output folder (and a probe file) while checking it."""
    target = world["tmp"] / "new" / "run"
    run_all.check_out(target, [BOOK / "03_structured_matrices.ipynb"])
    assert not (world["tmp"] / "new").exists()


def _fake_pack(cmd, cwd, **kwargs):
    """`npm pack`: a small MathJax package in ``cwd``."""
    with tarfile.open(Path(cwd) / f"mathjax-{fetch_assets.MATHJAX_VERSION}.tgz", "w:gz") as tar:
        for name, data in [("package/LICENSE", b"L"), ("package/es5/tex-mml-chtml.js", b"// new")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_fetch_assets_swaps_the_new_copy_in_whole(tmp_path):
    """The old copy was deleted before the new one was moved in: a failure between left no MathJax at all."""
    dest = tmp_path / "assets"
    (dest / "mathjax").mkdir(parents=True)
    (dest / "mathjax" / "old.js").write_text("old")

    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fetch_assets.shutil, "which", lambda name: "/usr/bin/npm")
        mp.setattr(fetch_assets.subprocess, "run", _fake_pack)
        mp.setattr(fetch_assets, "sha512_b64", lambda path: fetch_assets.MATHJAX_SHA512)
        mp.setattr(fetch_assets.os, "replace", no_space)
        with pytest.raises(OSError, match="No space"):
            fetch_assets.fetch_mathjax(dest)
    assert sorted(p.name for p in dest.iterdir()) == ["mathjax"]  # no staging folder left behind
    assert sorted(p.name for p in (dest / "mathjax").iterdir()) == ["old.js"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fetch_assets.shutil, "which", lambda name: "/usr/bin/npm")
        mp.setattr(fetch_assets.subprocess, "run", _fake_pack)
        mp.setattr(fetch_assets, "sha512_b64", lambda path: fetch_assets.MATHJAX_SHA512)
        target = fetch_assets.fetch_mathjax(dest)
    assert sorted(p.name for p in target.iterdir()) == [".version", "LICENSE", "tex-mml-chtml.js"]
    assert sorted(p.name for p in dest.iterdir()) == ["mathjax"]  # the old copy is gone, no temporary folders
