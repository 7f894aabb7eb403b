# One-command entry points. Each target creates (or reuses) the virtual
# environment in $(VENV) from requirements.txt before doing its job.
#
#   make book     build the HTML book in full mode  -> _build/html/index.html
#   make test     unit tests + every chapter once in quick mode (nbval) + strict book build of its outputs
#   make lab      open the chapters in JupyterLab
#   make run NB=00_datasets P="-p device cuda"   run one chapter with papermill
#   make handouts OUT=labs   student and instructor notebooks for every chapter
#   make release CH=05; make grade SUB=submissions   graded labs (nbgrader) -> grades.csv
#   make assets   fetch MathJax for the offline HTML book (book, book-quick and test do it)
#
# Set LAAIC_DATA_ROOT to a local copy of the datasets to avoid downloads.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)

# A relative LAAIC_DATA_ROOT or LAAIC_CACHE_DIR means relative to where it was
# typed ($PWD, the repository root when you follow the README), not to book/,
# where the chapters' kernels run: make both absolute for everything below.
abs_env = $(shell $(PYTHON) -c 'import os, sys; print(os.path.abspath(os.path.join(sys.argv[2] or os.getcwd(), os.path.expanduser(sys.argv[1]))))' '$(subst ','\'',$(1))' '$(subst ','\'',$(PWD))')
ifneq ($(strip $(LAAIC_DATA_ROOT)),)
override LAAIC_DATA_ROOT := $(call abs_env,$(strip $(LAAIC_DATA_ROOT)))
export LAAIC_DATA_ROOT
endif
ifneq ($(strip $(LAAIC_CACHE_DIR)),)
override LAAIC_CACHE_DIR := $(call abs_env,$(strip $(LAAIC_CACHE_DIR)))
export LAAIC_CACHE_DIR
endif
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv assets book book-quick test unit notebooks lab run run-all bench handouts browser clean release grade lint fix

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 10) else "Python 3.10+ is needed (3.11 recommended); set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# nbgrader (graded labs) adds menus to every reader's JupyterLab; instructors re-enable
	@# them with: .venv/bin/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
	touch $(STAMP)

venv: $(STAMP)

# What the HTML book serves itself so that it reads offline: a pinned MathJax 3
# from npm (needs npm; checked against a pinned SHA-512) -> _assets.
assets:
	$(PYTHON) tools/fetch_assets.py

# Full mode: what a reader sees. The execution cache lives in
# _build/.jupyter_cache/helpers-<fingerprint of helpers/> (_ext/laaic_cache.py).
book: venv assets
	$(BIN)/jupyter-book build . -W -n --keep-going

# Quick mode, in its own build folder so it never shares cached results with
# the full build: _build/quick/_build/html.
book-quick: venv assets
	LAAIC_QUICK=1 $(BIN)/jupyter-book build . --path-output _build/quick -W -n --keep-going

unit: venv
	$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/lab

# The built quick book in headless Chromium (needs Debian's chromium package).
browser: venv
	LAAIC_BOOK_HTML=_build/quick/_build/html $(BIN)/python -m pytest tests/browser

# Every chapter in quick mode under nbval; the outputs of the chapters that
# pass go to the quick build's cache, so a following `make book-quick` shows
# them instead of executing again (_ext/laaic_nbval.py).
notebooks: venv
	LAAIC_QUICK=1 $(BIN)/python -m pytest -p _ext.laaic_nbval --nbval-lax book --nbval-cache-build _build/quick

test: venv assets
	VENV=$(VENV) bash tools/run_tests.sh

lab: venv
	$(BIN)/jupyter lab book

# Papermill run of one chapter: make run NB=00_datasets P="-p device cuda -p quick False"
NB ?= 00_datasets
P ?=
run: venv
	@mkdir -p _build/runs
	$(BIN)/papermill book/$(NB).ipynb _build/runs/$(NB).ipynb --cwd book $(P)

# Every chapter at full scale, one process each, with a JSON and Markdown
# report (wall time, peak memory, key results): make run-all DEVICE=cuda
DEVICE ?= auto
run-all: venv
	$(BIN)/python tools/run_all.py --device $(DEVICE) --out _build/full-run $(CH)

# Throughput figures of the heavy chapters (printed, never asserted).
bench: venv
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b --device $(DEVICE) || exit 1; done

# Lab handouts: OUT/student (solutions removed, self-checks kept) and
# OUT/instructor. CH="01 06" limits them to some chapters.
OUT ?= handouts
CH ?=
handouts: venv
	$(BIN)/python tools/handouts.py $(OUT) $(CH)

# The builds only: never the graded labs (grading/) or the fetched MathJax (_assets/).
clean:
	rm -rf _build

# Graded labs with nbgrader, in the course folder grading: the student
# release of chapters (CH="05", default all) in grading/release/, and
# autograding of SUB/<student>/<chapter>.ipynb (quick mode; FULL=1 for full
# scale) into a CSV of per-exercise scores.
SUB ?= submissions
CSV ?= grades.csv
FULL ?=
release: venv
	$(BIN)/python tools/grading.py release $(CH)

grade: venv
	$(BIN)/python tools/grading.py grade $(SUB) --out $(CSV) $(if $(FULL),--full)

# Lint and format (ruff, configured in pyproject.toml) over helpers/, tools/,
# tests/, _ext/, benchmarks/ and the chapters; `make test` runs `lint` first.
# `make fix` applies the safe fixes and formats everything.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fix: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
