"""What coursekit.course says of a failed nbgrader call."""

from coursekit.course import api_error

#: nbgrader's log of an assignment whose kernel could not start: the cause, then two generic closing lines.
LOG = """\
[AutogradeApp | ERROR] grading as root, kernels run as dnn-sandbox, which cannot read /opt/x
Traceback (most recent call last):
RuntimeError: grading as root, kernels run as dnn-sandbox, which cannot read /opt/x
[AutogradeApp | ERROR] There was an error processing assignment 'init' for student 'ann'
[AutogradeApp | ERROR] Please see the the above traceback for details on the specific errors on the above failures.
"""


def test_the_cause_is_named_rather_than_nbgraders_closing_lines():
    assert (
        api_error({"log": LOG})
        == "RuntimeError: grading as root, kernels run as dnn-sandbox, which cannot read /opt/x"
    )


def test_an_error_that_only_points_at_the_traceback_gives_the_logs_cause():
    error = "Traceback (most recent call last):\nNbGraderException: Please see the the above traceback for details"
    assert api_error({"error": error, "log": LOG}).startswith("RuntimeError: grading as root")
    assert api_error({"error": error}) == error.splitlines()[-1]


def test_without_a_specific_line_the_last_error_or_line_is_given():
    assert api_error({"error": "first\nValueError: bad\nlast"}) == "ValueError: bad"
    assert api_error({"log": "only a line\n"}) == "only a line"
    assert api_error({}) == "unknown error"
