"""Checks: one specification per exercise, run by one engine for the public check and the locked test.

Design
------
An exercise's **specification** is a function in ``helpers/specs/<assignment>.py``, named like the
exercise's function, that returns a ``Spec``: its ``Case``s (arguments, and what the result must meet)
built from values given as arguments, with the *visible* values as defaults. The notebook uses it three
times, always through this engine:

    run_checks(initialize_parameters_he, spec.initialize_parameters_he())       # public check cell

    '''initialize_parameters_he: shapes, zero biases, weights ~ N(0, 2 / n_prev), from default_rng(seed).'''
    from helpers.checks import assert_checks                                     # locked test cell
    from helpers.specs import initialization as spec
    assert_checks(initialize_parameters_he, spec.initialize_parameters_he())
    ### BEGIN HIDDEN TESTS
    assert_checks(initialize_parameters_he, spec.initialize_parameters_he(layers_dims=(400, 200, 100)))
    ### END HIDDEN TESTS

``run_checks`` prints one line per failed expectation and a summary; ``assert_checks`` prints nothing and
raises one AssertionError whose message is the same lines, which the autograder scores as any failed test
cell (all or nothing) and the feedback shows. Hidden cases are only *values*: they live in the source
notebook's hidden region and never reach students; what is checked (the specification) is public, as it
should be, since the public check already shows it.

Why specifications live in a module: the locked cell must not rely on anything a student can edit or
rebind. A student edits every unlocked cell, inserts cells anywhere and rebinds any name; the locked cell
imports the engine and the specification itself, from the installed package (read-only in the grading
sandbox), and the tamper guard (coursekit.kernel.guard) restores every ``helpers`` module, its functions'
code and defaults, and ``sys.modules`` before each test cell. A specification builds fresh cases on each
call, so nothing a previous cell did to a returned case matters.

Each case is one call, on deep copies of its arguments, with numpy's global random state watched and
restored, what it prints shown (and kept, for checks of it) and its warnings recorded. A *pure* case (the
default) also fails when the call changed an argument or the global random state; calls an expectation
makes (the same seed again, another generator, ...) print nothing. What a student sees: one specific line per failure
(expected against got, with a hint where a known mistake is recognised), the line of *their* code that
raised an error, an exercise (or an earlier one it needs) not done yet, named once, a warning, and a
returned None. Every line is printed once; counts are checks, not cases.

Modules: ``engine`` (Case, Spec, the runs and the messages), ``expect`` (the library of expectations),
``numerics`` (the numerical gradient, the relative difference and the random-state watch, the only copies
in the repository).
"""

from helpers.checks.engine import (
    FAIL_MARK,
    PASS_MARK,
    Case,
    Expectation,
    Spec,
    assert_checks,
    collect_failures,
    run_checks,
)
from helpers.checks.expect import (
    advances,
    close,
    dtype,
    equal,
    evenly_spread,
    holds,
    holds_for_calls,
    instance,
    keys,
    layer_shapes,
    matches_numerical_gradient,
    normal,
    printed_lines,
    repeatable,
    same_as,
    shape,
    swapped,
    varies_with,
)

__all__ = [
    "FAIL_MARK",
    "PASS_MARK",
    "Case",
    "Expectation",
    "Spec",
    "advances",
    "assert_checks",
    "close",
    "collect_failures",
    "dtype",
    "equal",
    "evenly_spread",
    "holds",
    "holds_for_calls",
    "instance",
    "keys",
    "layer_shapes",
    "matches_numerical_gradient",
    "normal",
    "printed_lines",
    "repeatable",
    "run_checks",
    "same_as",
    "shape",
    "swapped",
    "varies_with",
]
