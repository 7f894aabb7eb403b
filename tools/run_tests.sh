#!/usr/bin/env bash
# The book's test command (run by `make test` and by CI): ruff (lint and
# format check, as `make lint`), unit tests, every chapter executed once in
# quick mode by nbval, the strict quick-mode book build of those outputs,
# then the built HTML in headless Chromium (tests/browser; screenshots in
# _build/screenshots), then one chapter run in JupyterLab (tests/lab). Prints
# the time of each part at the end; exits non-zero if any fails.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
export LAAIC_QUICK=1

declare -a names times codes
run_part() {
  local name=$1; shift
  echo
  echo "=== $name: $*"
  local start=$SECONDS
  "$@"
  local rc=$?
  names+=("$name"); times+=($((SECONDS - start))); codes+=("$rc")
}

run_part "lint (ruff check + format)" bash -c "\"$BIN/ruff\" check . && \"$BIN/ruff\" format --check ."
# issue 19's lesson targets, enforced: every chapter's median code cell <= 8
# lines and no notebook function reading notebook globals
run_part "lesson stats (--check)" "$BIN/python" tools/lesson_stats.py --check
run_part "unit tests" "$BIN/python" -m pytest tests --ignore=tests/browser --ignore=tests/lab
# One execution per chapter: nbval runs each chapter (a failing cell is
# reported with its notebook, cell number, code and traceback) and
# _ext/laaic_nbval.py stores every chapter that passed in the quick build's
# execution cache, keyed on helpers/ (_ext/laaic_cache.py).
run_part "notebooks (nbval, quick)" "$BIN/python" -m pytest -p _ext.laaic_nbval --nbval-lax book --nbval-cache-build _build/quick
# --all: a fresh, strict build every time. LAAIC_BUILD_EXECUTES=0: it executes
# nothing and shows the outputs nbval just stored; a chapter without them (it
# failed above) is a warning, so the build fails rather than run it again.
run_part "book build (strict, quick)" env LAAIC_BUILD_EXECUTES=0 "$BIN/jupyter-book" build . --all --path-output _build/quick -W -n --keep-going
export LAAIC_BOOK_HTML=_build/quick/_build/html LAAIC_SCREENSHOTS=_build/screenshots
run_part "browser (headless Chromium)" "$BIN/python" -m pytest tests/browser
# one chapter run in a JupyterLab server started by the test (jupyterlab-myst, sliders)
run_part "JupyterLab (headless Chromium)" "$BIN/python" -m pytest tests/lab

echo
echo "=== summary"
status=0
for i in "${!names[@]}"; do
  verdict=ok; [ "${codes[$i]}" -ne 0 ] && { verdict="FAILED (exit ${codes[$i]})"; status=1; }
  printf '%-30s %5ss  %s\n' "${names[$i]}" "${times[$i]}" "$verdict"
done
exit $status
