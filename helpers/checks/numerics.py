"""The numerical references of every check in the course, written once.

- ``numerical_gradient``: the centred-difference gradient of a scalar function of an array or of a dict
  of arrays;
- ``relative_difference``: ||a - b|| / (||a|| + ||b||) of two arrays or two dicts of arrays;
- ``GlobalRandomState``: whether a call drew from (or reseeded) numpy's global random state.

The exercises' specifications (helpers/specs/), their hidden tests and the repository's own test suite
(tests/helpers/) use these and no copy of them.
"""

import numpy as np

#: Step of the centred difference: truncation error ~EPSILON**2, rounding error ~1e-16 / EPSILON.
EPSILON = 1e-6
#: Largest relative difference between an analytic gradient and the numerical one that counts as equal
#: (a correct gradient gives ~1e-9 with EPSILON; a wrong term gives 1e-3 or more).
GRADIENT_TOLERANCE = 1e-7
#: The global random state a watched call starts from: fixed, and unlike any state a seed gives at its
#: start, so that even ``np.random.seed(0)`` without a draw shows.
_UNUSUAL_STATE = np.random.RandomState(20_24_11).get_state()


def numerical_gradient(cost, point, epsilon=EPSILON):
    """Centred-difference gradient of ``cost`` at ``point``.

    ``point``: an array (any shape), or a dict name -> array. ``cost(point) -> float`` is called with a
    copy of the point, one entry moved by +-epsilon at a time; the caller's arrays are never changed.
    Returns an array of the point's shape, or a dict "d" + name -> array of that entry's shape:
    (cost(theta + eps) - cost(theta - eps)) / (2 eps) entry by entry.
    """
    if not isinstance(point, dict):
        return numerical_gradient(lambda moved: cost(moved["x"]), {"x": point}, epsilon)["dx"]
    moved = {name: np.array(value, dtype=float) for name, value in point.items()}
    grads = {}
    for name, value in moved.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + epsilon
            up = float(cost(moved))
            value[index] = original - epsilon
            down = float(cost(moved))
            value[index] = original
            grad[index] = (up - down) / (2 * epsilon)
        grads["d" + name] = grad
    return grads


def relative_difference(a, b):
    """||a - b|| / (||a|| + ||b||) of two arrays, or of two dicts of arrays (the keys of ``a``, in order).

    0 when both are zero; 1 when one is zero and the other not, or when b = -a.
    """
    if isinstance(a, dict):
        a, b = (np.concatenate([np.ravel(d[k]) for k in a]) for d in (a, b))
    a, b = np.ravel(np.asarray(a, dtype=float)), np.ravel(np.asarray(b, dtype=float))
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denominator) if denominator else 0.0


class GlobalRandomState:
    """A context in which numpy's global random state is watched, and after which it is as it was.

    On entry the caller's state is saved and a fixed, unusual one is put in place; ``changed`` then says
    whether the code inside drew from the global generator or reseeded it. On exit the caller's state is
    put back, so watching never changes what the caller's later draws give.

        with GlobalRandomState() as state:
            initialize(...)
        if state.changed: ...
    """

    def __enter__(self):
        self._saved = np.random.get_state()
        np.random.set_state(_UNUSUAL_STATE)
        self.changed = False
        return self

    def __exit__(self, *exc_info):
        after = np.random.get_state()
        self.changed = not (
            after[0] == _UNUSUAL_STATE[0]
            and np.array_equal(after[1], _UNUSUAL_STATE[1])
            and tuple(after[2:]) == tuple(_UNUSUAL_STATE[2:])
        )
        np.random.set_state(self._saved)
        return False


def cross_entropy_from_scores(Z, Y):
    """Mean binary cross-entropy of sigmoid(Z) against labels Y (both (1, m)), precise when sigmoid(Z) nears 0 or 1.

    log(sigmoid(z)) = -logaddexp(0, -z): numerical gradients of a cost written this way keep full precision.
    """
    return float(np.mean(Y * np.logaddexp(0, -Z) + (1 - Y) * np.logaddexp(0, Z)))
