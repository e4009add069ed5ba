"""Fixtures shared by the coursekit tests."""

import pytest

from tests.support.service import make_template


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """A course with the Initialization assignment in its gradebook (generate_assignment once a session),
    for tests to copy (tests.support.service)."""
    return make_template(tmp_path_factory.mktemp("template") / "course")
