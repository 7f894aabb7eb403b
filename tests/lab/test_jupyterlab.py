"""A chapter in a real JupyterLab, as a reader sees it: headless Chromium driven by Playwright.

Run by ``tools/run_tests.sh`` (the part "JupyterLab (headless Chromium)")::

    pytest tests/lab

The test starts its own JupyterLab server (``python -m jupyterlab``) on a free
port with a random token, on a copy of one chapter in a temporary folder (so
the book's notebooks are never saved over), with quick mode on and
JupyterLab's settings in a temporary folder. It runs every cell, then checks
what the page shows:

* the MyST markup is rendered by ``jupyterlab-myst``: no raw ``{glue``,
  ``{eval}`` or ```` ```{exercise} ```` text is visible;
* every number the prose quotes (``{eval}`helpers.glued("name:fmt")```) was
  evaluated and is visible, and the numeric ones read as numbers;
* every solution is a closed dropdown: its text is not visible;
* moving a live slider redraws its figure (the image bytes change).

Chromium is Debian's (``/usr/bin/chromium`` or ``$LAAIC_CHROMIUM``), never a
downloaded one; every request goes to the local server. The chapter is
``$LAAIC_LAB_CHAPTER`` (default ``01_svd``); screenshots go to
``$LAAIC_SCREENSHOTS`` (default ``_build/screenshots``).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from chromium import CHROMIUM, launch  # tests/chromium.py: Debian's Chromium, the shared flags

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = os.environ.get("LAAIC_LAB_CHAPTER", "01_svd")
SHOTS = Path(os.environ.get("LAAIC_SCREENSHOTS", ROOT / "_build" / "screenshots"))
RUN_TIMEOUT_S = 240
EVAL = re.compile(r'\{eval\}`helpers\.glued\("([^"]+)"\)`')
NUMERIC_SPEC = re.compile(r"[eEfFgG%]$|^[+,]?\.?\d*[,]?$")  # "", ",", ".2f", "+.1f", ".0%", ".2e", ...
NUMBER = re.compile(r"^[+\-−]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+\-]\d+)?%?$|^[+\-]?(nan|inf)$")

_APP = "jupyterapp.shell.currentWidget"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(folder: Path) -> None:
    """JupyterLab settings for a test: every cell in the DOM, no news or update pop-ups."""
    tracker = folder / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    # JupyterLab 4 only renders the cells near the viewport by default ("full");
    # the test reads the whole notebook.
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    notes = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notes.parent.mkdir(parents=True)
    notes.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the chapter; yields (base url, token, chapter file name)."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM}; install Debian's chromium or set LAAIC_CHROMIUM.")
    source = ROOT / "book" / f"{CHAPTER}.ipynb"
    if not source.is_file():
        raise FileNotFoundError(f"no chapter {source}; set LAAIC_LAB_CHAPTER to a notebook name under book/.")
    work = tmp_path_factory.mktemp("lab")
    (work / "notebooks").mkdir()
    shutil.copy(source, work / "notebooks" / source.name)
    _write_settings(work / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline figures in the kernel
    env.update(LAAIC_QUICK="1", JUPYTER_RUNTIME_DIR=str(work / "runtime"), JUPYTER_CONFIG_DIR=str(work / "config"))
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work / 'notebooks'}",
        f"--LabApp.user_settings_dir={work / 'settings'}",
        f"--LabApp.workspaces_dir={work / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        "--LanguageServerManager.autodetect=False",
    ]
    log = open(work / "server.log", "wb")
    server = subprocess.Popen(cmd, cwd=work / "notebooks", env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start:\n" + (work / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url, token, source.name
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    """The chapter open in Chromium; yields (page, the page's console errors)."""
    from playwright.sync_api import sync_playwright

    url, token, name = lab
    host = url.split("//", 1)[1]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        errors = []
        pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
        pg.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        pg.route("**/*", lambda r: r.continue_() if host in r.request.url else r.abort())
        pg.goto(f"{url}/lab/tree/{name}?token={token}&reset", wait_until="load")
        pg.wait_for_selector(".jp-Notebook .jp-MarkdownCell", timeout=60_000)
        pg.wait_for_function(
            f"() => window.jupyterapp && {_APP} && {_APP}.sessionContext"
            f" && {_APP}.sessionContext.session && {_APP}.sessionContext.session.kernel"
            f" && {_APP}.sessionContext.session.kernel.status === 'idle'",
            timeout=60_000,
        )
        yield pg, errors
        context.close()
        browser.close()


@pytest.fixture(scope="module")
def executed(page):
    """The chapter after Run > Run All Cells, as a reader runs it."""
    pg, errors = page
    start = time.monotonic()
    pg.evaluate("() => jupyterapp.commands.execute('notebook:run-all-cells')")
    # done when every code cell has run and the kernel is idle, or as soon as one fails
    # (Run All stops at a failing cell)
    pg.wait_for_function(
        f"""() => {{
            const cells = {_APP}.content.widgets.filter(c => c.model.type === 'code');
            const outputs = cells.flatMap(c => c.model.outputs.toJSON());
            return outputs.some(o => o.output_type === 'error') ||
                (cells.every(c => c.model.executionCount !== null)
                 && {_APP}.sessionContext.session.kernel.status === 'idle'); }}""",
        timeout=RUN_TIMEOUT_S * 1000,
        polling=500,
    )
    # a markdown cell evaluates its {eval} expressions when Run All reaches it, after the code above it
    pg.wait_for_function(
        f"""() => {_APP}.content.widgets.filter(c => c.model.type === 'markdown').every(c => {{
            const wanted = (c.model.sharedModel.getSource().match(/\\{{eval\\}}`/g) || []).length;
            return wanted === 0 || (c.model.getMetadata('user_expressions') || []).length === wanted; }})""",
        timeout=30_000,
        polling=500,
    )
    pg.wait_for_timeout(500)  # let React draw the last values
    print(f"\n{CHAPTER} executed in JupyterLab in {time.monotonic() - start:.0f} s")
    pg.screenshot(path=str(SHOTS / f"lab-{CHAPTER}-executed.png"))
    failures = pg.evaluate(f"""() => {_APP}.content.widgets.filter(c => c.model.type === 'code')
        .flatMap(c => c.model.outputs.toJSON()).filter(o => o.output_type === 'error')
        .map(o => o.ename + ': ' + o.evalue)""")
    assert not failures, f"{CHAPTER}: a cell failed in JupyterLab: {failures}"
    if errors:
        print("console errors (not failures):", *errors[:10], sep="\n  ")
    return pg, errors


def _visible_text(pg) -> str:
    return pg.inner_text(".jp-NotebookPanel .jp-Notebook")


def _sources(name):
    return json.loads((ROOT / "book" / name).read_text(encoding="utf-8"))["cells"]


def test_myst_markup_is_rendered_before_running(lab, page):
    pg, _ = page
    pg.screenshot(path=str(SHOTS / f"lab-{CHAPTER}-opened.png"))
    text = _visible_text(pg)
    assert "{exercise}" not in text and "{solution}" not in text, (
        "raw exercise/solution directives are visible: is jupyterlab-myst installed and enabled?"
    )
    assert "{glue" not in text, "raw glue roles are visible"
    n_exercises = sum("```{exercise}" in "".join(c["source"]) for c in _sources(lab[2]))
    assert (
        n_exercises
        and pg.locator(".jp-MarkdownCell").get_by_text(re.compile(r"^Exercise\s\d+$")).count() >= n_exercises
    ), "the exercises are not rendered as numbered exercise boxes"


def test_solutions_are_closed_dropdowns(lab, executed):
    pg, _ = executed
    n_solutions = sum("```{solution}" in "".join(c["source"]) for c in _sources(lab[2]))
    details = pg.locator(".jp-MarkdownCell details").filter(has_text=re.compile(r"^\s*Solution to"))
    assert details.count() == n_solutions, f"expected {n_solutions} solution dropdowns, found {details.count()}"
    for i in range(n_solutions):
        d = details.nth(i)
        assert d.get_attribute("open") is None, f"solution {i + 1} is open by default"
        summary = d.locator("summary").inner_text()
        assert d.inner_text().strip() == summary.strip(), f"the text of solution {i + 1} is visible"


def test_glued_numbers_are_evaluated_and_visible(lab, executed):
    pg, _ = executed
    text = _visible_text(pg)
    assert "{glue" not in text and "{eval}" not in text and "{exercise}" not in text
    assert "helpers.glued(" not in text, "an {eval} expression was not evaluated (the raw call is shown)"
    cells = pg.evaluate(f"""() => {_APP}.content.widgets.map(c => c.model.type !== 'markdown' ? null : ({{
        source: c.model.sharedModel.getSource(),
        text: c.node.innerText,  // the rendered cell; its hidden editor is not part of innerText
        results: c.model.getMetadata('user_expressions') || [] }}))""")
    checked = 0
    for cell in filter(None, cells):
        keys = EVAL.findall(cell["source"])
        if not keys:
            continue
        by_expr = {r["expression"]: r["result"] for r in cell["results"]}
        for key in keys:
            result = by_expr.get(f'helpers.glued("{key}")')
            assert result is not None, f"{{eval}} of {key!r} was not evaluated:\n{cell['source'][:300]}"
            assert result.get("status") == "ok", f"{key!r}: {result.get('ename')}: {result.get('evalue')}"
            data = result["data"]
            if "text/plain" not in data or "text/markdown" in data:
                continue  # a glued table: rendered as Markdown
            shown = data["text/plain"]
            assert shown, f"{key!r} evaluated to an empty text"
            if "```{solution}" not in cell["source"]:  # a solution's values are inside its closed dropdown
                assert shown in cell["text"], f"the value {shown!r} of {key!r} is not visible in the cell"
            spec = key.rsplit(":", 1)[1] if ":" in key else None
            if spec is not None and NUMERIC_SPEC.search(spec):
                assert NUMBER.match(shown), f"{key!r} reads {shown!r}, not a number"
            checked += 1
    assert checked >= 5, f"only {checked} glued numbers found in {lab[2]}"


def _image_bytes(locator) -> bytes:
    src = locator.get_attribute("src")
    assert src and src.startswith("data:image/"), f"the slider's figure is not an inline image: {src!r:.80}"
    return base64.b64decode(src.split(",", 1)[1])


def test_moving_a_slider_redraws_its_figure(executed):
    pg, _ = executed
    widget = pg.locator(".jp-OutputArea .widget-interact").first
    widget.scroll_into_view_if_needed()
    image = widget.locator(".widget-output img").first
    image.wait_for(timeout=30_000)
    before = _image_bytes(image)
    shot_before = widget.screenshot(path=str(SHOTS / f"lab-{CHAPTER}-slider-before.png"))
    handle = widget.locator(".widget-slider .noUi-handle").first
    handle.focus()
    pg.keyboard.press("ArrowRight")  # one step: the figure then shows the slider's new value
    pg.wait_for_function(
        """([el, old]) => { const img = el.querySelector('.widget-output img');
                            return img && img.src !== old; }""",
        arg=[widget.element_handle(), image.get_attribute("src")],
        timeout=30_000,
    )
    after = _image_bytes(widget.locator(".widget-output img").first)
    shot_after = widget.screenshot(path=str(SHOTS / f"lab-{CHAPTER}-slider-after.png"))
    assert after != before, "the figure did not change when the slider moved"
    assert shot_after != shot_before
    # the static twin is for the HTML book only: JupyterLab shows the live slider alone
    assert pg.locator(".jp-OutputArea .widget-interact").count() >= 1
    assert pg.locator(".jp-OutputArea .laaic-static-twin").count() == 0, "a static twin shows under a live slider"
