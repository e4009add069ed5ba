"""The course gradebook's single writer.

Grading processes never write the course gradebook (SQLite is not safe for concurrent writers): each
returns an ``Outcome`` (``coursekit.workers``), and one process records it here, replacing earlier
automatic scores, so that grading again never counts a submission twice. The gradebook is SQLite by
default, PostgreSQL when ``CourseDirectory.db_url`` says so.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from nbgrader.api import Gradebook, MissingEntry


def ensure_assignments(api, assignments):
    """Record in ``api``'s gradebook each assignment it lacks (autograde needs its cells there).

    ``generate_assignment`` records them, and writes the assignment's release folder of ``api``'s
    course directory as a side effect.
    """
    with Gradebook(api.coursedir.db_url) as gradebook:
        missing = []
        for assignment in assignments:
            try:
                gradebook.find_assignment(assignment)
            except MissingEntry:
                missing.append(assignment)
    for assignment in missing:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(
                f"generate_assignment {assignment} failed: {result.get('error') or result.get('log')}"
            )


def record(gradebook, outcome):
    """Write one graded submission into the course ``gradebook`` (an open nbgrader ``Gradebook``).

    Its automatic scores and comments replace earlier ones; a notebook that could not be graded
    (``outcome.problems``) scores 0 instead of waiting for manual grading.
    """
    if outcome.notebooks:
        gradebook.update_or_create_student(outcome.student)
        kwargs = {"timestamp": outcome.timestamp} if outcome.timestamp else {}
        gradebook.update_or_create_submission(outcome.assignment, outcome.student, **kwargs)
        for name, scores in outcome.notebooks.items():
            target = gradebook.find_submission_notebook(name, outcome.assignment, outcome.student)
            target.late_submission_penalty = scores.late_submission_penalty
            for grade_id, auto_score in scores.grades.items():
                grade = gradebook.find_grade(grade_id, name, outcome.assignment, outcome.student)
                grade.auto_score = auto_score
                # nbgrader's own rule: a manual override or a missing automatic score needs review.
                grade.needs_manual_grade = grade.manual_score is not None or auto_score is None
            for comment_id, auto_comment in scores.comments.items():
                comment = gradebook.find_comment(comment_id, name, outcome.assignment, outcome.student)
                comment.auto_comment = auto_comment
    for problem in outcome.problems:
        _zero(gradebook, problem)
    gradebook.db.commit()


def _zero(gradebook, problem):
    """A notebook that could not be graded scores 0 (not "needs manual grading")."""
    notebook = problem.notebook.removesuffix(".ipynb")
    try:
        submitted = gradebook.find_submission_notebook(notebook, problem.assignment, problem.student)
    except MissingEntry:
        return
    for grade in submitted.grades:
        grade.auto_score = 0.0
        grade.needs_manual_grade = False


# --- deadlines: read from the course gradebook, for every grader and the grading service --------------
@dataclass(frozen=True)
class Deadline:
    """When one student's submission of one assignment is due: the assignment's due date and their extension.

    Both as nbgrader's gradebook holds them: ``due`` a naive UTC datetime (None: no due date),
    ``extension`` a timedelta (None: none). A grader puts them into its scratch gradebook before it
    grades, so that nbgrader's own late penalty (``LateSubmissionPlugin``) is computed as it would be
    in the course gradebook.
    """

    due: datetime | None = None
    extension: timedelta | None = None

    @property
    def instant(self):
        """The effective due date as a Unix time, or None: comparable with any other instant."""
        if self.due is None:
            return None
        return (self.due + (self.extension or timedelta())).replace(tzinfo=timezone.utc).timestamp()

    def late(self, when):
        """Whether a submission made at Unix time ``when`` is late."""
        return self.instant is not None and when > self.instant

    def passed(self, now):
        """Whether this deadline has passed at Unix time ``now``."""
        return self.instant is not None and now >= self.instant


#: No due date, no extension.
NO_DEADLINE = Deadline()


@dataclass(frozen=True)
class Deadlines:
    """Every assignment's due date and every student's extension, as the course gradebook holds them."""

    dues: dict = field(default_factory=dict)  # {assignment: naive UTC datetime or None}
    extensions: dict = field(default_factory=dict)  # {(assignment, student): timedelta}

    def of(self, assignment, student):
        return Deadline(self.dues.get(assignment), self.extensions.get((assignment, student)))


def read_deadlines(gradebook):
    """The Deadlines of an open nbgrader ``gradebook``: one query for the due dates, one for the extensions."""
    from nbgrader.api import Assignment, SubmittedAssignment

    session = gradebook.db
    dues = {name: due for name, due in session.query(Assignment.name, Assignment.duedate)}
    extensions = {
        (assignment, student): extension
        for assignment, student, extension in session.query(
            Assignment.name, SubmittedAssignment.student_id, SubmittedAssignment.extension
        )
        .join(SubmittedAssignment.assignment)
        .filter(SubmittedAssignment.extension.isnot(None))
    }
    return Deadlines(dues, extensions)


def set_deadline(gradebook, assignment, student, deadline):
    """Put ``deadline`` (a Deadline) into a grader's scratch ``gradebook`` for one submission's grading."""
    gradebook.update_or_create_assignment(assignment, duedate=deadline.due)
    gradebook.update_or_create_student(student)
    gradebook.update_or_create_submission(assignment, student, extension=deadline.extension)
