"""The library of expectations: what a case can expect of a result, each with a specific message.

Values and structure: ``close`` (named tolerances, and known mistakes named by their value), ``equal``,
``shape``, ``dtype``, ``keys``, ``instance``, ``holds`` (any predicate, described), ``layer_shapes`` (the
keys and shapes of a network's parameters). Randomness: ``repeatable``, ``varies_with``, ``same_as``,
``advances`` (the function draws only from the generator or seed it is given); ``normal`` and
``evenly_spread`` (statistics of many draws); numpy's global random state is checked by every pure case
(``Case.pure``). Calculus: ``matches_numerical_gradient``. Context: ``swapped`` (the notebook's functions
replaced during a call), ``printed_lines``.

``at`` picks the part of the result to test (see ``helpers.checks.engine.pick``); ``hint`` ends a failure's
message with what to do about it.
"""

import contextlib
import functools

import numpy as np

from helpers.checks.engine import Expectation, _is_library, first_change, name_of, pick
from helpers.checks.numerics import EPSILON, GRADIENT_TOLERANCE, numerical_gradient, relative_difference

#: Default relative and absolute tolerances of ``close``: exact up to the rounding of a few operations.
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8
#: ``normal``: a sample standard deviation of N draws is within ~1/sqrt(2N) of the true one (0.5% for
#: 20,000 draws), so 3% is 6 standard errors; the mean within 5% of a standard deviation is >= 7.
NORMAL_STD_RTOL = 0.03
NORMAL_MEAN_ATOL = 0.05
#: Share of a normal distribution within one standard deviation of its mean (a uniform one has 57.7%),
#: and the tolerance on it: 4.5 standard errors for 20,000 draws.
WITHIN_ONE_SD = 0.6827
WITHIN_ONE_SD_ATOL = 0.015
#: ``evenly_spread``: each of BINS equal parts of a range gets 1 / BINS of the draws, within
#: SPREAD_ATOL (about 6 standard errors for 10,000 draws, so a correct sampler never fails it).
BINS = 10
SPREAD_ATOL = 0.02


def _hinted(message, hint):
    return f"{message}: {hint}" if hint else message


def _label(at, name):
    return name or name_of(at)


def shape(at, expected, name=None, hint=None):
    """The picked value is an array of shape ``expected``; ``name`` replaces ``at`` in messages."""
    expected = tuple(expected)

    def evaluate(result, call):
        got = np.shape(pick(result, at))
        if got != expected:
            return _hinted(f"{_label(at, name)} has shape {got}, expected {expected}", hint)
        return None

    return Expectation(f"shape of {_label(at, name)}", evaluate)


def close(at, expected, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, name=None, hint=None, mistakes=None):
    """The picked value equals ``expected`` within tolerances (same shape required).

    ``mistakes``: {hint: the value a known mistake gives}; when the value is wrong and equals one of
    them, the message ends with that hint (e.g. {"divide by 2 * m, not by m": 2 * penalty}).
    """
    expected = np.asarray(expected, dtype=float)

    def evaluate(result, call):
        label = _label(at, name)  # named at evaluation, when the returned values' names are known
        try:
            got = np.asarray(pick(result, at), dtype=float)
        except (TypeError, ValueError):
            return f"{label} is not numeric: {pick(result, at)!r}"
        if got.shape != expected.shape:
            return _hinted(f"{label} has shape {got.shape}, expected {expected.shape}", hint)
        bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
        if not bad.any():
            return None
        known = [h for h, value in (mistakes or {}).items() if np.allclose(got, value, rtol=max(rtol, 1e-6))]
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if got.ndim else ()
        shown = _distinct(float(got[index]), float(expected[index]))
        if got.ndim == 0:
            message = f"{label} is {shown[0]}, expected {shown[1]}"
        else:
            message = (
                f"{label} differs in {int(bad.sum())} of {bad.size} entries; at {index} got {shown[0]}, "
                f"expected {shown[1]}"
            )
        return _hinted(message, known[0] if known else hint)

    return Expectation(f"values of {_label(at, name)}", evaluate)


def _distinct(got, expected):
    """The two numbers as text, with as many digits as it takes to tell them apart (8 at least)."""
    for digits in (8, 12, 17):
        shown = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if shown[0] != shown[1]:
            break
    return shown


def equal(at, expected, name=None, hint=None):
    """The picked value equals ``expected`` exactly (numbers, strings, lists, integer arrays)."""

    def evaluate(result, call):
        got = pick(result, at)
        if first_change(expected, got, "") is not None:
            return _hinted(f"{_label(at, name)} is {got!r}, expected {expected!r}", hint)
        return None

    return Expectation(f"value of {_label(at, name)}", evaluate)


def dtype(at, kind, hint=None):
    """The picked value's dtype is a sub-dtype of ``kind`` (e.g. ``np.floating``, ``np.integer``)."""

    def evaluate(result, call):
        got = np.asarray(pick(result, at)).dtype
        if not np.issubdtype(got, kind):
            return _hinted(f"{name_of(at)} has dtype {got}, expected a {kind.__name__} dtype", hint)
        return None

    return Expectation(f"dtype of {name_of(at)}", evaluate)


def keys(expected, at=None, allow_extra=False, hint=None):
    """The picked value is a dict with exactly the keys ``expected`` (or more, with ``allow_extra``).

    Use ``allow_extra=True`` where the graders accept extra entries, e.g. gradients that also return
    ``dZ3``.
    """
    expected = list(expected)

    def evaluate(result, call):
        got = pick(result, at)
        if not isinstance(got, dict):
            return f"{name_of(at)} is a {type(got).__name__}, expected a dict with keys {expected}"
        missing = [k for k in expected if k not in got]
        extra = [] if allow_extra else [k for k in got if k not in expected]
        if missing or extra:
            parts = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
            return _hinted(f"{name_of(at)} has keys {list(got)}: " + ", ".join(parts), hint)
        return None

    return Expectation(f"keys of {name_of(at)}", evaluate)


def instance(at, expected_type):
    """The picked value is an instance of ``expected_type`` (a type or tuple of types)."""
    types = expected_type if isinstance(expected_type, tuple) else (expected_type,)

    def evaluate(result, call):
        got = pick(result, at)
        if not isinstance(got, types):
            names = " or ".join(t.__name__ for t in types)
            return f"{name_of(at)} is a {type(got).__name__}, expected a {names}"
        return None

    return Expectation(f"type of {name_of(at)}", evaluate)


def _outside_library(predicate):
    """The file of a predicate the course's user wrote (a notebook cell), else None."""
    code = getattr(predicate, "__code__", None)
    return None if code is None or _is_library(code.co_filename) else code.co_filename


def holds(description, predicate):
    """``predicate(result)`` is true; ``description`` says what is expected, e.g. "b1 to be all zeros"."""
    return Expectation(
        description,
        lambda result, call: None if predicate(result) else f"expected {description}",
        _outside_library(predicate),
    )


def holds_for_calls(description, predicate):
    """``predicate(result, call)`` is true, where ``call(...)`` calls the function under test again."""
    return Expectation(
        description,
        lambda result, call: None if predicate(result, call) else f"expected {description}",
        _outside_library(predicate),
    )


def _same(a, b):
    return first_change(a, b, "") is None


def repeatable(description="the same seed to give the same values: draw from the generator you are given"):
    """Calling again with the same arguments (copies: a generator in the same state) gives the same result."""
    return holds_for_calls(description, lambda result, call: _same(call(), result))


def varies_with(description, **kwargs):
    """Calling with ``kwargs`` in place of the case's (e.g. another seed) gives another result."""
    return holds_for_calls(description, lambda result, call: not _same(call(**kwargs), result))


def same_as(description, **kwargs):
    """Calling with ``kwargs`` (e.g. ``seed=3`` for a default seed of 3) gives the same result."""
    return holds_for_calls(description, lambda result, call: _same(call(**kwargs), result))


def advances(argument, make, at=None):
    """Two calls handed one generator ``make()`` as ``argument`` draw different values (the picked part).

    Fails for a function that makes or seeds a generator of its own instead of drawing from the one it
    is given.
    """
    description = (
        "two calls with one generator to draw different values: draw from rng, do not create or seed one"
    )

    def predicate(result, call):
        shared = make()
        first, second = (pick(call(shared=True, **{argument: shared}), at) for _ in range(2))
        return not _same(first, second)

    return holds_for_calls(description, predicate)


def within_one_sd(values):
    """Share of the values within one standard deviation of their mean (68.3% for normal draws)."""
    values = np.asarray(values, dtype=float)
    return float(np.mean(np.abs(values - values.mean()) < values.std()))


def normal(at, sd, hint="draw with rng.standard_normal and scale it"):
    """The picked values look like draws from N(0, sd²): standard deviation, mean, and shape of the spread."""
    return [
        close((*_path(at), np.std), sd, rtol=NORMAL_STD_RTOL, atol=0, hint=hint),
        close((*_path(at), np.mean), 0.0, atol=NORMAL_MEAN_ATOL * sd, hint="draw values centred on 0"),
        close(
            (*_path(at), within_one_sd),
            WITHIN_ONE_SD,
            atol=WITHIN_ONE_SD_ATOL,
            hint="a normal distribution has 68.3% of its values there (a uniform one 57.7%): "
            "draw with rng.standard_normal",
        ),
    ]


def _path(at):
    return () if at is None else at if isinstance(at, tuple) else (at,)


def evenly_spread(description, transform, low, high, hint=None):
    """``transform(values)`` puts 1 / BINS of the values into each of BINS equal parts of [low, high]."""

    def evaluate(result, call):
        values = np.asarray(result, dtype=float)
        counts, _ = np.histogram(transform(values), bins=BINS, range=(low, high))
        shares = counts / max(values.size, 1)
        if np.max(np.abs(shares - 1 / BINS)) > SPREAD_ATOL:
            return _hinted(
                f"{description} should put {1 / BINS:.0%} of the values into each tenth of [{low:g}, {high:g}], "
                f"got the shares {np.round(shares, 2).tolist()}",
                hint,
            )
        return None

    return Expectation(f"{description} evenly spread", evaluate)


def layer_shapes(layers_dims, prefix="", at=None, allow_extra=False):
    """Keys ``{prefix}W1, {prefix}b1, ...`` with shapes (n_l, n_{l-1}) and (n_l, 1), for ``layers_dims``."""
    expected = {}
    for l in range(1, len(layers_dims)):
        expected[f"{prefix}W{l}"] = (layers_dims[l], layers_dims[l - 1])
        expected[f"{prefix}b{l}"] = (layers_dims[l], 1)
    return [keys(expected, at=at, allow_extra=allow_extra)] + [
        shape((*_path(at), key), value) for key, value in expected.items()
    ]


def matches_numerical_gradient(cost, point, tolerance=GRADIENT_TOLERANCE, hints=None, epsilon=EPSILON):
    """For each entry ``name`` of ``point``, the result's ``d<name>`` is the numerical gradient of ``cost``.

    ``cost(point) -> float``; ``point``: dict name -> array (the numerical gradient is computed once, on
    copies). One expectation per entry, failing when the relative difference exceeds ``tolerance``;
    ``hints``: {"dW2": what to fix when dW2 is wrong}.
    """
    reference = functools.cache(lambda: numerical_gradient(cost, point, epsilon))

    def expectation(key):
        def evaluate(result, call):
            got = np.asarray(pick(result, key), dtype=float)
            expected = reference()[key]
            if got.shape != expected.shape:
                return f"{name_of(key)} has shape {got.shape}, expected {expected.shape}"
            difference = relative_difference(got, expected)
            if difference > tolerance:
                message = f"{name_of(key)} differs from the numerical gradient (relative difference {difference:.2g})"
                return _hinted(message, (hints or {}).get(key))
            return None

        return Expectation(f"{key} against the numerical gradient", evaluate)

    return [expectation("d" + name) for name in point]


def printed_lines(n, **kwargs):
    """The call (with ``kwargs`` in place of the case's, if given) printed exactly ``n`` lines."""

    def evaluate(result, call):
        if kwargs:
            call(**kwargs)
        text = call.last_printed if kwargs else call.printed
        lines = text.count("\n") if text.strip() else 0
        if lines != n:
            return f"printed {lines} lines{f' with {kwargs}' if kwargs else ''}, expected {n}: {text!r}"
        return None

    return Expectation(f"{n} lines printed", evaluate)


def swapped(**functions):
    """A ``Case.within``: during the call, the notebook's functions named here are replaced (e.g. your J
    and dJ/dtheta by a cost whose derivative is known); afterwards yours are back."""

    @contextlib.contextmanager
    def context(function):
        namespace = function.__globals__
        saved = {name: namespace[name] for name in functions if name in namespace}
        namespace.update(functions)
        try:
            yield
        finally:
            for name in functions:
                namespace.pop(name, None)
            namespace.update(saved)

    return context
