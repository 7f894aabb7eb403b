"""The built HTML book in a real browser: headless Chromium driven by Playwright.

Run after a build (``tools/run_tests.sh`` does it after the quick build)::

    LAAIC_BOOK_HTML=_build/quick/_build/html pytest tests/browser

The book is served on localhost; Chromium is Debian's (``/usr/bin/chromium``,
or ``$LAAIC_CHROMIUM``), never a downloaded one. Requests to other hosts
(MathJax and the widget manager come from CDNs) are blocked, so the test runs
offline and the same everywhere; failures to load those blocked resources are
not counted as errors, everything else on the console is. Screenshots of every
page, light and dark, go to ``$LAAIC_SCREENSHOTS`` (default
``_build/screenshots``).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("LAAIC_BOOK_HTML", ROOT / "_build" / "quick" / "_build" / "html"))
SHOTS = Path(os.environ.get("LAAIC_SCREENSHOTS", ROOT / "_build" / "screenshots"))
CHROMIUM = os.environ.get("LAAIC_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [c["file"] for c in part["chapters"]]
    return pages


PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if Path(p).name[:2].isdigit()]


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

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM}; install Debian's chromium or set LAAIC_CHROMIUM.")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


class Visit:
    """A page opened with external requests blocked and console errors collected."""

    def __init__(self, browser, site, path, color_scheme="light"):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.errors, self.blocked = [], []
        host = urlparse(site).netloc

        def route(r):
            if urlparse(r.request.url).netloc == host:
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.goto(f"{site}/{path}.html", wait_until="load")
        self.page.wait_for_timeout(300)

    def js_errors(self):
        # A blocked CDN request shows up as "Failed to load resource: net::ERR_FAILED": not a page bug.
        return [e for e in self.errors if "net::ERR_FAILED" not in e and "ERR_BLOCKED" not in e]

    def close(self):
        self.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_javascript_errors_and_with_its_figures(browser, site, path):
    v = Visit(browser, site, path)
    try:
        assert v.page.title(), f"{path}: empty title"
        assert v.js_errors() == [], f"{path}: console errors {v.js_errors()}"
        images = v.page.eval_on_selector_all(
            "main img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth, e.naturalHeight])")
        for src, complete, w, h in images:
            assert complete and w > 0 and h > 0, f"{path}: image {src} did not render"
            if not src.startswith("data:"):
                file = (HTML / Path(path).parent / src).resolve()
                assert file.is_file() and file.stat().st_size > 0, f"{path}: image file {src} is missing or empty"
        if path in CHAPTERS:
            # every chapter has figures (static images, or the JPEG frames of a slider's animation)
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
        assert v.js_errors() == []
    finally:
        v.close()


@pytest.mark.parametrize("path", [PAGES[0], CHAPTERS[0]])
def test_dark_mode_renders(browser, site, path):
    v = Visit(browser, site, path, color_scheme="dark")
    try:
        # the theme follows the system preference ("auto") and can be forced; force it to be sure
        v.page.evaluate("document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark'")
        v.page.wait_for_timeout(200)
        rgb = v.page.evaluate("getComputedStyle(document.body).backgroundColor")
        values = [int(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
        assert sum(values) / 3 < 80, f"{path}: dark mode background is {rgb}"
        color = v.page.evaluate("getComputedStyle(document.querySelector('main')).color")
        text = [int(x) for x in color[color.index("(") + 1:color.index(")")].split(",")[:3]]
        assert sum(text) / 3 > 150, f"{path}: dark mode text colour is {color}"
        v.page.screenshot(path=str(SHOTS / f"{Path(path).name}-dark.png"))
        assert v.js_errors() == []
    finally:
        v.close()
