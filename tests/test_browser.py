"""Students meet the kit in JupyterLab: drive a real JupyterLab in headless Chromium.

Each source notebook is opened, run with Run > Run All Cells, and checked for error output, rendered
plots and final outputs; then a release notebook is opened to check that its locked test cells can be
neither edited nor deleted. Screenshots go to artifacts/browser/. Debian's Chromium
(/usr/bin/chromium) is driven by the Python playwright package; no browser is downloaded.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest
from course import REPO, free_port, make_course, nbgrader_meta, source_notebook

from coursekit.course import assignments
from coursekit.release import release

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
ARTIFACTS = REPO / "artifacts" / "browser"
# Run All takes seconds on a quiet machine; a loaded CI machine (first kernel start, a cold JupyterLab)
# has been seen to need more than two minutes for the first notebook.
RUN_ALL_TIMEOUT_MS = 300_000
LAB_SETTINGS = {
    # Render every cell, not only those in view, so that all outputs can be checked.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No news pop-up, no update check (and no network access).
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"), reason=f"no Chromium: {INSTALL_HINT}"
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free localhost port, serving a copy of the course with its release."""
    root = tmp_path_factory.mktemp("lab")
    make_course(root)
    release(root, assignments(root))
    settings = root / ".settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(root / ".ws"))
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(root / "lab.log", "w")  # noqa: SIM115 -- closed below
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"JupyterLab did not start:\n{(root / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
    yield root, base, token
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"CI must run the browser test: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def open_notebook(browser, lab, path):
    _, base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab/workspaces/w{secrets.token_hex(4)}/tree/{path}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    return page


def run_all(page):
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
    # Done when every code cell shows an execution count and the kernel is idle again.
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
            const idle = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
            return idle && prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=RUN_ALL_TIMEOUT_MS,
    )


@pytest.mark.parametrize("assignment", assignments())
def test_run_all_in_jupyterlab(browser, lab, assignment):
    root = lab[0]
    path = source_notebook(assignment, root)
    committed = nbformat.read(path, as_version=4)
    code = [c for c in committed.cells if c.cell_type == "code"]
    images = sum("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    last_with_output = max(i for i, c in enumerate(code) if c.outputs)

    page = open_notebook(browser, lab, path.relative_to(root).as_posix())
    run_all(page)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()
    rendered = page.evaluate(
        "() => [...document.querySelectorAll('.jp-OutputArea-output img')].map(i => i.complete && i.naturalWidth > 0)"
    )
    assert len(rendered) == images and all(rendered), f"{sum(rendered)} of {images} plots rendered"
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    assert cells.count() == len(code)
    assert cells.nth(last_with_output).locator(".jp-OutputArea-output").count() > 0, (
        "the final outputs are missing"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cells.nth(last_with_output).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{assignment}.png"))
    page.close()


def test_locked_cells_of_a_release_cannot_be_edited_or_deleted(browser, lab):
    root = lab[0]
    (path,) = (root / "release" / "initialization").glob("*.ipynb")
    released = nbformat.read(path, as_version=4)
    locked = next(i for i, c in enumerate(released.cells) if nbgrader_meta(c).get("grade"))
    unlocked = 0  # the title markdown cell: deletable, as a control that the key presses work
    assert not nbgrader_meta(released.cells[unlocked]).get("locked")

    page = open_notebook(browser, lab, path.relative_to(root).as_posix())
    total = page.locator(".jp-Notebook .jp-Cell").count()
    assert total == len(released.cells)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(locked)
    before = cell.locator(".cm-content").inner_text()
    cell.locator(".cm-content").click()
    page.keyboard.type("assert True  # edited")
    assert cell.locator(".cm-content").inner_text() == before, "a locked test cell accepted typing"
    page.keyboard.press("Escape")
    cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("d")
    page.keyboard.press("d")
    page.wait_for_timeout(500)
    assert page.locator(".jp-Notebook .jp-Cell").count() == total, "a locked test cell was deleted"
    # Control: the same key presses delete an ordinary cell.
    page.locator(".jp-Notebook .jp-Cell").nth(unlocked).locator(".jp-Cell-inputWrapper").click()
    page.keyboard.press("Escape")
    page.keyboard.press("d")
    page.keyboard.press("d")
    page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length === {total - 1}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".jp-Notebook .jp-Cell").nth(locked - 1).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "release-locked-cells.png"))
    page.close()
    shutil.rmtree(root / ".ws", ignore_errors=True)
