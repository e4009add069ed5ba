"""The course directory, laid out as nbgrader expects it, and nbgrader's API on it.

    nbgrader_config.py                      the course's nbgrader configuration
    notebooks/<assignment>/<Name>.ipynb     source notebooks (solutions and hidden tests)
    submitted/<student>/<assignment>/       what a student handed in
    autograded/, feedback/, release/        what nbgrader writes
    gradebook.db                            the gradebook, unless CourseDirectory.db_url names another

coursekit drives nbgrader in one way only: through its Python API (``nbgrader_api``), never its
command line. A grading process grades many submissions against its own scratch gradebook and needs
each result as data (success, log, error) instead of an exit status and printed text; starting a new
Python for every call would cost more than grading a notebook; and the API reads exactly the course's
nbgrader_config.py (``load_config``), whatever the current directory and the user's own Jupyter
configuration.
"""

import os
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

from coursekit import ASSIGNMENTS, COURSE_ROOT


def assignments(root=COURSE_ROOT):
    """The assignment ids that have a source folder under notebooks/, in course order."""
    return [a for a in ASSIGNMENTS if any(source_folder(a, root).glob("*.ipynb"))]


def source_folder(assignment, root=COURSE_ROOT):
    """notebooks/<assignment>/: the assignment's source notebooks and the files released with them."""
    return Path(root) / "notebooks" / assignment


def source_notebook(assignment, root=COURSE_ROOT):
    """The path of an assignment's (single) source notebook, notebooks/<assignment>/<Name>.ipynb."""
    (path,) = source_folder(assignment, root).glob("*.ipynb")
    return path


def notebook_names(assignment, root=COURSE_ROOT):
    """The file names of an assignment's source notebooks, sorted: what a submission must contain."""
    return sorted(p.name for p in source_folder(assignment, root).glob("*.ipynb"))


def submitted_folder(student, assignment, root=COURSE_ROOT):
    """submitted/<student>/<assignment>/."""
    return Path(root) / "submitted" / student / assignment


def submitted_students(assignment, root=COURSE_ROOT):
    """Students with a submitted/<student>/<assignment>/ folder, sorted."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(d.name for d in submitted.iterdir() if (d / assignment).is_dir())


def load_config(root=COURSE_ROOT):
    """The course's nbgrader configuration, as nbgrader itself would load it from ``root``."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def gradebook_url(root=COURSE_ROOT):
    """The course gradebook's database URL: CourseDirectory.db_url, or root/gradebook.db."""
    return load_config(root).CourseDirectory.get("db_url") or f"sqlite:///{Path(root) / 'gradebook.db'}"


def nbgrader_api(root=COURSE_ROOT, **course_directory):
    """nbgrader's API (``NbGraderAPI``) on the course ``root``, configured by its nbgrader_config.py.

    ``course_directory`` overrides CourseDirectory settings, e.g. ``db_url`` (a worker's scratch
    gradebook) or ``submitted_directory`` (a folder name under ``root``, or an absolute path).
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = load_config(root)
    for name, value in course_directory.items():
        setattr(config.CourseDirectory, name, str(value))
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def scripts_on_path(env):
    """A copy of the environment ``env`` with this Python's scripts folder first on PATH.

    For a subprocess that runs nbgrader (``env=scripts_on_path(os.environ)``): nbgrader creates a
    gradebook's tables by running the ``alembic`` script of its own environment.
    """
    env = dict(env)
    scripts = os.path.dirname(sys.executable)
    if scripts not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    return env


@contextmanager
def nbgrader_environment():
    """What nbgrader needs of this process while a command runs; undone afterwards.

    - this Python's scripts folder first on PATH: nbgrader creates a gradebook's tables by running
      the ``alembic`` script of its own environment, which is not on PATH when the environment is
      used without being activated;
    - nbgrader's own gradebook code triggers SQLAlchemy's "not in session" notices when it creates a
      submission: they are silenced.
    """
    from sqlalchemy.exc import SAWarning

    saved = os.environ.get("PATH")
    os.environ["PATH"] = scripts_on_path(os.environ)["PATH"]
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=SAWarning, message=".*not in session.*")
            yield
    finally:
        if saved is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = saved


#: nbgrader's own summary lines of a failure, which say nothing of its cause.
NBGRADER_GENERIC = ("Please see the the above traceback", "There was an error processing")


def api_error(result):
    """The line that says what went wrong in a failed ``NbGraderAPI`` call's result (its error or log).

    nbgrader's exception often says only "see the above traceback" (``NBGRADER_GENERIC``): the cause is
    then the last other error line, in the error text or else in the log.
    """
    texts = [result.get("error") or "", result.get("log") or ""]
    lines = [[line.strip() for line in text.splitlines() if line.strip()] for text in texts]
    errors = [[line for line in found if "Error" in line or "error" in line] for found in lines]
    causes = [[line for line in found if not any(g in line for g in NBGRADER_GENERIC)] for found in errors]
    for candidates in (*causes, *errors, *lines):
        if candidates:
            return candidates[-1][:500]
    return "unknown error"
