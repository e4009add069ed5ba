"""Optimization: gradient descent, mini-batches, momentum, RMSProp, Adam and learning-rate decay (see
helpers/checks/__init__.py for specifications).

Every update takes dicts of "Wl" / "bl" (parameters) and "dWl" / "dbl" (gradients and optimizer state)
and returns new dicts: the caller's are left unchanged (checked by every case, as is numpy's global
random state).
"""

import numpy as np

from helpers.checks import (
    Case,
    Spec,
    close,
    equal,
    holds,
    keys,
    layer_shapes,
    repeatable,
    same_as,
    varies_with,
)
from helpers.network import update_parameters

#: Updates are a few multiplies, adds and a square root: exact up to rounding.
UPDATE_RTOL = 1e-10
#: Adam's first step moves each parameter by alpha |g| / (|g| + eps): within 1e-3 of alpha for |g| >= 1e-5.
FIRST_STEP_RTOL = 1e-3
#: The network the update cases use when not told: [3, 2, 1].
LAYERS_DIMS = (3, 2, 1)


def _dicts(seed, layers_dims):
    """Parameters, gradients, a first and a second moment (positive) for ``layers_dims``, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    shapes = {}
    for l in range(1, len(layers_dims)):
        shapes[f"W{l}"], shapes[f"b{l}"] = (layers_dims[l], layers_dims[l - 1]), (layers_dims[l], 1)
    p = {k: rng.standard_normal(s) for k, s in shapes.items()}
    g, v = ({f"d{k}": rng.standard_normal(s) for k, s in shapes.items()} for _ in range(2))
    s = {f"d{k}": rng.random(shape) for k, shape in shapes.items()}
    return p, g, v, s


def _values(at, expected, hint):
    """close() for every key of the dict ``expected``, picked from the returned value ``at``."""
    path = () if at is None else (at,)
    return [keys(list(expected), at=at)] + [
        close((*path, k), value, rtol=UPDATE_RTOL, atol=0, hint=hint) for k, value in expected.items()
    ]


def update_parameters_with_gd(seed=1, layers_dims=LAYERS_DIMS, learning_rates=(0.1, 0.0)):
    """W - learning_rate dW for every key, in a new dict; a learning rate of 0 changes nothing."""
    p, g, _, _ = _dicts(seed, layers_dims)
    return Spec(
        tuple(
            Case(
                args=(p, g, lr),
                label=f"update_parameters_with_gd(parameters, grads, learning_rate={lr})",
                expect=_values(
                    None,
                    update_parameters(p, g, lr),
                    "W - learning_rate * dW: update every layer's W and b, subtracting the gradient",
                ),
            )
            for lr in learning_rates
        )
    )


def _batches_case(m, size, sizes, **kwargs):
    """random_mini_batches on m examples whose column j is (j, -j, 2j), labelled 3j + 1."""
    X = np.vstack([np.arange(m), -np.arange(m), 2 * np.arange(m)]).astype(float)
    Y = (3 * np.arange(m) + 1)[None, :]

    def order(batches):
        return [int(j) for bx, _ in batches for j in bx[0]]

    expect = [
        equal(
            (lambda r: [bx.shape[1] for bx, _ in r],),
            list(sizes),
            name="the batch sizes",
            hint="full batches, then one smaller batch with the rest; no empty batch",
        ),
        holds(
            "batches of shapes (3, k) and (1, k)",
            lambda r: all(bx.shape[0] == 3 and by.shape == (1, bx.shape[1]) for bx, by in r),
        ),
        holds(
            "each column to keep its rows together: permute columns (X[:, permutation]), not rows or entries",
            lambda r: all(np.array_equal(bx[1], -bx[0]) and np.array_equal(bx[2], 2 * bx[0]) for bx, _ in r),
        ),
        holds(
            "each label to match its column: apply the same permutation to X and Y",
            lambda r: all(np.array_equal(by[0], 3 * bx[0] + 1) for bx, by in r),
        ),
        holds("every example in exactly one batch", lambda r: sorted(order(r)) == list(range(m))),
    ]
    if len(sizes) > 1:
        expect += [
            holds("shuffled columns: shuffle before splitting", lambda r: order(r) != list(range(m))),
            repeatable("the same seed to give the same batches: shuffle with rng"),
        ]
    if "seed" in kwargs:
        expect.append(
            varies_with("another seed to give other batches: shuffle with rng", seed=kwargs["seed"] + 1)
        )
    else:
        expect.append(same_as("the default seed to be 0", seed=0))
    shown = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return Case(
        args=(X, Y) + ((size,) if size else ()),
        kwargs=kwargs,
        label=f"random_mini_batches(X with m = {m}{f', mini_batch_size={size}' if size else ''}{', ' + shown if shown else ''})",
        expect=expect,
    )


def random_mini_batches(batchings=((10, 4, (4, 4, 2)), (8, 4, (4, 4)), (130, None, (64, 64, 2))), seed=1):
    """For each (m, mini_batch_size or None for the default, expected batch sizes): one shared shuffle of X's
    and Y's columns, full batches then a smaller last one, seeds; the last batching uses the default seed."""
    *seeded, default = batchings
    return Spec(
        tuple(_batches_case(m, size, sizes, seed=seed) for m, size, sizes in seeded)
        + (_batches_case(*default),)
    )


def _zeros(layers_dims, at=None):
    path = () if at is None else (at,)
    zeros = [
        close(
            (*path, f"d{p}{l}"),
            np.zeros((layers_dims[l], layers_dims[l - 1] if p == "W" else 1)),
            hint="create new zero arrays shaped like the parameters",
        )
        for l in range(1, len(layers_dims))
        for p in "Wb"
    ]
    return [layer_shapes(layers_dims, prefix="d", at=at), zeros]


def _state_spec(layers_dims, names=None):
    cases = tuple(
        Case(
            args=(_dicts(1, dims)[0],),
            label=f"{{}}(parameters of a network {list(dims)})",
            expect=[_zeros(dims, at) for at in names or (None,)],
        )
        for dims in layers_dims
    )
    return cases


def _labelled(cases, name, returns=None):
    return Spec(tuple(Case(c.args, c.kwargs, c.expect, c.label.format(name)) for c in cases), returns=returns)


def initialize_velocity(layers_dims=((3, 2, 1), (4, 3, 2, 1))):
    """Zero velocity keyed dW1, db1, ..., shaped like the parameters, for every layer."""
    return _labelled(_state_spec(layers_dims), "initialize_velocity")


def initialize_rmsprop(layers_dims=((3, 2, 1), (4, 3, 2, 1))):
    """Zero state keyed dW1, db1, ..., shaped like the parameters, for every layer."""
    return _labelled(_state_spec(layers_dims), "initialize_rmsprop")


def initialize_adam(layers_dims=((3, 2, 1), (4, 3, 2, 1))):
    """Two dicts of zeros, v and s, keyed dW1, db1, ..., shaped like the parameters."""
    return _labelled(_state_spec(layers_dims, ("v", "s")), "initialize_adam", returns=("v", "s"))


def update_parameters_with_momentum(seed=1, layers_dims=LAYERS_DIMS, settings=((0.9, 0.1), (0.0, 0.5))):
    """For each (beta, learning_rate): v = beta v + (1 - beta) dW, W = W - learning_rate v (the new v)."""
    p, g, v, _ = _dicts(seed, layers_dims)

    def case(beta, lr):
        new_v = {k: beta * v[k] + (1 - beta) * g[k] for k in v}
        return Case(
            args=(p, g, v, beta, lr),
            label=f"update_parameters_with_momentum(parameters, grads, v, beta={beta}, learning_rate={lr})",
            expect=[
                _values(
                    "v", new_v, "v = beta * v + (1 - beta) * dW, with the (1 - beta) factor on the gradient"
                ),
                _values(
                    "parameters",
                    update_parameters(p, new_v, lr),
                    "W = W - learning_rate * v, with the new v of this step",
                ),
            ],
        )

    return Spec(tuple(case(*setting) for setting in settings), returns=("parameters", "v"))


def update_parameters_with_rmsprop(
    seed=1, layers_dims=LAYERS_DIMS, beta2=0.9, learning_rate=0.1, epsilon=0.5
):
    """s = beta2 s + (1 - beta2) dW^2 and W = W - learning_rate dW / (sqrt(s) + epsilon), with the default
    epsilon (1e-8) and with ``epsilon``; tiny gradients from s = 0 show where epsilon goes."""
    p, g, _, s = _dicts(seed, layers_dims)
    tiny_g = {k: np.where(value > 0, 4e-8, -4e-8) for k, value in g.items()}
    zeros = {k: np.zeros_like(value) for k, value in s.items()}

    def case(grads, state, b2, eps, text, **kwargs):
        new_s = {k: b2 * state[k] + (1 - b2) * grads[k] ** 2 for k in state}
        new_p = {k: p[k] - learning_rate * grads[f"d{k}"] / (np.sqrt(new_s[f"d{k}"]) + eps) for k in p}
        return Case(
            args=(p, grads, state, b2, learning_rate),
            kwargs=kwargs,
            label=f"update_parameters_with_rmsprop({text})",
            expect=[
                _values(
                    "s",
                    new_s,
                    "s = beta2 * s + (1 - beta2) * dW**2: average the elementwise square of the gradient",
                ),
                _values(
                    "parameters",
                    new_p,
                    "W = W - learning_rate * dW / (sqrt(s) + epsilon): the new s, epsilon added after the square root",
                ),
            ],
        )

    return Spec(
        (
            case(g, s, beta2, 1e-8, f"beta2={beta2}, learning_rate={learning_rate}"),
            case(
                g,
                s,
                beta2,
                epsilon,
                f"beta2={beta2}, learning_rate={learning_rate}, epsilon={epsilon}",
                epsilon=epsilon,
            ),
            case(
                tiny_g,
                zeros,
                0.0,
                1e-8,
                "gradients of size 4e-8, s = 0, beta2 = 0: epsilon after the square root",
            ),
        ),
        returns=("parameters", "s"),
    )


def update_parameters_with_adam(
    seed=1,
    layers_dims=LAYERS_DIMS,
    t=3,
    hyperparameters=(("learning_rate", 0.2), ("beta1", 0.8), ("beta2", 0.9), ("epsilon", 0.1)),
):
    """At step t, with the given and with the default hyperparameters: both averages (returned uncorrected),
    their bias corrections by 1 - beta^t, and the step; the first step from zero state moves every parameter
    by learning_rate against its gradient, for large and tiny gradients alike."""
    p, g, v, s = _dicts(seed, layers_dims)
    names = ("parameters", "v", "s", "v_corrected", "s_corrected")

    def case(grads, v, s, t, kwargs, extra=()):
        h = {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, **kwargs}
        new_v = {k: h["beta1"] * v[k] + (1 - h["beta1"]) * grads[k] for k in v}
        new_s = {k: h["beta2"] * s[k] + (1 - h["beta2"]) * grads[k] ** 2 for k in s}
        vc = {k: value / (1 - h["beta1"] ** t) for k, value in new_v.items()}
        sc = {k: value / (1 - h["beta2"] ** t) for k, value in new_s.items()}
        new_p = {
            k: p[k] - h["learning_rate"] * vc[f"d{k}"] / (np.sqrt(sc[f"d{k}"]) + h["epsilon"]) for k in p
        }
        shown = ", ".join(f"{k}={value:g}" for k, value in kwargs.items()) or "the default hyperparameters"
        return Case(
            args=(p, grads, v, s, t),
            kwargs=kwargs,
            label=f"update_parameters_with_adam(..., t={t}) with {shown}",
            expect=[
                holds("5 results (parameters, v, s, v_corrected, s_corrected)", lambda r: len(r) == 5),
                _values("v", new_v, "v = beta1 * v + (1 - beta1) * dW, returned uncorrected"),
                _values("s", new_s, "s = beta2 * s + (1 - beta2) * dW**2, returned uncorrected"),
                _values(
                    "v_corrected", vc, "v_corrected = v / (1 - beta1**t), with the new v and this step's t"
                ),
                _values(
                    "s_corrected", sc, "s_corrected = s / (1 - beta2**t), with the new s and this step's t"
                ),
                _values(
                    "parameters", new_p, "W = W - learning_rate * v_corrected / (sqrt(s_corrected) + epsilon)"
                ),
                extra,
            ],
        )

    zeros = {k: np.zeros_like(value) for k, value in v.items()}
    first_steps = []
    for size in (10.0, 1e-5):
        grads = {k: size * np.sign(value) for k, value in g.items()}
        signs = {k: np.sign(grads[f"d{k}"]) for k in p}
        moved = [
            close(
                ("parameters", lambda q, k=k, signs=signs: (p[k] - q[k]) / signs[k]),
                np.full(p[k].shape, 0.01),
                rtol=FIRST_STEP_RTOL,
                atol=0,
                name=f"how far step 1 moved {k} against gradients of size {size:g}",
                hint="divide v and s by (1 - beta**t) and add epsilon after the square root",
            )
            for k in p
        ]
        first_steps.append(case(grads, zeros, zeros, 1, {}, moved))
    return Spec((case(g, v, s, t, dict(hyperparameters)), case(g, v, s, t, {}), *first_steps), returns=names)


def _rates(points, rate, hint):
    return Spec(
        tuple(
            Case(args=tuple(point), expect=[close(None, rate(*point), rtol=UPDATE_RTOL, atol=0, hint=hint)])
            for point in points
        )
    )


def update_lr(points=((0.5, 0, 1.0), (0.5, 2, 1.0), (0.1, 10, 0.3))):
    """learning_rate0 / (1 + decay_rate * epoch_num) at each (learning_rate0, epoch_num, decay_rate)."""
    return _rates(
        points,
        lambda lr0, t, k: lr0 / (1 + k * t),
        "inverse-time decay: learning_rate0 / (1 + decay_rate * epoch_num), not exponential",
    )


def schedule_lr_decay(points=((0.5, 999, 1.0), (0.5, 1000, 1.0), (0.5, 2500, 1.0), (0.3, 45, 1.0, 15))):
    """learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval)), time_interval 1000 by default."""
    return _rates(
        points,
        lambda lr0, t, k, interval=1000: lr0 / (1 + k * (t // interval)),
        "the rate changes only every time_interval epochs (default 1000): use floor(epoch_num / time_interval)",
    )
