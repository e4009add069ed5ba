"""Hyperparameter Tuning: log-scale sampling, softmax and its cost, batch normalization forward and backward
(see helpers/checks/__init__.py for specifications).

Shapes: scores and probabilities are (C, m), one column per example; batch normalization works on one
layer's pre-activations Z (n_l, m) with gamma, beta, mu, var of shape (n_l, 1).
"""

import numpy as np

from helpers import activations
from helpers.checks import (
    Case,
    Spec,
    advances,
    close,
    evenly_spread,
    holds,
    matches_numerical_gradient,
    repeatable,
    shape,
    varies_with,
)

#: Probabilities and costs are a few exponentials, logs and a division: exact up to rounding.
VALUE_RTOL = 1e-9
#: Batch normalization's gradient against a numerical one (right: ~1e-9; mu and var taken as constants: ~1e-1).
GRADIENT_RTOL = 1e-6


def _sampler(function, draws, low, high, size, seed, in_range):
    """The cases of a sampler ``function(low, high, size, rng)`` whose ``draws`` transform is uniform."""
    transform, describe, hint = draws
    lo, hi = sorted(float(v) for v in transform(np.array([low, high])))
    return Spec(
        (
            Case(
                args=(low, high, size, np.random.default_rng(seed)),
                label=f"{function}({low:g}, {high:g}, {size:,}, rng)",
                expect=[
                    shape(None, (size,)),
                    holds(
                        f"every value in [{low:g}, {high:g}]: {in_range}",
                        lambda r: np.all((r >= low) & (r <= high)),
                    ),
                    evenly_spread(describe, transform, lo, hi, hint=hint),
                    repeatable("the same seed to give the same values: draw every value from rng"),
                    varies_with(
                        "another seed to give other values: draw from rng",
                        rng=np.random.default_rng(seed + 1),
                    ),
                    advances("rng", lambda: np.random.default_rng(seed + 2)),
                ],
            ),
        )
    )


def sample_log_uniform(low=1e-4, high=1.0, size=10_000, seed=1):
    """Values in [low, high] whose log10 is uniform, drawn from the given generator only."""
    draws = (
        np.log10,
        "log10 of the values",
        "draw r uniformly between log10(low) and log10(high), then return 10**r",
    )
    return _sampler("sample_log_uniform", draws, low, high, size, seed, "return 10**r, not the exponent r")


def sample_beta(low=0.9, high=0.999, size=10_000, seed=1):
    """Betas in [low, high] with log10(1 - beta) uniform, drawn from the given generator only."""
    draws = (
        lambda b: np.log10(1 - b),
        "log10(1 - beta)",
        "draw r uniformly between log10(1 - high) and log10(1 - low), then beta = 1 - 10**r",
    )
    return _sampler("sample_beta", draws, low, high, size, seed, "beta = 1 - 10**r")


def softmax(seed=0, C=3, m=4, far=1000.0):
    """Column-wise softmax of random scores (and of one column), of columns around +far and -far (no
    overflow, no warning), of a single class; Z left unchanged."""
    Z = 3 * np.random.default_rng(seed).standard_normal((C, m))
    T = np.exp(Z - Z.max(axis=0))
    mistakes = {
        "normalize each column (axis=0), one column per example": np.exp(Z)
        / np.exp(Z).sum(axis=1, keepdims=True),
        "normalize each column separately, not the whole matrix": T / T.sum(),
    }
    far_Z = np.array([[far, -far], [far - 1, -far - 1]])
    return Spec(
        (
            Case(
                args=(Z,),
                label=f"softmax(Z of shape {Z.shape})",
                expect=[
                    shape(None, (C, m)),
                    close(None, activations.softmax(Z), rtol=VALUE_RTOL, mistakes=mistakes),
                ],
            ),
            Case(
                args=(Z[:, :1],),
                label="softmax(one column)",
                expect=[close(None, activations.softmax(Z[:, :1]), rtol=VALUE_RTOL)],
            ),
            Case(
                args=(far_Z,),
                label=f"softmax(columns around +{far:g} and -{far:g})",
                expect=[
                    close(
                        None,
                        activations.softmax(far_Z),
                        rtol=VALUE_RTOL,
                        hint="subtract each column's own maximum, np.max(Z, axis=0, keepdims=True), before np.exp",
                    )
                ],
            ),
            Case(args=(Z[:1],), label="softmax(a single class)", expect=[close(None, np.ones((1, m)))]),
        )
    )


def compute_softmax_cost(seed=0, C=3, m=4):
    """-1/m sum of y log a over random probabilities and one-hot labels (and a single example): one number."""
    rng = np.random.default_rng(seed)
    AL = activations.softmax(rng.standard_normal((C, m)))
    labels = rng.integers(0, C, m)
    Y = (np.arange(C)[:, None] == labels).astype(int)
    expected = -np.mean(np.log(AL[labels, np.arange(m)]))
    mistakes = {
        "average over the m examples, not over all C * m entries": expected / C,
        "divide the sum by m": expected * m,
        "use only y log a: the (1 - y) log(1 - a) term belongs to the two-class cost": expected
        - np.sum((1 - Y) * np.log(1 - AL)) / m,
    }
    return Spec(
        (
            Case(
                args=(AL, Y),
                label=f"compute_softmax_cost(AL, Y) for C = {C}, m = {m}",
                expect=[close(None, expected, rtol=VALUE_RTOL, mistakes=mistakes)],
            ),
            Case(
                args=(AL[:, :1], Y[:, :1]),
                label="compute_softmax_cost(AL, Y) for a single example",
                expect=[close(None, -np.log(AL[labels[0], 0]), rtol=VALUE_RTOL)],
            ),
        )
    )


def _batchnorm(Z, gamma, beta, mu, var, epsilon):
    """(Z_hat, Z_tilde) of the reference batch normalization with the statistics mu, var."""
    Z_hat = (Z - mu) / np.sqrt(var + epsilon)
    return Z_hat, gamma * Z_hat + beta


def _layer(seed, n, m):
    rng = np.random.default_rng(seed)
    Z = 2 + 3 * rng.standard_normal((n, m))
    gamma, beta = rng.uniform(0.5, 2, (n, 1)), rng.standard_normal((n, 1))
    running = {"mean": rng.standard_normal((n, 1)), "var": rng.uniform(0.5, 2, (n, 1))}
    return Z, gamma, beta, running, rng


def batchnorm_forward(seed=0, n=2, m=4, momentum=0.8, epsilon=1.0):
    """Per-unit batch statistics (1/m variance), Z_hat with epsilon inside the root, scale and shift, new
    running averages in a new dict (with ``momentum`` and the default 0.9); at test time the running
    statistics, returned unchanged; a unit whose variance is the default epsilon shows where it goes."""
    Z, gamma, beta, running, _ = _layer(seed, n, m)
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    Z_hat, Z_tilde = _batchnorm(Z, gamma, beta, mu, var, epsilon)
    tiny = 1e-4 * np.array([[-1.0, 1.0] * (m // 2)])  # variance 1e-8, as large as the default epsilon
    one = Z[:, :1]
    new_var = "new var = momentum * running['var'] + (1 - momentum) * var, with the batch variance"
    return Spec(
        (
            Case(
                args=(Z, gamma, beta, running, momentum, epsilon),
                label=f"batchnorm_forward(Z {Z.shape}, momentum={momentum}, epsilon={epsilon}, training=True)",
                expect=[
                    shape("Z_tilde", Z.shape),
                    close(("cache", "mu"), mu, hint="each unit's (row's) mean over the m examples (axis=1)"),
                    close(
                        ("cache", "var"),
                        var,
                        hint="each unit's variance over the m examples, with 1/m (np.var, axis=1)",
                    ),
                    close(
                        ("cache", "Z_hat"),
                        Z_hat,
                        hint="Z_hat = (Z - mu) / sqrt(var + epsilon), with the epsilon argument",
                    ),
                    close("Z_tilde", Z_tilde, hint="Z_tilde = gamma * Z_hat + beta"),
                    close(
                        ("new_running", "mean"),
                        momentum * running["mean"] + (1 - momentum) * mu,
                        hint="new mean = momentum * running['mean'] + (1 - momentum) * mu",
                    ),
                    close(
                        ("new_running", "var"), momentum * running["var"] + (1 - momentum) * var, hint=new_var
                    ),
                ],
            ),
            Case(
                args=(
                    tiny,
                    np.ones((1, 1)),
                    np.zeros((1, 1)),
                    {"mean": np.zeros((1, 1)), "var": np.ones((1, 1))},
                ),
                label="batchnorm_forward(Z with variance 1e-8, default momentum and epsilon)",
                expect=[
                    close(
                        "Z_tilde",
                        tiny / np.sqrt(2e-8),
                        hint="add epsilon (default 1e-8) inside the square root: sqrt(var + epsilon)",
                    ),
                    close(
                        ("new_running", "var"),
                        [[0.9 + 0.1e-8]],
                        rtol=1e-12,
                        atol=0,
                        hint=new_var + "; the default momentum is 0.9",
                    ),
                ],
            ),
            Case(
                args=(one, gamma, beta, running),
                kwargs={"epsilon": epsilon, "training": False},
                label="batchnorm_forward(one example, training=False)",
                expect=[
                    close(
                        "Z_tilde",
                        _batchnorm(one, gamma, beta, running["mean"], running["var"], epsilon)[1],
                        hint="at test time normalize with running['mean'] and running['var'], not the batch's own",
                    ),
                    close(
                        ("new_running", "mean"),
                        running["mean"],
                        hint="at test time return the running statistics unchanged",
                    ),
                    close(
                        ("new_running", "var"),
                        running["var"],
                        hint="at test time return the running statistics unchanged",
                    ),
                ],
            ),
        ),
        returns=("Z_tilde", "cache", "new_running"),
    )


def batchnorm_backward(seed=0, n=2, m=4, epsilons=(1.0, 1e-8)):
    """For each epsilon: dZ, dgamma and dbeta of J = sum(D * Z_tilde) (so dZ_tilde = D) against a numerical
    gradient through mu and var, with the cache's epsilon; the cache left unchanged."""
    cases = []
    for epsilon in epsilons:
        Z, gamma, beta, _, rng = _layer(seed, n, m)
        D = rng.standard_normal((n, m))
        mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
        Z_hat, _ = _batchnorm(Z, gamma, beta, mu, var, epsilon)
        cache = {"Z": Z, "Z_hat": Z_hat, "mu": mu, "var": var, "gamma": gamma, "epsilon": epsilon}

        def cost(p, D=D, epsilon=epsilon):
            Z = p["Z"]
            mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
            return float(np.sum(D * _batchnorm(Z, p["gamma"], p["beta"], mu, var, epsilon)[1]))

        hints = {
            "dbeta": "sum dZ_tilde over the examples of each unit (axis=1, keepdims=True)",
            "dgamma": "sum dZ_tilde * Z_hat over the examples of each unit (axis=1, keepdims=True)",
            "dZ": "mu and var depend on Z too (the two sums over the examples); dZ_hat = gamma * dZ_tilde; "
            "s = sqrt(var + epsilon) with the cache's epsilon",
        }
        cases.append(
            Case(
                args=(D, cache),
                label=f"batchnorm_backward(dZ_tilde, cache) for Z {Z.shape} and epsilon = {epsilon:g}",
                expect=[
                    shape("dZ", Z.shape),
                    shape("dgamma", (n, 1)),
                    shape("dbeta", (n, 1)),
                    matches_numerical_gradient(
                        cost, {"Z": Z, "gamma": gamma, "beta": beta}, GRADIENT_RTOL, hints
                    ),
                ],
            )
        )
    return Spec(tuple(cases), returns=("dZ", "dgamma", "dbeta"))
