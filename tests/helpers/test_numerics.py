"""helpers.checks.numerics: the numerical references every check and test uses, against known answers."""

import numpy as np

from helpers.checks.numerics import GlobalRandomState, numerical_gradient, relative_difference

#: A centred difference with step 1e-6 of a smooth function is accurate to ~1e-10 relative.
NUMERICAL_RTOL = 1e-8


def test_numerical_gradient_of_a_dict_matches_the_analytic_one_and_leaves_the_point_alone(rng):
    c = rng.standard_normal((3, 2))
    point = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal((3, 1))}
    saved = {k: v.copy() for k, v in point.items()}

    def cost(p):
        return float(np.sum(c * p["W"] ** 3) + np.sum(np.sin(p["b"])))

    grads = numerical_gradient(cost, point)
    exact = {"dW": 3 * c * point["W"] ** 2, "db": np.cos(point["b"])}
    assert sorted(grads) == ["dW", "db"]
    assert relative_difference(grads, exact) < NUMERICAL_RTOL
    assert all(np.array_equal(point[k], saved[k]) for k in point)


def test_numerical_gradient_of_an_array_has_its_shape(rng):
    x = rng.standard_normal((2, 3))
    grad = numerical_gradient(lambda z: float(np.sum(z**2)), x)
    assert grad.shape == (2, 3) and relative_difference(grad, 2 * x) < NUMERICAL_RTOL


def test_relative_difference_of_arrays_and_dicts():
    assert relative_difference(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0
    assert relative_difference(np.array([1.0]), np.array([-1.0])) == 1
    assert relative_difference(np.array([2.0]), np.array([1.0])) == 1 / 3
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0
    assert relative_difference({"a": np.ones(2), "b": np.zeros(1)}, {"b": np.zeros(1), "a": np.ones(2)}) == 0


def test_the_global_random_state_watch_sees_draws_and_reseeding_and_restores_the_state():
    np.random.seed(5)
    state = np.random.get_state()
    for draws, call in [
        (True, lambda: np.random.rand(2)),
        (True, lambda: np.random.seed(0)),
        (False, lambda: np.random.default_rng(0).random()),
    ]:
        with GlobalRandomState() as watch:
            call()
        assert watch.changed is draws
        assert np.array_equal(np.random.get_state()[1], state[1]) and np.random.get_state()[2] == state[2]
