"""Real, separate Unix users for the exchange and grading-service tests: an instructor and students.

``.ci/run`` creates the users and the graders' group; the tests need root to act as each of them.
"""

import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from tests.support import REPO
from tests.support.course import make_course

INSTRUCTOR, ALICE, BOB, CAROL = "dnn-instructor", "dnn-alice", "dnn-bob", "dnn-carol"
GRADERS = "dnn-graders"  # the instructor's group; the students are not in it
COURSE = "improving-dnn"


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def runnable_by(user):
    command = ["runuser", "-u", user, "--", sys.executable, "-c", "import nbgrader"]
    result = subprocess.run(command, check=False, capture_output=True)
    return result.returncode == 0


def requirements():
    if os.geteuid() != 0:
        return "needs root to act as separate users"
    missing = [u for u in (INSTRUCTOR, ALICE, BOB, CAROL) if not user_exists(u)]
    if missing:
        return f"users {missing} missing: .ci/run creates them (useradd)"
    if INSTRUCTOR not in grp.getgrnam(GRADERS).gr_mem if group_exists(GRADERS) else True:
        return f"group {GRADERS} with member {INSTRUCTOR} missing: .ci/run creates it"
    if not runnable_by(ALICE):
        return f"{ALICE} cannot run {sys.executable}: make its folders traversable (.ci/run does, chmod o+x)"
    return None


def command_as(ex, user, *args, env_extra=None):
    """The command line that runs ``args`` as ``user``, with their home and side of the nbgrader configuration
    (and ``env_extra``, {name: value}, in its environment)."""
    env = {
        "HOME": str(ex["homes"][user]),
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
        "NBGRADER_EXCHANGE_ROOT": str(ex["root"]),
        "LANG": "C.UTF-8",
    }
    if user != INSTRUCTOR:
        env["JUPYTER_CONFIG_DIR"] = str(ex["student_config"])
    env.update(env_extra or {})
    return ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *args]


def as_user(ex, user, *args, cwd=None, check=True):
    """Run a command as ``user``, in their home (see ``command_as``)."""
    result = subprocess.run(
        command_as(ex, user, *args), cwd=cwd or ex["homes"][user], capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} as {user} failed:\n{result.stdout}\n{result.stderr}")
    return result


def nbgrader(ex, user, *args, **kwargs):
    return as_user(ex, user, sys.executable, "-m", "nbgrader", *args, **kwargs)


def python_as(ex, user, code, check=False):
    return as_user(ex, user, sys.executable, "-c", code, check=check)


def write_as(ex, user, path, nb):
    """Write a notebook into a user's home as that user (as if they had saved it in JupyterLab)."""
    staged = Path(tempfile.mkdtemp()) / "staged.ipynb"
    nbformat.write(nb, staged)
    os.chmod(staged.parent, 0o755)
    os.chmod(staged, 0o644)
    as_user(ex, user, "cp", str(staged), str(path))
    shutil.rmtree(staged.parent)


def make_exchange(users=(INSTRUCTOR, ALICE, BOB), prefix="dnn-exchange-test-"):
    """An exchange root, a private home per user and the instructor's course copy; fails or skips without users.

    Returns {"base", "root", "homes", "course", "student_config"}; remove ``base`` afterwards.
    """
    reason = requirements()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(base, 0o755)
    root = base / "exchange"
    root.mkdir()
    os.chmod(root, 0o1777)  # as nbgrader requires of its exchange root
    homes = {}
    for user in users:
        home = base / user
        home.mkdir()
        entry = pwd.getpwnam(user)
        os.chown(home, entry.pw_uid, entry.pw_gid)
        os.chmod(home, 0o700)
        homes[user] = home
    student_config = REPO / "deploy" / "jupyter" / "student"
    # The instructor's course directory, in the instructor's private home.
    course = homes[INSTRUCTOR] / "course"
    course.mkdir()
    make_course(course)
    subprocess.run(["chown", "-R", INSTRUCTOR, str(course)], check=True)
    return {"base": base, "root": root, "homes": homes, "course": course, "student_config": student_config}
