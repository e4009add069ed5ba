"""coursekit.kernel.testing: the machinery hidden test cells can share, against known answers."""

import numpy as np
import pytest

from coursekit.kernel.testing import (
    check_normal_initializer,
    numerical_gradient,
    relative_difference,
    uses_global_rng,
    wrong_gradients,
)


def test_numerical_gradient_matches_the_analytic_one_and_leaves_the_arguments_alone(rng):
    c = rng.standard_normal((3, 2))
    parameters = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal((3, 1))}
    saved = {k: v.copy() for k, v in parameters.items()}

    def cost(p):
        return float(np.sum(c * p["W"] ** 3) + np.sum(np.sin(p["b"])))

    grads = numerical_gradient(cost, parameters)
    exact = {"dW": 3 * c * parameters["W"] ** 2, "db": np.cos(parameters["b"])}
    assert sorted(grads) == ["dW", "db"]
    assert relative_difference(grads, exact) < 1e-8
    assert all(np.array_equal(parameters[k], saved[k]) for k in parameters)


def test_relative_difference_of_arrays_and_dicts():
    assert relative_difference(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0
    assert relative_difference(np.array([1.0]), np.array([-1.0])) == 1
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0
    assert relative_difference({"a": np.ones(2), "b": np.zeros(1)}, {"b": np.zeros(1), "a": np.ones(2)}) == 0


def test_wrong_gradients_names_only_the_wrong_ones():
    reference = {"dW1": np.ones((2, 2)), "db1": np.ones((2, 1))}
    assert wrong_gradients({"dW1": np.ones((2, 2)), "db1": -np.ones((2, 1))}, reference, 1e-7) == ["db1"]
    assert wrong_gradients({"dW1": np.ones((2, 2))}, reference, 1e-7) == ["db1"], (
        "a missing gradient is wrong"
    )


def test_uses_global_rng_sees_draws_and_reseeding_and_restores_the_state():
    np.random.seed(5)
    state = np.random.get_state()
    assert uses_global_rng(lambda: np.random.rand(2))[0]
    assert uses_global_rng(lambda: np.random.seed(0))[0], "reseeding shows too"
    drew, value = uses_global_rng(lambda: np.random.default_rng(0).random())
    assert not drew and 0 <= value < 1
    assert np.array_equal(np.random.get_state()[1], state[1]) and np.random.get_state()[2] == state[2]


def normal_initializer(scale, rng_of=np.random.default_rng, draw="standard_normal"):
    def initialize(layers_dims, seed=0):
        rng = rng_of(seed)
        parameters = {}
        for l in range(1, len(layers_dims)):
            n, n_prev = layers_dims[l], layers_dims[l - 1]
            if draw == "standard_normal":
                W = rng.standard_normal((n, n_prev))
            else:  # uniform with unit variance
                W = rng.uniform(-np.sqrt(3), np.sqrt(3), (n, n_prev))
            parameters[f"W{l}"] = W * scale(n_prev)
            parameters[f"b{l}"] = np.zeros((n, 1))
        return parameters

    return initialize


def he(n_prev):
    return np.sqrt(2 / n_prev)


def test_a_correct_normal_initializer_passes():
    check_normal_initializer(normal_initializer(he), he, "initialize_parameters_he")
    xavier = lambda n_prev: np.sqrt(1 / n_prev)
    check_normal_initializer(normal_initializer(xavier), xavier, "initialize_parameters_xavier")


@pytest.mark.parametrize(
    "initialize, message",
    [
        (normal_initializer(lambda n_prev: 10), "standard deviation is"),
        (normal_initializer(he, draw="uniform"), "68.3%"),
        (normal_initializer(he, rng_of=lambda seed: np.random.mtrand._rand), "global random state"),
        (normal_initializer(he, rng_of=lambda seed: np.random.default_rng()), "same seed"),
    ],
)
def test_normal_initializer_mistakes_fail_with_a_hint(initialize, message):
    with pytest.raises(AssertionError, match=message):
        check_normal_initializer(initialize, he, "initialize_parameters_he")


def test_the_tamper_guard_watches_it():
    import coursekit.kernel.testing as shared
    from coursekit.kernel import guard

    original = shared.numerical_gradient
    guard.install()
    try:
        shared.numerical_gradient = lambda *args, **kwargs: {}
        assert "coursekit.kernel.testing.numerical_gradient" in guard.changed()
        guard.restore({})
        assert shared.numerical_gradient is original and guard.changed() == []
    finally:
        shared.numerical_gradient = original
