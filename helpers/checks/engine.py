"""The engine: run a function on its cases, test each result, and say what failed, one line a failure.

``run_checks`` (the public check cell) prints those lines and a summary; ``assert_checks`` (the locked
test cell, visible part and hidden region alike) prints nothing and raises one AssertionError whose
message is the same lines. See the package docstring (helpers/checks/__init__.py) for the design.
"""

import contextlib
import contextvars
import copy
import inspect
import io
import os
import sys
import sysconfig
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from helpers.checks.numerics import GlobalRandomState

PASS_MARK = "All {n} checks passed."
#: Characters of a call's printed output kept for expectations about it.
PRINTED_LIMIT = 10_000
FAIL_MARK = "{failed} of {n} checks failed."

#: Names of the values a function under check returns (``Spec.returns``), for picking and for messages.
_RESULT_NAMES = contextvars.ContextVar("result_names", default=None)
#: Folders whose code is not the student's: the helpers package (its specifications included) and the
#: Python installation (numpy, the standard library).
_LIBRARY_DIRS = tuple(
    os.path.realpath(path) + os.sep
    for path in {
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")),
    }
)


class Missing(Exception):
    """The part of a result an expectation picks is not there (a key, an index)."""


@dataclass
class Expectation:
    """One thing to check about a case: ``evaluate(result, call)`` returns None or a failure message.

    ``call`` (a ``Call``) runs the function under test again, for expectations about more than one
    result (the same seed gives the same values, ...). ``defined_in``: the file of a predicate written
    outside the library (a notebook cell), whose own lines an error message does not quote.
    """

    description: str
    evaluate: object
    defined_in: str = None


@dataclass
class Case:
    """One call of the function under test and the expectations its result must meet.

    The arguments are deep-copied before each call, so a function that modifies its inputs cannot
    change the case for the next check. ``pure`` (the default) adds two checks: the call left its
    arguments as they were, and numpy's global random state (a Generator argument may advance).
    ``within(function)``, if given, returns a context manager entered around the call (e.g.
    ``swapped(...)``, which puts known functions in place of the notebook's). ``expect`` may nest lists.
    What the call prints is shown as usual (and kept for ``printed_lines``); a warning it raises is a failure.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expect: list = field(default_factory=list)
    label: str = None
    pure: bool = True
    within: object = None

    def describe(self, function):
        if self.label:
            return self.label
        shown = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        return f"{function.__name__}({', '.join(shown)})"

    def expectations(self):
        return list(_flat(self.expect))

    def count(self):
        """How many checks this case makes: the call itself, each expectation, and two for ``pure``."""
        return 1 + len(self.expectations()) + (2 if self.pure else 0)


@dataclass(frozen=True)
class Spec:
    """An exercise's specification: its cases, and the names of the values its function returns.

    ``returns`` (e.g. ``("parameters", "v")``) lets expectations pick a returned value by name
    (``close(("v", "dW1"), ...)``) and messages say ``v['dW1']``.
    """

    cases: tuple
    returns: tuple = None


def _flat(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flat(item)
        else:
            yield item


class Call:
    """The function under test, called again the way its case calls it (for an expectation).

    ``call()`` repeats the case's call on fresh copies of its arguments; ``call(*args, **kwargs)``
    replaces the positional arguments (when given) and updates the keyword arguments; ``within=``
    replaces the case's context. The case's arguments are always deep-copied; the ones given here too,
    unless ``shared=True`` (e.g. to hand one generator to two calls). ``printed`` is what the case's own
    call printed; ``last_printed`` what the latest ``call(...)`` printed, which is not shown.
    """

    def __init__(self, function, case):
        self.function, self.case = function, case
        self.printed = self.last_printed = ""

    def __call__(self, *args, within=None, shared=False, **kwargs):
        case_args, case_kwargs = copy.deepcopy((self.case.args, self.case.kwargs))
        if not shared:
            args, kwargs = copy.deepcopy((args, kwargs))
        args, kwargs = _replaced(self.function, args or case_args, case_kwargs, kwargs)
        with GlobalRandomState():  # the caller's global random state stays as it was
            result, self.last_printed = self.run(args, kwargs, within or self.case.within)
        return result

    def run(self, args, kwargs, within, shown=False):
        """(result, printed) of one call inside the context ``within`` (or none); ``shown``: printed as usual."""
        out = _Printed(sys.stdout if shown else None)
        context = within(self.function) if within else contextlib.nullcontext()
        with context, contextlib.redirect_stdout(out):
            result = self.function(*args, **kwargs)
        return result, out.getvalue()


class _Printed(io.TextIOBase):
    """What a call prints: its first PRINTED_LIMIT characters kept, all of it passed on to ``echo`` (if any).

    Kept for expectations about printed lines; bounded, so that a call printing without end costs no memory
    (the grading kernel caps what reaches the notebook).
    """

    def __init__(self, echo=None):
        self.echo, self.kept, self.size = echo, [], 0

    def write(self, text):
        if self.size < PRINTED_LIMIT:
            self.kept.append(text[: PRINTED_LIMIT - self.size])
        self.size += len(text)
        if self.echo is not None:
            self.echo.write(text)
        return len(text)

    def getvalue(self):
        return "".join(self.kept)


def _replaced(function, args, kwargs, replacements):
    """(args, kwargs) of a call with ``replacements`` for some arguments, positional or not."""
    try:
        bound = inspect.signature(function).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return args, {**kwargs, **replacements}
    bound.arguments.update(replacements)
    return bound.args, bound.kwargs


def pick(result, at):
    """The part of ``result`` that ``at`` names: None (all), a key or index, or a tuple of them.

    A callable in the tuple is applied to what was picked so far (``("W1", np.std)``); a name of
    ``Spec.returns`` as the first step picks that returned value.
    """
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
            raise Missing(f"{name_of(path[: i + 1])} is missing from the result") from None
    return value


def name_of(at):
    """How messages call the part of a result that ``at`` picks, e.g. ``W1``, ``v['dW1']``, ``std(W1)``."""
    if at is None:
        return "the result"
    path = at if isinstance(at, tuple) else (at,)
    names = _RESULT_NAMES.get()
    name = ""
    for i, step in enumerate(path):
        if callable(step):
            name = f"{getattr(step, '__name__', 'f')}({name or 'the result'})"
        elif i == 0 and isinstance(step, str):
            name = step
        elif i == 0 and names and isinstance(step, int) and -len(names) <= step < len(names):
            name = names[step]
        else:
            name += f"[{step!r}]"
    return name


def first_change(before, after, name):
    """The name of the first part of ``after`` that differs from ``before``, or None when they are equal.

    Compares dicts, lists and tuples entry by entry and arrays exactly (NaN equal to NaN); generators
    are not compared (an argument that is a generator may advance).
    """
    if isinstance(before, (np.random.Generator, np.random.RandomState, np.random.BitGenerator)):
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict) or list(before) != list(after):
            return f"{name} (entries added or removed)"
        for key in before:
            changed = first_change(before[key], after[key], f"{name}[{key!r}]")
            if changed:
                return changed
        return None
    if isinstance(before, (list, tuple)):
        if type(after) is not type(before) or len(after) != len(before):
            return f"{name} (entries added or removed)"
        for i, (b, a) in enumerate(zip(before, after)):
            changed = first_change(b, a, f"{name}[{i}]")
            if changed:
                return changed
        return None
    if isinstance(before, np.ndarray) or isinstance(after, np.ndarray):
        b, a = np.asarray(before), np.asarray(after)
        same = b.shape == a.shape and np.array_equal(
            b, a, equal_nan=b.dtype.kind in "fc" and a.dtype.kind in "fc"
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


def _short(value):
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>"
    if isinstance(value, dict):
        return "{" + ", ".join(str(k) for k in value) + "}"
    if isinstance(value, np.random.Generator):
        return "rng"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_library(filename):
    return os.path.realpath(filename).startswith(_LIBRARY_DIRS)


def explain(error, where, function, headline=None, skip_file=None):
    """A message for an exception raised while checking ``function``: what, and where in the student's code.

    ``headline`` replaces the default first line, "<where> raised <error>". Frames of the libraries and
    of ``skip_file`` (a predicate's own notebook cell) are not quoted: the line shown is the student's.
    """
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, NotImplementedError) and frames:
        blank = frames[-1].name
        if blank == function.__name__:
            return f"{blank} is not implemented yet: replace `raise NotImplementedError()` by your code"
        return f"{where} needs {blank}, which is not implemented yet: finish its exercise first"
    message = headline or f"{where} raised {type(error).__name__}: {error}"
    own = [f for f in frames if not _is_library(f.filename) and f.filename != skip_file]
    if own and own[-1].line:
        message += f"\n    at line {own[-1].lineno} of {own[-1].name}: {own[-1].line.strip()}"
    return message


def _side_effects(function, args, kwargs, pristine, random_state):
    """Failure messages of a pure case: an argument changed, numpy's global random state changed."""
    messages = []
    passed = _argument_names(function, args, kwargs)
    for name, before in _argument_names(function, *pristine).items():
        changed = first_change(before, passed.get(name), name)
        if changed:
            hint = (
                "put the results in new dicts and arrays (new[key] = old[key] - ..., not old[key] -= ... "
                "or old[key] = ...)"
                if isinstance(before, dict)
                else "compute new arrays (e.g. X[:, order] is a copy) instead of writing into it"
            )
            messages.append(f"the caller's {changed} was changed: leave the arguments as they are; {hint}")
            break
    if random_state.changed:
        messages.append(
            "numpy's global random state changed (np.random.seed or np.random.* inside?): "
            "leave it alone, draw only from a generator or seed your function is given"
        )
    return messages


def _run_case(function, case):
    """Run one case: (number of failed checks, failure messages)."""
    where = case.describe(function)
    expectations = case.expectations()
    call = Call(function, case)
    pristine = copy.deepcopy((case.args, case.kwargs))
    args, kwargs = copy.deepcopy((case.args, case.kwargs))
    with warnings.catch_warnings(record=True) as caught, GlobalRandomState() as random_state:
        warnings.simplefilter("always")
        try:
            result, call.printed = call.run(args, kwargs, case.within, shown=True)
        except Exception as error:  # noqa: BLE001 -- any error of the student's code is reported
            return case.count(), [explain(error, where, function)]
    failed, messages = 0, []
    if caught:
        failed += 1
        warning = caught[0]
        messages.append(f"{where} warned: {warning.category.__name__}: {warning.message}")
    if case.pure:
        effects = _side_effects(function, args, kwargs, pristine, random_state)
        failed += len(effects)
        messages += [f"{where}: {message}" for message in effects]
    if result is None and expectations:
        return failed + len(expectations), [
            *messages,
            f"{where} returned None (is a return statement missing?)",
        ]
    errors = set()  # an error that stops several expectations (e.g. a missing key) is reported once
    for expectation in expectations:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # a check's own arithmetic on a wrong result stays quiet
                message = expectation.evaluate(result, call)
        except Missing as missing:
            failed += 1
            if not any("missing [" in m for m in messages):  # a failed keys() said so already
                messages.append(f"{where}: {missing}")
            continue
        except Exception as error:  # noqa: BLE001 -- e.g. a predicate on a malformed result
            failed += 1
            if (type(error), str(error)) not in errors:
                errors.add((type(error), str(error)))
                headline = (
                    f"{where}: could not check {expectation.description}: {type(error).__name__}: {error}"
                )
                messages.append(explain(error, where, function, headline, expectation.defined_in))
            continue
        if message:
            failed += 1
            messages.append(f"{where}: {message}")
    return failed, messages


def _cases_and_names(spec, returns):
    if isinstance(spec, Spec):
        return list(spec.cases), spec.returns if returns is None else returns
    return list(spec), returns


def _run(function, spec, returns):
    cases, returns = _cases_and_names(spec, returns)
    token = _RESULT_NAMES.set(tuple(returns) if returns else None)
    try:
        n_checks, n_failed, messages = 0, 0, []
        seen = set()  # a failure every case shares (e.g. the global random state) is said once
        for case in cases:
            n_checks += case.count()
            failed, case_messages = _run_case(function, case)
            n_failed += failed
            where = case.describe(function)
            for message in case_messages:
                said = message.removeprefix(f"{where}: ")
                if said not in seen:
                    seen.add(said)
                    messages.append(message)
        return n_checks, n_failed, messages
    finally:
        _RESULT_NAMES.reset(token)


def _lines(messages):
    lines = []
    for message in messages:
        lines += [line for line in message.splitlines() if line not in lines]
    return lines


def collect_failures(function, spec, returns=None):
    """Run every case; return ``(n_checks, failures)``, one message a failure, none repeated.

    ``spec``: a ``Spec``, or a list of ``Case``s (then ``returns`` names the returned values).
    """
    n_checks, _, messages = _run(function, spec, returns)
    return n_checks, messages


def run_checks(function, spec, returns=None):
    """The public check: print one line per failure (never the same line twice), then a summary line.

    Returns None, so that a notebook cell ending with this call shows only the printed lines.
    """
    n_checks, n_failed, messages = _run(function, spec, returns)
    for line in _lines(messages):
        print(line)
    if n_failed:
        print(FAIL_MARK.format(failed=n_failed, n=n_checks))
    else:
        print(PASS_MARK.format(n=n_checks))


def assert_checks(function, spec, returns=None):
    """The locked test: print nothing; raise AssertionError with the public check's lines if one fails."""
    __tracebackhide__ = True  # IPython and pytest show the failure, not this frame
    _, n_failed, messages = _run(function, spec, returns)
    if n_failed:
        raise AssertionError("\n".join(_lines(messages)))
