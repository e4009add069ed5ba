"""Instructor and maintainer tooling for the course: release, autograde, feedback and benchmarks.

Students never need this package; their notebooks import ``helpers`` only.
"""

import os
import sys
from pathlib import Path

#: The course directory (the repository root): nbgrader_config.py, notebooks/, release/, ...
COURSE_ROOT = Path(__file__).resolve().parent.parent
#: Assignment ids, one per folder of notebooks/.
ASSIGNMENTS = (
    "initialization",
    "regularization",
    "gradient_checking",
    "optimization",
    "hyperparameter_tuning",
)


def scripts_on_path(env=None):
    """``env`` (default: this process's environment) with this Python's scripts folder first on PATH.

    nbgrader runs its database migrations through the ``alembic`` script of its own environment,
    which is not on PATH when the environment is used without being activated.
    """
    env = os.environ if env is None else env
    scripts = os.path.dirname(sys.executable)
    if scripts not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    return env
