"""Numerical references for the backward-pass tests: a centred-difference gradient and its tolerance."""

import numpy as np

#: Step of the centred-difference gradient; its truncation error is O(EPSILON**2).
EPSILON = 1e-6
#: Maximum relative difference |analytic - numerical| / (|analytic| + |numerical|) accepted.
GRADIENT_TOLERANCE = 1e-7


def numerical_gradient(f, theta, epsilon=EPSILON):
    """Centred-difference gradient of the scalar function f at the 1-D array theta."""
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = epsilon
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * epsilon)
    return grad


def relative_difference(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


def random_parameters(layers_dims, rng):
    """Parameters with non-zero biases, so that bias gradients are exercised too."""
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters[f"W{l}"] = rng.standard_normal((layers_dims[l], layers_dims[l - 1])) * np.sqrt(
            2 / layers_dims[l - 1]
        )
        parameters[f"b{l}"] = rng.standard_normal((layers_dims[l], 1)) * 0.1
    return parameters
