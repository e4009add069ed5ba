"""Initialization: zeros, random x10, He and Xavier initializers (helpers/checks/__init__.py explains specs).

Every initializer returns a dict of "Wl" (n_l, n_{l-1}) and "bl" (n_l, 1) for l = 1..L; the random ones
draw W from N(0, sd(n_{l-1})²) with ``rng = np.random.default_rng(seed)`` (default seed 3) and leave the
biases zero.
"""

import numpy as np

from helpers.checks import (
    Case,
    Spec,
    close,
    dtype,
    holds,
    layer_shapes,
    normal,
    repeatable,
    same_as,
    varies_with,
)


def _zero_biases(layers_dims):
    return [
        close(f"b{l}", np.zeros((layers_dims[l], 1)), hint="biases start at zero")
        for l in range(1, len(layers_dims))
    ]


def initialize_parameters_zeros(layers_dims=((3, 2, 1), (2, 4, 3, 1))):
    """One case per network in ``layers_dims``: every W and b present, shaped, float and zero."""
    return Spec(
        tuple(
            Case(
                args=(list(dims),),
                expect=[
                    layer_shapes(dims),
                    [
                        dtype(f"{p}{l}", np.floating, hint="use float zeros (np.zeros)")
                        for l in range(1, len(dims))
                        for p in "Wb"
                    ],
                    [close(f"W{l}", np.zeros((dims[l], dims[l - 1]))) for l in range(1, len(dims))],
                    _zero_biases(dims),
                ],
            )
            for dims in layers_dims
        )
    )


def _random_initializer(sd, scale, layers_dims, seed):
    """The cases of the random initializers; ``sd(n_prev)`` is W's standard deviation for fan-in n_prev."""
    return Spec(
        (
            Case(args=([3, 2, 1],), expect=[layer_shapes((3, 2, 1)), _zero_biases((3, 2, 1))]),
            Case(
                args=(list(layers_dims),),
                expect=[
                    normal(f"W{l}", sd(layers_dims[l - 1]), hint=f"multiply standard normal draws by {scale}")
                    for l in range(1, len(layers_dims))
                ],
            ),
            Case(
                args=([3, 3, 3],),
                kwargs={"seed": seed},
                expect=[
                    repeatable("the same seed to give the same weights: draw from rng"),
                    varies_with("another seed to give other weights: draw from rng", seed=seed + 1),
                    holds(
                        "W1 and W2 to hold different numbers: create rng once, before the loop",
                        lambda p: not np.allclose(p["W1"], p["W2"]),
                    ),
                ],
            ),
            Case(args=([3, 3, 3],), expect=[same_as("the default seed to be 3", seed=3)]),
        )
    )


def initialize_parameters_random(layers_dims=(1000, 500, 250), seed=5):
    """Weights 10 N(0, 1): shapes, zero biases, the statistics of the draws, seeds."""
    return _random_initializer(lambda n_prev: 10.0, "10", layers_dims, seed)


def initialize_parameters_he(layers_dims=(1000, 500, 250), seed=5):
    """Weights N(0, 2 / n_{l-1}): shapes, zero biases, the statistics of the draws, seeds."""
    return _random_initializer(lambda n_prev: np.sqrt(2 / n_prev), "sqrt(2 / n_{l-1})", layers_dims, seed)


def initialize_parameters_xavier(layers_dims=(1000, 500, 250), seed=5):
    """Weights N(0, 1 / n_{l-1}): shapes, zero biases, the statistics of the draws, seeds."""
    return _random_initializer(lambda n_prev: np.sqrt(1 / n_prev), "sqrt(1 / n_{l-1})", layers_dims, seed)
