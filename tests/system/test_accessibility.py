"""Every HTML page the kit writes passes axe-core's WCAG 2.0/2.1 A and AA rules, every figure is described.

axe-core (the npm package, node_modules/axe-core, installed by .ci/run) runs in the session's Chromium
over each kind of page, loaded from disk with the network shut off:

- nbgrader's feedback pages as the kit writes them (Initialization: full marks, late; and failing
  checks), from the class that tests/support/report_class.py grades for the whole session;
- the kit's own pages (coursekit/feedback.py): a notebook that was not graded, and the grading
  service's pages before a due date (score only, public checks, deferred) and its note on a full page;
- the class report of that class (its plots must be described);
- the learners' offline pages (``make html``) of the five notebooks: no violation, and every figure
  described (its ``alt`` a real description, and the same text right after it, as ``show`` writes it
  for JupyterLab), checked on each notebook and on small notebooks made here, with and without
  ``helpers.plotting.show``.

Each page is audited once (``audit``); its tests read the result.
"""

import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from coursekit import feedback
from coursekit.course import assignments
from coursekit.pages import notebook_page
from coursekit.release import release
from helpers.plotting import MIN_ALT_CHARS, NBCONVERT_PLACEHOLDER
from tests.support import REPO
from tests.support.browser import AXE, AXE_INSTALL_HINT, axe_missing, axe_violations, chromium_missing
from tests.support.course import MADE_BY_MAKE, make, make_course

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(bool(chromium_missing()), reason=chromium_missing()),
    pytest.mark.skipif(bool(axe_missing()), reason=axe_missing()),
]

#: The images of a page, each with its alt and the figure description that follows it ("" if none).
FIGURES_JS = """() => [...document.images].map(image => {
    const output = image.closest('.jp-OutputArea-child');
    const next = output && output.nextElementSibling;
    const details = next && next.querySelector('details.figure-description p');
    return [image.getAttribute('alt'), details ? details.textContent : ''];
})"""

#: A note of the grading service, as it puts one at the top of a page (GradingService.note).
SERVICE_NOTE = (
    "<p class='coursekit-service'>Submitted 2026-03-01 10:00:00 UTC. This submission: 3 / 5. "
    "It is the one your grade uses.</p>"
)
FULL_MARKS, FAILING, NOT_JSON = "init-ok-1", "init-zeros-1", "init-not-json"


@dataclass
class Audit:
    violations: list  # axe-core's result dicts
    figures: list  # [(alt, the description after the figure)]


@pytest.fixture(scope="module")
def audit(browser):
    """audit(path) -> Audit of the page at ``path``, in one browser context; each page audited once."""
    if not AXE.exists():
        pytest.fail(f"CI must run the accessibility tests: {AXE_INSTALL_HINT}")
    # bypass_csp: axe is injected into pages whose Content-Security-Policy forbids other scripts (the
    # report's); the network is shut off (nbconvert's pages name MathJax on a CDN).
    context = browser.new_context(bypass_csp=True)
    context.route(re.compile(r"^https?://"), lambda route: route.abort())

    @functools.cache
    def run(path):
        page = context.new_page()
        page.goto(Path(path).as_uri())
        result = Audit(axe_violations(page), [tuple(f) for f in page.evaluate(FIGURES_JS)])
        page.close()
        return result

    yield run
    context.close()


def described(alt):
    return bool(alt) and alt != NBCONVERT_PLACEHOLDER and len(alt) >= MIN_ALT_CHARS


def assert_no_violations(audit_result):
    found = [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} element(s), e.g. {v['nodes'][0]['target']}): {v['help']}"
        for v in audit_result.violations
    ]
    assert not found, "axe-core: " + "; ".join(found)


def assert_figures_described(audit_result):
    """Every figure has a real description as its alt, and the same text right after it (for JupyterLab)."""
    missing = [alt for alt, after in audit_result.figures if not described(alt) or after != alt]
    assert not missing, (
        f"{len(missing)} of {len(audit_result.figures)} figure(s) without a description, e.g. alt={missing[0]!r} "
        "(show each figure with helpers.plotting.show(fig, alt))"
    )


# --- the pages a grading run writes ------------------------------------------------------------------
@pytest.fixture(scope="module")
def kit_pages(graded_class, tmp_path_factory):
    """{kind: path} of every kind of page a grading run and the grading service write."""
    root = graded_class.root
    folder = tmp_path_factory.mktemp("service-pages")

    def feedback_page(student):
        (page,) = (root / "feedback" / student / "initialization").glob("*.html")
        return page

    (graded,) = (root / "autograded" / FAILING / "initialization").glob("*.ipynb")
    name = graded.stem
    service = {
        "service: score only": feedback.score_page(name, 3, 5, SERVICE_NOTE),
        "service: public checks": feedback.public_page(
            name, feedback.public_checks(nbformat.read(graded, as_version=4)), SERVICE_NOTE
        ),
        "service: deferred": feedback.deferred_page(name, "2026-03-02 10:00 UTC"),
        "service: full feedback with its note": feedback.with_note(
            feedback_page(FULL_MARKS).read_text(), SERVICE_NOTE
        ),
    }
    pages = {
        "feedback: full marks, late": feedback_page(FULL_MARKS),
        "feedback: failing checks": feedback_page(FAILING),
        "not graded": feedback_page(NOT_JSON),
        "class report": root / "report.html",
    }
    for number, (kind, text) in enumerate(service.items()):
        pages[kind] = folder / f"page-{number}.html"
        pages[kind].write_text(text)
    return pages


KIT_PAGES = [
    "feedback: full marks, late",
    "feedback: failing checks",
    "not graded",
    "service: score only",
    "service: public checks",
    "service: deferred",
    "service: full feedback with its note",
    "class report",
]


@pytest.mark.parametrize("kind", KIT_PAGES)
def test_kit_page_passes_axe(audit, kit_pages, kind):
    assert_no_violations(audit(kit_pages[kind]))


def test_the_class_reports_plots_are_described(audit, kit_pages):
    result = audit(kit_pages["class report"])
    assert result.figures and all(described(alt) for alt, _ in result.figures), result.figures


# --- the learners' offline pages (make html) -------------------------------------------------------------
@pytest.fixture(scope="module")
def offline_pages(tmp_path_factory):
    """{assignment: path} of the pages ``make html`` writes in a copy of the course."""
    if not MADE_BY_MAKE:
        pytest.skip("needs the environment `make install` made")
    course = tmp_path_factory.mktemp("offline")
    make_course(course)
    # Timestamps kept: make must see this suite's environment as up to date.
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy2(REPO / name, course / name)
    # Released here, in one process: make then finds release/ up to date and only writes the pages.
    release(course, assignments(course))
    make(course, "html")
    return {a: next((course / "html" / a).glob("*.html")) for a in assignments(course)}


@pytest.mark.parametrize("assignment", assignments())
def test_notebook_page_passes_axe(audit, offline_pages, assignment):
    assert_no_violations(audit(offline_pages[assignment]))


@pytest.mark.parametrize("assignment", assignments())
def test_every_figure_of_the_notebook_is_described(audit, offline_pages, assignment):
    result = audit(offline_pages[assignment])
    assert result.figures, "no figure on the page"
    assert_figures_described(result)


#: A figure shown with its description, and one shown the plain way (the inline backend, no description).
DESCRIBED = (
    "import matplotlib.pyplot as plt\n"
    "from helpers.plotting import show\n"
    "fig, ax = plt.subplots(figsize=(3, 2))\n"
    "ax.plot([0, 100], [0.69, 0.05])\n"
    "show(fig, 'Cost against iteration: it falls from 0.69 at iteration 0 to 0.05 at iteration 100.')"
)
UNDESCRIBED = "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 100], [0.69, 0.05])"


@pytest.fixture(scope="module")
def small_pages(tmp_path_factory):
    """Offline pages of a small executed notebook: (with described figures only, with an undescribed one)."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Figures"),
            *map(nbformat.v4.new_code_cell, [DESCRIBED, UNDESCRIBED]),
        ]
    )
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    folder = tmp_path_factory.mktemp("small")
    pages = []
    for cells in (nb.cells[:2], nb.cells):
        page = folder / f"figures-{len(cells)}.html"
        page.write_text(notebook_page(nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata), "Figures"))
        pages.append(page)
    return pages


def test_a_notebook_whose_figures_are_shown_with_their_descriptions_passes(audit, small_pages):
    result = audit(small_pages[0])
    assert len(result.figures) == 1
    assert_no_violations(result)
    assert_figures_described(result)


def test_a_notebook_with_an_undescribed_figure_fails(audit, small_pages):
    result = audit(small_pages[1])
    assert [alt for alt, _ in result.figures][1] == NBCONVERT_PLACEHOLDER
    with pytest.raises(AssertionError, match="1 of 2 figure"):
        assert_figures_described(result)
