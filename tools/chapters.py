"""What the command-line tools share: the chapter notebooks, and the checks on where a tool may write.

The chapters are found by number or name (:func:`select`). Every output path a tool takes is checked
before anything is written (:func:`refuse_protected`, :func:`check_writable_folder`, :func:`same_file`):
no tool writes into the book's source folder ``book/``, the ``helpers`` package's source folder, or the
dataset mirror (``$LAAIC_DATA_ROOT``); and files are written atomically (:func:`write_atomic`), through a
temporary file beside the target that is then moved into place, so that a refused or interrupted run
never leaves a half-written output behind.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
HELPERS = ROOT / "helpers"


class ChapterError(ValueError):
    """An unknown chapter; the message lists the ones there are."""


class OutputError(ValueError):
    """An output path a tool must not write to; the message says why and what to pass instead."""


def chapters(book: Path = BOOK) -> dict[str, Path]:
    """Chapter notebooks by stem (``06_low_rank_compression``), in reading order."""
    return {p.stem: p for p in sorted(Path(book).glob("[0-9][0-9]_*.ipynb"))}


def select(names, book: Path = BOOK) -> list[Path]:
    """Notebook paths for chapter numbers or names (every chapter when ``names`` is empty), each once."""
    available = chapters(book)
    if not names:
        return list(available.values())
    out = []
    for name in names:
        stem = Path(str(name)).stem
        match = [p for s, p in available.items() if stem and (s == stem or s.split("_", 1)[0] == stem)]
        if not match:
            raise ChapterError(
                f"no chapter {name!r} in {book}; choose from: {', '.join(available)} (a number such as 06 is enough)."
            )
        out.extend(p for p in match if p not in out)
    return out


def path_argument(text: str) -> Path:
    """An argparse ``type`` for a path: refuses an empty or blank one, which would silently mean the current
    folder (an unset shell variable, ``--out "$OUT"``, is the usual cause)."""
    if not str(text).strip():
        raise argparse.ArgumentTypeError(f"an empty path ({text!r}); give a folder or file name")
    return Path(text)


def what_is(path: Path) -> str:
    """What stands at ``path`` where a folder was wanted, for a message: ``a file`` or ``a broken link``."""
    path = Path(path)
    return "a broken link" if path.is_symlink() and not path.exists() else "a file"


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (symlinks resolved; hard links too when both exist)."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def data_mirrors(environ=None) -> list[Path]:
    """The folders ``$LAAIC_DATA_ROOT`` may name (absolute; a relative one read against the repository
    root and the current folder, as :func:`helpers.config.env_path` reads it); empty when it is unset."""
    environ = os.environ if environ is None else environ
    raw = environ.get("LAAIC_DATA_ROOT", "").strip()
    if not raw:
        return []
    path = Path(raw).expanduser()
    found = [path] if path.is_absolute() else [ROOT / path, Path.cwd() / path]
    return list(dict.fromkeys(Path(os.path.abspath(p)) for p in found))


def protected(book: Path = BOOK, environ=None) -> list[tuple[str, Path]]:
    """(what it is, folder) for each folder that the tools only read: the chapters, the helpers, the datasets."""
    out = [("the chapters' source folder", Path(book)), ("the helpers package's source folder", HELPERS)]
    out += [("the dataset mirror ($LAAIC_DATA_ROOT)", m) for m in data_mirrors(environ)]
    return out


def refuse_protected(path: Path, what: str, hint: str, book: Path = BOOK, contains: bool = False) -> None:
    """Raise :class:`OutputError` when ``path`` is, or lies inside, a folder of :func:`protected`.

    ``contains``: refuse a ``path`` that contains one of them too (for a tool that writes a whole tree
    of folders there). Paths are compared resolved, so a symlink does not get round the check. (Where
    ``$LAAIC_DATA_ROOT`` names a folder that holds the whole repository, the repository's own folders
    other than ``book/`` and ``helpers/`` stay writable.)
    """
    where = Path(path).resolve()
    root = ROOT.resolve()
    for label, folder in protected(book):
        folder = folder.resolve()
        if (folder == root or folder in root.parents) and (where == root or root in where.parents):
            continue  # a dataset mirror that holds the whole repository: the repository's own rules apply there
        if where == folder or folder in where.parents:
            raise OutputError(
                f"refusing to write {what} {path}: it is {label} {folder} or lies inside it, which the tools "
                f"only read; {hint}."
            )
        if contains and where in folder.parents:
            raise OutputError(
                f"refusing to write {what} {path}: it contains {label} {folder}, which the tools only read; {hint}."
            )


def check_writable_folder(folder: Path, what: str, hint: str) -> None:
    """``folder`` must be a writable folder, or one that can be created (its nearest existing parent a
    writable folder). Nothing is created here."""
    folder = Path(folder)
    if os.path.lexists(folder):
        if not folder.is_dir():
            raise OutputError(f"{what} {folder} exists and is not a folder; move it away or {hint}.")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f"{what} {folder} is not writable; {hint}.")
        return
    parent = folder.parent
    while not os.path.lexists(parent) and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot create {what} {folder}: {parent} is not a folder; move it away or {hint}.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot create {what} {folder}: {parent} is not writable; {hint}.")


def write_atomic(target: Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write ``data`` to a temporary file beside ``target``, then move it into place in one step.

    On any failure the temporary file is removed and ``target`` is as it was."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "w", encoding=encoding, newline="") as f:
                f.write(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
