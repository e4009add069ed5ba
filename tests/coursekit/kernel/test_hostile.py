"""Broken, slow and hostile submissions: each costs only its author the affected points.

One course holds, for every assignment, submissions whose first graded function loops forever,
kills the kernel, allocates past the memory limit, floods the output or warns; and, for
Initialization, submissions that delete, edit, duplicate or re-label a test cell, fake passing,
try to read private files, display HTML that would run code where the notebook is shown, or hand in
a renamed or broken notebook. They are all graded in one parallel run, with a 5 s cell time limit to
keep the suite fast.
"""

import hashlib
import json
import os
import re

import nbformat
import pytest

from coursekit.autograde import autograde
from coursekit.course import assignments
from coursekit.kernel.sandbox import bwrap_path
from coursekit.release import release
from tests.support import attacks
from tests.support.course import (
    make_course,
    nbgrader_meta,
    points,
    scores,
    solution_cells,
    source_notebook,
    submit,
)

pytestmark = pytest.mark.slow

ASSIGNMENTS = assignments()
CELL_TIMEOUT = 5  # seconds; the course default is 60
MEMORY_HOG = (
    "    _hog = np.ones(3 * 2**27)  # 3 GiB: the machine has it, the grading kernel may not\n    _hog += 1\n"
)
GENERIC = {
    "loop": "    while True:\n        pass\n",
    "exit": "    import os\n\n    os._exit(1)\n",
    "oom": MEMORY_HOG,
    "flood": "    for _ in range(100_000):\n        print('x' * 1000)  # 100 MB in all\n",
    "warn": "    import warnings\n\n    warnings.warn('this function is deprecated')\n",
}
EXPECTED_MESSAGE = {
    "loop": f"timed out after {CELL_TIMEOUT} s",
    "exit": "the kernel died while running this cell",
    "oom": "MemoryError",
    "warn": "this function is deprecated",
}


def first_function(nb):
    return nbgrader_meta(solution_cells(nb)[0])["grade_id"]


def inject(nb, function, code):
    """A copy of ``nb`` with ``code`` run first in ``function``'s solution."""
    nb = nbformat.from_dict(nb)
    (cell,) = [c for c in solution_cells(nb) if nbgrader_meta(c)["grade_id"] == function]
    cell.source = cell.source.replace("### BEGIN SOLUTION\n", "### BEGIN SOLUTION\n" + code, 1)
    return nb


def find_cell(nb, grade_id):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def wrong_he(nb):
    """Initialization with a wrong He initializer (scale 10 instead of sqrt(2 / n_prev))."""
    nb = nbformat.from_dict(nb)
    cell = find_cell(nb, "initialize_parameters_he")
    cell.source = cell.source.replace("np.sqrt(2 / n_prev)", "10")
    return nb


def add_cell_after(nb, grade_id, source):
    nb = nbformat.from_dict(nb)
    index = nb.cells.index(find_cell(nb, grade_id))
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return nb


PRIVATE_PROBE = """
import os
_found = {{}}
for _label, _path in [
    ("source notebook", {root!r} + "/notebooks/initialization/Initialization.ipynb"),
    ("source, relative", "../../../notebooks/initialization/Initialization.ipynb"),
    ("repository source", {repo!r} + "/notebooks/initialization/Initialization.ipynb"),
    ("another submission", {root!r} + "/submitted/solution/initialization/Initialization.ipynb"),
    ("gradebook", {root!r} + "/gradebook.db"),
]:
    try:
        with open(_path, "rb") as _f:
            _found[_label] = "READ " + str(len(_f.read()))
    except OSError as _error:
        _found[_label] = type(_error).__name__
try:
    _found["listing other students"] = str(os.listdir({root!r} + "/submitted"))
except OSError as _error:
    _found["listing other students"] = type(_error).__name__
try:
    with open({root!r} + "/gradebook.db", "wb") as _f:
        _f.write(b"overwritten")
except OSError as _error:
    pass
print("PROBE " + __import__("json").dumps(_found))
"""

TAMPER_CELLS = """
import builtins

import numpy as np

import helpers.checks

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
helpers.checks.run_checks = lambda *args, **kwargs: print("All checks passed.")
builtins.abs = lambda x: 0
AssertionError = Exception
"""

TAMPER_IN_FUNCTION = """    import builtins

    builtins.abs = lambda x: 0  # makes every |error| < tolerance check pass
    np.allclose = lambda *args, **kwargs: True
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    make_course(root)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.GuardedExecute.timeout = {CELL_TIMEOUT}\n")
    release(root, ASSIGNMENTS)
    sources, expected = {}, {}
    for assignment in ASSIGNMENTS:
        path = source_notebook(assignment, root)
        source = nbformat.read(path, as_version=4)
        sources[assignment] = (path.name, source)
        function = first_function(source)
        for case, code in GENERIC.items():
            submit(root, f"{case}-{assignment}", assignment, inject(source, function, code), path.name)
            full = points(source)
            lost = {} if case == "flood" else {f"test_{function}": 0}
            expected[(f"{case}-{assignment}", assignment)] = dict(full, **lost)

    name, source = sources["initialization"]
    full = points(source)
    he_lost = dict(full, test_initialize_parameters_he=0)

    def add(student, nb, grades):
        submit(root, student, "initialization", nb, name)
        expected[(student, "initialization")] = grades

    deleted = nbformat.from_dict(source)
    deleted.cells.remove(find_cell(deleted, "test_initialize_parameters_he"))
    add("deleted-test", wrong_he(deleted), he_lost)
    edited = wrong_he(source)
    find_cell(edited, "test_initialize_parameters_he").source = "assert True"
    add("edited-test", edited, he_lost)
    duplicated = nbformat.from_dict(source)
    test_cell = find_cell(duplicated, "test_initialize_parameters_he")
    copy = nbformat.from_dict(test_cell)
    copy.id = "copy-of-test"
    duplicated.cells.insert(duplicated.cells.index(test_cell), copy)
    add("duplicated-test", duplicated, full)
    relabelled = wrong_he(source)
    meta = nbgrader_meta(find_cell(relabelled, "test_initialize_parameters_he"))
    find_cell(relabelled, "test_initialize_parameters_he").source = "assert True"
    meta.update(grade_id="test_mine", points=100)
    add("relabelled-test", relabelled, he_lost)
    unmarked = wrong_he(source)
    cell = find_cell(unmarked, "test_initialize_parameters_he")
    del cell.metadata["nbgrader"]
    cell.source = "assert True"
    add("unmarked-test", unmarked, he_lost)
    add("tamper-cells", add_cell_after(wrong_he(source), "initialize_parameters_he", TAMPER_CELLS), he_lost)
    add(
        "tamper-in-function",
        inject(wrong_he(source), "initialize_parameters_he", TAMPER_IN_FUNCTION),
        he_lost,
    )
    probe = PRIVATE_PROBE.format(
        root=str(root), repo=str(source_notebook("initialization").parent.parent.parent)
    )
    add("private", add_cell_after(source, "initialize_parameters_zeros", probe), full)
    html = add_cell_after(source, "initialize_parameters_zeros", attacks.HTML)
    html.cells.insert(1, nbformat.v4.new_markdown_cell(attacks.MARKDOWN))
    add("html-output", html, full)
    submit(root, "solution", "initialization", source, name)
    expected[("solution", "initialization")] = full

    # Broken notebooks: 0 for that notebook, the student's other assignments graded as usual.
    for other in (a for a in ASSIGNMENTS if a != "initialization"):
        other_name, other_source = sources[other]
        for student in ("renamed", "invalid-json"):
            submit(root, student, other, other_source, other_name)
            expected[(student, other)] = points(other_source)
    folder = root / "submitted" / "renamed" / "initialization"
    submit(root, "renamed", "initialization", source, "initialization-final.ipynb")
    (folder / "initialization-final.ipynb").rename(folder / "Initialization (1).ipynb")
    expected[("renamed", "initialization")] = {k: 0 for k in full}
    broken = root / "submitted" / "invalid-json" / "initialization"
    broken.mkdir(parents=True)
    (broken / name).write_text(json.dumps(source)[:5000])
    expected[("invalid-json", "initialization")] = {k: 0 for k in full}

    guarded = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (root / "notebooks").rglob("*.ipynb")}
    outcomes = autograde(root, ASSIGNMENTS, jobs=2)
    return root, expected, outcomes, guarded


def autograded(root, student, assignment):
    (path,) = (root / "autograded" / student / assignment).glob("*.ipynb")
    return nbformat.read(path, as_version=4)


def test_each_submission_loses_only_the_affected_points(hostile):
    root, expected, _, _ = hostile
    got = {
        key: {grade_id: score for grade_id, (score, _) in scores(root, key[1], key[0]).items()}
        for key in expected
    }
    wrong = {key: (got[key], expected[key]) for key in expected if got[key] != expected[key]}
    assert not wrong


def test_nothing_is_left_for_manual_grading(hostile):
    root, expected, _, _ = hostile
    for student, assignment in expected:
        manual = [g for g, (_, needs) in scores(root, assignment, student).items() if needs]
        assert not manual, f"{student}/{assignment}: {manual}"


@pytest.mark.parametrize("case", sorted(EXPECTED_MESSAGE))
def test_feedback_says_why(hostile, case):
    root, _, _, _ = hostile
    for assignment in ASSIGNMENTS:
        (html,) = (root / "feedback" / f"{case}-{assignment}" / assignment).glob("*.html")
        assert EXPECTED_MESSAGE[case] in html.read_text(), f"{case}-{assignment}"


def test_flooded_output_is_capped(hostile):
    root, _, _, _ = hostile
    for assignment in ASSIGNMENTS:
        (html,) = (root / "feedback" / f"flood-{assignment}" / assignment).glob("*.html")
        assert html.stat().st_size < 2_000_000
        text = json.dumps(autograded(root, f"flood-{assignment}", assignment))
        assert "output truncated" in text and len(text) < 2_000_000


def test_broken_notebooks_are_reported_by_name(hostile):
    root, _, _, _ = hostile
    problems = (root / "problems.csv").read_text()
    assert re.search(
        r"renamed,initialization,Initialization.ipynb,.*missing.*Initialization \(1\)\.ipynb", problems
    )
    assert re.search(r"invalid-json,initialization,Initialization.ipynb,.*not a valid notebook", problems)
    for student in ("renamed", "invalid-json"):
        page = next((root / "feedback" / student / "initialization").glob("*.html")).read_text()
        assert "not graded" in page


def test_private_files_stay_private(hostile):
    if bwrap_path() is None and not os.environ.get("CI"):
        pytest.skip("grading kernels run unsandboxed without bwrap: sudo apt-get install bubblewrap")
    root, _, _, guarded = hostile
    nb = autograded(root, "private", "initialization")
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    (line,) = [line for line in outputs.splitlines() if line.startswith("PROBE ")]
    found = json.loads(line.removeprefix("PROBE "))
    assert not any(value.startswith("READ") for value in found.values()), found
    assert "solution" not in found["listing other students"]
    for path, digest in guarded.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path} changed"
    assert (root / "gradebook.db").read_bytes()[:15] == b"SQLite format 3"


def test_tampering_is_reported(hostile):
    root, _, _, _ = hostile
    report = (root / "tamper_report.csv").read_text()
    for student, finding in [
        ("tamper-cells", "reassigns np.allclose"),
        ("tamper-cells", "shadows the builtin AssertionError"),
        ("tamper-in-function", "reassigns builtins.abs"),
        ("edited-test", "edits the locked test cell test_initialize_parameters_he"),
        ("private", "touches a private path"),
    ]:
        assert re.search(rf"^{student},initialization,.*{re.escape(finding)}", report, re.MULTILINE), (
            student,
            finding,
        )
    assert not re.search(r"^solution,", report, re.MULTILINE), "a clean submission is not reported"


def test_a_resubmission_replaces_the_old_scores(hostile):
    root = hostile[0]
    name, source = (
        source_notebook("initialization", root).name,
        nbformat.read(source_notebook("initialization", root), 4),
    )
    submit(root, "resubmit", "initialization", wrong_he(source), name)
    autograde(root, ["initialization"], jobs=1, students=["resubmit"])
    first = scores(root, "initialization", "resubmit")
    submit(root, "resubmit", "initialization", source, name)
    autograde(root, ["initialization"], jobs=1, students=["resubmit"])
    second = scores(root, "initialization", "resubmit")
    assert first["test_initialize_parameters_he"][0] == 0
    assert {k: s for k, (s, _) in second.items()} == points(source)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        submissions = [
            s for s in gradebook.find_assignment("initialization").submissions if s.student_id == "resubmit"
        ]
        assert len(submissions) == 1
        assert submissions[0].score == sum(points(source).values())


def pages_showing(root, student, assignment):
    """{what: HTML} of every page that shows a graded notebook: nbgrader's feedback page, formgrader's
    manual-grading view, and the class report."""
    (feedback,) = (root / "feedback" / student / assignment).glob("*.html")
    (graded,) = (root / "autograded" / student / assignment).glob("*.ipynb")
    formgrader = attacks.formgrader_page(nbformat.read(graded, as_version=4), student, assignment, graded)
    return {
        "feedback": feedback.read_text(),
        "formgrader": formgrader,
        "report": (root / "report.html").read_text(),
    }


@pytest.fixture(scope="module")
def html_output_pages(hostile):
    """The pages that show the submission whose cells display live HTML (read once for the tests below)."""
    return pages_showing(hostile[0], "html-output", "initialization")


def test_output_that_would_run_code_is_inert_wherever_the_notebook_is_shown(hostile, html_output_pages):
    live = {what: attacks.live_code(page) for what, page in html_output_pages.items()}
    assert not any(live.values()), live
    graded = json.dumps(autograded(hostile[0], "html-output", "initialization"))
    assert "application/javascript" not in graded and "image/svg+xml" not in graded


def test_the_student_still_sees_their_text_tables_and_images(html_output_pages):
    page = html_output_pages["feedback"]
    for shown in ("<th>alpha</th>", "<strong>bold</strong>", "<b>printed table</b>", "data:image/png;base64,",
                  "&lt;script&gt;window.ATTACK = 8&lt;/script&gt; as text", "My answer:"):  # fmt: skip
        assert shown in page, shown
