"""Checks of the built HTML files themselves (no browser): size budget, readable twins, nothing from CDNs.

Run after a build, like the browser tests::

    LAAIC_BOOK_HTML=_build/quick/_build/html pytest tests/browser/test_built_pages.py

The size budget is stated here and in the README ("Reading offline"): every
chapter page, its HTML with the slider frames it embeds plus the figure files
it shows, is at most ``PAGE_BUDGET_MB``, and every slider frame at most
``FRAME_BUDGET_KB``. ``make test`` checks the quick build (2-3 frames a
slider); run the same file on a full build (``LAAIC_BOOK_HTML=_build/html``,
as the Pages workflow does) to check what readers get.
"""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("LAAIC_BOOK_HTML", ROOT / "_build" / "quick" / "_build" / "html"))

#: The most a chapter page may weigh (HTML with its embedded figures), in MB (10^6 bytes).
PAGE_BUDGET_MB = 6.0
#: The most one slider frame may weigh, base64 included, in kB. The quick build
#: precomputes 2-3 frames a slider, the full build up to 8; with frames under
#: this cap, chapter 01's three sliders over photographs stay within the page
#: budget in full mode too (lossless WebP frames are 10-260 kB; PNG ones of
#: the same photographs reach 540 kB).
FRAME_BUDGET_KB = 350
#: The resolution below which axis labels blur (helpers.widgets.TWIN_MIN_DPI).
MIN_DPI = 100

TWIN = re.compile(
    r'<div class="laaic-static-twin" data-dpi="([\d.]+)" data-frame-format="(\w+)">(.*?)</script>\s*</div>', re.S
)
FRAME = re.compile(r'frames\[\d+\] = "data:image/([\w+]+);base64,(.*?)"', re.S)


def chapter_files() -> list[Path]:
    if not (HTML / "index.html").is_file():
        raise FileNotFoundError(f"no built book at {HTML}; build it first (make book-quick) or set LAAIC_BOOK_HTML.")
    files = sorted((HTML / "book").glob("[0-9][0-9]_*.html"))
    if not files:
        raise FileNotFoundError(f"no chapter pages (book/NN_*.html) under {HTML}.")
    return files


def all_pages() -> list[Path]:
    chapter_files()
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts)


def page_weight(page: Path) -> tuple[int, list[Path]]:
    """Bytes a reader downloads for ``page``: its HTML and every local image it shows (frames are inline)."""
    text = page.read_text(encoding="utf-8")
    images = set()
    for src in re.findall(r'<img[^>]*\ssrc="([^"#?]+)"', text):
        if src.startswith(("data:", "http:", "https:", "//")):
            continue
        path = (page.parent / src).resolve()
        if path.is_file():
            images.add(path)
    return page.stat().st_size + sum(p.stat().st_size for p in images), sorted(images)


@pytest.mark.parametrize("page", chapter_files() if (HTML / "index.html").is_file() else [], ids=lambda p: p.stem)
def test_chapter_page_is_within_the_size_budget(page):
    weight, images = page_weight(page)
    size = weight / 1e6
    assert size <= PAGE_BUDGET_MB, (
        f"{page.name} weighs {size:.1f} MB with its {len(images)} images, over the budget of {PAGE_BUDGET_MB} MB: "
        "fewer slider frames, smaller figures, or frame_format='webp' in helpers.widgets.slider"
    )


def test_page_weight_counts_the_images_a_page_shows(tmp_path):
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a.png").write_bytes(b"x" * 1000)
    (tmp_path / "book").mkdir()
    page = tmp_path / "book" / "p.html"
    page.write_text(
        '<img src="../_images/a.png"><img alt="" src="../_images/a.png"><img src="data:image/png;base64,AA">'
    )
    weight, images = page_weight(page)
    assert images == [(tmp_path / "_images" / "a.png").resolve()]
    assert weight == page.stat().st_size + 1000


def test_slider_twins_have_readable_lossless_frames_and_a_caption():
    from PIL import Image

    twins = 0
    for page in chapter_files():
        text = page.read_text(encoding="utf-8")
        assert text.count('class="laaic-static-twin"') == len(TWIN.findall(text)), f"{page.name}: unparsed twin"
        for dpi, fmt, body in TWIN.findall(text):
            twins += 1
            assert float(dpi) >= MIN_DPI, f"{page.name}: a twin at {dpi} dpi"
            assert fmt in ("png", "webp"), f"{page.name}: a twin with {fmt} frames"
            caption = re.search(r'<p class="laaic-static-twin-caption".*?<strong>(.*?)</strong>', body, re.S)
            assert caption and " = " in caption.group(1), f"{page.name}: a twin without 'name = range' caption"
            frames = FRAME.findall(body)
            assert frames, f"{page.name}: a twin without frames"
            for mime, data in frames:
                assert mime == fmt, f"{page.name}: a {mime} frame in a {fmt} twin"
                assert len(data) <= FRAME_BUDGET_KB * 1000, (
                    f"{page.name}: a {len(data) / 1000:.0f} kB slider frame, over {FRAME_BUDGET_KB} kB"
                )
                img = Image.open(io.BytesIO(base64.b64decode(data.replace("\\\n", ""))))
                # at 100 dpi even a 6-inch-wide figure is 600 px wide
                assert img.width >= 6 * MIN_DPI, f"{page.name}: a {img.width}-pixel-wide frame"
    assert twins >= 5, f"expected the book's sliders to have twins, found {twins}"


def test_pages_load_nothing_from_other_hosts_and_no_live_widgets():
    """The static check behind the browser test: no script, style or font from a CDN in any page."""
    for page in all_pages():
        text = page.read_text(encoding="utf-8")
        # links to other sites are fine (launch buttons, the repository); loading from them is not
        sheets = re.findall(r'<link\b[^>]*rel="stylesheet"[^>]*href="((?:https?:)?//[^"]+)"', text, re.I)
        scripts = re.findall(r'<script\b[^>]*src="((?:https?:)?//[^"]+)"', text, re.I)
        images = re.findall(r'<img\b[^>]*src="((?:https?:)?//[^"]+)"', text, re.I)
        assert not (sheets or scripts or images), f"{page.relative_to(HTML)}: loads {sheets + scripts + images}"
        assert "font-awesome" not in text, f"{page.relative_to(HTML)}: Font Awesome is referenced"
        assert "application/vnd.jupyter.widget-view+json" not in text, f"{page.relative_to(HTML)}: a live widget"


def test_mathjax_is_part_of_the_site():
    entry = HTML / "_static" / "mathjax" / "tex-mml-chtml.js"
    assert entry.is_file() and entry.stat().st_size > 500_000, f"{entry} missing: run make assets, then build"
    fonts = list((HTML / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10, "MathJax's CHTML fonts are not in the site"
