"""Debian's Chromium, driven by the Python playwright package: no browser is downloaded.

The ``browser`` fixture (tests/conftest.py) starts one headless Chromium per test session for the
browser, report and accessibility tests.
"""

import os

CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "install Debian's Chromium: sudo apt-get install chromium"
# Without these Chromium tries to reach Google's services, which this machine's network refuses.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_missing():
    """Why the browser tests cannot run here (a reason to skip), or '' when they can or must (CI)."""
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return ""
    return f"no Chromium: {INSTALL_HINT}"
