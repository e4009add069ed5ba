"""helpers.multiclass: the softmax networks with pluggable softmax and batch-norm functions.

The softmax, cost and batch-norm functions below are independent reference implementations for these tests
(the notebook's exercises write their own); every backward pass is checked against centred differences.
"""

import numpy as np
import pytest

from helpers import multiclass
from helpers.checks.numerics import GRADIENT_TOLERANCE, numerical_gradient, relative_difference
from helpers.datasets import one_hot
from helpers.network import update_parameters


def softmax(Z):
    T = np.exp(Z - Z.max(axis=0))
    return T / T.sum(axis=0)


def cost(AL, Y):
    return float(-np.sum(Y * np.log(AL)) / Y.shape[1])


def batchnorm_forward(Z, gamma, beta, running, momentum=0.9, epsilon=1e-8, training=True):
    if training:
        mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
        running = {
            "mean": momentum * running["mean"] + (1 - momentum) * mu,
            "var": momentum * running["var"] + (1 - momentum) * var,
        }
    else:
        mu, var = running["mean"], running["var"]
    Z_hat = (Z - mu) / np.sqrt(var + epsilon)
    cache = {"Z": Z, "Z_hat": Z_hat, "mu": mu, "var": var, "gamma": gamma, "epsilon": epsilon}
    return gamma * Z_hat + beta, cache, running


def batchnorm_backward(dZ_tilde, cache):
    Z_hat, m = cache["Z_hat"], dZ_tilde.shape[1]
    dZ_hat = cache["gamma"] * dZ_tilde
    s = np.sqrt(cache["var"] + cache["epsilon"])
    dZ = (
        m * dZ_hat - dZ_hat.sum(axis=1, keepdims=True) - Z_hat * (dZ_hat * Z_hat).sum(axis=1, keepdims=True)
    ) / (m * s)
    return dZ, np.sum(dZ_tilde * Z_hat, axis=1, keepdims=True), np.sum(dZ_tilde, axis=1, keepdims=True)


DIMS = [5, 4, 3, 3]


def data(rng, m=7, C=3):
    return rng.standard_normal((DIMS[0], m)), one_hot(rng.integers(0, C, m), C)


def bn_parameters(rng):
    """A batch-norm network whose gamma and beta are not at their initial 1 and 0."""
    parameters = multiclass.initialize_parameters(DIMS, seed=1, batchnorm=True)
    for l in (1, 2):
        parameters[f"gamma{l}"] = rng.uniform(0.5, 2, (DIMS[l], 1))
        parameters[f"beta{l}"] = rng.standard_normal((DIMS[l], 1))
    return parameters


def test_initialization_keys_shapes_and_scale():
    plain = multiclass.initialize_parameters(DIMS, seed=2)
    assert sorted(plain) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    scaled = multiclass.initialize_parameters(DIMS, seed=2, weight_scale=3.0)
    for l in (1, 2, 3):
        np.testing.assert_allclose(scaled[f"W{l}"], 3 * plain[f"W{l}"])
    bn = multiclass.initialize_parameters(DIMS, seed=2, batchnorm=True)
    assert sorted(bn) == ["W1", "W2", "W3", "b3", "beta1", "beta2", "gamma1", "gamma2"]
    assert multiclass.is_batchnorm(bn) and not multiclass.is_batchnorm(plain)
    np.testing.assert_array_equal(bn["gamma2"], np.ones((3, 1)))
    np.testing.assert_array_equal(bn["beta1"], np.zeros((4, 1)))
    running = multiclass.initialize_running(bn)
    assert sorted(running) == [1, 2]
    assert running[1]["mean"].shape == (4, 1) and np.all(running[2]["var"] == 1)


def test_forward_outputs_probabilities_and_cache(rng):
    X, _ = data(rng)
    AL, cache, running = multiclass.forward_propagation(X, multiclass.initialize_parameters(DIMS), softmax)
    assert AL.shape == (3, 7) and running is None
    np.testing.assert_allclose(AL.sum(axis=0), 1)
    assert cache["A0"] is X
    for l in (1, 2, 3):
        assert cache[f"Z{l}"].shape == cache[f"A{l}"].shape == (DIMS[l], 7)
        assert cache[f"Z_tilde{l}"] is cache[f"Z{l}"]


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "batchnorm"])
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_backward_matches_numerical_gradient(rng, batchnorm, lambd):
    parameters = bn_parameters(rng) if batchnorm else multiclass.initialize_parameters(DIMS, seed=1)
    running = multiclass.initialize_running(parameters) if batchnorm else None
    X, Y = data(rng)
    keys = list(parameters)
    sizes = [parameters[k].size for k in keys]

    def unflatten(theta):
        pieces = np.split(theta, np.cumsum(sizes)[:-1])
        return {k: p.reshape(parameters[k].shape) for k, p in zip(keys, pieces)}

    def J(theta):
        q = unflatten(theta)
        AL, _, _ = multiclass.forward_propagation(X, q, softmax, batchnorm_forward, running)
        return cost(AL, Y) + multiclass.l2_penalty(q, lambd, Y.shape[1])

    _, cache, _ = multiclass.forward_propagation(X, parameters, softmax, batchnorm_forward, running)
    grads = multiclass.backward_propagation(Y, cache, batchnorm_backward, lambd)
    assert sorted(grads) == sorted("d" + k for k in keys)
    analytic = np.concatenate([grads["d" + k].ravel() for k in keys])
    numerical = numerical_gradient(J, np.concatenate([parameters[k].ravel() for k in keys]))
    assert relative_difference(analytic, numerical) < GRADIENT_TOLERANCE


def test_running_statistics_follow_training_and_are_used_at_test_time(rng):
    parameters = bn_parameters(rng)
    running = multiclass.initialize_running(parameters)
    X, _ = data(rng, m=50)
    _, cache, new = multiclass.forward_propagation(
        X, parameters, softmax, batchnorm_forward, running, momentum=0.5
    )
    np.testing.assert_allclose(new[1]["mean"], 0.5 * cache["bn1"]["mu"])
    np.testing.assert_array_equal(running[1]["mean"], np.zeros((4, 1)))  # the caller's statistics stay
    # At test time, a single example is normalized with the running statistics: the same output as inside a batch.
    AL_batch, _, same = multiclass.forward_propagation(
        X, parameters, softmax, batchnorm_forward, new, training=False
    )
    AL_one, _, _ = multiclass.forward_propagation(
        X[:, :1], parameters, softmax, batchnorm_forward, new, training=False
    )
    np.testing.assert_allclose(AL_one[:, 0], AL_batch[:, 0], rtol=1e-12)
    assert same is new or all(np.array_equal(same[l]["var"], new[l]["var"]) for l in new)
    predictions = multiclass.predict(X, parameters, softmax, batchnorm_forward, new)
    np.testing.assert_array_equal(predictions, AL_batch.argmax(axis=0))


@pytest.mark.parametrize(
    "batchnorm", [None, (batchnorm_forward, batchnorm_backward)], ids=["plain", "batchnorm"]
)
def test_train_uses_the_given_functions_and_lowers_the_cost(rng, batchnorm):
    X, Y = data(rng, m=40)
    calls = []

    def counting_softmax(Z):
        calls.append(Z.shape)
        return softmax(Z)

    parameters, running, costs = multiclass.train(
        X,
        Y,
        DIMS,
        softmax=counting_softmax,
        cost=cost,
        learning_rate=0.1,
        num_iterations=50,
        batchnorm=batchnorm,
        lambd=0.1,
        seed=2,
        batches=lambda epoch: [(X[:, :20], Y[:, :20]), (X[:, 20:], Y[:, 20:])],
        cost_every=10,
    )
    assert len(calls) == 100 and calls[0] == (3, 20)
    assert costs[49] < costs[0]
    assert (running is None) == (batchnorm is None)
    assert multiclass.is_batchnorm(parameters) == (batchnorm is not None)
    again, _, _ = multiclass.train(
        X, Y, DIMS, softmax=softmax, cost=cost, learning_rate=0.1, num_iterations=50, batchnorm=batchnorm,
        lambd=0.1, seed=2, batches=lambda epoch: [(X[:, :20], Y[:, :20]), (X[:, 20:], Y[:, 20:])],
    )  # fmt: skip
    assert all(np.array_equal(again[k], parameters[k]) for k in parameters), "training is deterministic"


def test_train_is_plain_gradient_descent(rng):
    X, Y = data(rng)
    parameters, _, _ = multiclass.train(
        X, Y, DIMS, softmax=softmax, cost=cost, learning_rate=0.3, num_iterations=1, seed=5
    )
    start = multiclass.initialize_parameters(DIMS, seed=5)
    _, cache, _ = multiclass.forward_propagation(X, start, softmax)
    expected = update_parameters(start, multiclass.backward_propagation(Y, cache), 0.3)
    assert all(np.allclose(parameters[k], expected[k], rtol=1e-12) for k in expected)


def test_l2_penalty_and_confusion_matrix():
    parameters = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[5.0]]), "W2": np.array([[3.0]])}
    assert multiclass.l2_penalty(parameters, 0.5, 4) == pytest.approx(0.5 / 8 * 14)
    counts = multiclass.confusion_matrix(np.array([0, 1, 1, 2, 2, 2]), np.array([0, 1, 2, 2, 2, 0]), 3)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 1], [1, 0, 2]])
