"""A learner's ``make lab``: their own copy of the student version, never overwritten, without instructor tools.

The targets run in a throw-away copy of the course with the suite's own environment (``VENV``): ``make
student`` makes student/<assignment>/<Name>.ipynb from the release; ``make lab`` starts JupyterLab on it
with deploy/jupyter/self-study/ first on the configuration path. The lab is started with exactly the command
``make -n lab`` prints, and asked what a browser would get: its page configuration (which JupyterLab
plugins are disabled) and nbgrader's server routes (which server extensions run). ``make lab-sources``
is the control: the instructors' lab has the formgrader.
"""

import json
import os
import re
import time
import urllib.error
import urllib.request

import nbformat
import pytest

from coursekit.course import assignments
from tests.support.course import (
    MADE_BY_MAKE,
    make,
    make_lab_command,
    nbgrader_meta,
    running_lab,
    self_study_course,
)

INSTRUCTOR_PLUGINS = [
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:assignment-list",
]
INSTRUCTOR_ROUTES = ["/formgrader", "/formgraders", "/assignments"]  # formgrader, course list, exchange

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(not MADE_BY_MAKE, reason="needs the environment `make install` made"),
]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return self_study_course(tmp_path_factory.mktemp("self-study"))


def working_copies(course):
    return {a: next((course / "student" / a).glob("*.ipynb")) for a in assignments(course)}


def test_each_assignment_gets_a_copy_of_the_student_version(course):
    copies = working_copies(course)
    assert sorted(copies) == sorted(assignments(course))
    for assignment, path in copies.items():
        released = next((course / "release" / assignment).glob("*.ipynb"))
        assert path.name == released.name and path.read_bytes() == released.read_bytes()
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        nb = nbformat.read(path, as_version=4)
        assert any(nbgrader_meta(c).get("locked") for c in nb.cells), "the locked test cells are there"


def test_a_learners_work_is_never_overwritten(course):
    path = working_copies(course)["initialization"]
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("My notes: He keeps the variance."))
    nbformat.write(nb, path)
    mine = path.read_bytes()
    release = course / "release" / "initialization" / path.name
    released_at = release.stat().st_mtime
    later = time.time() + 10  # the course's source changes (e.g. after git pull): a newer release
    os.utime(course / "notebooks" / "initialization" / path.name, (later, later))
    make(course, "student")
    assert release.stat().st_mtime > released_at, "the release was regenerated from the newer source"
    assert path.read_bytes() == mine, "the learner's copy was replaced"
    path.unlink()  # a learner who wants a fresh copy removes theirs
    make(course, "student")
    assert path.read_bytes() == release.read_bytes()


def page_config(base, token):
    """The page configuration JupyterLab's /lab page hands the browser."""
    status, page = get(base, token, "/lab")
    assert status == 200
    return json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.DOTALL).group(1))


def get(base, token, route):
    """(status, body) of a GET request to the lab."""
    try:
        with urllib.request.urlopen(f"{base}{route}?token={token}", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_make_lab_serves_the_copies_without_instructor_tools(course):
    command = make_lab_command(course, "lab")
    assert "--notebook-dir=student" in command and "deploy/jupyter/self-study" in command
    with running_lab(course, command) as (base, token):
        status, listing = get(base, token, "/api/contents")
        assert status == 200
        assert sorted(item["name"] for item in json.loads(listing)["content"]) == sorted(assignments(course))
        disabled = page_config(base, token)["disabledExtensions"]
        assert set(INSTRUCTOR_PLUGINS) <= set(disabled), disabled
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        for route in INSTRUCTOR_ROUTES:
            assert get(base, token, route)[0] == 404, f"{route} is served to the learner"
        # The Validate button's request: the blank copy runs, and its tests fail.
        request = urllib.request.Request(
            f"{base}/assignments/validate?path=initialization/Initialization.ipynb&token={token}",
            method="POST",
            data=b"",
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            result = json.loads(response.read())
        assert result["success"] and result["value"].get("failed"), result


def test_make_lab_sources_is_the_instructors_lab(course):
    command = make_lab_command(course, "lab-sources")
    assert "--notebook-dir=notebooks" in command and "self-study" not in command
    with running_lab(course, command) as (base, token):
        assert not set(INSTRUCTOR_PLUGINS) & set(page_config(base, token)["disabledExtensions"])
        assert get(base, token, "/formgrader")[0] == 200
