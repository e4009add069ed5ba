"""The course gradebook's single writer.

Grading processes never write the course gradebook (SQLite is not safe for concurrent writers): each
returns an ``Outcome`` (``coursekit.workers``), and one process records it here, replacing earlier
automatic scores, so that grading again never counts a submission twice. The gradebook is SQLite by
default, PostgreSQL when ``CourseDirectory.db_url`` says so.
"""

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
