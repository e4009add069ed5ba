"""Activation functions and their backward passes.

Every function but ``softmax`` works elementwise on arrays of any shape; ``Z`` is a layer's
pre-activation, typically of shape (n_l, m), and ``dA`` is the gradient of the cost with respect to the
activation, of the same shape. ``softmax`` works on each column (one example) of a (C, m) array.
"""

import numpy as np


def sigmoid(Z):
    """Logistic function 1 / (1 + exp(-Z)), computed without overflow.

    ``np.exp(-Z)`` overflows (and warns) for Z below about -709, so each entry uses the form whose
    exponent is never positive: exp(-|z|) lies in (0, 1].

    Arguments:
    Z -- array of any shape, e.g. (n_l, m)

    Returns:
    A -- array of Z's shape, entries in [0, 1]
    """
    Z = np.asarray(Z, dtype=float)
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E))


def sigmoid_backward(dA, Z):
    """Gradient through the sigmoid: dZ = dA * s * (1 - s) with s = sigmoid(Z).

    Arguments:
    dA -- gradient with respect to the activation, shape (n_l, m)
    Z -- pre-activation cached by the forward pass, shape (n_l, m)

    Returns:
    dZ -- gradient with respect to Z, shape (n_l, m)
    """
    S = sigmoid(Z)
    return dA * S * (1.0 - S)


def relu(Z):
    """Rectified linear unit max(0, Z).

    Arguments:
    Z -- array of any shape, e.g. (n_l, m)

    Returns:
    A -- array of Z's shape
    """
    return np.maximum(0.0, Z)


def relu_backward(dA, Z):
    """Gradient through the ReLU: dA where Z > 0, else 0 (the subgradient 0 is used at Z = 0).

    Arguments:
    dA -- gradient with respect to the activation, shape (n_l, m)
    Z -- pre-activation cached by the forward pass, shape (n_l, m)

    Returns:
    dZ -- gradient with respect to Z, shape (n_l, m)
    """
    return np.where(Z > 0, dA, 0.0)


def softmax(Z):
    """Column-wise softmax: each column of scores becomes C probabilities that sum to 1.

    a_k = exp(z_k) / sum_j exp(z_j), computed as exp(z_k - max_j z_j) / sum_j exp(z_j - max_j z_j): the
    same value, since the factor exp(-max) cancels, but no exponent is positive, so nothing overflows.
    (The Hyperparameter Tuning notebook asks students to write it; the networks of notebooks that come
    before it use this one.)

    Arguments:
    Z -- scores, shape (C, m): one column per example, one row per class

    Returns:
    A -- probabilities, shape (C, m), each column summing to 1
    """
    Z = np.asarray(Z, dtype=float)
    T = np.exp(Z - Z.max(axis=0, keepdims=True))
    return T / T.sum(axis=0, keepdims=True)
