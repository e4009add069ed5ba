"""A graded class with planted mistakes, for the class report and the LMS export tests.

45 submissions of two assignments, graded by ``coursekit.autograde.autograde`` with two workers:

- Initialization (33): correct solutions and the correct variants of tests/notebooks/mutations/initialization.py;
  mistakes from MUTATIONS and MORE_MISTAKES, each planted in several students; one student with two
  mistakes; two students whose function raises an error quoting their own name, id, e-mail address and
  home folder (the report must anonymise it); the blank release; a notebook that is not JSON; a renamed
  notebook; a correct submission with a suspicious import (flagged by the tamper scan); three late
  submissions (timestamp.txt after the due date set in the gradebook).
- Regularization (12): correct solutions and mistakes whose messages differ only in the numbers they
  quote (the same check fails with other values), which the report must group together.

``PLANTED`` says, per exercise, which students share a mistake: the groups the report must find.
"""

import datetime
import io
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from coursekit.autograde import autograde
from coursekit.release import release
from tests.support.course import edit, make_course, mutations, source_notebook, submit, variants

ASSIGNMENTS = ["initialization", "regularization"]
DUE = datetime.datetime(2026, 3, 1, 12, 0)
PEOPLE = {  # students whose gradebook entry has a name and an e-mail address
    "s-grace": ("Grace", "Hopper", "grace.hopper@uni.example"),
    "s-alan": ("Alan", "Turing", "alan.turing@uni.example"),
}
LATE = {
    "init-ok-1": "2026-03-02 09:30:00 UTC",
    "init-ok-2": "2026-03-01 12:45:00 UTC",
    "init-he-1": "2026-03-04 12:00:00 UTC",
}
ON_TIME = {"init-ok-3": "2026-02-28 18:00:00 UTC", "init-zeros-1": "2026-03-01 11:59:00 UTC"}
BROKEN = {"init-not-json", "init-renamed"}
FLAGGED = "init-flagged"


def _more(assignment, label):
    """(function, edits) of the MORE_MISTAKES / CORRECT_VARIANTS entry called ``label``."""
    for student, function, edits, _ in variants(assignment):
        if student.split("-", 1)[1] == label:
            return function, edits
    raise KeyError(label)


def _mutation(assignment, function):
    return function, [mutations(assignment)[function]]


def _identity_leak(student):
    first, last, email = PEOPLE[student]
    message = f"not finished yet -- {first} {last} ({student}, {email}), notes in /home/{student}/notes.txt"
    return "initialize_parameters_xavier", [
        ("    ### BEGIN SOLUTION\n", f"    ### BEGIN SOLUTION\n    raise ValueError({message!r})\n")
    ]


# (assignment, student prefix, how many, [(function, edits), ...] planted in each)
PLAN = [
    ("initialization", "init-ok", 3, []),
    ("initialization", "init-zeros", 4, [_mutation("initialization", "initialize_parameters_zeros")]),
    ("initialization", "init-lastlayer", 2, [_more("initialization", "missing-last-layer")]),
    ("initialization", "init-globalrng", 3, [_mutation("initialization", "initialize_parameters_random")]),
    ("initialization", "init-noscale", 2, [_more("initialization", "no-scaling")]),
    ("initialization", "init-he", 3, [_mutation("initialization", "initialize_parameters_he")]),
    ("initialization", "init-uniform", 2, [_more("initialization", "uniform-draws")]),
    ("initialization", "init-biases", 1, [_more("initialization", "random-biases")]),
    ("initialization", "init-xavier2", 2, [_mutation("initialization", "initialize_parameters_xavier")]),
    ("initialization", "init-rngperlayer", 1, [_more("initialization", "generator-per-layer")]),
    (
        "initialization",
        "init-two",
        1,
        [
            _mutation("initialization", "initialize_parameters_zeros"),
            _mutation("initialization", "initialize_parameters_he"),
        ],
    ),
    ("regularization", "reg-ok", 2, []),
    ("regularization", "reg-cost-m", 2, [_mutation("regularization", "compute_cost_with_regularization")]),
    ("regularization", "reg-cost-b", 1, [_more("regularization", "biases-penalized")]),
    ("regularization", "reg-cost-norm", 1, [_more("regularization", "norms-not-squared")]),
    ("regularization", "reg-fwd-plain", 1, [_mutation("regularization", "forward_propagation_with_dropout")]),
    ("regularization", "reg-fwd-times", 1, [_more("regularization", "forward-multiplied-by-keep-prob")]),
    (
        "regularization",
        "reg-bwd-plain",
        1,
        [_mutation("regularization", "backward_propagation_with_dropout")],
    ),
    ("regularization", "reg-bwd-nomask", 1, [_more("regularization", "masks-forgotten")]),
    (
        "regularization",
        "reg-l2-biases",
        2,
        [_mutation("regularization", "backward_propagation_with_regularization")],
    ),
]
CORRECT_VARIANTS = [
    ("initialization", label) for label in ("normal-with-scale", "divide-by-sqrt", "pairwise-loop")
]


def _students(prefix, n):
    return [f"{prefix}-{i}" for i in range(1, n + 1)]


def _group(*prefixes, extra=()):
    return frozenset(s for p, n in prefixes for s in _students(p, n)) | frozenset(extra)


#: {(assignment, exercise): {frozenset of students}}: the misconception groups the report must show.
PLANTED = {
    ("initialization", "test_initialize_parameters_zeros"): {
        _group(("init-zeros", 4), ("init-two", 1)),
        _group(("init-lastlayer", 2)),
        frozenset({"init-blank"}),
    },
    ("initialization", "test_initialize_parameters_random"): {
        _group(("init-globalrng", 3)),
        _group(("init-noscale", 2)),
        frozenset({"init-blank"}),
    },
    ("initialization", "test_initialize_parameters_he"): {
        _group(("init-he", 3), ("init-two", 1)),
        _group(("init-uniform", 2)),
        _group(("init-biases", 1)),
        frozenset({"init-blank"}),
    },
    ("initialization", "test_initialize_parameters_xavier"): {
        _group(("init-xavier2", 2)),
        _group(("init-rngperlayer", 1)),
        frozenset(PEOPLE),
        frozenset({"init-blank"}),
    },
    # Three mistakes in the cost (1/m missing, the biases penalised, the norms not squared): the specification's
    # messages for them differ in more than the numbers quoted, so the report keeps them apart.
    ("regularization", "test_compute_cost_with_regularization"): {
        _group(("reg-cost-m", 2)),
        _group(("reg-cost-b", 1)),
        _group(("reg-cost-norm", 1)),
    },
    ("regularization", "test_forward_propagation_with_dropout"): {
        _group(("reg-fwd-plain", 1), ("reg-fwd-times", 1))
    },
    # Both mistakes are in the same step (the mask and the division by keep_prob of dA1, dA2), and the
    # numerical gradient's message names that step with its hint: one group.
    ("regularization", "test_backward_propagation_with_dropout"): {
        _group(("reg-bwd-plain", 1), ("reg-bwd-nomask", 1)),
    },
    ("regularization", "test_backward_propagation_with_regularization"): {_group(("reg-l2-biases", 2))},
}


@dataclass
class GradedClass:
    root: Path
    db_url: str
    students: dict  # assignment -> sorted student ids submitted
    seconds: float  # autograde wall time


def build_class(root):
    """Release, submit and autograde the class in ``root``; return a GradedClass."""
    root = Path(root)
    make_course(root)
    release(root, ASSIGNMENTS)
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(db_url) as gradebook:
        gradebook.update_or_create_assignment("initialization", duedate=DUE)
        for student, (first, last, email) in PEOPLE.items():
            gradebook.update_or_create_student(student, first_name=first, last_name=last, email=email)

    students = {a: [] for a in ASSIGNMENTS}
    sources = {}
    for assignment in ASSIGNMENTS:
        path = source_notebook(assignment, root)
        sources[assignment] = (nbformat.read(path, as_version=4), path.name)

    def hand_in(assignment, student, nb):
        submit(root, student, assignment, nb, sources[assignment][1])
        students[assignment].append(student)

    for assignment, prefix, n, plants in PLAN:
        nb = sources[assignment][0]
        for function, edits in plants:
            nb = edit(nb, function, edits)
        for student in _students(prefix, n):
            hand_in(assignment, student, nb)
    for assignment, label in CORRECT_VARIANTS:
        hand_in(assignment, f"init-right-{label}", edit(sources[assignment][0], *_more(assignment, label)))
    init, name = sources["initialization"]
    for student in PEOPLE:
        hand_in("initialization", student, edit(init, *_identity_leak(student)))
    hand_in(
        "initialization",
        "init-blank",
        nbformat.read(root / "release" / "initialization" / name, as_version=4),
    )
    flagged = nbformat.from_dict(init)
    flagged.cells.insert(1, nbformat.v4.new_code_cell("import subprocess  # looks around"))
    hand_in("initialization", FLAGGED, flagged)
    hand_in("initialization", "init-not-json", init)
    (root / "submitted" / "init-not-json" / "initialization" / name).write_text(
        '{"cells": [ this is not JSON'
    )
    hand_in("initialization", "init-renamed", init)
    folder = root / "submitted" / "init-renamed" / "initialization"
    shutil.move(folder / name, folder / f"{Path(name).stem}-final.ipynb")
    for student, stamp in {**LATE, **ON_TIME}.items():
        (root / "submitted" / student / "initialization" / "timestamp.txt").write_text(stamp)

    start = time.perf_counter()
    outcomes = autograde(root, ASSIGNMENTS, jobs=2, stream=io.StringIO())
    seconds = time.perf_counter() - start
    # On a busy machine a kernel can fail to start in time ("grading error"); regrade those once, as an
    # instructor would. problems.csv holds the problems of the last run only, so the broken ones go too.
    failed = {o.student for o in outcomes if not o.ok} - BROKEN
    if failed:
        autograde(root, ASSIGNMENTS, jobs=2, students=failed | BROKEN, stream=io.StringIO())
    return GradedClass(root, db_url, {a: sorted(s) for a, s in students.items()}, seconds)
