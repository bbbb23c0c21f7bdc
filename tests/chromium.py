"""Headless Chromium for the browser tests (marked ``browser``): the session report's page
(tests/test_report.py) and the docs site (tests/test_docs_browser.py)."""

import os
import subprocess
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("FREEZECHECK_CHROMIUM", "/usr/bin/chromium")


def need_chromium():
    """Skip the calling test when Chromium is missing; in CI, which installs it, fail."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")


def chromium(*args, cwd):
    """Run headless Chromium with ``args`` and a new empty profile in ``cwd``."""
    profile = cwd / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd)
