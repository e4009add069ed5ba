"""The grading sandbox against a hostile student (issue 22): every attack in one kernel, as the suite's user.

One notebook (tests/support/attacks.py) tries each attack in turn while the grading process holds
secrets of its own: a variable in its environment, a private key in its home (a folder outside /tmp,
as a real home is), a course folder with source notebooks and a gradebook, a TCP port and an abstract
Unix socket listening for the token. tests/system/test_sandbox.py runs the same notebook with grading
done as the graders' account and as root.
"""

import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from tests.support import attacks

#: A variable of the grading process the kernel must not see, as a database password would be.
SECRET_VARIABLE = "PGPASSWORD"


class Listener:
    """A TCP port and an abstract Unix socket on this machine that record what they receive."""

    def __init__(self, token):
        self.received = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.unix = socket.socket(socket.AF_UNIX)
        self.abstract = f"dnn-sandbox-test-{token}"
        self.unix.bind("\0" + self.abstract)
        self.unix.listen()
        self.port = self.tcp.getsockname()[1]
        self.threads = [
            threading.Thread(target=self._serve, args=(s,), daemon=True) for s in (self.tcp, self.unix)
        ]
        for thread in self.threads:
            thread.start()

    def _serve(self, server):
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return  # closed
            with connection:
                self.received.append(connection.recv(100))

    def close(self):
        for server in (self.tcp, self.unix):
            server.close()


def make_targets(base, token, listener):
    """Secrets of the grading side under ``base``: a home with a key, a course with a gradebook."""
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_ed25519"
    key.write_text(f"-----BEGIN OPENSSH PRIVATE KEY----- {token}\n")
    course = base / "course"
    (course / "notebooks" / "initialization").mkdir(parents=True)
    source = course / "notebooks" / "initialization" / "Initialization.ipynb"
    source.write_text(f'{{"solution": "{token}"}}')
    gradebook = course / "gradebook.db"
    gradebook.write_bytes(b"SQLite format 3\0" + token.encode())
    folder = course / "autograded" / "mallory" / "initialization"
    folder.mkdir(parents=True)
    targets = {
        "paths": [str(key), str(source), str(gradebook), "../../../gradebook.db", "/etc/shadow"],
        "gradebook": [str(gradebook)],
        "port": listener.port,
        "abstract": listener.abstract,
        "token": token,
    }
    return targets, home, folder, gradebook


def stray_processes(token):
    """Processes of this machine whose command line carries ``token`` (only the attacks' own)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if token in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


@pytest.fixture(scope="module")
def attacked():
    """The attack notebook, graded once: its cells (nb), what each attack found, the token, the listener,
    the gradebook and the processes of the attacks left after grading."""
    token = os.urandom(8).hex()
    # A folder outside /tmp, as the graders' home and course are (the old sandbox hid /tmp as a whole).
    base = Path(tempfile.mkdtemp(prefix="dnn-sandbox-test-", dir="/var/tmp"))
    listener = Listener(token)
    targets, home, folder, gradebook = make_targets(base, token, listener)
    saved = {name: os.environ.get(name) for name in (SECRET_VARIABLE, "HOME")}
    os.environ.update({SECRET_VARIABLE: f"secret-{token}", "HOME": str(home)})
    try:
        nb = attacks.execute(attacks.notebook(targets), folder)
        yield SimpleNamespace(
            nb=nb, found=attacks.found(nb), token=token, listener=listener, gradebook=gradebook,
            left=stray_processes(token), grader=" ".join(psutil.Process().cmdline()) + " ",
        )  # fmt: skip
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.update({name: value})
        listener.close()
        for process in stray_processes(token):
            process.kill()
        shutil.rmtree(base, ignore_errors=True)


def test_the_kernel_sees_no_secret_of_the_graders_environment(attacked):
    assert attacked.token not in str(attacked.found["env"]), (
        "a secret of the grading process reached the kernel"
    )
    assert SECRET_VARIABLE not in attacked.found["env"]["own"]


def test_no_file_outside_the_kernel_s_view_is_readable(attacked):
    read = {path: value for path, value in attacked.found["files"].items() if str(value).startswith("READ")}
    assert not read, f"the kernel read {read}"
    assert attacked.found["files"]["ls /home"] == ["student"], "other users' homes are visible"
    root = attacked.found["files"]["ls /root"]
    assert ".ssh" not in (root if isinstance(root, list) else []), "root's home is visible"
    for folder in ("/var", "/srv"):
        assert attacked.found["files"][f"ls {folder}"] == "FileNotFoundError", f"{folder} is visible"


def test_the_kernel_has_no_network(attacked):
    assert attacked.found["network"] == {
        "tcp": "ConnectionRefusedError",
        "abstract": "ConnectionRefusedError",
    }
    assert not attacked.listener.received


def test_no_process_of_the_kernel_outlives_its_cell_or_grading(attacked):
    assert not attacked.left, f"still running after grading: {attacked.left}"
    assert not any(attacked.found["after_detach"].values()), "a detached process outlived its cell"
    assert any("BackgroundProcesses" in e for e in attacks.errors(attacked.nb, "detach"))


def test_the_kernel_sees_only_its_own_processes_and_no_way_out_through_proc(attacked):
    commands = attacked.found["proc"]["commands"].values()
    assert attacked.grader not in commands, "the kernel sees the grading process"
    assert not attacked.found["proc"]["ways_out"]
    assert attacked.found["proc"]["uid"] != 0, "the kernel runs with root's rights"
    assert attacked.gradebook.read_bytes().startswith(b"SQLite format 3")


@pytest.mark.parametrize(
    "attack, limit, message",
    [
        ("disk_tmp", "disk_limit_mb", "DiskLimit: your code wrote more than 50 MB"),
        ("disk_folder", "disk_limit_mb", "DiskLimit: your code wrote more than 50 MB"),
        ("fork", "max_processes", "ProcessLimit: your code started more than 32 processes"),
    ],
)
def test_a_limit_stops_the_attack_and_says_so_in_its_cell(attacked, attack, limit, message):
    reached = attacked.found[attack] >> 20 if attack.startswith("disk") else attacked.found[attack]
    assert reached <= attacks.LIMITS[limit], f"{attack} went past the limit: {attacked.found[attack]}"
    assert any(e.startswith(message) for e in attacks.errors(attacked.nb, attack)), attacks.errors(
        attacked.nb, attack
    )


def test_the_cpu_limit_stops_the_kernel_and_grading_goes_on(attacked):
    assert any(
        e.startswith("CPULimit: the kernel used more than 2 s") for e in attacks.errors(attacked.nb, "cpu")
    )
    assert attacked.found["after_cpu"], "later cells ran in a new kernel"
