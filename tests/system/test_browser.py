"""Students meet the kit in JupyterLab: drive a real JupyterLab in headless Chromium.

Each source notebook is opened, run with Run > Run All Cells, and checked for error output, rendered
plots and final outputs; then a release notebook is opened to check that its locked test cells can be
neither edited nor deleted. A learner's `make lab` is opened too: their copy of the student version, no
Nbgrader menu or assignment-creation panel (the instructors' lab has them), and a Validate button that
works. Screenshots go to artifacts/browser/. Debian's Chromium (/usr/bin/chromium) is driven by the Python
playwright package; no browser is downloaded.
"""

import json
import os
import secrets
import shutil

import nbformat
import pytest

from coursekit.course import assignments
from coursekit.release import release
from tests.support import REPO
from tests.support.browser import chromium_missing
from tests.support.course import (
    MADE_BY_MAKE,
    make_course,
    make_lab_command,
    nbgrader_meta,
    running_lab,
    self_study_course,
    source_notebook,
)

ARTIFACTS = REPO / "artifacts" / "browser"
# Run All takes seconds on a quiet machine; a loaded CI machine (first kernel start, a cold JupyterLab)
# has been seen to need more than two minutes for the first notebook.
RUN_ALL_TIMEOUT_MS = 300_000
KERNEL_READY_TIMEOUT_MS = 120_000
LAB_SETTINGS = {
    # Render every cell, not only those in view, so that all outputs can be checked.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No news pop-up, no update check (and no network access).
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

pytestmark = [pytest.mark.system, pytest.mark.skipif(bool(chromium_missing()), reason=chromium_missing())]


def lab_environment(root):
    """Environment variables for a test lab: its own settings (no news, every cell rendered) and workspaces."""
    settings = root / ".settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    return dict(
        os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(root / ".ws")
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free localhost port, serving a copy of the course with its release."""
    root = tmp_path_factory.mktemp("lab")
    make_course(root)
    release(root, assignments(root))
    with running_lab(root, env=lab_environment(root)) as (base, token):
        yield root, base, token


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    """The JupyterLab a learner's `make lab` starts (its very command), on their copies: (student dir, base, token)."""
    if not MADE_BY_MAKE:
        pytest.skip("needs the environment `make install` made")
    root = self_study_course(tmp_path_factory.mktemp("learner"))
    with running_lab(root, make_lab_command(root, "lab"), env=lab_environment(root)) as (base, token):
        yield root / "student", base, token


def open_notebook(browser, lab, path):
    _, base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab/workspaces/w{secrets.token_hex(4)}/tree/{path}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # The toolbar's execution indicator reads "idle" before any kernel is attached, and Run All on a
    # kernel still initializing skips cells silently; the status bar names the kernel's real state.
    page.wait_for_function(
        """() => {
            const status = document.querySelector(".jp-StatusBar-TextItem[title^='Change kernel for']");
            return status && status.textContent.endsWith("| Idle");
        }""",
        timeout=KERNEL_READY_TIMEOUT_MS,
    )
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


def menu_bar(page):
    return page.eval_on_selector_all(".lm-MenuBar-itemLabel", "items => items.map(item => item.textContent)")


def side_panels(page):
    return page.eval_on_selector_all(
        ".lm-TabBar-tab", "tabs => tabs.map(tab => tab.getAttribute('title') || '')"
    )


def test_a_learners_lab_has_no_instructor_tools_and_validates(browser, learner_lab):
    page = open_notebook(browser, learner_lab, "initialization/Initialization.ipynb")
    assert "Nbgrader" not in menu_bar(page), "the Nbgrader menu (formgrader, course list, ...) is shown"
    assert not any("Create Assignment" in title for title in side_panels(page))
    assert page.locator(".jp-Notebook .jp-Cell").count() > 0
    page.get_by_text("Validate", exact=True).first.click()
    dialog = page.wait_for_selector(".jp-Dialog", timeout=RUN_ALL_TIMEOUT_MS)
    text = dialog.inner_text()
    assert "Validation Results" in text and "failed" in text, text[:500]  # a blank copy fails its tests
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "learner-lab-validate.png"))
    page.close()


def test_the_instructors_lab_has_the_nbgrader_tools(browser, lab):
    root = lab[0]
    page = open_notebook(browser, lab, source_notebook("initialization", root).relative_to(root).as_posix())
    assert "Nbgrader" in menu_bar(page)
    page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
    items = page.eval_on_selector_all(".lm-Menu-itemLabel", "items => items.map(item => item.textContent)")
    assert {"Formgrader", "Create assignment", "Course List"} <= set(items), items
    assert any("Create Assignment" in title for title in side_panels(page))
    page.keyboard.press("Escape")
    page.close()


#: A figure shown with helpers.plotting.show, as the notebooks show theirs.
DESCRIBED_FIGURE = (
    "import matplotlib.pyplot as plt\n"
    "from helpers.plotting import show\n"
    "fig, ax = plt.subplots(figsize=(3, 2))\n"
    "ax.plot([0, 1], [0, 1])\n"
    "show(fig, 'A straight line from (0, 0) to (1, 1): the cost rises by one for every step.')"
)
#: Tab presses from a cell in command mode within which its figure's description must take the focus.
MAX_TABS = 10


def test_a_figures_description_is_reached_and_read_from_the_keyboard_in_jupyterlab(browser, lab):
    # JupyterLab 4 draws an image output without the alt of its metadata: the description that show()
    # puts after the figure is what a screen reader gets there.
    from nbclient import NotebookClient

    root = lab[0]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(DESCRIBED_FIGURE)])
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    nbformat.write(nb, root / "described.ipynb")
    page = open_notebook(browser, lab, "described.ipynb")
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
    page.keyboard.press("Escape")  # command mode, as a keyboard user moves between cells
    focused = ""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => document.activeElement.closest('details.figure-description') ? 'yes' : ''"
        )
        if focused:
            break
    assert focused, f"{MAX_TABS} Tab presses did not reach the figure's description"
    page.keyboard.press("Enter")
    description = page.locator(".jp-OutputArea-output details.figure-description")
    assert description.get_attribute("open") is not None
    assert "the cost rises by one for every step" in description.inner_text()
    page.close()
    shutil.rmtree(root / ".ws", ignore_errors=True)
