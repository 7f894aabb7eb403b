"""The habits that keep the repository clean: ruff's settings, the pre-commit hooks, nbstripout."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _pinned(name: str) -> str:
    line = next(s for s in (ROOT / "requirements.txt").read_text().splitlines() if s.startswith(name))
    return line.split("#")[0].strip()


def test_pre_commit_config_is_valid_and_uses_the_environments_tools():
    cfg = ROOT / ".pre-commit-config.yaml"
    done = subprocess.run([str(BIN / "pre-commit"), "validate-config", str(cfg)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    hooks = {h["id"]: h for repo in yaml.safe_load(cfg.read_text())["repos"] for h in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "nbstripout"} <= set(hooks)
    # the hooks run what requirements.txt installs, so they format exactly as `make lint` checks
    assert _pinned("ruff==").startswith("ruff==") and _pinned("nbstripout").startswith("nbstripout")
    for hook in hooks.values():
        tool = hook["entry"].split()[0]
        assert tool.startswith(".venv/bin/") and hook["language"] == "system", hook["id"]
        assert (BIN / Path(tool).name).is_file(), f"{tool} is not installed by requirements.txt"


def test_ruff_covers_the_notebooks_and_every_python_folder():
    done = subprocess.run([str(BIN / "ruff"), "check", "--show-files", "."], cwd=ROOT, capture_output=True, text=True)
    files = {Path(p).resolve().relative_to(ROOT).parts[0] for p in done.stdout.split()}
    assert {"helpers", "tools", "tests", "_ext", "benchmarks", "book"} <= files
    assert not {".venv", "_build"} & files
    assert re.search(r"book/00_datasets\.ipynb", done.stdout)


def test_nbstripout_hook_restores_a_run_chapter_to_its_committed_form(tmp_path):
    chapter = ROOT / "book" / "04_training_tinyconvnet.ipynb"
    committed = chapter.read_text(encoding="utf-8")
    nb = nbformat.reads(committed, 4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="trained\n")]
    code[2].execution_count = 3
    md = next(c for c in nb.cells if c.cell_type == "markdown")
    md.metadata["user_expressions"] = [{"expression": "helpers.glued('x')", "result": {"status": "ok"}}]
    dirty = tmp_path / chapter.name
    dirty.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    hook = next(
        h
        for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
        for h in repo["hooks"]
        if h["id"] == "nbstripout"
    )
    args = hook["entry"].replace('"', "").split()
    subprocess.run([str(BIN / Path(args[0]).name), *args[1:], str(dirty)], check=True)
    assert json.loads(dirty.read_text(encoding="utf-8")) == json.loads(committed)


def _make_env(var: str, env: dict, cwd: Path = ROOT, args=()) -> str:
    probe = f'laaic-probe: ; @echo "[$${var}]"'
    done = subprocess.run(
        ["make", "-s", *args, "--eval", probe, "laaic-probe"],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_make_resolves_the_readmes_relative_data_root_where_it_was_typed(tmp_path):
    line = next(s for s in (ROOT / "README.md").read_text().splitlines() if s.startswith("export LAAIC_DATA_ROOT="))
    value = line.split("=", 1)[1]
    assert not Path(value).is_absolute(), "the README shows a path relative to the repository root"
    expected = os.path.abspath(ROOT / value)  # as make sees it: symlinks kept
    assert _make_env("LAAIC_DATA_ROOT", {"LAAIC_DATA_ROOT": value, "PWD": str(ROOT)}) == f"[{expected}]"
    # given on the command line, and typed in another folder with make -C
    assert _make_env("LAAIC_DATA_ROOT", {"PWD": str(ROOT)}, args=[f"LAAIC_DATA_ROOT={value}"]) == f"[{expected}]"
    here = tmp_path / "elsewhere"
    here.mkdir()
    got = _make_env("LAAIC_CACHE_DIR", {"LAAIC_CACHE_DIR": "c'ache", "PWD": str(here)}, args=["-C", str(ROOT)])
    assert got == "[" + str(here / "c'ache") + "]"


def test_make_clean_keeps_graded_labs_and_fetched_assets():
    done = subprocess.run(["make", "-n", "clean"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "rm -rf _build" in done.stdout
    assert "grading" not in done.stdout and "_assets" not in done.stdout


def test_make_test_executes_each_chapter_once_and_builds_strictly_from_those_outputs():
    """nbval executes (and keeps the outputs for the quick build); the strict build executes nothing."""
    script = (ROOT / "tools" / "run_tests.sh").read_text()
    commands = [line for line in script.splitlines() if line.startswith("run_part ")]
    nbval = [c for c in commands if "--nbval" in c]
    build = [c for c in commands if "jupyter-book" in c]
    assert len(nbval) == 1 and len(build) == 1
    assert "-p _ext.laaic_nbval --nbval-lax book --nbval-cache-build _build/quick" in nbval[0]
    assert "env LAAIC_BUILD_EXECUTES=0 " in build[0]
    assert "--path-output _build/quick" in build[0] and " -W " in build[0] and "--all" in build[0]
    assert commands.index(nbval[0]) < commands.index(build[0])
    # nothing else in the run executes the chapters of book/ as a whole
    assert sum("book" in c.split("#")[0].split() for c in commands) == 1
    assert "export LAAIC_QUICK=1" in script


def test_bad_input_census_sorts_every_generic_bad_call_and_writes_nothing(tmp_path):
    # the census of tools/bad_input_census.py on one battery: every call is counted,
    # svd answers no generic bad value with a library-internal error, and the checkout is untouched
    before = sorted(p.name for p in ROOT.iterdir())
    done = subprocess.run(
        [sys.executable, "tools/bad_input_census.py", "svd"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"(\d+) calls: (\d+) clear, (\d+) unnamed, (\d+) other, (\d+) accepted", last)
    assert match, last
    total, clear, unnamed, other, accepted = map(int, match.groups())
    assert total == clear + unnamed + other + accepted and clear > 200
    assert other == 0, done.stdout
    assert sorted(p.name for p in ROOT.iterdir()) == before
    refused = subprocess.run(
        [sys.executable, "tools/bad_input_census.py", "no_such_module"], cwd=ROOT, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "no battery for no_such_module" in refused.stderr
