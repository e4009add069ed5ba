"""Grade a whole class: parallel workers, one gradebook, progress, reports.

nbgrader grades one submission at a time, and its SQLite gradebook is not safe for concurrent
writers. Here ``jobs`` worker processes each run nbgrader's own Autograde converter (with the
course's configuration: sandboxed, guarded execution) against a private scratch gradebook; the
main process alone writes the results into the course gradebook (SQLite by default, PostgreSQL when
``CourseDirectory.db_url`` says so). The same path runs with one worker, so a parallel run gives the
same grades as a sequential one.

After grading: feedback HTML (nbgrader's, hidden tests and tracebacks removed; an explanation page
for a notebook that could not be graded), ``grades.csv`` (nbgrader export), ``summary.csv`` (per
exercise: mean score and share of students who lost points), ``problems.csv`` (missing, renamed or
broken notebooks, grading errors) and ``tamper_report.csv`` (submissions to review by hand).
"""

import csv
import html
import os
import shutil
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from coursekit import COURSE_ROOT, scripts_on_path
from coursekit.grading import assignments, submitted_students
from coursekit.report import write_report
from coursekit.scores import read_exercises
from coursekit.tamper import scan_submissions

scripts_on_path()  # nbgrader's gradebook migrations run the environment's `alembic` script
# nbgrader's own gradebook code triggers these SQLAlchemy notices when it creates a submission.
warnings.filterwarnings("ignore", category=SAWarning, message=".*not in session.*")


def load_config(root):
    """The course's nbgrader configuration, as nbgrader itself would load it from ``root``."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def gradebook_url(root):
    return load_config(root).CourseDirectory.get("db_url") or f"sqlite:///{Path(root) / 'gradebook.db'}"


def _api(root, db_url=None, release_dir=None):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = load_config(root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    if release_dir:
        config.CourseDirectory.release_directory = str(release_dir)
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def source_notebooks(root, assignment):
    return sorted(p.name for p in (Path(root) / "notebooks" / assignment).glob("*.ipynb"))


# --- checks before grading ----------------------------------------------------------------------
@dataclass
class Problem:
    student: str
    assignment: str
    notebook: str
    message: str


def check_submission(root, assignment, student):
    """Problems that keep a submitted notebook from being graded, each named for the student."""
    folder = Path(root) / "submitted" / student / assignment
    expected = source_notebooks(root, assignment)
    present = sorted(p.name for p in folder.glob("*.ipynb"))
    problems = []
    for name in expected:
        path = folder / name
        if not path.exists():
            others = [p for p in present if p not in expected]
            hint = f" (found {', '.join(others)}: notebooks must keep their original name)" if others else ""
            problems.append(
                Problem(student, assignment, name, f"{name} is missing from the submission{hint}")
            )
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as error:  # noqa: BLE001 -- any parse error is the student's to fix
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            problems.append(
                Problem(student, assignment, name, f"{name} is not a valid notebook: {first_line}")
            )
    return problems


# --- workers ------------------------------------------------------------------------------------
_worker = {}


def _init_worker(root, ids, main_db_url):
    """Give this worker process a private scratch gradebook holding the assignments."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one kernel per core; tiny matrices
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    scratch = Path(tempfile.mkdtemp(prefix="grader-"))
    db_path = scratch / "gradebook.db"
    main = main_db_url.removeprefix("sqlite:///") if main_db_url.startswith("sqlite:///") else None
    if main and Path(main).exists():
        shutil.copy(main, db_path)  # it already holds every assignment (see _ensure_assignments)
        missing = []
    else:
        missing = ids
    api = _api(root, db_url=f"sqlite:///{db_path}", release_dir=scratch / "release")
    for assignment in missing:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"cannot prepare {assignment}: {result.get('error') or result.get('log')}")
    _worker.update(api=api, db_url=f"sqlite:///{db_path}")


@dataclass
class Outcome:
    assignment: str
    student: str
    ok: bool
    seconds: float
    error: str = ""
    feedback_error: str = ""
    submission: dict = field(default_factory=dict)


def _grade(assignment, student):
    """Autograde one submission in this worker; return its grades as plain data."""
    from nbgrader.api import Gradebook, MissingEntry

    start = time.perf_counter()
    result = _worker["api"].autograde(assignment, student, force=True, create=True)
    outcome = Outcome(assignment, student, bool(result["success"]), 0.0)
    if not result["success"]:
        outcome.error = _last_error(result.get("error") or result.get("log") or "")
    else:
        # Feedback here, in parallel, from this worker's gradebook, which holds the new scores.
        feedback = _worker["api"].generate_feedback(assignment, student, force=True)
        outcome.feedback_error = "" if feedback["success"] else _last_error(feedback.get("error") or "")
    with Gradebook(_worker["db_url"]) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            submission = None
        if submission is not None:
            outcome.submission = {
                "timestamp": submission.timestamp,
                "notebooks": {
                    nb.name: {
                        "late_submission_penalty": nb.late_submission_penalty,
                        "grades": {g.name: g.auto_score for g in nb.grades},
                        "comments": {c.name: c.auto_comment for c in nb.comments},
                    }
                    for nb in submission.notebooks
                },
            }
    outcome.seconds = time.perf_counter() - start
    return outcome


def _last_error(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["unknown error"])[-1].strip()[:300]


# --- the main process: the only writer of the course gradebook -------------------------------------
def record(gradebook, outcome):
    """Write one graded submission into the course gradebook, replacing earlier automatic scores."""
    data = outcome.submission
    if not data:
        return
    gradebook.update_or_create_student(outcome.student)
    kwargs = {"timestamp": data["timestamp"]} if data["timestamp"] else {}
    gradebook.update_or_create_submission(outcome.assignment, outcome.student, **kwargs)
    for name, nb in data["notebooks"].items():
        target = gradebook.find_submission_notebook(name, outcome.assignment, outcome.student)
        target.late_submission_penalty = nb["late_submission_penalty"]
        for grade_id, auto_score in nb["grades"].items():
            grade = gradebook.find_grade(grade_id, name, outcome.assignment, outcome.student)
            grade.auto_score = auto_score
            # nbgrader's own rule: a manual override or a missing automatic score needs review.
            grade.needs_manual_grade = grade.manual_score is not None or auto_score is None
        for comment_id, auto_comment in nb["comments"].items():
            gradebook.find_comment(
                comment_id, name, outcome.assignment, outcome.student
            ).auto_comment = auto_comment
    gradebook.db.commit()


def zero_unreadable(gradebook, problem):
    """A notebook that could not be graded scores 0 (not "needs manual grading")."""
    from nbgrader.api import MissingEntry

    notebook = problem.notebook.removesuffix(".ipynb")
    try:
        submitted = gradebook.find_submission_notebook(notebook, problem.assignment, problem.student)
    except MissingEntry:
        return
    for grade in submitted.grades:
        grade.auto_score = 0.0
        grade.needs_manual_grade = False
    gradebook.db.commit()


class Progress:
    """One line per graded submission: done/total, failures so far, ETA."""

    def __init__(self, total, problems=(), stream=sys.stdout):
        self.total, self.done, self.failures, self.stream = total, 0, 0, stream
        self.known = {(p.student, p.assignment): p.message for p in problems}
        self.start = time.perf_counter()

    def update(self, outcome):
        self.done += 1
        self.failures += not outcome.ok
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        reason = self.known.get((outcome.student, outcome.assignment), outcome.error)
        status = "ok" if outcome.ok else f"FAILED: {reason}"
        print(
            f"[{self.done}/{self.total}] {outcome.student}/{outcome.assignment} {status} "
            f"({self.failures} failed so far, ETA {eta:.0f} s)",
            file=self.stream,
            flush=True,
        )


def autograde(root=COURSE_ROOT, ids=None, jobs=None, students=None, stream=sys.stdout):
    """Grade every submission of ``ids`` (default: all assignments) with ``jobs`` workers.

    ``students`` limits grading to those students (e.g. to regrade a resubmission). Returns the
    outcomes, one per submission, sorted by assignment and student.
    """
    from nbgrader.api import Gradebook

    root = Path(root).resolve()
    ids = list(ids or assignments(root))
    jobs = jobs or os.cpu_count() or 1
    db_url = gradebook_url(root)
    tasks = [(a, s) for a in ids for s in submitted_students(a, root) if students is None or s in students]
    problems = [p for a, s in tasks for p in check_submission(root, a, s)]
    ids = [a for a in ids if any(t[0] == a for t in tasks)]
    if not tasks:
        print("nothing submitted", file=stream)
        return []
    _ensure_assignments(root, ids, db_url)

    progress, outcomes = Progress(len(tasks), problems, stream), []
    with (
        ProcessPoolExecutor(
            max_workers=min(jobs, len(tasks)), initializer=_init_worker, initargs=(str(root), ids, db_url)
        ) as pool,
        Gradebook(db_url) as gradebook,
    ):
        futures = [pool.submit(_grade, a, s) for a, s in tasks]
        for future in as_completed(futures):
            outcome = future.result()
            record(gradebook, outcome)
            outcomes.append(outcome)
            progress.update(outcome)
        for problem in problems:
            zero_unreadable(gradebook, problem)

    explained = {(p.student, p.assignment) for p in problems}
    for outcome in outcomes:
        if not outcome.ok and (outcome.student, outcome.assignment) not in explained:
            for name in source_notebooks(root, outcome.assignment):
                problems.append(
                    Problem(outcome.student, outcome.assignment, name, f"grading error: {outcome.error}")
                )
    _explain_problems(root, outcomes, problems, stream)
    _reports(root, ids, problems, db_url)
    print(
        f"graded {len(tasks)} submissions in {time.perf_counter() - progress.start:.1f} s with {jobs} worker(s); "
        f"{len(problems)} problem(s) in problems.csv; grades.csv, summary.csv, tamper_report.csv and "
        "report.html written",
        file=stream,
    )
    return sorted(outcomes, key=lambda o: (o.assignment, o.student))


def _ensure_assignments(root, ids, db_url):
    """autograde needs each assignment's cells in the gradebook; generate_assignment records them."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        missing = []
        for assignment in ids:
            try:
                gradebook.find_assignment(assignment)
            except MissingEntry:
                missing.append(assignment)
    api = _api(root)
    for assignment in missing:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(
                f"generate_assignment {assignment} failed: {result.get('error') or result.get('log')}"
            )


def _explain_problems(root, outcomes, problems, stream):
    """Feedback pages for the notebooks that could not be graded; report feedback that failed."""
    for assignment, student in sorted({(p.assignment, p.student) for p in problems}):
        _explain(
            root,
            assignment,
            student,
            [p for p in problems if (p.student, p.assignment) == (student, assignment)],
        )
    for outcome in outcomes:
        if outcome.feedback_error:
            print(
                f"feedback for {outcome.student}/{outcome.assignment} failed: {outcome.feedback_error}",
                file=stream,
            )


def _explain(root, assignment, student, problems):
    """Feedback page for notebooks that could not be graded, at the path feedback would have."""
    folder = Path(root) / "feedback" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name in source_notebooks(root, assignment):
        messages = [p.message for p in problems if p.notebook == name]
        if not messages:
            continue
        items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
        (folder / name.replace(".ipynb", ".html")).write_text(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head>"
            f"<body><h1>{html.escape(name)}: not graded (score 0)</h1><ul>{items}</ul>"
            "<p>Fix the notebook and submit again; your other notebooks were graded as usual.</p></body></html>"
        )


def _reports(root, ids, problems, db_url):
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    root = Path(root)
    with open(root / "problems.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "notebook", "problem"])
        for p in sorted(problems, key=lambda p: (p.student, p.assignment)):
            writer.writerow([p.student, p.assignment, p.notebook, p.message])
    with Gradebook(db_url) as gradebook, open(root / "summary.csv", "w", newline="") as f:
        CsvExportPlugin(to=str(root / "grades.csv")).export(gradebook)  # as `nbgrader export`
        writer = csv.writer(f)
        writer.writerow(["assignment", "exercise", "points", "students", "mean_score", "share_lost_points"])
        for assignment, exercises in read_exercises(gradebook, ids).items():
            for e in exercises:  # the numbers report.html shows
                writer.writerow(
                    [assignment, e.name, e.max_score, e.students, f"{e.mean:.3f}", f"{e.share_lost:.3f}"]
                )
    scan_submissions(root, ids, root / "tamper_report.csv")
    write_report(root, db_url)  # every assignment of the gradebook, with the CSVs just written
