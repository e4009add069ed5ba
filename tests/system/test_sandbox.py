"""The grading sandbox against a hostile student, with grading run by a real graders' account and by root.

tests/coursekit/kernel/test_sandbox.py runs the attack notebook (tests/support/attacks.py) in the test
process; here a process of its own grades it, as the graders' account ``dnn-instructor`` (the README's
set-up) and as root (CI, containers, many class servers), each with its secrets where a real set-up
keeps them: a private key in ``~/.ssh`` of its home (a folder of the test's, outside /tmp, private to
that user and its HOME), a database password in its environment, the course (source notebook,
gradebook) next to it, grading run from the course folder. As root the kernel must run as the unprivileged sandbox user, never as root.
"""

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from tests.support import REPO, attacks
from tests.support.attacks import SECRET_VARIABLE, make_targets, stray_processes
from tests.support.users import INSTRUCTOR, requirements

pytestmark = pytest.mark.system

#: Seconds a grading of the attack notebook may take (it hits every limit; the machine may be busy).
PATIENCE_S = 300
SANDBOX_USER = "dnn-sandbox"


def grader_command(user, home, spec):
    """(command line, grading process's own command line): grade the attack notebook as ``user``, with
    its home and a secret in its environment."""
    env = {
        "HOME": str(home),
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        SECRET_VARIABLE: f"secret-{spec['targets']['token']}",
    }
    script = [sys.executable, str(REPO / "tests" / "support" / "attacks.py"), str(spec["path"])]
    command = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *script]
    return (command if user == "root" else ["runuser", "-u", user, "--", *command]), " ".join(script) + " "


@pytest.fixture(scope="module", params=[INSTRUCTOR, "root"])
def attacked(request):
    user = request.param
    reason = requirements()
    if reason and os.environ.get("CI"):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    entry = pwd.getpwnam(user)
    with attacks.grading_side("dnn-sandbox-system-") as (token, listener, base):
        os.chmod(base, 0o755)
        targets, home, folder, gradebook = make_targets(base, token, listener)
        home.chmod(0o700)  # a home: private to its user
        spec = {
            "targets": targets,
            "folder": str(folder),
            "out": str(home / "graded.ipynb"),
            "path": str(base / "spec.json"),
        }
        Path(spec["path"]).write_text(json.dumps(spec))
        Path(spec["path"]).chmod(0o644)
        subprocess.run(
            ["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(home), str(base / "course")], check=True
        )
        command, grader = grader_command(user, home, spec)
        # Grading runs from the course folder, as make autograde does.
        result = subprocess.run(
            command, check=False, cwd=base / "course", capture_output=True, text=True, timeout=PATIENCE_S
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        nb = nbformat.read(spec["out"], as_version=4)
        yield SimpleNamespace(
            user=user, nb=nb, found=attacks.found(nb), token=token, grader=grader, received=listener.received,
            left=stray_processes(token), gradebook=gradebook.read_bytes(), not_uids={0},
        )  # fmt: skip


@pytest.mark.parametrize("attack", attacks.ATTACKS)
def test_the_attack_fails_whoever_grades(attacked, attack):
    assert not attacks.verdicts(attacked)[attack]


def test_as_root_the_kernel_runs_as_the_sandbox_user(attacked):
    uid = attacked.found["proc"]["uid"]
    expected = pwd.getpwnam(SANDBOX_USER if attacked.user == "root" else attacked.user).pw_uid
    assert uid == expected, f"grading as {attacked.user}, the kernel ran as uid {uid}"
