"""Debian's Chromium for the two browser suites (tests/browser, tests/lab): where it is and how to start it.

Never a downloaded browser: ``/usr/bin/chromium`` or ``$LAAIC_CHROMIUM``. The
flags keep a headless Chromium off the network on its own (no background
requests, updates or sync), which this machine's closed network refuses.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("LAAIC_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def launch(playwright):
    """A headless Chromium from Playwright, or a FileNotFoundError that says how to get one."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM}; install Debian's chromium or set LAAIC_CHROMIUM.")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
