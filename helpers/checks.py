"""Public checks: the small framework the notebooks run after each exercise.

A check calls the student's function on a few ``Case``s and tests each result against a list of
expectations. It prints one specific line per failed expectation (what was checked, expected vs
got) and a summary line, or a single "all checks passed" line:

    run_checks(initialize_parameters_he, [
        Case(args=([2, 4, 1],), expect=[keys(["W1", "b1", "W2", "b2"]), shape("W1", (4, 2))]),
    ])

prints, for a wrong solution,

    initialize_parameters_he([2, 4, 1]): W1 has shape (4, 3), expected (4, 2)
    1 of 2 checks failed.

Expectations pick the part of the result to test with ``at``: ``None`` for the result itself, a
key or index (``"W1"``, ``0``) or a tuple of them for nested results (``(0, "W1")``). A function in
the tuple is applied to what was picked so far: ``close(("W1", np.std), 0.1, rtol=0.05)`` checks
the standard deviation of W1 and reports it as ``std(W1)``. A function that returns several values
names them with ``run_checks(..., returns=("parameters", "v"))``: then ``("v", "dW1")`` (or
``(1, "dW1")``) picks the second value's ``dW1`` and reads ``v['dW1']`` in the messages.

What a student sees beyond wrong values:

- an exception raised by their code is reported with the line of *their* code that raised it;
- a function (or one it needs) that still raises ``NotImplementedError`` is reported as not done
  yet, once, without a traceback;
- ``Case(pure=True)`` also checks that the call left its arguments (dicts, lists, arrays) and numpy's
  global random state as they were, the contract of the update and initialization functions;
- ``Case(within=...)`` runs the call inside a context, e.g. one that swaps in a cost whose gradient
  is known for a gradient check;
- an expectation that calls another of the student's functions (an earlier exercise) reports that
  function as not done yet if it still raises ``NotImplementedError``.

Every line is printed once. These checks are a student's quick feedback; grading uses the
notebooks' own test cells.
"""

import contextlib
import contextvars
import copy
import inspect
import os
import sysconfig
import traceback
from dataclasses import dataclass, field

import numpy as np

#: Default relative and absolute tolerances of ``close``.
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8

PASS_MARK = "All {n} checks passed."
FAIL_MARK = "{failed} of {n} checks failed."

#: Names of the values a function under check returns (``run_checks(..., returns=...)``), for messages.
_RESULT_NAMES = contextvars.ContextVar("result_names", default=None)
#: Folders whose code is not the student's: this package and the Python installation (numpy, stdlib).
_LIBRARY_DIRS = tuple(
    os.path.realpath(path) + os.sep
    for path in {
        os.path.dirname(os.path.abspath(__file__)),
        *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")),
    }
)


class _Missing(Exception):
    pass


def _pick(result, at):
    if at is None:
        return result
    path = at if isinstance(at, tuple) else (at,)
    names = _RESULT_NAMES.get() or ()
    value = result
    for i, step in enumerate(path):
        if callable(step):
            value = step(value)
            continue
        if i == 0 and step in names and isinstance(value, (tuple, list)):
            step = names.index(step)  # a returned value by its name, e.g. "cache"
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            raise _Missing(f"{_name(path[: i + 1])} is missing from the result") from None
    return value


def _name(at):
    if at is None:
        return "the result"
    path = at if isinstance(at, tuple) else (at,)
    names = _RESULT_NAMES.get()
    name = ""
    for i, step in enumerate(path):
        if callable(step):
            name = f"{step.__name__}({name or 'the result'})"
        elif i == 0 and isinstance(step, str):
            name = step
        elif i == 0 and names and isinstance(step, int) and -len(names) <= step < len(names):
            name = names[step]
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

    def evaluate(result):
        got = np.shape(_pick(result, at))
        if got != expected:
            return f"{name or _name(at)} has shape {got}, expected {expected}"
        return None

    return Expectation(f"shape of {name or _name(at)}", evaluate)


def close(at, expected, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, name=None):
    """The picked value equals ``expected`` within tolerances (same shape required).

    ``name`` is what messages call the picked value (default: derived from ``at``, e.g. ``[1]['mu']``).
    """
    expected = np.asarray(expected, dtype=float)

    def evaluate(result):
        label = name or _name(at)  # named at evaluation, when the returned values' names are known
        try:
            got = np.asarray(_pick(result, at), dtype=float)
        except (TypeError, ValueError):
            return f"{label} is not numeric: {_pick(result, at)!r}"
        if got.shape != expected.shape:
            return f"{label} has shape {got.shape}, expected {expected.shape}"
        bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
        if bad.any():
            if got.ndim == 0:
                return f"{label} is {float(got):.8g}, expected {float(expected):.8g}"
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            return (
                f"{label} differs in {int(bad.sum())} of {bad.size} entries; "
                f"at {index} got {float(got[index]):.8g}, expected {float(expected[index]):.8g}"
            )
        return None

    return Expectation(f"values of {name or _name(at)}", evaluate)


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


def keys(expected, at=None, allow_extra=False):
    """The picked value is a dict with exactly the keys ``expected`` (or more, with ``allow_extra``).

    Use ``allow_extra=True`` where the graders accept extra entries, e.g. gradients that also return
    ``dZ3``.
    """
    expected = list(expected)

    def evaluate(result):
        got = _pick(result, at)
        if not isinstance(got, dict):
            return f"{_name(at)} is a {type(got).__name__}, expected a dict with keys {expected}"
        missing = [k for k in expected if k not in got]
        extra = [] if allow_extra else [k for k in got if k not in expected]
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


def _frozen(value):
    return isinstance(value, (np.random.Generator, np.random.RandomState, np.random.BitGenerator))


def _first_change(before, after, name):
    """The name of the first part of ``after`` that differs from ``before`` (a deep copy), or None."""
    if _frozen(before):
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict) or list(before) != list(after):
            return f"{name} (entries added or removed)"
        for key in before:
            changed = _first_change(before[key], after[key], f"{name}[{key!r}]")
            if changed:
                return changed
        return None
    if isinstance(before, (list, tuple)):
        if type(after) is not type(before) or len(after) != len(before):
            return f"{name} (entries added or removed)"
        for i, (b, a) in enumerate(zip(before, after)):
            changed = _first_change(b, a, f"{name}[{i}]")
            if changed:
                return changed
        return None
    if isinstance(before, np.ndarray):
        same = (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
        )
        return None if same else name
    try:
        return None if bool(before == after) else name
    except Exception:  # noqa: BLE001 -- values that do not compare (e.g. arrays inside objects): skip
        return None


def _argument_names(function, args, kwargs):
    try:
        return dict(inspect.signature(function).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        return {**{f"argument {i + 1}": a for i, a in enumerate(args)}, **kwargs}


def _same_random_state(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:])


def leaves_arguments_unchanged(function, *args, **kwargs):
    """Calling ``function(*args, **kwargs)`` changes none of its array or dict arguments in place.

    The expectation makes its own call on fresh copies of the arguments (a ``Case`` hands the function
    copies, so the case's result cannot show it) and ignores the result under test. ``Case(pure=True)``
    checks the same on the case's own call.
    """
    names = list(inspect.signature(function).parameters)[: len(args)] + list(kwargs)

    def evaluate(result):
        pristine = copy.deepcopy(list(args) + list(kwargs.values()))
        passed = copy.deepcopy(list(args) + list(kwargs.values()))
        function(*passed[: len(args)], **dict(zip(kwargs, passed[len(args) :])))
        changed = [
            name for name, before, after in zip(names, pristine, passed) if _first_change(before, after, name)
        ]
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
    ``Case(pure=True)`` checks the same on the case's own call.
    """

    def evaluate(result):
        before = np.random.get_state()
        function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        if not _same_random_state(before, np.random.get_state()):
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
    change the case for the next check. ``within``, a function of no arguments that returns a
    context manager, is entered around the call (not around the expectations). With ``pure=True``
    the call must also leave its arguments and numpy's global random state unchanged (two more
    checks).
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expect: list = field(default_factory=list)
    label: str = None
    pure: bool = False
    within: object = None

    def describe(self, function):
        if self.label:
            return self.label
        shown = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        return f"{function.__name__}({', '.join(shown)})"

    def count(self):
        """How many checks this case makes."""
        return (len(self.expect) or 1) + (2 if self.pure else 0)


def _short(value):
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>"
    if isinstance(value, dict):
        return "{" + ", ".join(str(k) for k in value) + "}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_library(filename):
    return os.path.realpath(filename).startswith(_LIBRARY_DIRS)


def _explain(error, where, function, headline=None, caller=False):
    """A message for an exception raised while checking ``function``: what, and where in the student's code.

    ``headline`` replaces the default first line, "<where> raised <error>". With ``caller``, the first
    frame outside the libraries is the check's own code (a predicate), whose cell's lines are not quoted:
    only a line of the student's code it called is.
    """
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, NotImplementedError) and frames:
        blank = frames[-1].name
        if blank == function.__name__:
            return f"{blank} is not implemented yet: replace `raise NotImplementedError()` by your code"
        return f"{where} needs {blank}, which is not implemented yet: finish its exercise first"
    message = headline or f"{where} raised {type(error).__name__}: {error}"
    own = [frame for frame in frames if not _is_library(frame.filename)]
    if caller and own:  # skip the check's own cell (the predicate and the helpers defined with it)
        own = [frame for frame in own if frame.filename != own[0].filename]
    if own and own[-1].line:
        message += f"\n    at line {own[-1].lineno} of {own[-1].name}: {own[-1].line.strip()}"
    return message


def _side_effects(function, args, kwargs, pristine, state_before):
    """Failure messages for a ``pure`` case: arguments changed, numpy's global random state changed."""
    messages = []
    passed = _argument_names(function, args, kwargs)
    for name, before in _argument_names(function, *pristine).items():
        changed = _first_change(before, passed.get(name), name)
        if changed:
            hint = (
                "put the results in new dicts and arrays (new[key] = old[key] - ..., not old[key] -= ... "
                "or old[key] = ...)"
                if isinstance(before, dict)
                else "compute new arrays (e.g. X[:, order] is a copy) instead of writing into it"
            )
            messages.append(f"the caller's {changed} was changed: leave the arguments as they are; {hint}")
            break
    if not _same_random_state(state_before, np.random.get_state()):
        np.random.set_state(state_before)
        messages.append(
            "numpy's global random state changed (np.random.seed or np.random.* inside?): "
            "leave it alone, draw only from a generator or seed your function is given"
        )
    return messages


def _run_case(function, case):
    """Run one case: (number of failed checks, failure messages)."""
    where = case.describe(function)
    pristine = copy.deepcopy((case.args, case.kwargs))
    call_args, call_kwargs = copy.deepcopy((case.args, case.kwargs))
    state_before = np.random.get_state()
    try:
        with case.within() if case.within else contextlib.nullcontext():
            result = function(*call_args, **call_kwargs)
    except Exception as error:  # noqa: BLE001 -- any error of the student's code is reported
        if case.pure:
            np.random.set_state(state_before)
        return case.count(), [_explain(error, where, function)]
    failed, messages = 0, []
    if case.pure:
        effects = _side_effects(function, call_args, call_kwargs, pristine, state_before)
        failed += len(effects)
        messages += [f"{where}: {message}" for message in effects]
    if result is None and case.expect:
        return failed + len(case.expect), [
            *messages,
            f"{where} returned None (is a return statement missing?)",
        ]
    errors = set()  # an error that stops several expectations (e.g. a missing key) is reported once
    for expectation in case.expect:
        try:
            message = expectation.evaluate(result)
        except _Missing as missing:
            message = str(missing)
        except Exception as error:  # noqa: BLE001 -- e.g. a predicate on a malformed result
            failed += 1
            if (type(error), str(error)) not in errors:
                errors.add((type(error), str(error)))
                headline = (
                    f"{where}: could not check {expectation.description}: {type(error).__name__}: {error}"
                )
                messages.append(_explain(error, where, function, headline, caller=True))
            continue
        if message:
            failed += 1
            messages.append(f"{where}: {message}")
    return failed, messages


def _run(function, cases, returns):
    token = _RESULT_NAMES.set(tuple(returns) if returns else None)
    try:
        n_checks, n_failed, messages = 0, 0, []
        for case in cases:
            n_checks += case.count()
            failed, case_messages = _run_case(function, case)
            n_failed += failed
            messages += [m for m in case_messages if m not in messages]
        return n_checks, n_failed, messages
    finally:
        _RESULT_NAMES.reset(token)


def collect_failures(function, cases, returns=None):
    """Run every case and return ``(n_checks, failures)``, failures being one message each (no repeats).

    ``returns`` names the values a function returns as a tuple, e.g. ``("parameters", "v")``.
    """
    n_checks, _, messages = _run(function, cases, returns)
    return n_checks, messages


def run_checks(function, cases, returns=None):
    """Run the cases and print one line per failure (never the same line twice), then a summary line.

    ``returns`` names the values a function returns as a tuple, e.g. ``("parameters", "v")``.
    Returns None, so that a notebook cell ending with this call shows only the printed lines.
    """
    n_checks, n_failed, messages = _run(function, cases, returns)
    printed = []
    for message in messages:
        for line in message.splitlines():
            if line not in printed:
                printed.append(line)
                print(line)
    if n_failed:
        print(FAIL_MARK.format(failed=n_failed, n=n_checks))
    else:
        print(PASS_MARK.format(n=n_checks))
