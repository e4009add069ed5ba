"""Regularization: the L2-regularized cost and gradients, dropout forward and backward (see helpers/checks).

The network is [n_0, n_1, n_2, 1], LINEAR->RELU twice then LINEAR->SIGMOID; caches follow helpers.network
(dropout adds the masks "D1", "D2" and stores activations after dropout).
"""

import numpy as np

from helpers.activations import relu, sigmoid
from helpers.checks import (
    Case,
    Spec,
    advances,
    close,
    holds,
    instance,
    keys,
    matches_numerical_gradient,
    repeatable,
    shape,
)
from helpers.checks.numerics import cross_entropy_from_scores
from helpers.network import backward_propagation, compute_cost, forward_propagation, initialize_parameters

GRADIENTS = ["dW1", "db1", "dW2", "db2", "dW3", "db3"]
#: Gradient tolerance against a numerical gradient through ReLUs: a right gradient gives ~1e-9, a wrong
#: term 1e-3 or more.
GRADIENT_RTOL = 1e-6
#: Share of kept units: 4,000 x 20 draws have a standard error of 0.002, so 0.02 is 10 of them.
KEPT_SHARE_ATOL = 0.02


def _network(seed, layers_dims, m, bias=0.0):
    """Inputs X (n_0, m), labels Y (1, m) and parameters (helpers.network's initializer, biases ``bias``)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((layers_dims[0], m)), (rng.random((1, m)) < 0.5).astype(int)
    parameters = initialize_parameters(list(layers_dims), seed=seed)
    for l in range(1, len(layers_dims)):
        parameters[f"b{l}"] = parameters[f"b{l}"] + bias
    return X, Y, parameters, rng


def _penalty(parameters):
    return sum(float(np.sum(parameters[f"W{l}"] ** 2)) for l in (1, 2, 3))


def compute_cost_with_regularization(seed=None, lambds=(0.0, 0.5, 2.0)):
    """The cross-entropy plus lambd / (2m) times the squared weights, for each lambd; hand-picked values
    (squared weights 6 + 9 + 1 = 16, biases 5 that must not count), or random ones from ``seed``."""
    if seed is None:
        parameters = {
            "W1": np.array([[1.0, -1.0], [2.0, 0.0]]),
            "W2": np.array([[3.0, 0.0]]),
            "W3": np.array([[-1.0]]),
        }
        parameters.update({f"b{l}": np.full((len(parameters[f"W{l}"]), 1), 5.0) for l in (1, 2, 3)})
        A3, Y = np.array([[0.8, 0.3, 0.6, 0.1]]), np.array([[1, 0, 1, 0]])
    else:
        _, _, parameters, rng = _network(seed, (3, 5, 4, 1), 7, bias=3.0)
        A3, Y = rng.uniform(0.05, 0.95, (1, 7)), (rng.random((1, 7)) < 0.5).astype(int)
    m, squares = Y.shape[1], _penalty(parameters)
    cross_entropy = compute_cost(A3, Y)
    biases = sum(float(np.sum(parameters[f"b{l}"] ** 2)) for l in (1, 2, 3))
    norms = sum(float(np.linalg.norm(parameters[f"W{l}"])) for l in (1, 2, 3))

    def cost(lambd):
        return close(
            None,
            cross_entropy + lambd / (2 * m) * squares,
            hint="the cross-entropy plus lambd / (2 * m) times the sum of every squared weight",
            mistakes={
                "divide by 2 * m, not by m": cross_entropy + lambd / m * squares,
                "penalize only the weights, not the biases": cross_entropy
                + lambd / (2 * m) * (squares + biases),
                "square the norms: sum the squares of every weight, np.sum(np.square(W))": cross_entropy
                + lambd / (2 * m) * norms,
                "divide by 2 * m, not by 2": cross_entropy + lambd / 2 * squares,
            },
        )

    return Spec(
        tuple(
            Case(
                args=(A3, Y, parameters, lambd),
                label=f"compute_cost_with_regularization(A3, Y, parameters, lambd={lambd}) with m = {m}",
                expect=[instance(None, (float, np.floating)), cost(lambd)],
            )
            for lambd in lambds
        )
    )


def backward_propagation_with_regularization(seed=2, layers_dims=(2, 4, 3, 1), m=5, lambd=0.8):
    """The gradients of the regularized cost against a numerical gradient; lambd = 0 is backprop itself."""
    X, Y, parameters, _ = _network(seed, layers_dims, m, bias=0.1)
    _, cache = forward_propagation(X, parameters)

    def cost(p):
        Z3 = forward_propagation(X, p)[1]["Z3"]
        return cross_entropy_from_scores(Z3, Y) + lambd / (2 * m) * _penalty(p)

    dW = "add lambd / m * W (the derivative of lambd / (2m) * ||W||^2) to backward_propagation's dW"
    db = "the biases are not regularized: leave db as backward_propagation returns it"
    plain = backward_propagation(X, Y, cache)
    return Spec(
        (
            Case(
                args=(X, Y, cache, lambd),
                label=f"backward_propagation_with_regularization(X, Y, cache, lambd={lambd}) with m = {m}",
                expect=[
                    keys(GRADIENTS, allow_extra=True),
                    matches_numerical_gradient(
                        cost, parameters, GRADIENT_RTOL, hints={g: dW if "W" in g else db for g in GRADIENTS}
                    ),
                ],
            ),
            Case(
                args=(X, Y, cache, 0.0),
                label="backward_propagation_with_regularization(X, Y, cache, lambd=0.0)",
                expect=[close(g, plain[g]) for g in GRADIENTS],
            ),
        )
    )


def dropout_network(parameters, X, D1, D2, keep_prob):
    """The cache of the dropout network on X with the masks D1, D2 held fixed (the reference)."""
    cache, A = {"A0": X}, X
    for l, D in ((1, D1), (2, D2), (3, None)):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        A = sigmoid(Z) if D is None else relu(Z) * D / keep_prob
        cache.update({f"Z{l}": Z, f"A{l}": A, f"W{l}": parameters[f"W{l}"], f"b{l}": parameters[f"b{l}"]})
        if D is not None:
            cache[f"D{l}"] = D
    return cache


def forward_propagation_with_dropout(seed=3, layers_dims=(2, 20, 3, 1), m=4000, keep_probs=(0.7,)):
    """Masks drawn from rng with the right share and shapes, every layer computed with them, the output layer
    not dropped, fresh masks from one generator and the same masks from the same seed; keep_prob 1 is the
    plain network."""
    X, _, parameters, _ = _network(seed, layers_dims, m)
    parameters["b2"] = parameters["b2"] + 0.5  # most Z2 > 0, so that a missed dropout in layer 2 shows
    n1, n2 = layers_dims[1], layers_dims[2]

    computed = {}

    def yours(r, keep_prob):  # the network computed from X with the masks the function drew (once a result)
        if computed.get("result") is not r:
            computed.update(result=r, cache=dropout_network(parameters, X, r[1]["D1"], r[1]["D2"], keep_prob))
        return computed["cache"]

    def case(keep_prob):
        agrees = [
            (
                "A1",
                "cache['A1'] = relu(Z1) * D1 / keep_prob (zero where dropped, kept values divided by keep_prob)",
            ),
            ("Z2", "cache['Z2'] = W2 A1 + b2, with A1 after dropout"),
            (
                "A2",
                "cache['A2'] = relu(Z2) * D2 / keep_prob: the second hidden layer is dropped and scaled too",
            ),
        ]
        return Case(
            args=(X, parameters, keep_prob, np.random.default_rng(0)),
            label=f"forward_propagation_with_dropout(X of shape {X.shape}, keep_prob={keep_prob})",
            expect=[
                shape("A3", (1, m)),
                keys(["A0", "Z1", "A1", "D1", "Z2", "A2", "D2", "Z3", "A3"], at="cache", allow_extra=True),
                shape(("cache", "D1"), (n1, m)),
                shape(("cache", "D2"), (n2, m)),
                holds(
                    "D1 and D2 to hold only 0s and 1s",
                    lambda r: all(np.isin(r[1][D], (0, 1)).all() for D in ("D1", "D2")),
                ),
                close(
                    ("cache", "D1", np.mean),
                    keep_prob,
                    atol=KEPT_SHARE_ATOL,
                    hint="keep a unit with probability keep_prob",
                ),
                close(
                    ("cache", "D2", np.mean),
                    keep_prob,
                    atol=KEPT_SHARE_ATOL,
                    hint="keep a unit with probability keep_prob",
                ),
                holds(
                    "D1 to vary across examples and units: draw one entry per unit and example",
                    lambda r: (
                        0 < np.mean(r[1]["D1"] != r[1]["D1"][:, :1])
                        and 0 < np.mean(r[1]["D1"] != r[1]["D1"][:1])
                    ),
                ),
                [
                    holds(text, lambda r, k=k: np.allclose(r[1][k], yours(r, keep_prob)[k]))
                    for k, text in agrees
                ],
                holds(
                    "A3 = sigmoid(W3 A2 + b3), computed from X with your masks D1, D2 (the output layer is never dropped)",
                    lambda r: np.allclose(r[0], yours(r, keep_prob)["A3"]),
                ),
                advances("rng", lambda: np.random.default_rng(12), at=("cache", "D1")),
                repeatable("two generators with the same seed to give the same masks: draw from rng"),
            ],
        )

    plain = Case(
        args=(X, parameters, 1.0, np.random.default_rng(0)),
        label="forward_propagation_with_dropout(X, keep_prob=1.0)",
        expect=[close("A3", forward_propagation(X, parameters)[0])],
    )
    return Spec(tuple(case(keep_prob) for keep_prob in keep_probs) + (plain,), returns=("A3", "cache"))


def backward_propagation_with_dropout(seed=5, layers_dims=(2, 5, 3, 1), m=6, keep_prob=0.6):
    """The gradients with the forward pass's masks against a numerical gradient with the masks held fixed
    (a unit dropped for every example gets none); keep_prob 1 with every unit kept is plain backprop."""
    X, Y, parameters, rng = _network(seed, layers_dims, m, bias=0.1)
    D1, D2 = rng.random((layers_dims[1], m)) < keep_prob, rng.random((layers_dims[2], m)) < keep_prob
    D1[0] = False  # unit 1 of layer 1 dropped for every example: it must get no gradient

    def cost(p):
        return cross_entropy_from_scores(dropout_network(p, X, D1, D2, keep_prob)["Z3"], Y)

    mask = "multiply dA{l} = W{n}^T dZ{n} by the mask D{l} and divide by keep_prob, as in the forward pass"
    hints = {
        "dW3": "dW3 = dZ3 A2^T / m with dZ3 = A3 - Y and A2 the cached activation after dropout",
        "db3": "db3 is the mean of dZ3 = A3 - Y over the examples",
        **{f"d{p}{l}": mask.format(l=l, n=l + 1) for l in (1, 2) for p in "Wb"},
    }
    ones = [np.ones((n, m), dtype=bool) for n in layers_dims[1:3]]
    plain = backward_propagation(X, Y, forward_propagation(X, parameters)[1])
    return Spec(
        (
            Case(
                args=(X, Y, dropout_network(parameters, X, D1, D2, keep_prob), keep_prob),
                label=f"backward_propagation_with_dropout(X, Y, cache with masks D1 and D2, keep_prob={keep_prob})",
                expect=[
                    keys(GRADIENTS, allow_extra=True),
                    shape("dW1", parameters["W1"].shape),
                    matches_numerical_gradient(cost, parameters, GRADIENT_RTOL, hints=hints),
                ],
            ),
            Case(
                args=(X, Y, dropout_network(parameters, X, *ones, 1.0), 1.0),
                label="backward_propagation_with_dropout(keep_prob=1.0, every unit kept)",
                expect=[close(g, plain[g]) for g in GRADIENTS],
            ),
        )
    )
