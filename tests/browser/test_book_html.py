"""The built HTML book in a real browser: headless Chromium driven by Playwright.

Run after a build (``tools/run_tests.sh`` does it after the quick build)::

    LAAIC_BOOK_HTML=_build/quick/_build/html pytest tests/browser

The book is served on localhost; Chromium is Debian's (``/usr/bin/chromium``,
or ``$LAAIC_CHROMIUM``), never a downloaded one. The book must read offline:
a request to any other host is blocked **and fails the test**, as does any
failed or unsuccessful (4xx/5xx) request and any console error. Pages with
equations must show them typeset by MathJax (served from ``_static``), not as
raw LaTeX. Screenshots of every page, light and dark, go to
``$LAAIC_SCREENSHOTS`` (default ``_build/screenshots``).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from chromium import launch  # tests/chromium.py: Debian's Chromium, the shared flags

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("LAAIC_BOOK_HTML", ROOT / "_build" / "quick" / "_build" / "html"))
SHOTS = Path(os.environ.get("LAAIC_SCREENSHOTS", ROOT / "_build" / "screenshots"))


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [c["file"] for c in part["chapters"]]
    return pages


PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if Path(p).name[:2].isdigit()]


def _html_of(page: str) -> str:
    file = HTML / f"{page}.html"
    return file.read_text(encoding="utf-8") if file.is_file() else ""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site():
    if not (HTML / "index.html").is_file():
        raise FileNotFoundError(
            f"no built book at {HTML}; build it first (make book-quick) or set LAAIC_BOOK_HTML to its html folder."
        )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


class Visit:
    """A page opened offline: requests to other hosts are blocked and recorded, as are console errors."""

    def __init__(self, browser, site, path, color_scheme="light"):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.errors, self.external, self.failed = [], [], []
        host = urlparse(site).netloc

        def route(r):
            url = r.request.url
            if urlparse(url).netloc == host or url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                self.external.append(url)
                r.abort()

        self.page.route("**/*", route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} (HTTP {r.status})"))
        self.page.goto(f"{site}/{path}.html", wait_until="load")
        self.page.wait_for_timeout(300)

    def assert_offline_and_clean(self, what):
        """Nothing from other hosts, no failed request, no console error."""
        # the blocked requests also fail and log errors: name the cause first
        assert self.external == [], f"{what}: requests to other hosts (the book must read offline): {self.external}"
        assert self.failed == [], f"{what}: failed requests {self.failed}"
        assert self.errors == [], f"{what}: console errors {self.errors}"

    def close(self):
        self.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_javascript_errors_and_with_its_figures(browser, site, path):
    v = Visit(browser, site, path)
    try:
        assert v.page.title(), f"{path}: empty title"
        v.assert_offline_and_clean(path)
        images = v.page.eval_on_selector_all(
            "main img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth, e.naturalHeight])"
        )
        for src, complete, w, h in images:
            assert complete and w > 0 and h > 0, f"{path}: image {src} did not render"
            if not src.startswith("data:"):
                file = (HTML / Path(path).parent / src).resolve()
                assert file.is_file() and file.stat().st_size > 0, f"{path}: image file {src} is missing or empty"
        if path in CHAPTERS:
            # every chapter has figures (static images, or the frames of a slider's animation)
            frames = v.page.eval_on_selector_all("main .animation img, main img", "els => els.length")
            assert frames > 0, f"{path}: no figure on the page"
        v.page.screenshot(path=str(SHOTS / f"{Path(path).name}.png"), full_page=False)
    finally:
        v.close()


@pytest.mark.parametrize("path", CHAPTERS)
def test_solutions_are_hidden_until_clicked(browser, site, path):
    v = Visit(browser, site, path)
    try:
        solutions = v.page.locator("div.solution")
        n = solutions.count()
        assert n >= 2, f"{path}: expected the chapter's solutions, found {n}"
        first = solutions.first
        body = first.locator("section, div.section").first
        assert not body.is_visible(), f"{path}: a solution is visible before it is clicked"
        first.locator("button.toggle-button, .toggle-button, p.admonition-title").first.click()
        v.page.wait_for_timeout(400)
        assert body.is_visible(), f"{path}: clicking did not reveal the solution"
    finally:
        v.close()


def test_search_finds_a_term_from_a_chapter(browser, site):
    v = Visit(browser, site, "search")
    try:
        v.page.goto(f"{site}/search.html?q=eigenfilters", wait_until="load")
        v.page.wait_for_selector("#search-results li, ul.search li", timeout=20000)
        links = v.page.eval_on_selector_all("#search-results li a, ul.search li a", "els => els.map(e => e.href)")
        assert any("05_conv_layers_svd" in h for h in links), f"search results: {links}"
        v.assert_offline_and_clean("search")
    finally:
        v.close()


@pytest.mark.parametrize("path", [PAGES[0], CHAPTERS[0]])
def test_dark_mode_renders(browser, site, path):
    v = Visit(browser, site, path, color_scheme="dark")
    try:
        # the theme follows the system preference ("auto") and can be forced; force it to be sure
        v.page.evaluate(
            "document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark'"
        )
        v.page.wait_for_timeout(200)
        rgb = v.page.evaluate("getComputedStyle(document.body).backgroundColor")
        values = [int(x) for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        assert sum(values) / 3 < 80, f"{path}: dark mode background is {rgb}"
        color = v.page.evaluate("getComputedStyle(document.querySelector('main')).color")
        text = [int(x) for x in color[color.index("(") + 1 : color.index(")")].split(",")[:3]]
        assert sum(text) / 3 > 150, f"{path}: dark mode text colour is {color}"
        v.page.screenshot(path=str(SHOTS / f"{Path(path).name}-dark.png"))
        v.assert_offline_and_clean(f"{path} (dark)")
    finally:
        v.close()


def pages_with_math() -> list[str]:
    """Pages whose built HTML holds equations (Sphinx marks them with the class "math")."""
    found = []
    for p in PAGES:
        file = HTML / f"{p}.html"
        if file.is_file() and re.search(r'class="math[ "]', file.read_text(encoding="utf-8")):
            found.append(p)
    return found


def test_the_book_has_equations():
    """Guards the next test against passing on no pages at all."""
    math_pages = pages_with_math()
    assert len(math_pages) >= 3, f"expected equations in most chapters, found them in {math_pages}"


@pytest.mark.parametrize("path", pages_with_math())
def test_math_is_typeset_by_the_local_mathjax(browser, site, path):
    v = Visit(browser, site, path)
    try:
        src = v.page.eval_on_selector_all("script[src*='mathjax']", "els => els.map(e => e.src)")
        assert src and all(s.startswith(site) for s in src), f"{path}: MathJax must come from the site, got {src}"
        # wait for MathJax to finish typesetting the page
        v.page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        v.page.evaluate("MathJax.startup.promise")
        n_math = v.page.eval_on_selector_all("main .math", "els => els.length")
        n_typeset = v.page.eval_on_selector_all("main .math mjx-container", "els => els.length")
        assert n_math > 0 and n_typeset >= n_math, f"{path}: {n_typeset} of {n_math} equations typeset"
        errors = v.page.eval_on_selector_all("main mjx-merror", "els => els.map(e => e.textContent)")
        assert errors == [], f"{path}: MathJax could not typeset {errors}"
        # the prose, without code, outputs and the typeset equations themselves
        prose = v.page.evaluate("""() => {
            const main = document.querySelector('main').cloneNode(true);
            main.querySelectorAll('pre, .highlight, .cell_input, .cell_output, mjx-container, script, style')
                .forEach(e => e.remove());
            return main.textContent; }""")
        raw = re.findall(r"\\[(\[]|\$\$|\$[^$\s][^$]*\$|\\(?:frac|sigma|sum|mathbf|begin)\b", prose)
        assert raw == [], f"{path}: raw LaTeX shown as text: {raw[:5]}"
        v.assert_offline_and_clean(path)
    finally:
        v.close()


@pytest.mark.parametrize("path", [p for p in CHAPTERS if "static-twin" in _html_of(p)])
def test_slider_twins_play_offline(browser, site, path):
    """The HTML shows each slider's twin (not a dead widget), and its text controls step through the frames."""
    v = Visit(browser, site, path)
    try:
        assert v.page.locator(".jupyter-widgets, .widget-slider").count() == 0, f"{path}: a dead live widget"
        twin = v.page.locator(".laaic-static-twin").first
        twin.scroll_into_view_if_needed()
        img = twin.locator(".animation img").first
        first = img.get_attribute("src")
        twin.locator("button[title='Next frame']").click()
        v.page.wait_for_timeout(200)
        assert img.get_attribute("src") != first, f"{path}: 'Next frame' did not change the frame"
        assert twin.locator("button[title='Next frame']").inner_text().strip(), f"{path}: a control without a label"
        twin.screenshot(path=str(SHOTS / f"{Path(path).name}-twin.png"))
        v.assert_offline_and_clean(path)
    finally:
        v.close()
