"""How the whole suite (tests/ and the notebooks nbval runs) is split among parallel test processes.

``make test`` runs pytest with pytest-xdist: ``-n <cores> --dist loadgroup --no-loadscope-reorder`` (the
Makefile says why). With ``--dist loadgroup`` the tests of one group always run in one process, in
order, so this hook puts every test into a group:

- a test that names its group (``@pytest.mark.xdist_group("...")``) keeps it;
- a test that uses one of the expensive session fixtures of ``SHARED`` joins that fixture's group (one
  per parameter of a parametrized one): the fixture is then made once, in one process; e.g. each
  assignment's graded course (tests/notebooks/test_grading.py), or the graded class that the report and
  LMS tests share;
- every other test is grouped with the rest of its file: module-scoped fixtures (a course, a server, a
  browser page) are then made once, and the cells of one notebook run in one kernel, as nbval needs.

nbval's cells count as slow tests (they re-run every notebook). Groups that hold a ``slow`` or ``system``
test are queued first, so that the long ones start at once
and the quick ones fill the gaps at the end; otherwise collection order is kept. Without xdist the hook
changes nothing but that order.
"""

import pytest

#: Markers of the tests that take longest: their groups go first.
LONG = ("slow", "system")
#: Session fixtures that grade many submissions: the tests that use one run in one process.
SHARED = ("graded", "graded_class")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(items, config):
    # Before the other plugins' hooks: xdist reads the groups in its own.
    for item in items:
        if item.path.suffix == ".ipynb":  # nbval re-running a notebook, cell by cell
            item.add_marker(pytest.mark.slow)
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(default_group(item, config.rootpath)))
    result = yield
    # After them (pytest's own reordering by fixture parameters included): long groups first, a stable
    # sort, so that each group stays together and in order.
    first_seen = {}
    for item in items:
        first_seen.setdefault(group(item), len(first_seen))
    long = {group(item) for item in items if any(item.get_closest_marker(name) for name in LONG)}
    items.sort(key=lambda item: (group(item) not in long, first_seen[group(item)]))
    return result


def default_group(item, root):
    """The group of a test that names none: its shared session fixture's, or its file's."""
    for name in SHARED:
        if name in getattr(item, "fixturenames", ()):
            param = getattr(item, "callspec", None) and item.callspec.params.get(name)
            # No brackets: xdist splits the group off a test id at the last "@" after the last "]".
            return f"{name}-{param}" if param is not None else name
    return item.path.relative_to(root).as_posix()


def group(item):
    """The xdist group of a collected test."""
    mark = item.get_closest_marker("xdist_group")
    return mark.args[0] if mark.args else mark.kwargs["name"]
