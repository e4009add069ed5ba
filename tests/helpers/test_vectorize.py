import numpy as np
import pytest

from helpers.vectorize import dictionary_to_vector, gradients_to_vector, vector_to_dictionary
from tests.support.parameters import random_parameters


@pytest.mark.parametrize("layers_dims", [[2, 1], [4, 5, 3, 1], [3, 7, 2, 6, 1]], ids=str)
def test_round_trip(layers_dims, rng):
    parameters = random_parameters(layers_dims, rng)
    theta, keys = dictionary_to_vector(parameters)
    n = sum(layers_dims[l] * (layers_dims[l - 1] + 1) for l in range(1, len(layers_dims)))
    assert theta.shape == (n, 1)
    assert len(keys) == n
    back = vector_to_dictionary(theta, layers_dims)
    assert list(back) == [k for l in range(1, len(layers_dims)) for k in (f"W{l}", f"b{l}")]
    for key, value in parameters.items():
        np.testing.assert_array_equal(back[key], value)


def test_order_and_keys():
    parameters = {
        "W1": np.array([[1.0, 2.0], [3.0, 4.0]]),
        "b1": np.array([[5.0], [6.0]]),
        "W2": np.array([[7.0, 8.0]]),
        "b2": np.array([[9.0]]),
    }
    theta, keys = dictionary_to_vector(parameters)
    np.testing.assert_array_equal(theta.ravel(), np.arange(1.0, 10.0))
    assert keys == ["W1"] * 4 + ["b1"] * 2 + ["W2"] * 2 + ["b2"]


def test_gradients_follow_parameter_order_and_ignore_extras():
    grads = {
        "dW2": np.array([[7.0, 8.0]]),
        "db2": np.array([[9.0]]),
        "dA1": np.full((2, 3), -1.0),
        "dW1": np.array([[1.0, 2.0], [3.0, 4.0]]),
        "db1": np.array([[5.0], [6.0]]),
    }
    np.testing.assert_array_equal(gradients_to_vector(grads).ravel(), np.arange(1.0, 10.0))


def test_vector_to_dictionary_copies(rng):
    parameters = random_parameters([2, 3, 1], rng)
    theta, _ = dictionary_to_vector(parameters)
    back = vector_to_dictionary(theta, [2, 3, 1])
    back["W1"][0, 0] += 1.0
    assert theta[0, 0] == parameters["W1"][0, 0]


def test_wrong_length_is_explained():
    with pytest.raises(ValueError, match="needs 13"):
        vector_to_dictionary(np.zeros((12, 1)), [2, 3, 1])
