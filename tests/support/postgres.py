"""A throw-away PostgreSQL server on localhost for the gradebook tests (Debian's postgresql package).

``.ci/run`` installs the package, so CI always runs these tests; on a developer's machine without it
they skip with the command that installs it.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager

import pytest

from tests.support import free_port

INSTALL_HINT = "install PostgreSQL's server: sudo apt-get install postgresql"


def server_binaries():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    return os.path.dirname(found[-1]) if found else None


#: {url: (stop, start)} of the servers running now.
_controls = {}


@contextmanager
def stopped(url):
    """The server of ``url`` (from ``postgres_server``) is down inside the block, up again after it."""
    stop, start = _controls[url]
    stop()
    try:
        yield
    finally:
        start()


@contextmanager
def postgres_server():
    """Start a server in a temporary folder and yield a SQLAlchemy URL of an empty database."""
    bin_dir = server_binaries()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    # Not under pytest's tmp_path: the postgres user must be able to reach the folder.
    directory = tempfile.mkdtemp(prefix="gradebook-pg-")
    data, sockets = os.path.join(directory, "pgdata"), os.path.join(directory, "pgsock")
    os.makedirs(data)
    os.makedirs(sockets)
    # The server refuses to run as root: run it as the package's postgres user then.
    prefix = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (directory, data, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    log = os.path.join(sockets, "server.log")

    def run(*args):
        subprocess.run(prefix + list(args), check=True, capture_output=True, text=True)

    def start():
        run(
            f"{bin_dir}/pg_ctl", "-D", data, "-l", log, "-w", "start",
            "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1",
        )  # fmt: skip

    def stop():
        run(f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop")

    run(f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    start()
    url = f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    _controls[url] = (stop, start)
    try:
        run(f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "gradebook")
        yield url
    finally:
        _controls.pop(url, None)
        subprocess.run(
            prefix + [f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        time.sleep(0.1)
        shutil.rmtree(directory, ignore_errors=True)
