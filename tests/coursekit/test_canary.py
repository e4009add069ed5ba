"""The canary: a grading process grades the source solution before any submission (issue #19), once per
environment and assignment (issue 23 item 13: its result is cached under a key of what it depends on).

A grading environment that cannot give the source solution full marks (here: a kernel whose Python
cannot import helpers, as with a second checkout sharing another checkout's virtual environment)
must stop grading before the course gradebook is touched, say why, and exit non-zero; a correct one
passes, and the sandbox shows the kernel the packages its own Python imports.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.course import nbgrader_environment
from coursekit.kernel.sandbox import kernel_paths
from coursekit.release import release
from coursekit.workers import CanaryCache, Grader, canary, canary_key
from tests.support import REPO
from tests.support.course import make_course, python_without_helpers, source_notebook, submit

ASSIGNMENT = "initialization"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("canary")
    make_course(root)
    release(root, [ASSIGNMENT])
    path = source_notebook(ASSIGNMENT, root)
    for student in ("ada", "bob"):
        submit(root, student, ASSIGNMENT, nbformat.read(path, as_version=4), path.name)
    return root


@pytest.fixture
def open_folder():
    """A folder others can read, as a kernel's Python environment must be (grading as root, kernels run
    as the unprivileged sandbox user); pytest's own temporary folders are private to the suite's user."""
    folder = Path(tempfile.mkdtemp(prefix="canary-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_kernel_that_cannot_import_helpers_stops_grading(course, tmp_path, open_folder):
    python = python_without_helpers(open_folder / "venv")
    assert subprocess.run([python, "-c", "import numpy, ipykernel"], check=False).returncode == 0
    # The course's "python3" kernel now runs that Python (JUPYTER_PATH comes first).
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    env = dict(os.environ, JUPYTER_PATH=str(tmp_path / "jupyter"))
    command = [sys.executable, "-m", "coursekit", "--root", str(course), "autograde", "-j", "2", ASSIGNMENT]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "canary failed" in result.stderr
    assert "cannot import helpers" in result.stderr
    assert "'%load_ext helpers.notebook'" in result.stderr, "the message names the failing cell"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert gradebook.find_assignment(ASSIGNMENT).submissions == [], "no grade may be recorded"
        assert gradebook.students == []


def test_a_correct_set_up_passes_the_canary(course, tmp_path):
    shutil.copy(course / "gradebook.db", tmp_path / "scratch.db")
    db_url = f"sqlite:///{tmp_path / 'scratch.db'}"
    seconds = canary(course, ASSIGNMENT, db_url)
    assert 0 < seconds < 60
    with Gradebook(db_url) as gradebook:
        assert gradebook.find_assignment(ASSIGNMENT).submissions == [], "the canary leaves no submission"
    assert not (course / "autograded").exists(), "the canary works in a scratch folder"


def test_the_sandbox_shows_what_the_kernels_python_imports(tmp_path):
    import coursekit
    import helpers

    package = str(Path(helpers.__file__).resolve().parent)
    assert package in kernel_paths(sys.executable)
    assert str(Path(coursekit.__file__).resolve().parent) in kernel_paths(sys.executable)
    assert package not in kernel_paths(str(python_without_helpers(tmp_path / "venv")))


# --- the cache of passed canaries (issue 23 item 13: every start and every run paid for them) -----------------
def fake_identity(folder):
    """A kernel identity (as kernel_identity gives it) whose helpers and coursekit live in ``folder``."""
    for name in ("helpers", "coursekit"):
        (folder / name).mkdir(parents=True, exist_ok=True)
        (folder / name / "__init__.py").write_text(f"# {name}\n")
    (folder / "datasets").mkdir(exist_ok=True)
    (folder / "datasets" / "data.csv").write_text("1,2\n")
    probe = {"version": "3.x", "packages": {n: [str(folder / n)] for n in ("helpers", "coursekit")}}
    return json.dumps({"argv": ["python"], "env": {}, "probe": probe}, sort_keys=True)


def test_the_canary_key_changes_with_everything_its_result_depends_on(course, tmp_path):
    identity = fake_identity(tmp_path / "env")
    config = (course / "nbgrader_config.py").read_text()
    key = canary_key(course, ASSIGNMENT, identity)
    assert canary_key(course, ASSIGNMENT, identity) == key, "the same environment, the same key"
    assert canary_key(course, "optimization", identity) != key
    changes = {
        "a helpers source": lambda: (tmp_path / "env" / "helpers" / "__init__.py").write_text("# changed\n"),
        "a coursekit source": lambda: (tmp_path / "env" / "coursekit" / "new.py").write_text("x = 1\n"),
        "a dataset": lambda: (tmp_path / "env" / "datasets" / "data.csv").write_text("1,3\n"),
        "the course configuration": lambda: (course / "nbgrader_config.py").write_text(
            config + "\n# changed\n"
        ),
        "the source notebook": lambda: (course / "notebooks" / ASSIGNMENT / "extra.txt").write_text("x"),
    }
    seen = {key}
    try:
        for what, change in changes.items():
            change()
            new = canary_key(course, ASSIGNMENT, identity)
            assert new not in seen, f"{what} changed, the key did not"
            seen.add(new)
        other_kernel = identity.replace('"3.x"', '"3.y"')  # another Python, or other packages
        assert canary_key(course, ASSIGNMENT, other_kernel) not in seen
    finally:
        (course / "notebooks" / ASSIGNMENT / "extra.txt").unlink(missing_ok=True)
        (course / "nbgrader_config.py").write_text(config)


def test_a_cache_others_may_write_is_not_trusted(tmp_path):
    cache = CanaryCache(tmp_path / "cache")
    with cache.running("k1"):
        cache.remember("k1", ASSIGNMENT, 2.5)
    assert cache.passed("k1") and not cache.passed("k2")
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "cache" / "k1.json").stat().st_mode & 0o077 == 0
    (tmp_path / "cache" / "k1.json").chmod(0o666)  # anyone could have written it
    assert not cache.passed("k1")
    (tmp_path / "cache" / "k1.json").chmod(0o600)
    (tmp_path / "cache").chmod(0o777)
    assert not cache.passed("k1")
    (tmp_path / "cache").chmod(0o700)
    os.chown(tmp_path / "cache" / "k1.json", 12345, 12345)  # another user's
    assert not cache.passed("k1")


def test_a_passed_canary_is_not_run_again_in_an_unchanged_environment(course, tmp_path, monkeypatch):
    import coursekit.workers

    runs = []
    monkeypatch.setattr(coursekit.workers, "canary", lambda *args: runs.append(args) or 1.5)
    cache = CanaryCache(tmp_path / "cache")
    with nbgrader_environment():
        first = Grader(course, f"sqlite:///{course / 'gradebook.db'}", cache=cache)
        first.check(ASSIGNMENT)
        second = Grader(course, f"sqlite:///{course / 'gradebook.db'}", cache=cache)
        second.check(ASSIGNMENT)
    assert len(runs) == 1
    assert (first.canary_seconds, first.canaries_cached) == (1.5, 0)
    assert (second.canary_seconds, second.canaries_cached) == (0.0, 1)
