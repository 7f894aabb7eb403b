"""How much program code a reader scrolls through: per chapter, the size of its code cells and its functions.

Usage (from the repository root)::

    python tools/lesson_stats.py            # print the table (make test prints it too)
    python tools/lesson_stats.py --check    # also exit 1 if a chapter breaks the targets below

A chapter should read as a lesson: prose, then a short call, a figure, a
number (``DESIGN.md``, anatomy of a chapter). The cells counted are the code a
reader reads: every code cell except those tagged ``solution``,
``self-check``, ``remove-cell`` or ``parameters``, and the set-up cell. For
each chapter the table gives their number, the median and longest length in
lines, how many are longer than 20 lines, the functions the notebook defines
and those of them that read notebook globals (a variable the notebook assigns
outside any function, as opposed to an import, a builtin, a parameter or a
local). The targets, checked by ``--check``: a median of at most
``MEDIAN_TARGET`` lines and no function reading notebook globals.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapters import BOOK, chapters  # noqa: E402

MEDIAN_TARGET = 8
LONG_CELL = 20
SKIP_TAGS = {"solution", "self-check", "remove-cell", "parameters"}
SETUP_CELL_ID = "laaic-setup"


@dataclass
class ChapterStats:
    name: str
    lengths: list[int]
    functions: list[str]
    reading_globals: dict[str, list[str]] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return float(statistics.median(self.lengths)) if self.lengths else 0.0

    @property
    def ok(self) -> bool:
        return self.median <= MEDIAN_TARGET and not self.reading_globals


def _code(source: str) -> str:
    # IPython magics and shell escapes are not Python
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _stored_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _module_level_assignments(trees: list[ast.Module]) -> tuple[set[str], set[str]]:
    """(variables the notebook assigns outside functions, names bound by imports or definitions)."""
    variables, bound = set(), set()
    for tree in trees:
        for stmt in tree.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                bound |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(stmt.name)
            else:
                variables |= _stored_names(stmt)
    return variables - bound, bound


def _globals_read(func: ast.FunctionDef, variables: set[str]) -> list[str]:
    local = _stored_names(func) - {func.name}
    loaded = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return sorted((loaded - local - set(dir(builtins))) & variables)


def analyse(nb: dict, name: str = "notebook") -> ChapterStats:
    """The statistics of one notebook (a dict as read from its JSON)."""
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    trees, lengths = [], []
    for cell in cells:
        source = "".join(cell.get("source", []))
        try:
            trees.append(ast.parse(_code(source)))
        except SyntaxError as err:
            raise ValueError(f"{name}: a code cell does not parse ({err.msg}, line {err.lineno})") from None
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & SKIP_TAGS or cell.get("id") == SETUP_CELL_ID:
            continue
        lengths.append(len([line for line in source.splitlines() if line.strip()]))
    variables, _ = _module_level_assignments(trees)
    functions, reading = [], {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append(node.name)
                read = _globals_read(node, variables)
                if read:
                    reading[node.name] = read
    return ChapterStats(name, lengths, functions, reading)


def table(stats: list[ChapterStats]) -> str:
    rows = [
        "| chapter | cells | median | longest | cells > 20 lines | functions | reading globals |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in stats:
        reading = "; ".join(f"`{f}` ({', '.join(v)})" for f, v in s.reading_globals.items()) or "none"
        rows.append(
            f"| {s.name} | {len(s.lengths)} | {s.median:g} | {max(s.lengths, default=0)} | "
            f"{sum(n > LONG_CELL for n in s.lengths)} | {len(s.functions)} | {reading} |"
        )
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 unless every median <= {MEDIAN_TARGET} and no function reads notebook globals",
    )
    args = parser.parse_args(argv)
    paths = list(chapters(BOOK).values())
    if not paths:
        raise SystemExit(f"lesson_stats: error: no chapter notebooks (NN_name.ipynb) in {BOOK}.")
    stats = []
    for path in paths:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells = nb.get("cells", []) if isinstance(nb, dict) else None
            if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
                raise ValueError("not a notebook (no list of cells)")
            stats.append(analyse(nb, path.stem))
        except (OSError, UnicodeDecodeError, ValueError) as err:  # json.JSONDecodeError is a ValueError
            raise SystemExit(f"lesson_stats: error: cannot read {path}: {err}") from None
    print(table(stats))
    failing = [s.name for s in stats if not s.ok]
    print(
        f"\ntargets: median <= {MEDIAN_TARGET} lines, no notebook function reading globals; "
        f"{len(stats) - len(failing)} of {len(stats)} chapters meet them"
        + (f" (not yet: {', '.join(failing)})" if failing else "")
    )
    return 1 if args.check and failing else 0


if __name__ == "__main__":
    sys.exit(main())
