"""Graded labs with nbgrader: a student release of the chapters, and autograding into a CSV.

Usage (from the repository root)::

    python tools/grading.py release [CHAPTER ...] [--force]         # or: make release CH="05"
    python tools/grading.py grade SUBMISSIONS [--out grades.csv] [--full]   # or: make grade SUB=submissions
    python tools/grading.py export SUBMISSIONS [--out grades.csv]   # the CSV again, after formgrader

``release`` turns each chapter (every chapter without ``CHAPTER``; a number such as
``05`` is enough) into an nbgrader assignment in the course folder
``grading/`` (``--course`` to change it) and runs ``nbgrader
generate_assignment``. The notebook to hand out is then
``grading/release/<chapter>/<chapter>.ipynb``. In the source notebook

* a code cell tagged ``solution`` becomes an autograded answer cell: its code is
  wrapped in ``### BEGIN SOLUTION`` / ``### END SOLUTION``, which the release
  replaces by ``answer = None  # ...``;
* a markdown cell tagged ``solution`` becomes a manually graded answer cell
  (1 point, graded in nbgrader's formgrader); the release shows "Your answer here";
* a cell tagged ``self-check`` becomes a locked autograded test cell worth 1
  point, named after its exercise (``convsvd-ex-bias``), its last line ending
  with ``;`` (nbgrader would read a displayed ``True`` as partial credit);
* every other cell is locked read-only, so that autograding restores it.

Once a chapter has submissions in the course folder, ``release`` refuses to
replace its release with a changed chapter unless ``--force``.

``grade`` takes a folder of submissions laid out as
``SUBMISSIONS/<student>/<chapter>.ipynb`` (one folder per student, each notebook
under the name it was released with, or its number), copies them into the
course folder, runs ``nbgrader autograde`` on each (quick mode unless
``--full``, the datasets from ``$LAAIC_DATA_ROOT``), and writes a CSV with one
row per graded cell::

    student,chapter,exercise,part,score,max_score,autograder_score,flag

``part`` is ``self-check`` (autograded) or ``written`` (a prose answer: 0 and
flagged ``no answer`` when left as released, else no score and ``needs manual
grading`` until someone grades it in formgrader; ``export`` then writes the CSV
again without re-running). A self-check cell that the student deleted or edited
scores 0 and is flagged ``tampered: deleted`` / ``tampered: edited``;
``autograder_score`` keeps what nbgrader itself gave (nbgrader skips a deleted
test and restores an edited one before running it). A cell that raises costs
only the exercises that depend on it; a notebook nbgrader cannot run at all
(dead kernel, timeout) gets rows without a score, flagged ``autograde failed:``.

The chapters in ``book/`` and the submissions are only read. Bad input (an unknown
chapter, a course folder or CSV path that is a file or folder where the other is
needed, cannot be written, or lies in ``book/``, ``helpers/`` or the dataset mirror
``$LAAIC_DATA_ROOT``, a course folder that overlaps the submissions, a CSV path that
would overwrite a submission or nbgrader's files) is refused before anything is written.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import os
import re
import shutil
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapters import (  # noqa: E402
    BOOK,
    ROOT,
    ChapterError,
    OutputError,
    chapters,
    check_writable_folder,
    path_argument,
    refuse_protected,
    same_file,
    select,
    what_is,
    write_atomic,
)

COURSE = ROOT / "grading"
CODE_STUB = "answer = None  # replace None with your answer, then run the self-check below"
TEXT_STUB = "*Your answer here.*"
POINTS = {"self-check": 1, "written": 1}
TIMEOUT = 600  # seconds per cell while autograding (nbgrader's default, 30 s, is too short for training)
COLUMNS = ["student", "chapter", "exercise", "part", "score", "max_score", "autograder_score", "flag"]
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$")


class GradingError(ValueError):
    """Bad input to the grading commands; the message says what to do."""


# --------------------------------------------------------------------------- the source notebooks


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def _check_label(cell) -> str:
    match = re.search(r'check\(\s*["\']([^"\']+)["\']', cell.source)
    if not match:
        raise GradingError(
            "a cell tagged 'self-check' does not call check(\"<exercise label>\", answer, ...): "
            f"{cell.source[:80]!r}; fix the chapter's cell."
        )
    return match.group(1)


def _silent(source: str) -> str:
    """End a self-check with ``;``: nbgrader reads a test cell's displayed value as partial credit (``True``
    is not a number; nbgrader 0.9 gives full points with a warning and says later releases may not)."""
    lines = source.rstrip().split("\n")
    if lines[-1].startswith("check(") and not lines[-1].endswith(";"):
        lines[-1] += ";"
    return "\n".join(lines)


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return meta


def source_version(nb, name: str = "notebook"):
    """The chapter as an nbgrader source notebook (see the module docstring for what each cell becomes)."""
    if not any("self-check" in _tags(c) for c in nb.cells):
        raise GradingError(
            f"{name} has no cells tagged 'self-check', so nothing in it can be autograded; "
            "tag each check cell 'self-check' (cell metadata -> tags)."
        )
    out = copy.deepcopy(nb)
    used: set[str] = set()

    def unique(grade_id: str) -> str:
        base, n = grade_id, 2
        while grade_id in used:
            grade_id, n = f"{base}-{n}", n + 1
        used.add(grade_id)
        return grade_id

    label = None
    for i, cell in enumerate(out.cells):
        tags = _tags(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        for key in ("papermill", "execution", "nbgrader"):
            cell.metadata.pop(key, None)
        if "exercise" in tags:
            found = re.search(r":label:\s*(\S+)", cell.source)
            label = found.group(1) if found else f"exercise-{i}"
        if "self-check" in tags:
            meta = _meta(unique(_check_label(cell)), grade=True, locked=True, points=POINTS["self-check"])
            cell.source = _silent(cell.source)
        elif "solution" in tags and cell.cell_type == "code":
            if label is None:
                raise GradingError(f"{name}: solution cell {i} comes before any cell tagged 'exercise'.")
            meta = _meta(unique(f"{label}-answer"), solution=True)
            cell.source = "### BEGIN SOLUTION\n" + cell.source.rstrip("\n") + "\n### END SOLUTION"
        elif "solution" in tags:
            found = re.search(r"```\{solution\}\s*(\S+)", cell.source)
            written = found.group(1) if found else label or f"exercise-{i}"
            meta = _meta(unique(f"{written}-written"), grade=True, solution=True, points=POINTS["written"])
        else:
            meta = _meta(unique(f"{label}-exercise" if "exercise" in tags else f"cell-{i:03d}"), locked=True)
        if meta["solution"]:
            # students see an answer cell, not a hidden solution
            cell.metadata["tags"] = [t for t in tags if t not in ("solution", "hide-input")] + ["answer"]
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)  # collapsed in the book only
        if meta["locked"]:
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        cell.metadata["nbgrader"] = meta
    return out


def _check_course(course: Path, book: Path = BOOK) -> Path:
    """The nbgrader course folder: a writable folder (or creatable) that neither is, lies in nor contains
    the book's or the helpers package's source folder or the dataset mirror; nothing is created here."""
    course = Path(course)
    hint = "use a build folder such as grading (--course grading)"
    if os.path.lexists(course) and not course.is_dir():
        raise GradingError(
            f"the course folder {course} is {what_is(course)}; pass a folder (it is created if missing)."
        )
    try:
        refuse_protected(course, "the nbgrader course into", hint, book=book, contains=True)
        check_writable_folder(course, "the course folder", hint)
    except OutputError as err:
        raise GradingError(str(err)) from None
    return course


def _check_apart(course: Path, submissions: Path) -> None:
    """The submissions are only read: they must not be, lie in or contain the course folder nbgrader writes."""
    c, s = Path(course).resolve(), Path(submissions).resolve()
    if c == s or s in c.parents or c in s.parents:
        raise GradingError(
            f"the submissions folder {submissions} and the course folder {course} overlap; nbgrader writes into "
            "the course folder and the submissions are only read, so keep them apart (e.g. --course grading)."
        )


NBGRADER_FOLDERS = ("source", "release", "submitted", "autograded", "feedback")


def _check_csv(out: Path, course: Path, submissions: Path | None = None, found=()) -> Path:
    """Refuse, before anything is graded or written, a CSV path that cannot be written or would overwrite
    an input: a folder, a path in a folder the tools only read, in the submissions folder, in the course
    folder's nbgrader folders, or the gradebook or the course's configuration."""
    out = Path(out)
    hint = "pass a file name such as grades.csv with --out"
    if out.is_dir():
        raise GradingError(f"the CSV path {out} is a folder; {hint}.")
    if out.name in ("", ".", ".."):
        raise GradingError(f"the CSV path {str(out)!r} names no file; {hint}.")
    where = out.resolve()
    inputs = [Path(p) for _, _, p in found]
    if submissions is not None:
        sub = Path(submissions).resolve()
        if sub == where or sub in where.parents:
            raise GradingError(f"refusing to write the CSV {out} into the submissions folder {submissions}; {hint}.")
    if any(same_file(out, p) for p in inputs):
        raise GradingError(f"refusing to write the CSV {out}: it is a submitted notebook; {hint}.")
    course = Path(course)
    guarded = [course / name for name in ("gradebook.db", "nbgrader_config.py")]
    if any(same_file(out, p) for p in guarded) or any(
        (course / name).resolve() in where.parents for name in NBGRADER_FOLDERS
    ):
        raise GradingError(f"refusing to write the CSV {out}: it would overwrite nbgrader's files in {course}; {hint}.")
    try:
        refuse_protected(out, "the CSV", hint)
        check_writable_folder(out.parent, "the CSV's folder", hint)
    except OutputError as err:
        raise GradingError(str(err)) from None
    return out


def _config(course: Path):
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = str(course.resolve())
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    c.Execute.timeout = TIMEOUT
    return c


def _write_config(course: Path) -> None:
    """nbgrader_config.py in the course folder, so that nbgrader's own commands and formgrader agree with this tool."""
    text = (
        "# Written by tools/grading.py; nbgrader's commands and formgrader read it when run in this folder.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course.resolve())!r}\n"
        f"c.ClearSolutions.code_stub = {{'python': {CODE_STUB!r}}}\n"
        f"c.ClearSolutions.text_stub = {TEXT_STUB!r}\n"
        f"c.Execute.timeout = {TIMEOUT}\n"
    )
    write_atomic(course / "nbgrader_config.py", text)


def _api(course: Path):
    import logging

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    # nbgrader runs the `alembic` command of its own environment, which need not be on PATH
    # (python tools/grading.py with the virtual environment not activated)
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
    config = _config(course)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log.setLevel(logging.ERROR)
    return api


def _reason(result: dict) -> str:
    """The last exception line of a failed nbgrader run, e.g. 'DeadKernelError: Kernel died'."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [ln.strip() for ln in text.splitlines() if re.match(r"\s*[\w.]+(Error|Exception|Timeout)\b.*:", ln)]
    lines = [ln for ln in lines if "NbGraderException" not in ln]
    return re.sub(r"^[\w.]*\.(?=\w+:)", "", lines[-1]) if lines else "see nbgrader's log"


def _run(result: dict, what: str) -> dict:
    if not result.get("success"):
        detail = (result.get("error") or "") + "\n" + (result.get("log") or "")
        raise GradingError(f"nbgrader failed to {what}:\n{detail.strip()}")
    return result


def release(
    names: list[str] | None = None, course: Path = COURSE, book: Path = BOOK, force: bool = False
) -> list[Path]:
    """Build the nbgrader source assignments and their student releases; returns the release notebooks.

    Refuses (unless ``force``) to change the release of a chapter that already has submissions in the
    course folder: they are graded against the cells they were handed out with."""
    course = _check_course(course, book)
    try:
        sources = select(list(names or []), book)
    except ChapterError as err:
        raise GradingError(str(err)) from None
    converted = [(src, source_version(nbformat.read(src, as_version=4), src.name)) for src in sources]
    for src, nb in converted:
        old = course / "source" / src.stem / src.name
        graded = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{src.stem}"))
        if (
            graded
            and not force
            and old.exists()
            and nbformat.writes(nb) != nbformat.writes(nbformat.read(old, as_version=4))
        ):
            raise GradingError(
                f"{src.stem} changed in book/ since it was released, and {course} holds submissions of the old "
                f"release ({', '.join(graded[:3])}{', ...' if len(graded) > 3 else ''}); they are graded against "
                "the cells they were given. Grade them before releasing the new version with --force, or release it "
                "into another course folder with --course."
            )
    course.mkdir(parents=True, exist_ok=True)
    _write_config(course)
    api = _api(course)
    written = []
    for src, nb in converted:
        target = course / "source" / src.stem / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, nbformat.writes(nb) + "\n")
        _run(api.generate_assignment(src.stem, force=True), f"generate the student release of {src.stem}")
        written.append(course / "release" / src.stem / src.name)
    return written


# --------------------------------------------------------------------------- submissions


def _grade_ids(nb) -> set[str]:
    return {
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")
    }


def _expected_ids(stem: str, book: Path) -> set[str]:
    nb = nbformat.read(chapters(book)[stem], as_version=4)
    return {_check_label(c) for c in nb.cells if "self-check" in _tags(c)}


def find_submissions(folder: Path, book: Path = BOOK) -> list[tuple[str, str, Path]]:
    """(student, chapter, path) for every notebook under ``folder/<student>/``; raises on any bad input."""
    folder = Path(folder)
    layout = (
        f"lay submissions out as {folder}/<student>/<chapter>.ipynb, one folder per student, each "
        "notebook under the name it was released with (e.g. alice/05_conv_layers_svd.ipynb)."
    )
    if not folder.exists():
        raise GradingError(f"no submissions folder {folder}; {layout}")
    if not folder.is_dir():
        raise GradingError(f"{folder} is a file, not a folder of submissions; {layout}")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise GradingError(f"the submissions folder {folder} cannot be read (permission denied); make it readable.")
    available = chapters(book)
    ids = {stem: _expected_ids(stem, book) for stem in available}
    found, problems = [], []
    for loose in sorted(folder.glob("*.ipynb")):
        problems.append(f"{loose} is not inside a student's folder; {layout}")
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        student = student_dir.name
        if not STUDENT_ID.match(student):
            problems.append(
                f"{student_dir}: a student folder's name is the student id and may only hold letters, "
                "digits and . _ @ + -; rename the folder."
            )
            continue
        if not os.access(student_dir, os.R_OK | os.X_OK):
            problems.append(f"{student_dir} cannot be read (permission denied); make it readable.")
            continue
        notebooks = sorted(student_dir.glob("*.ipynb"))
        if not notebooks:
            problems.append(f"{student_dir} holds no notebook (*.ipynb) at its top level; {layout}")
        for path in notebooks:
            stem = path.stem
            match = [s for s in available if s == stem or s.split("_", 1)[0] == stem]
            # a download that renamed the file: "05_conv_layers_svd (1)", "05_conv_layers_svd-v2"
            match = match or [s for s in available if stem.startswith(s)]
            if not match:
                problems.append(
                    f"{path}: no chapter {stem!r}; name the notebook as it was released, one of "
                    f"{', '.join(available)} (or just its number, e.g. 05.ipynb)."
                )
                continue
            chapter = match[0]
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception as err:  # nbformat raises several kinds for broken JSON
                problems.append(
                    f"{path} cannot be read as a notebook ({type(err).__name__}: {err}); ask the "
                    "student for the .ipynb file itself."
                )
                continue
            have = _grade_ids(nb)
            if not have & ids[chapter]:
                other = [s for s, i in ids.items() if have & i]
                if other:
                    problems.append(
                        f"{path} is named {chapter} but holds the self-checks of {other[0]} "
                        f"({', '.join(sorted(have & ids[other[0]]))}); rename it to "
                        f"{other[0]}.ipynb if that is the chapter the student did."
                    )
                else:
                    problems.append(
                        f"{path} holds none of {chapter}'s self-check cells with nbgrader metadata, so "
                        "it is not a notebook from `make release` (or its cell metadata was stripped); "
                        "ask the student to redo the work in the released notebook."
                    )
                continue
            found.append((student, chapter, path))
    if problems:
        raise GradingError("cannot grade these submissions:\n  " + "\n  ".join(problems))
    if not found:
        raise GradingError(f"no notebooks in {folder}; {layout}")
    dup = {(s, c) for s, c, _ in found if sum(1 for s2, c2, _ in found if (s2, c2) == (s, c)) > 1}
    if dup:
        raise GradingError(
            "more than one notebook for the same student and chapter: "
            + ", ".join(f"{s}/{c}" for s, c in sorted(dup))
            + "; keep one per chapter."
        )
    return found


@contextmanager
def _environment(quick: bool):
    """The kernels nbgrader starts inherit this process's environment: quick mode, $LAAIC_DATA_ROOT, the cache."""
    names = ("LAAIC_QUICK", "LAAIC_DATA_ROOT", "LAAIC_CACHE_DIR")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["LAAIC_QUICK"] = "1" if quick else "0"
    for k in names[1:]:
        # relative means relative to the repository root (helpers.config.env_path); kernels run elsewhere
        if os.environ.get(k) and not Path(os.environ[k]).expanduser().is_absolute():
            os.environ[k] = str(ROOT / os.environ[k])
    try:
        with warnings.catch_warnings():
            # nbgrader's own gradebook code trips SQLAlchemy's autoflush warnings; they say nothing about grades
            warnings.filterwarnings("ignore", message=".*not in session.*")
            yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _tamper(submitted, gb, chapter: str) -> dict[str, str]:
    """Self-check cells the student deleted or edited, compared with the gradebook's checksums."""
    from nbgrader.utils import compute_checksum

    cells = {
        c.metadata["nbgrader"]["grade_id"]: c for c in submitted.cells if "grade_id" in c.metadata.get("nbgrader", {})
    }
    flags = {}
    for cell in gb.find_notebook(chapter, chapter).grade_cells:
        source = gb.find_source_cell(cell.name, chapter, chapter)
        if not source.locked:
            continue
        if cell.name not in cells:
            flags[cell.name] = "tampered: deleted"
        else:
            try:
                same = compute_checksum(cells[cell.name]) == source.checksum
            except (KeyError, TypeError, ValueError):  # its nbgrader metadata was edited too
                same = False
            if not same:
                flags[cell.name] = "tampered: edited"
    return flags


def _order(course: Path, chapter: str) -> list[tuple[str, str, str, float]]:
    """(grade id, exercise, part, points) of each graded cell of the chapter's release, in notebook order."""
    nb = nbformat.read(course / "release" / chapter / f"{chapter}.ipynb", as_version=4)
    out = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            gid = meta["grade_id"]
            written = cell.cell_type == "markdown" and gid.endswith("-written")
            out.append(
                (
                    gid,
                    gid[: -len("-written")] if written else gid,
                    "written" if written else "self-check",
                    float(meta["points"]),
                )
            )
    return out


def _fmt(x):
    return "" if x is None else f"{float(x):g}"


def export(found, course: Path = COURSE, failed: dict | None = None) -> list[dict]:
    """One row per graded cell of each (student, chapter, path) in ``found``, from nbgrader's gradebook.

    ``failed`` maps (student, chapter) to why autograding that notebook failed: its rows get no score."""
    from nbgrader.api import Gradebook, MissingEntry

    failed = failed or {}
    _check_gradebook(Path(course), found)
    rows = []
    with Gradebook(f"sqlite:///{(course / 'gradebook.db').resolve()}") as gb:
        for student, chapter, path in found:
            cells = _order(course, chapter)
            autograded = course / "autograded" / student / chapter / f"{chapter}.ipynb"
            if (student, chapter) in failed or not autograded.exists():
                why = failed.get((student, chapter), "no autograded notebook; run the grade command again")
                rows += [
                    dict(
                        student=student,
                        chapter=chapter,
                        exercise=ex,
                        part=part,
                        score="",
                        max_score=_fmt(points),
                        autograder_score="",
                        flag=f"autograde failed: {why}",
                    )
                    for _, ex, part, points in cells
                ]
                continue
            try:
                graded = {g.name: g for g in gb.find_submission_notebook(chapter, chapter, student).grades}
            except MissingEntry:
                raise GradingError(f"{student}/{chapter} is not in the gradebook; run the grade command.") from None
            flags = _tamper(nbformat.read(path, as_version=4), gb, chapter)
            for grade_id, exercise, part, _ in cells:
                g = graded[grade_id]
                flag = flags.get(grade_id, "")
                if part == "written":
                    # an untouched answer cell is 0 automatically; anything else waits for formgrader
                    score = g.manual_score if g.manual_score is not None else g.auto_score
                    if score is None:
                        flag = "needs manual grading"
                    elif g.manual_score is None:
                        flag = "no answer"  # the answer cell is as released
                else:
                    score = 0.0 if flag else g.score
                    if g.manual_score is not None:
                        flag = (flag + "; " if flag else "") + "score set in formgrader"
                        score = g.manual_score
                rows.append(
                    dict(
                        student=student,
                        chapter=chapter,
                        exercise=exercise,
                        part=part,
                        score=_fmt(score),
                        max_score=_fmt(g.max_score),
                        autograder_score=_fmt(g.auto_score),
                        flag=flag,
                    )
                )
    return rows


def _write_csv(rows: list[dict], out: Path) -> None:
    """Write the rows atomically (a temporary file beside ``out``, then moved into place)."""
    out = Path(out)
    if out.is_dir():
        raise GradingError(f"the CSV path {out} is a folder; pass a file name such as grades.csv.")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, text.getvalue())


def _check_gradebook(course: Path, found) -> None:
    """``export`` reads a gradebook and releases that ``grade`` made; say so when they are not there."""
    if not (course / "gradebook.db").is_file():
        raise GradingError(f"no gradebook in {course}: nothing was graded there yet; run the grade command first.")
    missing = sorted({c for _, c, _ in found if not (course / "release" / c / f"{c}.ipynb").is_file()})
    if missing:
        raise GradingError(f"no release of {', '.join(missing)} in {course}; run the grade command first.")


def grade(
    submissions: Path, out: Path | None = None, course: Path = COURSE, quick: bool = True, book: Path = BOOK, log=print
) -> list[dict]:
    """Autograde every notebook under ``submissions/<student>/`` and return (and write to ``out``) the rows.

    Every input and output path is checked before anything is copied, graded or written."""
    course = _check_course(course, book)
    _check_apart(course, submissions)
    found = find_submissions(submissions, book)
    if out is not None:
        out = _check_csv(out, course, submissions, found)
    needed = sorted({c for _, c, _ in found})
    missing = [c for c in needed if not (course / "release" / c / f"{c}.ipynb").exists()]
    if missing:
        log(f"no release of {', '.join(missing)} in {course} yet; making it from book/ now")
        release(missing, course, book)
    for student, chapter, path in found:
        target = course / "submitted" / student / chapter / f"{chapter}.ipynb"
        if target.parent.exists():
            shutil.rmtree(target.parent)
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)
    api = _api(course)
    failed = {}
    with _environment(quick):
        for student, chapter, _ in found:
            log(f"autograding {student}/{chapter} ...")
            result = api.autograde(chapter, student, force=True, create=True)
            if not result.get("success"):
                # one notebook that kills its kernel or runs out of time must not stop the others
                failed[student, chapter] = _reason(result)
                log(f"  nbgrader could not autograde {student}/{chapter}: {failed[student, chapter]}")
    rows = export(found, course, failed)
    if out is not None:
        _write_csv(rows, out)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--course", type=path_argument, default=COURSE, help="nbgrader course folder (default: grading)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="student releases of chapters (all by default)")
    p.add_argument("chapters", nargs="*", help="chapter numbers or names; default: all")
    p.add_argument("--force", action="store_true", help="replace a release that already has submissions")
    for name, text in (
        ("grade", "autograde SUBMISSIONS/<student>/<chapter>.ipynb into a CSV"),
        ("export", "write the CSV again from the gradebook (after grading written answers)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("submissions", type=path_argument, help="folder with one sub-folder per student")
        p.add_argument(
            "--out", type=path_argument, default=Path("grades.csv"), help="the CSV to write (default: grades.csv)"
        )
        if name == "grade":
            p.add_argument("--full", action="store_true", help="run the chapters at full scale, not in quick mode")
    args = parser.parse_args(argv)
    course = Path(args.course)
    try:
        if args.command == "release":
            written = release(args.chapters, course, force=args.force)
            print(f"released {len(written)} chapter(s); hand out:")
            for path in written:
                print(f"  {path}")
            return 0
        if args.command == "grade":
            rows = grade(Path(args.submissions), Path(args.out), course, quick=not args.full)
        else:
            course = _check_course(course)
            _check_apart(course, Path(args.submissions))
            found = find_submissions(Path(args.submissions))
            out = _check_csv(Path(args.out), course, Path(args.submissions), found)
            _check_gradebook(course, found)
            rows = export(found, course)
            _write_csv(rows, out)
    except GradingError as err:
        print(f"grading: error: {err}", file=sys.stderr)
        return 2
    auto = [r for r in rows if r["part"] == "self-check"]
    flagged = sum(1 for r in rows if r["flag"].startswith("tampered"))
    broken = sorted({f"{r['student']}/{r['chapter']}" for r in rows if r["flag"].startswith("autograde failed")})
    print(
        f"wrote {args.out}: {len(rows)} row(s), {sum(float(r['score'] or 0) for r in auto):g} of "
        f"{sum(float(r['max_score']) for r in auto):g} self-check points" + (f", {flagged} tampered" if flagged else "")
    )
    if broken:
        print(
            f"grading: nbgrader could not grade {', '.join(broken)}: their rows have no score and say why in the "
            "flag column; the autograde log above has the details.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
