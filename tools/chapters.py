"""The chapter notebooks of the book, found by number or name (shared by the command-line tools)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


class ChapterError(ValueError):
    """An unknown chapter; the message lists the ones there are."""


def chapters(book: Path = BOOK) -> dict[str, Path]:
    """Chapter notebooks by stem (``06_low_rank_compression``), in reading order."""
    return {p.stem: p for p in sorted(Path(book).glob("[0-9][0-9]_*.ipynb"))}


def select(names, book: Path = BOOK) -> list[Path]:
    """Notebook paths for chapter numbers or names (every chapter when ``names`` is empty)."""
    available = chapters(book)
    if not names:
        return list(available.values())
    out = []
    for name in names:
        stem = Path(name).stem
        match = [p for s, p in available.items() if s == stem or s.split("_", 1)[0] == stem]
        if not match:
            raise ChapterError(
                f"no chapter {name!r} in {book}; choose from: {', '.join(available)} (a number such as 06 is enough)."
            )
        out.extend(match)
    return out


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (symlinks resolved; hard links too when both exist)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
