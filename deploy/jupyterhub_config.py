"""JupyterHub for a class taking the course: `jupyterhub -f deploy/jupyterhub_config.py`.

Every user gets JupyterLab with the nbgrader extensions of their role:

- instructors (the users listed in DNN_INSTRUCTORS, default "instructor"): formgrader, course list,
  create assignment, assignment list;
- students (everyone else): the Assignments tab (fetch, submit, fetch feedback) and validation only.

Each role's settings live in deploy/jupyter/<role>/ (server extensions, JupyterLab's disabled plugins, and
for students the nbgrader course id and exchange root), which the spawner puts first on the user's
JUPYTER_CONFIG_PATH. The exchange root is NBGRADER_EXCHANGE_ROOT, as in the course's nbgrader_config.py.

Settings from the environment (defaults suit one machine with real Unix accounts):

- DNN_HUB_AUTH: "pam" (the machine's accounts) or "dummy" (any password, or DNN_HUB_PASSWORD: tests, demos);
- DNN_HUB_SPAWNER: "localprocess" (each server runs as its Unix user) or "simple" (all run as the hub's
  user, each in DNN_HUB_HOMES/<name>: tests, demos);
- DNN_CLASS_ROSTER: a file of user names, one a line: only they (and the instructors) may log in;
  without it, any account that can authenticate may;
- DNN_HUB_IP, DNN_HUB_PORT: where the hub listens (127.0.0.1:8000);
- DNN_GRADING_COURSE: the instructor's course directory; if set, the hub starts the grading service
  (``python -m coursekit serve``, grades on submit) as a managed service, and restarts it if it dies;
  DNN_GRADING_USER: the graders' Unix account it runs as (default: the hub's own user).

A class that outgrows one machine keeps this file's role logic and swaps the spawner for JupyterHub's
Kubernetes spawner (see the README).
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file

DEPLOY = Path(__file__).resolve().parent
INSTRUCTORS = {name for name in os.environ.get("DNN_INSTRUCTORS", "instructor").split(",") if name}
EXCHANGE_ROOT = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/usr/local/share/nbgrader/exchange")

c.JupyterHub.ip = os.environ.get("DNN_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("DNN_HUB_PORT", "8000"))

if os.environ.get("DNN_HUB_AUTH", "pam") == "dummy":
    c.JupyterHub.authenticator_class = "dummy"
    if os.environ.get("DNN_HUB_PASSWORD"):
        c.DummyAuthenticator.password = os.environ["DNN_HUB_PASSWORD"]
c.Authenticator.admin_users = INSTRUCTORS
if os.environ.get("DNN_CLASS_ROSTER"):
    roster = Path(os.environ["DNN_CLASS_ROSTER"]).read_text().split()
    c.Authenticator.allowed_users = set(roster) | INSTRUCTORS  # created in the hub's database at start
else:
    c.Authenticator.allow_all = True

SIMPLE_SPAWNER = os.environ.get("DNN_HUB_SPAWNER", "localprocess") == "simple"
if SIMPLE_SPAWNER:
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(
        os.environ.get("DNN_HUB_HOMES", "/tmp"), "{username}"
    )

# The single-user servers run from the same environment as the hub (where helpers is installed).
c.Spawner.cmd = [os.path.join(os.path.dirname(sys.executable), "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"


def role_settings(spawner):
    """Give the user the nbgrader extensions and configuration of their role."""
    role = "instructor" if spawner.user.name in INSTRUCTORS else "student"
    config_path = [str(DEPLOY / "jupyter" / role)]
    if os.environ.get("JUPYTER_CONFIG_PATH"):
        config_path.append(os.environ["JUPYTER_CONFIG_PATH"])
    spawner.environment.update(
        JUPYTER_CONFIG_PATH=os.pathsep.join(config_path),
        NBGRADER_EXCHANGE_ROOT=EXCHANGE_ROOT,
        DNN_ROLE=role,
    )
    if os.geteuid() == 0 and SIMPLE_SPAWNER:
        spawner.args = [*spawner.args, "--allow-root"]  # demo/test hubs run as root in containers


c.Spawner.pre_spawn_hook = role_settings


# Grades on submit: the hub starts, watches and stops the grading service (coursekit/service/).
if os.environ.get("DNN_GRADING_COURSE"):
    grading = {
        "name": "grading",
        "command": [sys.executable, "-m", "coursekit", "--root", os.environ["DNN_GRADING_COURSE"], "serve"],
        "environment": {"NBGRADER_EXCHANGE_ROOT": EXCHANGE_ROOT},
    }
    if os.environ.get("DNN_GRADING_USER"):
        grading["user"] = os.environ["DNN_GRADING_USER"]
    if SIMPLE_SPAWNER:
        # Every server runs as the hub's user here, so a submission's owner cannot tell students apart.
        grading["command"] += ["--policy", "require_owner=False"]
    c.JupyterHub.services = [grading]
