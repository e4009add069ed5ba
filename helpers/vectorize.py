"""Conversion between parameter/gradient dicts and one column vector, for gradient checking.

The vector stacks, in layer order, W1 (row-major), b1, W2, b2, ..., WL, bL, so for
``layers_dims = [n_0, ..., n_L]`` it has n = sum_l n_l * (n_{l-1} + 1) entries and shape (n, 1).
The gradient vector uses the same order, so entry i of both refers to the same parameter.
"""

from itertools import pairwise

import numpy as np

from helpers.network import layers_dims_of


def _keys(L):
    return [key for l in range(1, L + 1) for key in (f"W{l}", f"b{l}")]


def dictionary_to_vector(parameters):
    """Stack every parameter into one column vector.

    Arguments:
    parameters -- dict of "Wl" (n_l, n_{l-1}) and "bl" (n_l, 1), l = 1..L

    Returns:
    theta -- column vector, shape (n, 1)
    keys -- list of length n: the name ("W1", "b1", ...) each entry of theta comes from
    """
    L = len(layers_dims_of(parameters)) - 1
    names = _keys(L)
    theta = np.concatenate([parameters[name].reshape(-1, 1) for name in names])
    keys = [name for name in names for _ in range(parameters[name].size)]
    return theta, keys


def vector_to_dictionary(theta, layers_dims):
    """Inverse of ``dictionary_to_vector``.

    Arguments:
    theta -- column vector, shape (n, 1), n = sum_l n_l * (n_{l-1} + 1)
    layers_dims -- [n_0, ..., n_L]

    Returns:
    parameters -- dict of "Wl" (n_l, n_{l-1}) and "bl" (n_l, 1); arrays are copies, so changing
                  them leaves theta unchanged
    """
    theta = np.asarray(theta, dtype=float).reshape(-1)
    expected = sum(n * (n_prev + 1) for n_prev, n in pairwise(layers_dims))
    if theta.size != expected:
        raise ValueError(
            f"theta has {theta.size} entries but layers_dims {list(layers_dims)} needs {expected}"
        )
    parameters, start = {}, 0
    for l in range(1, len(layers_dims)):
        for name, shape in ((f"W{l}", (layers_dims[l], layers_dims[l - 1])), (f"b{l}", (layers_dims[l], 1))):
            size = shape[0] * shape[1]
            parameters[name] = theta[start : start + size].reshape(shape).copy()
            start += size
    return parameters


def gradients_to_vector(grads):
    """Stack the gradients "dW1", "db1", ..., "dWL", "dbL" into one column vector (n, 1).

    Other entries a backward pass may add (e.g. "dA1", "dZ1") are ignored. The order matches
    ``dictionary_to_vector``.
    """
    L = sum(1 for key in grads if key.startswith("dW"))
    return np.concatenate([grads[f"d{name}"].reshape(-1, 1) for name in _keys(L)])
