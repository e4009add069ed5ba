"""What hidden test cells share: imported inside the grading kernel, watched by the tamper guard.

The hidden tests of the notebooks repeat the same machinery: the centred-difference gradient of a
dict of parameters, the relative difference of two gradients, "this function leaves numpy's global
random state alone", and the statistics of a normal initializer (He and Xavier differ only in the
scale). Written once here, it is tested once (tests/coursekit/kernel/test_testing.py, against known gradients)
and cannot drift apart between copies; the cases, expected values and hints stay in each cell.

A hidden cell would use it as ``from coursekit.kernel.testing import numerical_gradient``. Inside a
grading kernel the package is read-only (the sandbox) and ``coursekit.kernel.guard`` restores these
functions before each test cell and fails a test during which one was replaced, as it does for
numpy's. Nothing here is secret: what a test checks is no secret, the cases are.
"""

import numpy as np

#: Step of the centred difference: truncation error ~EPSILON**2, rounding error ~1e-16 / EPSILON.
EPSILON = 1e-6


def numerical_gradient(cost, parameters, epsilon=EPSILON):
    """Centred-difference gradient of ``cost`` with respect to every entry of ``parameters``.

    ``cost(parameters) -> float``; ``parameters``: dict name -> array. Returns dict "d" + name ->
    array of the same shape, (cost(theta + eps) - cost(theta - eps)) / (2 eps) entry by entry. The
    caller's arrays are not changed: ``cost`` sees a copy, one entry moved at a time.
    """
    shifted = {name: np.array(value, dtype=float) for name, value in parameters.items()}
    grads = {}
    for name, value in shifted.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + epsilon
            up = float(cost(shifted))
            value[index] = original - epsilon
            down = float(cost(shifted))
            value[index] = original
            grad[index] = (up - down) / (2 * epsilon)
        grads["d" + name] = grad
    return grads


def relative_difference(a, b):
    """||a - b|| / (||a|| + ||b||) of two arrays, or of two dicts of arrays (keys of ``a``, in order)."""
    if isinstance(a, dict):
        a, b = (np.concatenate([np.ravel(d[k]) for k in a]) for d in (a, b))
    a, b = np.ravel(a), np.ravel(b)
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denominator) if denominator else 0.0


def wrong_gradients(grads, reference, tolerance):
    """The keys of ``reference`` whose gradient in ``grads`` differs by more than ``tolerance`` (relative)."""
    return [k for k in reference if k not in grads or relative_difference(grads[k], reference[k]) > tolerance]


def uses_global_rng(call):
    """(whether ``call()`` drew from or reseeded numpy's global random state, its result).

    The global state is put somewhere unusual first, so that even ``np.random.seed(0)`` shows, and
    it is put back afterwards.
    """
    saved = np.random.get_state()
    try:
        np.random.seed(20_24_11)
        np.random.random(3)
        before = np.random.get_state()
        result = call()
        after = np.random.get_state()
    finally:
        np.random.set_state(saved)
    same = before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    return not same, result


def check_normal_initializer(initialize, std, name, layers_dims=(400, 200, 100)):
    """Assert that ``initialize(layers_dims)`` draws each W from a normal distribution N(0, std(n_prev)²).

    ``std(n_prev)``: the expected standard deviation for a layer with n_prev inputs (He:
    sqrt(2 / n_prev)). Checks keys, shapes, zero biases, the standard deviation (3% tolerance), the
    mean, the share within one standard deviation (a uniform draw has 57.7%, a normal one 68.3%), and
    that ``seed`` makes it reproducible without numpy's global random state.
    """
    std_rtol = 0.03  # the sample std of >= 20,000 normal draws is within 0.5% of the true one (1 sd)
    within_one_sd = 0.6827  # share of a normal distribution within one standard deviation
    share_tol = 0.015  # 4 standard errors for 20,000 draws
    drew, parameters = uses_global_rng(lambda: initialize(list(layers_dims)))
    assert not drew, f"{name} uses numpy's global random state: draw from rng = np.random.default_rng(seed)"
    keys = sorted(f"{p}{l}" for l in range(1, len(layers_dims)) for p in "Wb")
    assert sorted(parameters) == keys, f"expected the keys {keys}, got {sorted(parameters)}"
    for l in range(1, len(layers_dims)):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        n, n_prev = layers_dims[l], layers_dims[l - 1]
        assert W.shape == (n, n_prev), f"W{l} has shape {W.shape}, expected {(n, n_prev)}"
        assert b.shape == (n, 1) and not b.any(), f"b{l} must be zeros of shape {(n, 1)}"
        sd = std(n_prev)
        assert abs(W.std() / sd - 1) < std_rtol, (
            f"for layers_dims {list(layers_dims)}, W{l}'s standard deviation is {W.std():.4g}, expected {sd:.4g}"
        )
        assert abs(W.mean()) < 0.05 * sd, f"W{l}'s mean is {W.mean():.4g}, expected about 0"
        share = float(np.mean(np.abs(W) < sd))
        assert abs(share - within_one_sd) < share_tol, (
            f"{100 * share:.1f}% of W{l} lies within one standard deviation of 0, but a normal distribution "
            "has 68.3%: draw with rng.standard_normal"
        )
    a, b, c = (initialize([4, 4, 4], seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(a[k], b[k]) for k in a), (
        "the same seed must give the same parameters: draw from rng"
    )
    assert not np.array_equal(a["W1"], c["W1"]), "different seeds must give different weights"
