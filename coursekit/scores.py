"""The read side of the gradebook: every score of a class in one pass, for reports and exports.

nbgrader's object API loads scores lazily, one query per submission, notebook and grade; a class
report or an LMS export for 400 students would send thousands of queries. Here each function
sends one query (plus a few per assignment for its layout), and the numbers are nbgrader's own:
``Grade.score`` (manual score over automatic score, plus extra credit), ``SubmittedAssignment.score``
and ``late_submission_penalty``, and the final score ``max(0, score - penalty)`` of ``nbgrader
export``.

    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gradebook:
        submissions = read_submissions(gradebook, ["initialization"])   # {assignment: {student: Submission}}
        exercises = read_exercises(gradebook, ["initialization"])       # {assignment: [Exercise, ...]}
"""

import datetime
from dataclasses import dataclass, field

from coursekit import ASSIGNMENTS


@dataclass(frozen=True)
class Submission:
    """One student's submitted assignment, as the gradebook records it."""

    assignment: str
    student: str
    score: float  #: sum of the grades (nbgrader's SubmittedAssignment.score)
    max_score: float
    penalty: float  #: late submission penalty (>= 0)
    timestamp: datetime.datetime | None
    duedate: datetime.datetime | None  #: the assignment's due date plus this student's extension

    @property
    def final_score(self):
        """The score ``nbgrader export`` reports: the score minus the late penalty, at least 0."""
        return max(0.0, self.score - self.penalty)

    @property
    def seconds_late(self):
        """Seconds past the due date (0 when on time, or when either date is unknown)."""
        if self.timestamp is None or self.duedate is None:
            return 0.0
        return max(0.0, (self.timestamp - self.duedate).total_seconds())


@dataclass
class Exercise:
    """One graded cell of an assignment and every student's score on it."""

    assignment: str
    notebook: str
    name: str  #: the grade cell's id, e.g. test_initialize_parameters_he
    max_score: float
    scores: dict = field(default_factory=dict)  #: student id -> score

    @property
    def students(self):
        return len(self.scores)

    @property
    def mean(self):
        return sum(self.scores.values()) / len(self.scores) if self.scores else 0.0

    @property
    def share_lost(self):
        """The share of students who scored less than the cell's points."""
        if not self.scores:
            return 0.0
        return sum(score < self.max_score for score in self.scores.values()) / len(self.scores)

    def lost(self):
        """The students who scored less than the cell's points, sorted."""
        return sorted(student for student, score in self.scores.items() if score < self.max_score)


def course_order(names):
    """Assignment ids in course order (coursekit.ASSIGNMENTS), then any others alphabetically."""
    names = set(names)
    return [a for a in ASSIGNMENTS if a in names] + sorted(names - set(ASSIGNMENTS))


def read_submissions(gradebook, assignments):
    """{assignment: {student: Submission}} for the named assignments, from one query."""
    from nbgrader.api import Assignment, SubmittedAssignment

    query = (
        gradebook.db.query(
            Assignment.name,
            SubmittedAssignment.student_id,
            SubmittedAssignment.score,
            SubmittedAssignment.max_score,
            SubmittedAssignment.late_submission_penalty,
            SubmittedAssignment.timestamp,
            SubmittedAssignment.extension,
            Assignment.duedate,
        )
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .filter(Assignment.name.in_(list(assignments)))
    )
    found = {name: {} for name in assignments}
    for name, student, score, max_score, penalty, timestamp, extension, duedate in query:
        if duedate is not None and extension is not None:
            duedate = duedate + extension
        found[name][student] = Submission(
            name, student, float(score or 0), float(max_score or 0), float(penalty or 0), timestamp, duedate
        )
    return found


def read_exercises(gradebook, assignments):
    """{assignment: [Exercise]} in notebook and cell order, every student's scores from one query.

    Exercises that nobody has a grade for yet are left out.
    """
    from nbgrader.api import Assignment, BaseCell, Grade, Notebook, SubmittedAssignment, SubmittedNotebook

    scores = {}  # (assignment, notebook, cell) -> {student: score}
    query = (
        gradebook.db.query(
            Assignment.name, Notebook.name, BaseCell.name, SubmittedAssignment.student_id, Grade.score
        )
        .select_from(Grade)
        .join(BaseCell, Grade.cell_id == BaseCell.id)
        .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .filter(Assignment.name.in_(list(assignments)))
    )
    for assignment, notebook, cell, student, score in query:
        scores.setdefault((assignment, notebook, cell), {})[student] = float(score or 0)

    found = {}
    for name in assignments:
        found[name] = []
        for notebook in gradebook.find_assignment(name).notebooks:
            for cell in notebook.grade_cells + notebook.task_cells:
                got = scores.get((name, notebook.name, cell.name))
                if got:
                    found[name].append(Exercise(name, notebook.name, cell.name, float(cell.max_score), got))
    return found
