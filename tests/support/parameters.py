"""Parameters for the tests of the network code (the numerical references are helpers.checks.numerics)."""

import numpy as np


def random_parameters(layers_dims, rng):
    """Parameters with non-zero biases, so that bias gradients are exercised too."""
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters[f"W{l}"] = rng.standard_normal((layers_dims[l], layers_dims[l - 1])) * np.sqrt(
            2 / layers_dims[l - 1]
        )
        parameters[f"b{l}"] = rng.standard_normal((layers_dims[l], 1)) * 0.1
    return parameters
