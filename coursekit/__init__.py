"""Instructor and maintainer tooling for the course: release, autograde, feedback and benchmarks.

Students never need this package; their notebooks import ``helpers`` only.
"""

from pathlib import Path

#: The course directory (the repository root): nbgrader_config.py, notebooks/, release/, ...
COURSE_ROOT = Path(__file__).resolve().parent.parent
#: Assignment ids, one per folder of notebooks/.
ASSIGNMENTS = ("initialization", "regularization", "gradient_checking", "optimization")
