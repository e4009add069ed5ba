"""Fixtures shared by the whole suite; shared utilities are in tests/support/."""

import os

import matplotlib
import numpy as np
import pytest

# Tests draw figures without a screen. Only this process: an MPLBACKEND variable would reach the
# notebook kernels that nbval starts and stop them from showing figures inline.
matplotlib.use("Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """45 autograded submissions with planted mistakes (tests/support/report_class.py), shared by the report tests."""
    from tests.support.report_class import build_class

    return build_class(tmp_path_factory.mktemp("graded-class"))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (tests/support/browser.py); fails in CI without it."""
    from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, INSTALL_HINT

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"CI must run the browser tests: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
