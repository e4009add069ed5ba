"""Gradient Checking: J = theta x and its derivative, the 1-D and N-D gradient checks, the repaired
backward pass of the [4, 5, 3, 1] network (see helpers/checks/__init__.py for specifications).

The checks of gradient_check and gradient_check_n swap their own costs in for the notebook's
``forward_propagation`` / ``backward_propagation`` / ``forward_propagation_n`` (``swapped``), so that
they grade the gradient check alone, on costs whose two-sided difference is known exactly.
"""

import re

import numpy as np

from helpers.checks import (
    Case,
    Spec,
    close,
    holds,
    holds_for_calls,
    instance,
    keys,
    matches_numerical_gradient,
    printed_lines,
    swapped,
)
from helpers.checks.numerics import cross_entropy_from_scores
from helpers.network import forward_propagation as network_forward

#: The notebook's verdict threshold (GRADIENT_CHECK_THRESHOLD): a right gradient gives 1e-10 to 1e-8.
PASS_THRESHOLD = 2e-7
#: The expected differences below are exact up to the round-off of J(theta +- epsilon) (~1e-5 relative);
#: wrong formulas are off by more than 1e-2.
DIFFERENCE_RTOL = 1e-4
#: A gradient that is wrong in one entry only still gives a difference above this.
ONE_WRONG_ENTRY = 1e-3
#: The step of the verdict checks: the function's default, with which a right derivative passes.
VERDICT_EPSILON = 1e-7
#: Relative difference allowed between a backward pass and the numerical gradient (right: ~1e-9).
GRADIENT_RTOL = 1e-6
GRADIENTS = ["dW1", "db1", "dW2", "db2", "dW3", "db3"]


def _points(points, value):
    return Spec(tuple(Case(args=(x, theta), expect=[close(None, value(x, theta))]) for x, theta in points))


def forward_propagation(points=((2.0, 4.0), (-3.0, 0.5))):
    """J = theta * x at each (x, theta)."""
    return _points(points, lambda x, theta: theta * x)


def backward_propagation(points=((2.0, 4.0), (-3.0, 0.5))):
    """dJ/dtheta = x at each (x, theta), whatever theta is."""
    return _points(points, lambda x, theta: x)


def without_numbers(text):
    """The text with every number replaced by #: what a verdict line says besides the difference."""
    return re.sub(r"\d+(\.\d*)?(e[-+]?\d+)?", "#", text)


def _verdicts(swap_pass, swap_fail):
    """The verdict line printed for a passed and for a failed check differ in more than the number."""

    def differ(result, call):
        call(print_msg=True, epsilon=VERDICT_EPSILON, within=swap_pass)
        passed = call.last_printed
        call(print_msg=True, epsilon=VERDICT_EPSILON, within=swap_fail)
        return without_numbers(passed) != without_numbers(call.last_printed)

    return [
        printed_lines(0),
        printed_lines(1, print_msg=True),
        holds_for_calls(
            "another verdict for a failed check than for a passed one, not only another number: "
            "compare the difference with GRADIENT_CHECK_THRESHOLD",
            differ,
        ),
    ]


def gradient_check(x=1.5, theta=-2.0, epsilon=1e-2):
    """For J = theta x and J = x theta^3 with a right, a doubled and a negated derivative: the two-sided
    difference with the given epsilon, ||grad - gradapprox|| / (||grad|| + ||gradapprox||), one verdict line."""

    def cubic(dJ):
        return swapped(forward_propagation=lambda x, theta: x * theta**3, backward_propagation=dJ)

    right = cubic(lambda x, theta: 3 * x * theta**2)
    negated = cubic(lambda x, theta: -3 * x * theta**2)
    label = f"gradient_check(x={x}, theta={theta}{{}}) for J = {{}}"
    return Spec(
        (
            Case(
                args=(x, theta),
                within=swapped(
                    forward_propagation=lambda x, theta: theta * x, backward_propagation=lambda x, theta: x
                ),
                label=label.format("", "theta x and the right dJ/dtheta"),
                expect=[instance(None, (float, np.floating)), close(None, 0.0, atol=PASS_THRESHOLD)],
            ),
            Case(
                args=(x, theta),
                kwargs={"epsilon": epsilon},
                within=right,
                label=label.format(f", epsilon={epsilon}", "x theta^3: two-sided, with the given epsilon"),
                # the two-sided difference is x (3 theta^2 + eps^2): the relative difference eps^2 / (6 theta^2 + eps^2)
                expect=[
                    close(None, epsilon**2 / (6 * theta**2 + epsilon**2), rtol=DIFFERENCE_RTOL),
                    _verdicts(right, negated),
                ],
            ),
            Case(
                args=(x, theta),
                within=cubic(lambda x, theta: 6 * x * theta**2),
                label=label.format(
                    "", "x theta^3 and a dJ/dtheta twice too large: ||2g - g|| / (||2g|| + ||g||)"
                ),
                expect=[close(None, 1 / 3, rtol=DIFFERENCE_RTOL)],
            ),
            Case(
                args=(x, theta),
                within=negated,
                label=label.format(
                    "", "x theta^3 and a dJ/dtheta of the wrong sign: ||-g - g|| / (||-g|| + ||g||)"
                ),
                expect=[close(None, 1.0, rtol=DIFFERENCE_RTOL)],
            ),
        )
    )


def gradient_check_n(seed=2024, epsilon=2e-2):
    """On a network [3, 2, 1]'s parameters, with costs swapped in for forward_propagation_n: right gradients
    pass, doubled and negated ones give 1/3 and 1, one wrong last entry fails, J = sum(c theta^3) gives the
    exact two-sided difference for ``epsilon``, J = (sum(c theta))^2 / 2 needs every other entry unchanged."""
    rng = np.random.default_rng(seed)
    shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (1, 2), "b2": (1, 1)}
    p = {k: rng.uniform(2, 4, s) for k, s in shapes.items()}
    c = {k: rng.uniform(0.5, 2, s) for k, s in shapes.items()}
    X, Y = rng.standard_normal((3, 4)), np.ones((1, 4))

    def cost(J):
        return swapped(forward_propagation_n=lambda X, Y, parameters: (J(parameters), {}))

    quadratic = cost(lambda q: sum(float(np.sum(c[k] * q[k] ** 2)) for k in c) / 2)
    cubic = cost(lambda q: sum(float(np.sum(c[k] * q[k] ** 3)) for k in c))
    coupled = cost(lambda q: sum(float(np.sum(c[k] * q[k])) for k in c) ** 2 / 2)
    g = {f"d{k}": c[k] * p[k] for k in p}
    g3 = {f"d{k}": 3 * c[k] * p[k] ** 2 for k in p}
    grad3 = np.concatenate([v.ravel() for v in g3.values()])
    shift = np.concatenate([(c[k] * epsilon**2).ravel() for k in p])  # two-sided: c (3 theta^2 + eps^2)
    total = sum(float(np.sum(c[k] * p[k])) for k in p)

    def case(gradients, within, text, expect, **kwargs):
        return Case(
            args=(p, gradients, X, Y),
            kwargs=kwargs,
            within=within,
            label=f"gradient_check_n for {text}",
            expect=expect,
        )

    return Spec(
        (
            case(
                g,
                quadratic,
                "right gradients",
                [instance(None, (float, np.floating)), close(None, 0.0, atol=PASS_THRESHOLD)],
            ),
            case(
                {k: 2 * v for k, v in g.items()},
                quadratic,
                "doubled gradients",
                [close(None, 1 / 3, rtol=DIFFERENCE_RTOL)],
            ),
            case(
                {k: -v for k, v in g.items()},
                quadratic,
                "negated gradients",
                [close(None, 1.0, rtol=DIFFERENCE_RTOL)],
            ),
            case(
                dict(g, db2=g["db2"] + 1.0),
                quadratic,
                "gradients wrong in db2 only, the last entry",
                [holds("a failed check: loop over every entry of theta", lambda d: d > ONE_WRONG_ENTRY)],
            ),
            case(
                g3,
                cubic,
                f"J = sum(c theta^3), epsilon={epsilon}: two-sided, the given epsilon",
                [
                    close(
                        None,
                        np.linalg.norm(shift) / (np.linalg.norm(grad3) + np.linalg.norm(grad3 + shift)),
                        rtol=DIFFERENCE_RTOL,
                    ),
                    _verdicts(cubic, cost(lambda q: -sum(float(np.sum(c[k] * q[k] ** 3)) for k in c))),
                ],
                epsilon=epsilon,
            ),
            case(
                {f"d{k}": c[k] * total for k in p},
                coupled,
                f"J = (sum(c theta))^2 / 2, epsilon={epsilon / 10:g}: perturb a copy of theta, every other entry unchanged",
                [close(None, 0.0, atol=PASS_THRESHOLD)],
                epsilon=epsilon / 10,
            ),
        )
    )


def backward_propagation_n(problems=((3, 7),)):
    """For each (seed, m): the gradients of the [4, 5, 3, 1] network on m new examples against a numerical
    gradient of its cost (uniform weights and biases, as the notebook's make_problem)."""
    cases = []
    for seed, m in problems:
        rng = np.random.default_rng(seed)
        X, Y = rng.standard_normal((4, m)), (rng.random((1, m)) < 0.5).astype(float)
        p = {}
        for l, (n_prev, n) in enumerate(((4, 5), (5, 3), (3, 1)), start=1):
            p[f"W{l}"], p[f"b{l}"] = rng.uniform(-1, 1, (n, n_prev)), rng.uniform(-0.5, 0.5, (n, 1))
        cost = lambda q, X=X, Y=Y: cross_entropy_from_scores(network_forward(X, q)[1]["Z3"], Y)
        hint = "check the line that computes it and the lines it depends on; use X, Y and cache from the arguments"
        cases.append(
            Case(
                args=(X, Y, network_forward(X, p)[1]),
                label=f"backward_propagation_n(X, Y, cache) on {m} other examples",
                expect=[
                    keys(GRADIENTS, allow_extra=True),
                    matches_numerical_gradient(cost, p, GRADIENT_RTOL, hints=dict.fromkeys(GRADIENTS, hint)),
                ],
            )
        )
    return Spec(tuple(cases))
