"""The set-up cell that lets a chapter run outside the repository (Colab, a bare Jupyter).

Every chapter has the same short code cell right after its ``parameters``
cell. Where the book's ``helpers`` package cannot be imported, it installs it
with its requirements (``pyproject.toml``'s dependencies) from the published
repository's archive; in the repository, in CI and on Binder (whose
environment installs the package, see ``binder/``) it does nothing. The cell
carries the tag ``hide-input``, so the HTML book collapses its code (plumbing,
not the lesson) behind a toggle.

The archive's address derives from the one repository setting,
``repository.url`` and ``repository.branch`` in ``_config.yml`` (a GitHub
repository: ``<url>/archive/refs/heads/<branch>.zip``). After changing that
setting, rewrite the cells::

    .venv/bin/python tools/bootstrap_cell.py          # rewrite every chapter's set-up cell
    .venv/bin/python tools/bootstrap_cell.py --check  # exit 1 if any is missing, stale or untagged

Every chapter is read and checked before the first is rewritten, and each is
rewritten atomically, so a chapter without a ``parameters`` cell or a bad
``_config.yml`` is reported and leaves every chapter as it was.

``tests/test_bootstrap.py`` runs the check. The environment variable
``LAAIC_PACKAGE`` overrides what the cell installs (any ``pip install``
argument: a wheel, an sdist, another archive); the test uses it to install a
locally built wheel instead of downloading.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapters import BOOK, ROOT, chapters, write_atomic  # noqa: E402

CELL_ID = "laaic-setup"
# The HTML book collapses the cell's code (a reader sees a "show code" toggle): it is plumbing, not the lesson.
CELL_TAGS = ["hide-input"]
# The distribution name in pyproject.toml; pip checks that the archive holds it.
DIST = "laaic-helpers"
# The placeholders the repository was created with; tools and the build warn while they remain.
PLACEHOLDER_REPOSITORY = "https://github.com/laaic-book/linear-algebraic-image-classification"
PLACEHOLDER_JUPYTERHUB = "https://hub.example.edu"


def read_config(root: Path = ROOT) -> dict:
    """``_config.yml`` as a dict."""
    return yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))


def archive_url(config: dict) -> str:
    """The published repository's archive: ``<repository.url>/archive/refs/heads/<branch>.zip`` (GitHub)."""
    if not isinstance(config, dict):
        raise ValueError(f"_config.yml must hold a mapping of settings, got {type(config).__name__}")
    repo = config.get("repository") or {}
    if not isinstance(repo, dict):
        raise ValueError(f"_config.yml: repository must be a mapping with url and branch, got {repo!r}")
    url = str(repo.get("url", "")).rstrip("/")
    if not url.startswith("https://"):
        raise ValueError(f"_config.yml: repository.url must be an https URL of the published repository, got {url!r}")
    return f"{url}/archive/refs/heads/{repo.get('branch', 'main')}.zip"


def package_url(config: dict) -> str:
    """The pip requirement that installs the book's package from the published repository."""
    return f"{DIST} @ {archive_url(config)}"


def cell_source(config: dict) -> str:
    """The set-up cell's code, the same in every chapter.

    It is kept clean for ruff check and ruff format at the chapters' 88 columns
    (``book/ruff.toml``), so that formatting a chapter leaves the cell as written.
    """
    return (
        "# Set-up outside this book's repository (e.g. on Colab): install the book's `helpers`\n"
        "# package and its requirements; torchvision downloads the datasets later. In the\n"
        "# repository, in CI and on Binder `helpers` is importable and this does nothing;\n"
        "# in a clone opened with another Python, the clone's own `helpers` is used.\n"
        "import importlib.util\n"
        "import os\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'installed = importlib.util.find_spec("helpers") is not None\n'
        "clone = os.path.dirname(os.getcwd())\n"
        'if not installed and os.path.isfile(os.path.join(clone, "helpers", "__init__.py")):\n'
        "    sys.path.insert(0, clone)\n"
        "elif not installed:\n"
        f'    archive = "{archive_url(config)}"\n'
        f'    package = os.environ.get("LAAIC_PACKAGE", f"{DIST} @ {{archive}}")\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)\n'
        "    importlib.invalidate_caches()"
    )


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _new_cell(source: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": CELL_ID,
        "metadata": {"tags": list(CELL_TAGS)},
        "outputs": [],
        "source": _lines(source),
    }


def _parameters_index(nb: dict, path: Path) -> int:
    idx = [i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(idx) != 1:
        raise ValueError(f"{path.name}: needs exactly one cell tagged 'parameters', found {len(idx)}")
    return idx[0]


def _read(path: Path) -> tuple[str, dict]:
    """(the text, the notebook) of ``path``; ValueError naming the file when it is not a notebook."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        nb = json.loads(text)
    except ValueError as err:
        raise ValueError(f"{Path(path).name}: not a notebook ({err})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{Path(path).name}: not a notebook (no list of cells)")
    if not all(isinstance(c, dict) for c in nb["cells"]):
        raise ValueError(f"{Path(path).name}: not a notebook (a cell is not a mapping)")
    return text, nb


def problems(path: Path, source: str) -> list[str]:
    """What is wrong with ``path``'s set-up cell (empty when it is right)."""
    _, nb = _read(path)
    i = _parameters_index(nb, path)
    setup = [j for j, c in enumerate(nb["cells"]) if c.get("id") == CELL_ID]
    if setup != [i + 1]:
        return [f"{path.name}: the set-up cell (id {CELL_ID!r}) must be the cell right after the parameters cell"]
    cell = nb["cells"][i + 1]
    found = []
    if "".join(cell["source"]) != source:
        found.append(f"{path.name}: the set-up cell differs from the one tools/bootstrap_cell.py writes")
    missing = [t for t in CELL_TAGS if t not in cell.get("metadata", {}).get("tags", [])]
    if missing:
        found.append(f"{path.name}: the set-up cell lacks the tag(s) {', '.join(missing)} (collapsed in the HTML)")
    return found


def _rewritten(path: Path, source: str) -> tuple[str, str]:
    """(the file's text, its text with the set-up cell right after the parameters cell)."""
    text, nb = _read(path)  # read right before writing: others edit prose
    nb["cells"] = [c for c in nb["cells"] if c.get("id") != CELL_ID]
    i = _parameters_index(nb, path)
    nb["cells"].insert(i + 1, _new_cell(source))
    return text, json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write(path: Path, source: str) -> bool:
    """Put the set-up cell right after the parameters cell; True if the file changed."""
    text, new = _rewritten(path, source)
    if new == text:
        return False
    write_atomic(Path(path), new)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="only check; exit 1 if a chapter's cell is missing or stale"
    )
    args = parser.parse_args(argv)
    try:
        source = cell_source(read_config(ROOT))
    except (OSError, yaml.YAMLError, ValueError) as err:
        mark = getattr(err, "problem_mark", None)
        why = f"{err.problem} (line {mark.line + 1})" if mark is not None and getattr(err, "problem", None) else err
        raise SystemExit(
            f"bootstrap_cell: error: cannot read the repository setting in {ROOT / '_config.yml'}: {why}"
        ) from None
    paths = list(chapters(BOOK).values())
    if not paths:
        raise SystemExit(f"bootstrap_cell: error: no chapter notebooks (NN_name.ipynb) in {BOOK}.")
    try:
        if args.check:
            found = [p for path in paths for p in problems(path, source)]
        else:
            # every chapter is read and checked before the first is rewritten
            plan = [(path, _rewritten(path, source)) for path in paths]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise SystemExit(f"bootstrap_cell: error: {err}") from None
    if args.check:
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print("run `.venv/bin/python tools/bootstrap_cell.py` to rewrite them", file=sys.stderr)
        return 1 if found else 0
    for path, (old, new) in plan:
        if new != old:
            write_atomic(path, new)
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
