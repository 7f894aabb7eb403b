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

both without outputs. The source notebooks in ``book/`` are only read.

Cell tags used by the chapters: ``exercise`` (the question, kept),
``solution`` (removed for students), ``self-check`` (kept).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapters import BOOK, ChapterError, select  # noqa: E402


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


def _check_out(out: Path, book: Path) -> Path:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise HandoutError(f"the output folder {out} is a file; pass a folder (it is created if missing).")
    resolved = out.resolve()
    book = book.resolve()
    if resolved == book or book in resolved.parents:
        raise HandoutError(
            f"refusing to write handouts into {out}: it is the book's source folder {book} or inside it, "
            "whose notebooks must not be overwritten; pass another folder, e.g. handouts/."
        )
    return out


def write(out: Path, names: list[str] | None = None, book: Path = BOOK) -> list[Path]:
    """Write the handouts; returns the paths written."""
    out = _check_out(out, book)
    sources = resolve(list(names or []), book)
    # read and convert everything first: a bad chapter leaves nothing half-written
    pairs = []
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        pairs.append((src, student_version(nb, src.name), instructor_version(nb)))
    written = []
    for src, student, instructor in pairs:
        for kind, nb in (("student", student), ("instructor", instructor)):
            target = out / kind / src.name
            if target.resolve() == src.resolve():
                raise HandoutError(f"refusing to overwrite the source notebook {src}.")
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".ipynb.tmp")
            nbformat.write(nb, tmp)
            tmp.replace(target)
            written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="output folder (student/ and instructor/ are created inside)")
    parser.add_argument("chapters", nargs="*", help="chapter numbers or names; default: all")
    args = parser.parse_args(argv)
    try:
        written = write(Path(args.out), args.chapters)
    except HandoutError as err:
        print(f"handouts: error: {err}", file=sys.stderr)
        return 2
    n = len(written) // 2
    print(f"wrote {n} student and {n} instructor notebook(s) under {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
