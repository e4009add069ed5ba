"""Public checks: the small framework the notebooks run after each exercise.

A check calls the student's function on a few ``Case``s and tests each result against a list of
expectations. It prints one specific line per failed expectation (what was checked, expected vs
got) or a single "all checks passed" line:

    run_checks(initialize_parameters_he, [
        Case(args=([2, 4, 1],), expect=[keys(["W1", "b1", "W2", "b2"]), shape("W1", (4, 2))]),
    ])

prints, for a wrong solution,

    initialize_parameters_he([2, 4, 1]): W1 has shape (4, 3), expected (4, 2)

Expectations pick the part of the result to test with ``at``: ``None`` for the result itself, a
key or index (``"W1"``, ``0``) or a tuple of them for nested results (``(0, "W1")``). A function in
the tuple is applied to what was picked so far: ``close(("W1", np.std), 0.1, rtol=0.05)`` checks
the standard deviation of W1 and reports it as ``std(W1)``.
These checks are a student's quick feedback; grading uses the notebooks' own test cells.
"""

import copy
import inspect
from dataclasses import dataclass, field

import numpy as np

#: Default relative and absolute tolerances of ``close``.
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8

PASS_MARK = "All {n} checks passed."
FAIL_MARK = "{failed} of {n} checks failed."


class _Missing(Exception):
    pass


def _pick(result, at):
    if at is None:
        return result
    path = at if isinstance(at, tuple) else (at,)
    value = result
    for i, step in enumerate(path):
        if callable(step):
            value = step(value)
            continue
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            raise _Missing(f"{_name(path[: i + 1])} is missing from the result") from None
    return value


def _name(at):
    if at is None:
        return "the result"
    path = at if isinstance(at, tuple) else (at,)
    name = ""
    for i, step in enumerate(path):
        if callable(step):
            name = f"{step.__name__}({name or 'the result'})"
        elif i == 0 and isinstance(step, str):
            name = step
        else:
            name += f"[{step!r}]"
    return name


@dataclass
class Expectation:
    """One thing to check about a result: ``evaluate(result)`` returns None or a failure message."""

    description: str
    evaluate: object


def shape(at, expected, name=None):
    """The picked value is an array of shape ``expected``; ``name`` replaces ``at`` in messages."""
    expected = tuple(expected)
    name = name or _name(at)

    def evaluate(result):
        got = np.shape(_pick(result, at))
        if got != expected:
            return f"{name} has shape {got}, expected {expected}"
        return None

    return Expectation(f"shape of {name}", evaluate)


def close(at, expected, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, name=None):
    """The picked value equals ``expected`` within tolerances (same shape required).

    ``name`` is what messages call the picked value (default: derived from ``at``, e.g. ``[1]['mu']``).
    """
    expected = np.asarray(expected, dtype=float)
    name = name or _name(at)

    def evaluate(result):
        try:
            got = np.asarray(_pick(result, at), dtype=float)
        except (TypeError, ValueError):
            return f"{name} is not numeric: {_pick(result, at)!r}"
        if got.shape != expected.shape:
            return f"{name} has shape {got.shape}, expected {expected.shape}"
        bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
        if bad.any():
            if got.ndim == 0:
                return f"{name} is {float(got):.8g}, expected {float(expected):.8g}"
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            return (
                f"{name} differs in {int(bad.sum())} of {bad.size} entries; "
                f"at {index} got {float(got[index]):.8g}, expected {float(expected[index]):.8g}"
            )
        return None

    return Expectation(f"values of {name}", evaluate)


def equal(at, expected):
    """The picked value equals ``expected`` exactly (numbers, strings, lists, integer arrays)."""

    def evaluate(result):
        got = _pick(result, at)
        same = np.array_equal(got, expected) if isinstance(got, np.ndarray) else got == expected
        if not same:
            return f"{_name(at)} is {got!r}, expected {expected!r}"
        return None

    return Expectation(f"value of {_name(at)}", evaluate)


def dtype(at, kind):
    """The picked value's dtype is a sub-dtype of ``kind`` (e.g. ``np.floating``, ``np.integer``)."""

    def evaluate(result):
        got = np.asarray(_pick(result, at)).dtype
        if not np.issubdtype(got, kind):
            return f"{_name(at)} has dtype {got}, expected a {kind.__name__} dtype"
        return None

    return Expectation(f"dtype of {_name(at)}", evaluate)


def keys(expected, at=None):
    """The picked value is a dict with exactly the keys ``expected``."""
    expected = list(expected)

    def evaluate(result):
        got = _pick(result, at)
        if not isinstance(got, dict):
            return f"{_name(at)} is a {type(got).__name__}, expected a dict with keys {expected}"
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            parts = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
            return f"{_name(at)} has keys {list(got)}: " + ", ".join(parts)
        return None

    return Expectation(f"keys of {_name(at)}", evaluate)


def instance(at, expected_type):
    """The picked value is an instance of ``expected_type`` (a type or tuple of types)."""

    def evaluate(result):
        got = _pick(result, at)
        if not isinstance(got, expected_type):
            names = (
                expected_type.__name__
                if isinstance(expected_type, type)
                else " or ".join(t.__name__ for t in expected_type)
            )
            return f"{_name(at)} is a {type(got).__name__}, expected a {names}"
        return None

    return Expectation(f"type of {_name(at)}", evaluate)


def holds(description, predicate):
    """``predicate(result)`` is true; ``description`` says what it means, e.g. "b1 is all zeros"."""

    def evaluate(result):
        if not predicate(result):
            return f"expected {description}"
        return None

    return Expectation(description, evaluate)


def _same(before, after):
    """Whether an argument is unchanged: equal arrays, dicts and sequences of them (generators are skipped)."""
    if isinstance(before, np.random.Generator):
        return True  # a generator advances when it is used, which is what it is for
    if isinstance(before, dict):
        return (
            isinstance(after, dict)
            and before.keys() == after.keys()
            and all(_same(before[k], after[k]) for k in before)
        )
    if isinstance(before, (list, tuple)):
        return type(after) is type(before) and len(after) == len(before) and all(map(_same, before, after))
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(before, after)
    try:
        return bool(before == after)
    except (TypeError, ValueError):
        return True


def leaves_arguments_unchanged(function, *args, **kwargs):
    """Calling ``function(*args, **kwargs)`` changes none of its array or dict arguments in place.

    The expectation makes its own call on fresh copies of the arguments (a ``Case`` hands the function
    copies, so the case's result cannot show it) and ignores the result under test.
    """
    names = list(inspect.signature(function).parameters)[: len(args)] + list(kwargs)

    def evaluate(result):
        pristine = copy.deepcopy(list(args) + list(kwargs.values()))
        passed = copy.deepcopy(list(args) + list(kwargs.values()))
        function(*passed[: len(args)], **dict(zip(kwargs, passed[len(args) :])))
        changed = [name for name, before, after in zip(names, pristine, passed) if not _same(before, after)]
        if changed:
            return (
                f"{function.__name__} changed the caller's {', '.join(changed)}: compute into new arrays and "
                "dicts instead of updating the arguments in place"
            )
        return None

    return Expectation(f"{function.__name__} leaves its arguments unchanged", evaluate)


def keeps_global_random_state(function, *args, **kwargs):
    """Calling ``function(*args, **kwargs)`` draws nothing from numpy's global random state (``np.random.*``).

    The expectation makes its own call (on copies of the arguments) and ignores the result under test.
    """

    def evaluate(result):
        before = np.random.get_state()
        function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        after = np.random.get_state()
        if not all(np.array_equal(b, a) for b, a in zip(before, after)):
            return (
                f"{function.__name__} changed numpy's global random state: draw from the generator it is given "
                "(rng.uniform, rng.random, ...), never from np.random"
            )
        return None

    return Expectation(f"{function.__name__} leaves numpy's global random state alone", evaluate)


@dataclass
class Case:
    """One call of the function under test and the expectations its result must meet.

    The arguments are deep-copied before each call, so a function that modifies its inputs cannot
    change the case for the next check.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expect: list = field(default_factory=list)
    label: str = None

    def describe(self, function):
        if self.label:
            return self.label
        shown = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        return f"{function.__name__}({', '.join(shown)})"


def _short(value):
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>"
    if isinstance(value, dict):
        return "{" + ", ".join(str(k) for k in value) + "}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def collect_failures(function, cases):
    """Run every case and return ``(n_checks, failures)``, failures being one message each."""
    failures, n_checks = [], 0
    for case in cases:
        where = case.describe(function)
        n_checks += len(case.expect) or 1
        try:
            result = function(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        except Exception as error:  # noqa: BLE001 -- any error of the student's code is reported
            failures.append(f"{where} raised {type(error).__name__}: {error}")
            continue
        if result is None and case.expect:
            failures.append(f"{where} returned None (is a return statement missing?)")
            continue
        for expectation in case.expect:
            try:
                message = expectation.evaluate(result)
            except _Missing as missing:
                message = str(missing)
            except Exception as error:  # noqa: BLE001 -- e.g. a predicate on a malformed result
                message = f"could not check {expectation.description}: {type(error).__name__}: {error}"
            if message:
                failures.append(f"{where}: {message}")
    return n_checks, failures


def run_checks(function, cases):
    """Run the cases and print one line per failure, then a summary line.

    Returns None, so that a notebook cell ending with this call shows only the printed lines.
    """
    n_checks, failures = collect_failures(function, cases)
    for message in failures:
        print(message)
    if failures:
        print(FAIL_MARK.format(failed=len(failures), n=n_checks))
    else:
        print(PASS_MARK.format(n=n_checks))
