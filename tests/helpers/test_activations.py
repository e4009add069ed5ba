import warnings

import numpy as np
import pytest

from helpers.activations import relu, relu_backward, sigmoid, sigmoid_backward
from helpers.checks.numerics import numerical_gradient, relative_difference

GRADIENT_TOLERANCE = 1e-8


def test_sigmoid_values():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert sigmoid(z).shape == (1, 3)


@pytest.mark.parametrize("magnitude", [50.0, 710.0, 800.0, 1e4])
def test_sigmoid_never_overflows_or_warns(magnitude):
    z = np.array([[-magnitude, magnitude]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    assert np.all(np.isfinite(s))
    assert 0.0 <= s[0, 0] < 1e-20
    assert s[0, 1] == 1.0


def test_sigmoid_is_symmetric():
    z = np.linspace(-30, 30, 101)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=1e-15)


def test_relu_values():
    z = np.array([[-1.0, 0.0, 2.5]])
    np.testing.assert_array_equal(relu(z), [[0.0, 0.0, 2.5]])


@pytest.mark.parametrize(
    "forward, backward",
    [(sigmoid, sigmoid_backward), (relu, relu_backward)],
    ids=["sigmoid", "relu"],
)
def test_backward_matches_numerical_gradient(forward, backward, rng):
    # Keep ReLU inputs away from 0, where it has no derivative.
    Z = rng.uniform(0.1, 3.0, size=(3, 4)) * rng.choice([-1, 1], size=(3, 4))
    dA = rng.standard_normal((3, 4))

    def loss(z_flat):
        return float(np.sum(dA * forward(z_flat.reshape(Z.shape))))

    numerical = numerical_gradient(loss, Z.ravel().copy()).reshape(Z.shape)
    assert relative_difference(backward(dA, Z), numerical) < GRADIENT_TOLERANCE


def test_relu_backward_blocks_negative_inputs():
    dZ = relu_backward(np.ones((1, 3)), np.array([[-1.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(dZ, [[0.0, 0.0, 1.0]])
