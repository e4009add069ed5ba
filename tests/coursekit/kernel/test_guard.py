"""coursekit.kernel.guard: what a locked test cell relies on is put back before it runs."""

import sys

import pytest

import helpers.checks
import helpers.specs.initialization as spec
from coursekit.kernel import guard


@pytest.fixture
def installed():
    guard.install()
    yield
    guard.restore({})


def test_a_replaced_engine_function_is_restored_and_reported(installed):
    original = helpers.checks.assert_checks
    helpers.checks.assert_checks = lambda *args, **kwargs: None
    assert "helpers.checks.assert_checks" in guard.changed()
    guard.restore({})
    assert helpers.checks.assert_checks is original and guard.changed() == []


def test_a_specifications_visible_values_and_code_are_restored(installed):
    function = spec.initialize_parameters_he
    defaults, code = function.__defaults__, function.__code__
    function.__defaults__ = ((3, 2, 1), 5)  # a tiny "visible" case
    function.__code__ = (lambda layers_dims=None, seed=None: None).__code__
    assert {
        "helpers.specs.initialization.initialize_parameters_he.__defaults__",
        "helpers.specs.initialization.initialize_parameters_he.__code__",
    } <= set(guard.changed())
    guard.restore({})
    assert function.__defaults__ is defaults and function.__code__ is code


def test_a_module_swapped_in_sys_modules_is_put_back(installed):
    fake = type(sys)("helpers.specs.initialization")
    sys.modules["helpers.specs.initialization"] = fake
    helpers.specs.initialization = fake
    assert "sys.modules['helpers.specs.initialization']" in guard.changed()
    guard.restore({})
    assert sys.modules["helpers.specs.initialization"] is spec and helpers.specs.initialization is spec
    from helpers.specs import initialization

    assert initialization is spec


def test_an_engine_class_attribute_is_restored(installed):
    count = helpers.checks.Case.count
    helpers.checks.Case.count = lambda self: 0
    assert "helpers.checks.engine.Case.count" in guard.changed()
    guard.restore({})
    assert helpers.checks.Case.count is count


def test_what_the_engine_calls_in_the_standard_library_is_restored(installed):
    import copy

    deepcopy = copy.deepcopy
    copy.deepcopy = lambda value, memo=None: value  # would hide every argument changed in place
    assert "copy.deepcopy" in guard.changed()
    guard.restore({})
    assert copy.deepcopy is deepcopy
