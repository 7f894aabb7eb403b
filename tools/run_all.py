"""Run every chapter at full scale with papermill and write a performance report.

Usage (from the repository root)::

    python tools/run_all.py [--device auto|cpu|cuda] [--quick] [--out _build/full-run] [CHAPTER ...]
    make run-all DEVICE=cuda

Each chapter runs in its own process (papermill, the chapter's own parameters
plus ``device``), so its peak memory is measured alone. Writes, under
``--out``:

* ``<chapter>.ipynb``: the executed notebooks;
* ``report.json`` and ``report.md``: per chapter the wall time, the peak
  resident memory of the kernel, the device, success, the chapter's key
  results (every glued value its prose quotes: accuracies, identity errors,
  speed-ups; see :func:`quoted_names`) and its slowest
  cells (from papermill's per-cell timings: where the time goes), plus the
  machine.

The report files are replaced only after every chapter has been attempted,
through temporary files, so an interrupted or refused run leaves an earlier
report intact; each executed notebook is moved into place once its chapter
has finished. Bad input (an unknown chapter, a ``--device`` other than auto,
cpu or cuda, ``--device cuda`` without a GPU, an output folder that is a file or
cannot be written, one that is, holds or lies inside the chapters' source
folder, the ``helpers`` package or the dataset mirror ``$LAAIC_DATA_ROOT``, or
one where an output would land on a chapter notebook or a folder) is refused
before anything is created or runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapters import (  # noqa: E402
    BOOK,
    ROOT,
    ChapterError,
    OutputError,
    check_writable_folder,
    path_argument,
    refuse_protected,
    same_file,
    what_is,
    write_atomic,
)
from chapters import select as _select  # noqa: E402

# A chapter's key results are the glued values its prose quotes, derived from
# the chapter itself (see quoted_names); nothing is listed here by hand.
_QUOTES = (
    re.compile(r'\{eval\}`helpers\.glued\("([^"`:]+)'),  # {eval}`helpers.glued("name:fmt")`
    re.compile(r"\{glue:(?:text|md)\}`([^`:]+)"),  # {glue:text}`name:fmt`
    re.compile(r"```\{glue:md\}\s+(\S+)"),
)


class RunError(ValueError):
    pass


def select(names: list[str]) -> list[Path]:
    try:
        return _select(names, BOOK)
    except ChapterError as err:
        raise RunError(str(err)) from None


def check_device(device: str) -> None:
    if device not in ("auto", "cpu", "cuda"):
        raise RunError(f"device must be auto, cpu or cuda, got {device!r}.")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise RunError("--device cuda was asked for, but PyTorch sees no CUDA GPU here; use --device cpu or auto.")


REPORTS = ("report.json", "report.md")


def check_out(out: Path, paths=(), book: Path = BOOK) -> None:
    """Refuse an output folder that would overwrite a chapter or write into a folder the tools only read.

    Checked before anything is created, and nothing is created here: ``out`` must not be an existing file,
    must not be the chapters' source folder (``book`` and the folder of each chapter in ``paths``), the
    helpers package's source folder or the dataset mirror (``$LAAIC_DATA_ROOT``), lie inside one of them or
    contain one; no output file (an executed notebook, a report) may be a chapter source file or a folder;
    and ``out`` must be a writable folder or one that can be created. Paths are compared resolved, so
    symlinks do not get round this.
    """
    out = Path(out)
    hint = f"pass another folder, e.g. one under {ROOT / '_build'}/ (the default is {ROOT / '_build' / 'full-run'})"
    if os.path.lexists(out) and not out.is_dir():
        raise RunError(f"the output folder {out} is {what_is(out)}; {hint}.")
    sources = [p.resolve() for p in select_all(book)] + [Path(p).resolve() for p in paths]
    folders = sorted({Path(book).resolve()} | {s.parent for s in sources})
    where = out.resolve()
    for folder in folders:
        if where == folder or folder in where.parents:
            raise RunError(
                f"refusing to write into {out}: it is the chapters' source folder {folder} or inside it, "
                f"and the executed copies would overwrite or sit beside the chapter notebooks; {hint}."
            )
        if where in folder.parents:
            raise RunError(
                f"refusing to write into {out}: it contains the chapters' source folder {folder}, "
                f"whose notebooks must not be overwritten; {hint}."
            )
    try:
        refuse_protected(out, "the run's output into", hint, book=book, contains=True)
    except OutputError as err:
        raise RunError(str(err)) from None
    names = [Path(p).name for p in paths] + list(REPORTS)
    for name in names:
        target = out / name
        if any(same_file(target, src) for src in sources):
            raise RunError(f"refusing to write {target}: it is (or links to) a chapter source notebook; {hint}.")
        if target.is_dir():
            raise RunError(f"the output file {target} is a folder; move it away or {hint}.")
    try:
        check_writable_folder(out, "the output folder", hint)
    except OutputError as err:
        raise RunError(str(err)) from None


def select_all(book: Path = BOOK) -> list[Path]:
    """Every chapter notebook of ``book`` (those a run could overwrite)."""
    try:
        return _select([], book)
    except ChapterError:
        return []


# Runs one chapter in a child process and prints its peak memory: ru_maxrss of
# RUSAGE_CHILDREN covers the kernel, which papermill starts and waits for.
# Runs one chapter in a child process and prints its peak memory: ru_maxrss of
# RUSAGE_CHILDREN covers the kernel, which papermill starts and waits for.
# papermill saves the executed notebook after every cell, so it writes to a hidden temporary file beside
# the output, moved into place once the chapter has finished (or failed with an error, which the notebook
# then shows); an interrupted run removes it and leaves an earlier executed copy as it was.
_CHILD = r"""
import json, os, resource, sys, time, papermill
from pathlib import Path
src, dst, device, quick = sys.argv[1:5]
tmp = Path(dst).with_name(f".{Path(dst).name}.{os.getpid()}.running.ipynb")
params = {"device": device}
if quick == "1":
    params["quick"] = True
start = time.perf_counter()
error, finished = None, False
try:
    try:
        papermill.execute_notebook(src, str(tmp), parameters=params, cwd=str(Path(src).parent),
                                   progress_bar=False, log_output=False)
    except Exception as err:
        error = f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"
    finished = True
finally:
    if finished and tmp.is_file():
        os.replace(tmp, dst)
    else:
        tmp.unlink(missing_ok=True)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print("RESULT " + json.dumps({"wall_s": wall, "peak_bytes": peak, "error": error}))
"""


def _value(text):
    """A glued value's text form as a number when it is one (``np.float64(0.5)`` included)."""
    if text is None:
        return None
    text = str(text).strip()
    m = re.fullmatch(r"(?:np\.)?[a-z0-9_]*\((.*)\)", text)
    inner = m.group(1) if m else text
    try:
        return float(inner)
    except ValueError:
        return text.strip("'\"")


def glued(nb_path: Path) -> dict:
    """The values a notebook glued (myst_nb.glue), by name."""
    import nbformat

    nb = nbformat.read(nb_path, 4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if meta:
                data = o.get("data", {})
                text = data.get("text/plain", data.get("application/papermill.record/text/plain"))
                out[meta["name"]] = _value(text)
    return out


def quoted_names(nb_path: Path) -> list[str]:
    """The glued names the notebook's prose quotes, in reading order (each once).

    These are a chapter's key results: the numbers a reader reads, from
    ``{eval}`helpers.glued("name:fmt")``` and myst-nb's ``{glue:text}`name```.
    """
    import nbformat

    names: list[str] = []
    for cell in nbformat.read(nb_path, 4).cells:
        if cell.cell_type == "markdown":
            found = sorted((m.start(), m.group(1)) for rx in _QUOTES for m in rx.finditer(cell.source))
            names += [name for _, name in found if name not in names]
    return names


def key_results(nb_path: Path) -> dict:
    """The glued values of an executed notebook that its prose quotes, by name, in reading order."""
    values = glued(nb_path)
    return {name: values[name] for name in quoted_names(nb_path) if name in values}


def slowest_cells(nb_path: Path, n: int = 3) -> list[dict]:
    """The ``n`` code cells that took longest, from papermill's per-cell durations.

    Each is ``{"cell": index, "seconds": s, "section": the heading above it,
    "code": its first line of code}``, so that a report can say where the time
    goes without anyone opening the notebook.
    """
    import nbformat

    nb = nbformat.read(nb_path, 4)
    cells, section = [], ""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            heads = [ln.lstrip("#").strip() for ln in cell.source.splitlines() if ln.startswith("#")]
            section = heads[-1] if heads else section
            continue
        if cell.cell_type != "code":
            continue
        seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if seconds is None:
            continue
        lines = [ln.strip() for ln in cell.source.splitlines()]
        code = next((ln for ln in lines if ln and not ln.startswith(("#", "import ", "from "))), "")
        cells.append(
            {
                "cell": i,
                "seconds": float(seconds),
                "section": section,
                "code": code if len(code) <= 60 else code[:57] + "...",
            }
        )
    return sorted(cells, key=lambda c: -c["seconds"])[:n]


def run(paths: list[Path], out: Path, device: str, quick: bool) -> dict:
    sys.path.insert(0, str(ROOT))
    from helpers.bench import machine_description

    rows = []
    for src in paths:
        dst = out / src.name
        print(f"running {src.stem} (device={device}{', quick' if quick else ''}) ...", flush=True)
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(src), str(dst), device, "1" if quick else "0"],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        res = (
            json.loads(line[7:])
            if line
            else {"wall_s": None, "peak_bytes": None, "error": proc.stderr.strip()[-500:] or "no result"}
        )
        values = glued(dst) if dst.is_file() else {}
        row = {
            "chapter": src.stem,
            "ok": res["error"] is None,
            "error": res["error"],
            "wall_s": res["wall_s"],
            "peak_mib": None if res["peak_bytes"] is None else res["peak_bytes"] / 2**20,
            "device": device,
            "quick": quick,
            "results": key_results(dst) if dst.is_file() else {},
            "chapter_seconds": values.get("chapter_seconds"),
            "slowest_cells": slowest_cells(dst) if dst.is_file() else [],
        }
        rows.append(row)
        print(
            f"  {'ok' if row['ok'] else 'FAILED: ' + str(row['error'])}; {row['wall_s'] or 0:.0f} s, "
            f"peak {row['peak_mib'] or 0:.0f} MiB",
            flush=True,
        )
    return {
        "machine": machine_description(),
        "device": device,
        "quick": quick,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "total_s": sum(r["wall_s"] or 0 for r in rows),
        "chapters": rows,
    }


def _show(value) -> str:
    """A glued value as the report prints it: whole numbers with thousands separators, others to 4 digits."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _is_display_object(value) -> bool:
    """A glued table or figure, whose plain-text form (``<IPython...Markdown object>``) says nothing."""
    return isinstance(value, str) and value.startswith("<") and value.endswith(" object>")


def markdown(report: dict) -> str:
    title = "Quick-mode run" if report["quick"] else "Full-scale run"
    lines = [
        f"# {title} (device {report['device']})",
        "",
        f"{report['date']}; {report['machine']}",
        "",
        "| chapter | ok | wall time (s) | peak memory (MiB) | key results |",
        "|---|---|---|---|---|",
    ]
    for r in report["chapters"]:
        lines.append(
            f"| {r['chapter']} | {'yes' if r['ok'] else 'NO'} | {r['wall_s'] or 0:.0f} | "
            f"{r['peak_mib'] or 0:.0f} | {len(r['results'])} |"
        )
    lines += [
        "",
        f"Total: {report['total_s']:.0f} s ({report['total_s'] / 60:.1f} min).",
        "",
        "## Key results",
        "",
        "Every glued value that a chapter's prose quotes, in reading order.",
        "",
    ]
    for r in report["chapters"]:
        res = ", ".join(f"{k} = {_show(v)}" for k, v in r["results"].items() if not _is_display_object(v))
        lines.append(f"- **{r['chapter']}**: {res or 'none'}")
    lines += [
        "",
        "## Where the time goes",
        "",
        "The slowest cells of each chapter (papermill's timings; the rest of a chapter's wall time "
        "is its other cells and starting the kernel).",
        "",
        "| chapter | cell | seconds | share of the chapter | section | first line |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["chapters"]:
        for c in r.get("slowest_cells", []):
            share = f"{100 * c['seconds'] / r['wall_s']:.0f} %" if r["wall_s"] else ""
            code = c["code"].replace("|", "\\|")
            lines.append(f"| {r['chapter']} | {c['cell']} | {c['seconds']:.0f} | {share} | {c['section']} | `{code}` |")
    return "\n".join(lines) + "\n"


def _replace(path: Path, text: str) -> None:
    write_atomic(path, text)


PATH_SETTINGS = ("LAAIC_DATA_ROOT", "LAAIC_CACHE_DIR")


def anchor_paths(environ=os.environ, base: str | None = None) -> dict[str, str]:
    """Make relative path settings absolute against ``base`` (default: the current folder), in place.

    The kernels run in ``book/``, so ``LAAIC_DATA_ROOT=../shared/datasets``
    typed in the repository root would otherwise point somewhere else there.
    Returns the settings that changed.
    """
    base = base or os.getcwd()
    changed = {}
    for name in PATH_SETTINGS:
        raw = environ.get(name, "").strip()
        if raw and not os.path.isabs(os.path.expanduser(raw)):
            environ[name] = changed[name] = os.path.abspath(os.path.join(base, os.path.expanduser(raw)))
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter numbers or names; default: all")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="quick mode instead of full scale")
    parser.add_argument("--out", type=path_argument, default=ROOT / "_build" / "full-run", help="output folder")
    args = parser.parse_args(argv)
    out = Path(args.out)
    for name, value in anchor_paths().items():
        print(f"run_all: {name} is relative; using {value}")
    try:
        paths = select(args.chapters)
        check_device(args.device)
        check_out(out, paths)
        out.mkdir(parents=True, exist_ok=True)
    except RunError as err:
        print(f"run_all: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"run_all: error: cannot create the output folder {out} ({err.strerror}).", file=sys.stderr)
        return 2
    report = run(paths, out, args.device, args.quick)
    _replace(out / "report.json", json.dumps(report, indent=2))
    _replace(out / "report.md", markdown(report))
    print(markdown(report))
    return 0 if all(r["ok"] for r in report["chapters"]) else 1


if __name__ == "__main__":
    sys.exit(main())
