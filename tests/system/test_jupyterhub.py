"""A real JupyterHub for a class (deploy/jupyterhub_config.py) on localhost.

The instructor releases an assignment to the exchange; a student logs in through the hub's REST API,
starts their server, and lists the released assignment through nbgrader's assignment-list API. The
student's server has no formgrader; the instructor's has. The hub runs the grading service. The proxy is the configurable-http-proxy
package from PyPI.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support import REPO, free_port, wait_until
from tests.support.course import make_course

pytestmark = pytest.mark.system

ASSIGNMENT = "initialization"
COURSE = "improving-dnn"
PASSWORD = "class-password"
START_TIMEOUT = 90  # seconds for the hub, then for a user's server
GRADING_TIMEOUT = 120  # seconds for the service's start (its canaries) and one grading


def request(url, method="GET", token=None, body=None):
    """(status, parsed JSON or text) of an HTTP request."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


@pytest.fixture(scope="module")
def hub_run():
    """(hub URL, hub log, course directory) of a running hub."""
    base = Path(tempfile.mkdtemp(prefix="dnn-hub-test-"))
    exchange = base / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o1777)
    course = base / "course"
    course.mkdir()
    make_course(course)
    env = dict(os.environ, NBGRADER_EXCHANGE_ROOT=str(exchange))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # nbgrader's alembic
    for step in ("generate_assignment", "release_assignment"):  # as the instructor types them
        subprocess.run(
            [sys.executable, "-m", "nbgrader", step, ASSIGNMENT],
            cwd=course,
            env=env,
            capture_output=True,
            check=True,
        )
    (base / "homes").mkdir()
    (base / "roster.txt").write_text("alice\nbob\n")
    port = free_port()
    env.update(
        DNN_HUB_AUTH="dummy",
        DNN_HUB_PASSWORD=PASSWORD,
        DNN_HUB_SPAWNER="simple",
        DNN_HUB_HOMES=str(base / "homes"),
        DNN_HUB_PORT=str(port),
        DNN_INSTRUCTORS="teacher",
        DNN_CLASS_ROSTER=str(base / "roster.txt"),
        DNN_GRADING_COURSE=str(course),
    )
    command = [
        sys.executable, "-m", "jupyterhub", "-f", str(REPO / "deploy" / "jupyterhub_config.py"),
        f"--JupyterHub.hub_port={free_port()}", f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}",
    ]  # fmt: skip
    log = open(base / "hub.log", "w")  # noqa: SIM115 -- closed below
    process = subprocess.Popen(command, cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return request(f"{url}/hub/api/")[0] == 200
        except OSError:
            return False

    wait_until(
        up,
        "JupyterHub to start",
        START_TIMEOUT,
        details=lambda: (base / "hub.log").read_text()[-3000:],
        alive=lambda: process.poll() is not None and f"JupyterHub exited with {process.returncode}",
    )
    yield url, base / "hub.log", course
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def hub(hub_run):
    return hub_run[0]


def login(url, name):
    """A token for ``name``, obtained with their username and password through the REST API."""
    status, reply = request(
        f"{url}/hub/api/users/{name}/tokens",
        method="POST",
        body={"auth": {"username": name, "password": PASSWORD}, "note": "test", "expires_in": 600},
    )
    assert status in (200, 201), reply
    return reply["token"]


def start_server(url, name, token):
    status, reply = request(f"{url}/hub/api/users/{name}/server", method="POST", token=token, body={})
    assert status in (201, 202), reply

    def ready():
        _, user = request(f"{url}/hub/api/users/{name}", token=token)
        return isinstance(user, dict) and user.get("servers", {}).get("", {}).get("ready")

    wait_until(ready, f"{name}'s server", START_TIMEOUT)


def test_student_lists_the_released_assignment(hub):
    token = login(hub, "alice")
    start_server(hub, "alice", token)
    status, reply = request(f"{hub}/user/alice/assignments?course_id={COURSE}", token=token)
    assert status == 200, reply
    assert reply["success"], reply
    released = [(a["course_id"], a["assignment_id"], a["status"]) for a in reply["value"]]
    assert (COURSE, ASSIGNMENT, "released") in released
    # A student has no formgrader.
    status, _ = request(f"{hub}/user/alice/formgrader", token=token)
    assert status == 404


def test_wrong_password_or_unknown_user_gets_no_token(hub):
    for name, password in (("bob", "guess" + secrets.token_hex(4)), ("mallory", PASSWORD)):
        status, _ = request(
            f"{hub}/hub/api/users/{name}/tokens",
            method="POST",
            body={"auth": {"username": name, "password": password}},
        )
        assert status == 403, name


def test_instructor_has_the_formgrader(hub):
    token = login(hub, "teacher")
    start_server(hub, "teacher", token)
    status, _ = request(f"{hub}/user/teacher/formgrader", token=token)
    assert status == 200


def test_the_hub_runs_the_grading_service_which_grades_a_submit_from_the_assignments_tab(hub_run):
    url, log, _ = hub_run
    token = login(url, "bob")
    start_server(url, "bob", token)
    query = f"course_id={COURSE}&assignment_id={ASSIGNMENT}"
    for action in ("fetch", "submit"):  # the Assignments tab's own requests
        status, reply = request(
            f"{url}/user/bob/assignments/{action}?{query}", method="POST", token=token, body={}
        )
        assert status == 200 and reply["success"], reply
    # The demo hub (simple spawner) runs every server as the hub's one Unix user, whose name nbgrader
    # submits under: not bob.
    wait_until(
        lambda: re.search(rf"graded [^/ ]+/{ASSIGNMENT} ", log.read_text()),
        "the grading service to grade the submission",
        GRADING_TIMEOUT,
        details=lambda: log.read_text()[-4000:],
    )
    status, reply = request(
        f"{url}/user/bob/assignments/fetch_feedback?{query}", method="POST", token=token, body={}
    )
    assert status == 200 and reply["success"], reply
    status, reply = request(f"{url}/user/bob/assignments?course_id={COURSE}", token=token)
    (submitted,) = [
        a for a in reply["value"] if a["assignment_id"] == ASSIGNMENT and a["status"] == "submitted"
    ]
    assert any(s.get("has_local_feedback") for s in submitted["submissions"]), submitted
