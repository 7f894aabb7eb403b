"""Generate lab handouts: a student and an instructor notebook for each chapter.

Usage (from the repository root)::

    python tools/handouts.py OUT [CHAPTER ...]      # or: make handouts OUT=handouts

``CHAPTER`` is a chapter number or notebook name (``06``, ``06_low_rank_compression``);
without one, every chapter in ``book/`` is done. Writes

* ``OUT/student/<chapter>.ipynb``: every cell tagged ``solution`` is replaced by
  an empty answer cell (a code cell ``answer = None`` where the solution was
  code, a markdown prompt where it was prose); cells tagged ``self-check``
  stay, so students can test an answer without seeing it;
* ``OUT/instructor/<chapter>.ipynb``: the chapter with its solutions;

both without outputs. The source notebooks in ``book/`` are only read: every output
path is checked before anything is written (each folder must be a folder or
creatable, outside ``book/``, ``helpers/`` and the dataset mirror ``$LAAIC_DATA_ROOT``), and each
file is written atomically.

Cell tags used by the chapters: ``exercise`` (the question, kept),
``solution`` (removed for students), ``self-check`` (kept).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapters import (  # noqa: E402
    BOOK,
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


class HandoutError(ValueError):
    """Bad input to the handout command; the message says what to do."""


def resolve(names: list[str], book: Path = BOOK) -> list[Path]:
    """Notebook paths for chapter numbers or names (all chapters when ``names`` is empty)."""
    try:
        return select(names, book)
    except ChapterError as err:
        raise HandoutError(str(err)) from None


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def _clean(cell):
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    cell.metadata.pop("papermill", None)
    cell.metadata.pop("execution", None)
    return cell


def student_version(nb, name: str = "notebook"):
    """The notebook with solutions replaced by answer cells. Raises if it has no exercise tags."""
    if not any("exercise" in _tags(c) for c in nb.cells):
        raise HandoutError(
            f"{name} has no cells tagged 'exercise', so there is nothing to hand out; tag each exercise "
            "cell 'exercise' and each solution cell 'solution' (cell metadata -> tags)."
        )
    out = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = _tags(cell)
        if "solution" not in tags:
            cells.append(_clean(cell))
            continue
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell("answer = None  # replace None with your answer, then run the self-check")
        else:
            new = nbformat.v4.new_markdown_cell("*Your answer here.*")
        new.metadata["tags"] = ["answer"]
        cells.append(new)
    out.cells = cells
    out.metadata["laaic_handout"] = "student"
    return out


def instructor_version(nb):
    out = copy.deepcopy(nb)
    out.cells = [_clean(c) for c in nb.cells]
    out.metadata["laaic_handout"] = "instructor"
    return out


KINDS = ("student", "instructor")


HINT = "pass another output folder, e.g. handouts/"


def _check_out(out: Path, book: Path) -> Path:
    out = Path(out)
    if os.path.lexists(out) and not out.is_dir():
        raise HandoutError(f"the output folder {out} is {what_is(out)}; pass a folder (it is created if missing).")
    _outside_book(out, book)
    return out


def _outside_book(path: Path, book: Path) -> None:
    """``path`` must not be, or lie inside, the book's source folder, the helpers package or the dataset mirror."""
    try:
        refuse_protected(path, "handouts into", HINT, book=book)
    except OutputError as err:
        raise HandoutError(str(err)) from None


def _check_folder(folder: Path, book: Path) -> None:
    """``folder`` must be a writable folder, or creatable, and outside the folders the tools only read."""
    _outside_book(folder, book)
    try:
        check_writable_folder(folder, "the folder", HINT)
    except OutputError as err:
        raise HandoutError(str(err)) from None


def check_targets(targets: list[Path], book: Path = BOOK, sources: list[Path] = ()) -> None:
    """Refuse, before anything is written, any target that cannot be written or would touch the book.

    Each target's folder must be a folder (or creatable) outside the book's source folder; no target may
    be a folder, or a chapter notebook (symlinks and hard links resolved).
    """
    protected = [p.resolve() for p in chapters(book).values()] + [Path(p).resolve() for p in sources]
    for folder in dict.fromkeys(t.parent for t in targets):
        _check_folder(folder, book)
    for target in targets:
        if any(same_file(target, src) for src in protected):
            raise HandoutError(f"refusing to overwrite the source notebook {target.resolve()}.")
        if target.is_dir():
            raise HandoutError(f"{target} is a folder, so the handout cannot be written there; move it away.")


def _write_atomic(nb, target: Path) -> None:
    """Write ``nb`` to a temporary file beside ``target``, then move it into place in one step."""
    write_atomic(target, nbformat.writes(nb) + "\n")


def write(out: Path, names: list[str] | None = None, book: Path = BOOK) -> list[Path]:
    """Write the handouts; returns the paths written.

    Every output path is checked before the first file is written, and each file is written
    atomically, so bad input leaves nothing half-written.
    """
    out = _check_out(out, book)
    sources = resolve(list(names or []), book)
    # read and convert everything first: a bad chapter leaves nothing half-written
    plan = []
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        student, instructor = student_version(nb, src.name), instructor_version(nb)
        plan += [(out / kind / src.name, version) for kind, version in zip(KINDS, (student, instructor))]
    check_targets([target for target, _ in plan], book, sources)
    written = []
    for target, nb in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(nb, target)
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=path_argument, help="output folder (student/ and instructor/ are created inside)")
    parser.add_argument("chapters", nargs="*", help="chapter numbers or names; default: all")
    args = parser.parse_args(argv)
    try:
        written = write(Path(args.out), args.chapters)
    except HandoutError as err:
        print(f"handouts: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(
            f"handouts: error: could not write the handouts ({err}); check the output folder and try again.",
            file=sys.stderr,
        )
        return 1
    n = len(written) // 2
    print(f"wrote {n} student and {n} instructor notebook(s) under {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
