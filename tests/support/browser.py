"""Debian's Chromium, driven by the Python playwright package: no browser is downloaded.

The ``browser`` fixture (tests/conftest.py) starts one headless Chromium per test session for the
browser, report and accessibility tests. The accessibility tests run axe-core (``AXE``, the npm package
that .ci/run installs into node_modules/ with ``npm ci``) in a page: ``axe_violations(page)``.
"""

import os

from tests.support import REPO

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


#: axe-core's script, from the npm package pinned in package.json and package-lock.json.
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_INSTALL_HINT = "install axe-core: npm ci (in the repository; .ci/run does it)"
#: axe-core's rules for WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_missing():
    """Why the accessibility tests cannot run here (a reason to skip), or '' when they can or must (CI)."""
    if AXE.exists() or os.environ.get("CI"):
        return ""
    return f"no axe-core: {AXE_INSTALL_HINT}"


def axe_violations(page):
    """axe-core's WCAG 2.0/2.1 A and AA violations on the loaded ``page``: a list of axe's result dicts.

    The page's context must allow the injected script (``bypass_csp=True``). Only violations are
    gathered (``resultTypes``), which halves axe's time on pages of thousands of elements.
    """
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(results => results.violations)",
        WCAG_TAGS,
    )
