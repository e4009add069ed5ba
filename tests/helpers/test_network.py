import warnings

import numpy as np
import pytest

from helpers.checks.numerics import GRADIENT_TOLERANCE, numerical_gradient, relative_difference
from helpers.network import (
    PROBABILITY_FLOOR,
    accuracy,
    backward_propagation,
    compute_cost,
    forward_propagation,
    initialize_parameters,
    layers_dims_of,
    num_layers,
    predict,
    train,
    update_parameters,
)
from helpers.vectorize import dictionary_to_vector, gradients_to_vector, vector_to_dictionary
from tests.support.parameters import random_parameters

LAYERS = [[2, 1], [2, 3, 1], [2, 10, 5, 1], [4, 5, 3, 1], [3, 4, 4, 4, 2, 1]]


def make_data(layers_dims, m, rng):
    X = rng.standard_normal((layers_dims[0], m))
    Y = (rng.random((1, m)) > 0.5).astype(float)
    return X, Y


@pytest.mark.parametrize("layers_dims", LAYERS, ids=str)
def test_forward_shapes_and_cache(layers_dims, rng):
    parameters = random_parameters(layers_dims, rng)
    X, _ = make_data(layers_dims, 7, rng)
    AL, cache = forward_propagation(X, parameters)
    L = len(layers_dims) - 1
    assert AL.shape == (1, 7)
    assert np.all((AL > 0) & (AL < 1))
    assert cache["A0"] is X
    for l in range(1, L + 1):
        assert cache[f"Z{l}"].shape == (layers_dims[l], 7)
        assert cache[f"A{l}"].shape == (layers_dims[l], 7)
        assert cache[f"W{l}"] is parameters[f"W{l}"]
    for l in range(1, L):
        assert np.all(cache[f"A{l}"] >= 0), "hidden layers are ReLU"


def test_forward_known_values():
    # One hidden ReLU unit: z1 = 2x - 1, a1 = relu(z1); output sigmoid(3 a1 + 0.5).
    parameters = {
        "W1": np.array([[2.0]]),
        "b1": np.array([[-1.0]]),
        "W2": np.array([[3.0]]),
        "b2": np.array([[0.5]]),
    }
    X = np.array([[0.0, 1.0, 2.0]])
    AL, _ = forward_propagation(X, parameters)
    a1 = np.maximum(0, 2 * X - 1)
    np.testing.assert_allclose(AL, 1 / (1 + np.exp(-(3 * a1 + 0.5))), rtol=1e-14)


@pytest.mark.parametrize("layers_dims", LAYERS, ids=str)
def test_backward_matches_numerical_gradient(layers_dims, rng):
    parameters = random_parameters(layers_dims, rng)
    X, Y = make_data(layers_dims, 6, rng)
    _, cache = forward_propagation(X, parameters)
    grads = backward_propagation(X, Y, cache)
    for key, value in parameters.items():
        assert grads[f"d{key}"].shape == value.shape

    theta, _ = dictionary_to_vector(parameters)

    def cost(flat):
        AL, _ = forward_propagation(X, vector_to_dictionary(flat, layers_dims))
        return compute_cost(AL, Y)

    numerical = numerical_gradient(cost, theta.ravel().copy())
    assert relative_difference(gradients_to_vector(grads), numerical) < GRADIENT_TOLERANCE


def test_cost_known_value():
    AL = np.array([[0.8, 0.9, 0.4]])
    Y = np.array([[1, 1, 0]])
    expected = -(np.log(0.8) + np.log(0.9) + np.log(0.6)) / 3
    cost = compute_cost(AL, Y)
    assert isinstance(cost, float)
    assert cost == pytest.approx(expected, rel=1e-14)


def test_cost_is_finite_for_saturated_predictions():
    AL = np.array([[0.0, 1.0, 1.0, 0.0]])
    Y = np.array([[1, 0, 1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost = compute_cost(AL, Y)
    # The confidently wrong examples cost about -log(PROBABILITY_FLOOR) each, the right ones ~0.
    assert np.isfinite(cost)
    assert cost == pytest.approx(-2 * np.log(PROBABILITY_FLOOR) / 4, rel=1e-2)


def test_predict_and_accuracy():
    parameters = {"W1": np.array([[1.0, 0.0]]), "b1": np.array([[0.0]])}
    X = np.array([[-1.0, 2.0, 0.5, -3.0], [0.0, 0.0, 0.0, 0.0]])
    predictions = predict(X, parameters)
    np.testing.assert_array_equal(predictions, [[0, 1, 1, 0]])
    assert np.issubdtype(predictions.dtype, np.integer)
    assert accuracy(predictions, np.array([[0, 1, 0, 0]])) == 0.75


def test_update_parameters_returns_new_dict(rng):
    parameters = random_parameters([2, 3, 1], rng)
    before = {k: v.copy() for k, v in parameters.items()}
    grads = {f"d{k}": np.ones_like(v) for k, v in parameters.items()}
    updated = update_parameters(parameters, grads, 0.1)
    for key in parameters:
        np.testing.assert_allclose(updated[key], before[key] - 0.1)
        np.testing.assert_array_equal(parameters[key], before[key])


def test_layer_helpers(rng):
    parameters = random_parameters([4, 5, 3, 1], rng)
    assert num_layers(parameters) == 3
    assert layers_dims_of(parameters) == [4, 5, 3, 1]


def fixed_initializer(seed):
    def initialize(layers_dims):
        return random_parameters(layers_dims, np.random.default_rng(seed))

    return initialize


def test_train_decreases_cost_and_records_interval(rng):
    X = rng.standard_normal((2, 100))
    Y = (X[0:1] * X[1:2] > 0).astype(float)  # XOR-like quadrants need the hidden layer
    parameters, costs = train(
        X, Y, [2, 8, 1], fixed_initializer(1), learning_rate=0.5, num_iterations=1001, cost_every=250
    )
    assert list(costs) == [0, 250, 500, 750, 1000]
    assert costs[1000] < 0.5 * costs[0]
    assert accuracy(predict(X, parameters), Y) > 0.9


def test_train_records_last_iteration_and_uses_plugged_functions(rng):
    X = rng.standard_normal((2, 20))
    Y = (X[0:1] > 0).astype(float)
    calls = {"forward": 0, "backward": 0, "update": 0, "rates": []}

    def forward(X, parameters):
        calls["forward"] += 1
        return forward_propagation(X, parameters)

    def backward(X, Y, cache):
        calls["backward"] += 1
        return backward_propagation(X, Y, cache)

    def update(parameters, grads, learning_rate):
        calls["update"] += 1
        calls["rates"].append(learning_rate)
        return update_parameters(parameters, grads, learning_rate)

    _, costs = train(
        X,
        Y,
        [2, 1],
        fixed_initializer(0),
        learning_rate=lambda i: 1.0 / (1 + i),
        num_iterations=7,
        forward=forward,
        backward=backward,
        update=update,
        cost_every=3,
    )
    assert list(costs) == [0, 3, 6]
    assert calls["forward"] == calls["backward"] == calls["update"] == 7
    assert calls["rates"] == pytest.approx([1.0 / (1 + i) for i in range(7)])


def test_train_with_batches_covers_every_batch(rng):
    X = rng.standard_normal((2, 10))
    Y = (X[0:1] > 0).astype(float)
    seen = []

    def batches(epoch):
        return [(X[:, :4], Y[:, :4]), (X[:, 4:], Y[:, 4:])]

    def update(parameters, grads, learning_rate):
        seen.append(learning_rate)
        return update_parameters(parameters, grads, learning_rate)

    _, costs = train(
        X,
        Y,
        [2, 1],
        fixed_initializer(0),
        learning_rate=0.1,
        num_iterations=3,
        batches=batches,
        update=update,
        cost_every=1,
    )
    assert len(seen) == 6, "two updates per epoch"
    assert list(costs) == [0, 1, 2]
    assert all(np.isfinite(c) for c in costs.values())


def test_activation_grads_match_numerical_gradient(rng):
    layers_dims = [3, 4, 5, 1]
    parameters = random_parameters(layers_dims, rng)
    X, Y = make_data(layers_dims, 5, rng)
    _, cache = forward_propagation(X, parameters)
    grads = backward_propagation(X, Y, cache, activation_grads=True)
    assert "dA1" not in backward_propagation(X, Y, cache)
    assert sorted(k for k in grads if k.startswith("dA")) == ["dA1", "dA2"]
    # dA2 is the gradient of the cost with respect to A2: perturb A2 and run the last layer.
    A2 = cache["A2"]

    def cost_from_A2(flat):
        Z3 = parameters["W3"] @ flat.reshape(A2.shape) + parameters["b3"]
        return compute_cost(1 / (1 + np.exp(-Z3)), Y)

    # dA carries no 1/m (the course applies it in dW and db), while compute_cost is a mean.
    m = X.shape[1]
    numerical = numerical_gradient(cost_from_A2, A2.ravel().copy()).reshape(A2.shape)
    assert relative_difference(grads["dA2"], m * numerical) < GRADIENT_TOLERANCE


def test_initialize_parameters_is_he_uniform():
    layers_dims = [400, 200, 100]
    parameters = initialize_parameters(layers_dims, seed=1)
    assert list(parameters) == ["W1", "b1", "W2", "b2"]
    for l in (1, 2):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        n_prev = layers_dims[l - 1]
        assert W.shape == (layers_dims[l], n_prev) and b.shape == (layers_dims[l], 1)
        assert not b.any()
        assert W.std() == pytest.approx(np.sqrt(2 / n_prev), rel=0.03)
        assert np.abs(W).max() <= np.sqrt(6 / n_prev)
    again = initialize_parameters(layers_dims, seed=1)
    assert all(np.array_equal(parameters[k], again[k]) for k in parameters)
    assert not np.array_equal(initialize_parameters(layers_dims, seed=2)["W1"], parameters["W1"])
