"""Practical Aspects: splitting a dataset, normalizing inputs, diagnosing bias and variance, shifting digit
images, early stopping (helpers/checks/__init__.py explains specifications).

Shapes: X is (n_x, m) and Y is (n_y, m), one column per example; a digit image is a column of 64 pixels, the
8 x 8 image row by row (``X[:, i].reshape(8, 8)``).
"""

import numpy as np

from helpers.checks import (
    Case,
    Spec,
    advances,
    close,
    equal,
    holds,
    keys,
    repeatable,
    shape,
    varies_with,
)

#: Normalized inputs and gaps between error rates are a few subtractions and divisions: exact up to rounding.
VALUE_RTOL = 1e-9
VALUE_ATOL = 1e-12
#: The epsilon of a known mistake: sigma + EPSILON_GUARD instead of sigma = 1 where sigma is 0.
EPSILON_GUARD = 1e-8
#: A normalized training set's features have mean 0 and standard deviation 1 up to rounding.
MOMENT_ATOL = 1e-9
#: Side of the course's digit images, in pixels.
IMAGE_SIDE = 8
#: The default threshold of ``diagnose`` in the notebook: a gap above 2 percentage points is high.
DEFAULT_THRESHOLD = 0.02

_SETS = ("train_X", "train_Y", "dev_X", "dev_Y", "test_X", "test_Y")


def _ids(result, names):
    """The example ids (row 0 of each X) in the named sets of a split, as one list."""
    return [int(i) for name in names for i in np.ravel(result[_SETS.index(name)][0])]


def _labelled_examples(m, n_classes=2):
    """X (2, m) whose row 0 is each example's id and row 1 its id + 1000; Y (1, m) the sorted labels."""
    ids = np.arange(m)
    X = np.vstack([ids, ids + 1000]).astype(float)
    Y = (ids * n_classes // m)[None, :]  # sorted: the classes come in blocks, as files often are
    return X, Y


def _split_checks(X, Y, sizes_out):
    """Expectations of any split of (X, Y) into sets of sizes ``sizes_out`` = (m_train, m_dev, m_test)."""
    m = X.shape[1]
    label_of = {int(i): int(y) for i, y in zip(X[0], Y[0])}
    shapes = [
        shape(name, (rows, n), name=name, hint="index the columns (examples): X[:, indices]")
        for name, rows, n in zip(
            _SETS,
            (X.shape[0], Y.shape[0]) * 3,
            (sizes_out[0], sizes_out[0], sizes_out[1], sizes_out[1], sizes_out[2], sizes_out[2]),
        )
    ]
    return [
        shapes,
        holds(
            f"each of the {m} examples in exactly one of the three sets: cut one shuffled order into three "
            "consecutive pieces",
            lambda r: sorted(_ids(r, ("train_X", "dev_X", "test_X"))) == list(range(m)),
        ),
        holds(
            "each example's label to stay with it (train_Y[:, j] belongs to train_X[:, j]): "
            "index X and Y with the same shuffled order",
            lambda r: all(
                int(y) == label_of.get(int(i))
                for x_name, y_name in (("train_X", "train_Y"), ("dev_X", "dev_Y"), ("test_X", "test_Y"))
                for i, y in zip(np.ravel(r[_SETS.index(x_name)][0]), np.ravel(r[_SETS.index(y_name)]))
            ),
        ),
    ]


def split_dataset(
    m=20, counts=(12, 4, 4), fractions=((0.6, 0.2, 0.2), (0.98, 0.01, 0.01)), m_large=1000, seed=0
):
    """Counts and fractions: the sets' sizes, a partition of the examples, labels kept with their examples,
    the order shuffled, drawn from the given generator only."""
    X, Y = _labelled_examples(m)
    n_train = counts[0]
    cases = [
        Case(
            args=(X, Y, counts, np.random.default_rng(seed)),
            label=f"split_dataset(X of {m} examples, Y, sizes={counts}, rng)",
            expect=[
                _split_checks(X, Y, counts),
                holds(
                    "the examples to be shuffled before they are cut (the training set is not the first "
                    f"{n_train} examples): draw an order with rng.permutation(m)",
                    lambda r: sorted(_ids(r, ("train_X",))) != list(range(n_train)),
                ),
                repeatable("the same generator state to give the same split: draw the order from rng"),
                varies_with(
                    "another generator to give another split: draw the order from rng",
                    rng=np.random.default_rng(seed + 1),
                ),
                advances("rng", lambda: np.random.default_rng(seed + 2)),
            ],
        )
    ]
    X_large, Y_large = _labelled_examples(m_large, n_classes=10)
    for sizes in fractions:
        n_dev, n_test = int(sizes[1] * m_large), int(sizes[2] * m_large)
        cases.append(
            Case(
                args=(X_large, Y_large, sizes, np.random.default_rng(seed)),
                label=f"split_dataset(X of {m_large:,} examples, Y, sizes={sizes}, rng)",
                expect=[_split_checks(X_large, Y_large, (m_large - n_dev - n_test, n_dev, n_test))],
            )
        )
    return Spec(tuple(cases), returns=_SETS)


def _normalized(train_X, X):
    mu, sigma = train_X.mean(axis=1, keepdims=True), train_X.std(axis=1, keepdims=True)
    return (X - mu) / np.where(sigma == 0, 1.0, sigma)


def _normalization_mistakes(train_X, X):
    """{hint: what a known mistake returns} for normalize_inputs(train_X, X)."""
    mu, sigma = train_X.mean(axis=1, keepdims=True), train_X.std(axis=1, keepdims=True)
    per_feature = "one mean and standard deviation per feature (a row of train_X), over its examples: axis=1"
    mistakes = {
        "normalize with the training set's mean and standard deviation (train_X), not with X's own": (
            _normalized(X, X)
        ),
        per_feature: (X - train_X.mean()) / train_X.std(),
        "divide by the standard deviation, not by the variance": (X - mu)
        / np.where(sigma == 0, 1.0, sigma**2),
        "the standard deviation with 1/m (np.std's default), not 1/(m - 1)": (X - mu)
        / np.where(sigma == 0, 1.0, train_X.std(axis=1, ddof=1, keepdims=True)),
        "divide by sigma itself (1 where it is 0), not by sigma + epsilon": (X - mu)
        / (sigma + EPSILON_GUARD),
    }
    if X.shape == train_X.shape:  # statistics of each example (axis=0) broadcast only then
        mistakes[per_feature + ", not axis=0"] = (X - train_X.mean(axis=0)) / train_X.std(axis=0)
    return mistakes


def _as_reference(train_X, X):
    """normalize_inputs(train_X, X) equals the reference, with the hint of a known mistake when it does not."""
    return close(
        None,
        _normalized(train_X, X),
        rtol=VALUE_RTOL,
        atol=VALUE_ATOL,
        mistakes=_normalization_mistakes(train_X, X),
    )


def normalize_inputs(seed=0, n_x=3, m_train=50, m=7):
    """The training set itself, another set (normalized with the training statistics), a feature that is
    0 in every training example, a single example; arguments left unchanged."""
    rng = np.random.default_rng(seed)
    offsets, scales = np.array([[5.0], [-2.0], [0.1]]), np.array([[3.0], [0.5], [0.01]])
    train_X = offsets[:n_x] + scales[:n_x] * rng.standard_normal((n_x, m_train))
    X = offsets[:n_x] + 2 * scales[:n_x] * rng.standard_normal((n_x, m)) + scales[:n_x]
    blank_train = np.vstack([train_X, np.zeros((1, m_train))])
    blank_X = np.vstack([X, np.linspace(0.0, 0.6, m)[None, :]])
    single = X[:, :1]
    return Spec(
        (
            Case(
                args=(train_X, train_X),
                label=f"normalize_inputs(train_X {train_X.shape}, train_X)",
                expect=[
                    shape(None, train_X.shape),
                    _as_reference(train_X, train_X),
                    holds(
                        "every feature of the normalized training set to have mean 0 and standard deviation 1",
                        lambda r: (
                            np.allclose(np.mean(r, axis=1), 0, atol=MOMENT_ATOL)
                            and np.allclose(np.std(r, axis=1), 1, atol=MOMENT_ATOL)
                        ),
                    ),
                ],
            ),
            Case(
                args=(train_X, X),
                label=f"normalize_inputs(train_X {train_X.shape}, X {X.shape})",
                expect=[
                    shape(None, X.shape),
                    _as_reference(train_X, X),
                ],
            ),
            Case(
                args=(blank_train, blank_X),
                label="normalize_inputs(train_X with a feature that is 0 in every example, X)",
                expect=[
                    shape(None, blank_X.shape),
                    close(
                        n_x,
                        blank_X[n_x],
                        rtol=VALUE_RTOL,
                        atol=VALUE_ATOL,
                        name="the feature that is 0 in every training example",
                        hint="where sigma is 0, divide by 1 instead: the feature then stays x - mu; a small "
                        "epsilon added to sigma would turn a value the training set never had into a huge number",
                        mistakes={
                            hint: value[n_x]
                            for hint, value in _normalization_mistakes(blank_train, blank_X).items()
                        },
                    ),
                ],
            ),
            Case(
                args=(train_X, single),
                label="normalize_inputs(train_X, a single example)",
                expect=[
                    shape(None, (n_x, 1)),
                    close(
                        None,
                        _normalized(train_X, single),
                        rtol=VALUE_RTOL,
                        mistakes={
                            "a single example's own standard deviation is 0: normalize it with the training "
                            "set's statistics": np.zeros_like(single)
                        },
                    ),
                ],
            ),
        )
    )


_DIAGNOSIS_KEYS = ("avoidable_bias", "variance", "high_bias", "high_variance")


def _diagnosis(train_error, dev_error, baseline_error, threshold):
    bias, variance = train_error - baseline_error, dev_error - train_error
    return bias, variance, bias > threshold, variance > threshold


def diagnose(
    errors=(
        (0.01, 0.11, 0.0),
        (0.15, 0.16, 0.0),
        (0.15, 0.30, 0.0),
        (0.005, 0.01, 0.0),
        (0.15, 0.16, 0.14),
        (0.05, 0.08, 0.01),
        (0.01, 0.005, 0.05),
        (0.10, 0.05, 0.09),
    ),
    threshold=0.05,
):
    """For each (train, dev, baseline) error: both gaps and both verdicts, with the default threshold and
    with ``threshold``; the caller's numbers read as given (no absolute values)."""
    cases = []
    for train_error, dev_error, baseline_error in errors:
        for given in (None, threshold):
            limit = DEFAULT_THRESHOLD if given is None else given
            bias, variance, high_bias, high_variance = _diagnosis(
                train_error, dev_error, baseline_error, limit
            )
            cases.append(
                Case(
                    args=(train_error, dev_error, baseline_error),
                    kwargs={} if given is None else {"threshold": given},
                    expect=[
                        keys(_DIAGNOSIS_KEYS),
                        close(
                            "avoidable_bias",
                            bias,
                            atol=VALUE_ATOL,
                            mistakes={
                                "avoidable bias is training error minus the baseline error": train_error,
                                "avoidable bias compares the training error (not the dev error) with the baseline": (
                                    dev_error - baseline_error
                                ),
                            },
                            hint="avoidable bias = train_error - baseline_error",
                        ),
                        close(
                            "variance",
                            variance,
                            atol=VALUE_ATOL,
                            mistakes={
                                "variance is dev error minus training error (not minus the baseline)": (
                                    dev_error - baseline_error
                                ),
                            },
                            hint="variance = dev_error - train_error",
                        ),
                        equal("high_bias", high_bias, hint=_verdict_hint("avoidable_bias", bias, limit)),
                        equal(
                            "high_variance", high_variance, hint=_verdict_hint("variance", variance, limit)
                        ),
                    ],
                )
            )
    return Spec(tuple(cases))


def _verdict_hint(gap, value, threshold):
    """What to fix in a wrong high_bias or high_variance verdict."""
    hint = f"high_{gap.removeprefix('avoidable_')} is {gap} > threshold (threshold = {threshold:g} here)"
    if value < 0:
        hint += (
            f"; a negative {gap.replace('_', ' ')} is no problem at all: compare the gap itself, not its size"
        )
    return hint


def _images(X):
    """(m, 8, 8) images of a (64, m) array: column i is image i, its pixels row by row."""
    return X.T.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def _columns(images):
    """The (64, m) array of (m, 8, 8) images."""
    return images.reshape(-1, IMAGE_SIDE * IMAGE_SIDE).T


def _moved(images, dx, dy):
    """(m, 8, 8) images moved dx pixels right and dy down, zeros moved in (the reference)."""
    out = np.zeros_like(images)
    rows, cols = IMAGE_SIDE - abs(dy), IMAGE_SIDE - abs(dx)
    if rows > 0 and cols > 0:
        out[:, max(dy, 0) : max(dy, 0) + rows, max(dx, 0) : max(dx, 0) + cols] = images[
            :, max(-dy, 0) : max(-dy, 0) + rows, max(-dx, 0) : max(-dx, 0) + cols
        ]
    return out


def _shifted(X, dx, dy):
    return _columns(_moved(_images(X), dx, dy))


def shift_images(seed=0, m=3, shifts=((1, 0), (0, 1), (-1, 0), (0, -1), (1, -1), (-2, 1), (0, 0))):
    """Each shift of m images whose pixels all differ: shape, values, no wrap-around, directions; X left
    unchanged; a single image."""
    rng = np.random.default_rng(seed)
    # Every pixel of every image holds its own value (1..64, plus a different fraction per image), so a
    # pixel that lands in the wrong place shows.
    X = np.arange(1.0, IMAGE_SIDE * IMAGE_SIDE + 1)[:, None] + rng.permutation(m)[None, :] / m
    cases = []
    for dx, dy in shifts:
        mistakes = {
            "pixels that leave the image must not come back on the other side (np.roll alone wraps them "
            "around): put zeros where nothing moves in": _columns(np.roll(_images(X), (dy, dx), axis=(1, 2))),
            "dx moves the image right along its columns, dy down along its rows: they are swapped": _shifted(
                X, dy, dx
            ),
            "dx = 1 moves the image one pixel right, dy = 1 one pixel down: the signs are reversed": _shifted(
                X, -dx, -dy
            ),
            "column i of X is image i, its pixels row by row: take the images as X.T.reshape(m, 8, 8) (or "
            "X.reshape(8, 8, m)), not X.reshape(m, 8, 8)": _moved(
                X.reshape(m, IMAGE_SIDE, IMAGE_SIDE), dx, dy
            ).reshape(IMAGE_SIDE * IMAGE_SIDE, m),
        }
        cases.append(
            Case(
                args=(X, dx, dy),
                label=f"shift_images(X of {m} images, dx={dx}, dy={dy})",
                expect=[
                    shape(
                        None, (IMAGE_SIDE * IMAGE_SIDE, m), hint="return one column of 64 pixels per image"
                    ),
                    close(
                        None,
                        _shifted(X, dx, dy),
                        mistakes={} if (dx, dy) == (0, 0) else mistakes,
                        hint="pixel (r, c) moves to (r + dy, c + dx): dx moves it along its row, dy along its "
                        "column; pixels that nothing moves into are 0",
                    ),
                ],
            )
        )
    cases.append(
        Case(
            args=(X[:, :1], 1, 1),
            label="shift_images(a single image, dx=1, dy=1)",
            expect=[shape(None, (IMAGE_SIDE * IMAGE_SIDE, 1)), close(None, _shifted(X[:, :1], 1, 1))],
        )
    )
    return Spec(tuple(cases))


def early_stopping(
    histories=(
        ({0: 2.0, 10: 1.5, 20: 1.2, 30: 1.1, 40: 1.15, 50: 1.2, 60: 1.3, 70: 1.4}, 2),
        ({0: 1.0, 5: 0.8, 10: 0.9, 15: 0.85, 20: 0.82, 25: 0.5}, 3),
        ({0: 1.0, 1: 1.1, 2: 0.9, 3: 1.0, 4: 1.05, 5: 1.1}, 2),
        ({0: 1.0, 1: 0.5, 2: 0.7, 3: 0.6, 4: 0.65, 5: 0.62}, 2),
        ({0: 3.0, 100: 2.0, 200: 1.5, 300: 1.2}, 2),
        ({0: 3.0, 20: 2.5, 40: 2.6, 60: 2.4}, 1),
    ),
):
    """For each (dev-cost history, patience): the best iteration and the one training stops at, walking
    through the history in its order; the history left unchanged."""
    cases = []
    for history, patience in histories:
        best, stop = _early_stopping(history, patience)
        hidden_best = min(history, key=history.get) != best
        cases.append(
            Case(
                args=(dict(history), patience),
                label=f"early_stopping({_short(history)}, patience={patience})",
                expect=[
                    equal(
                        "best_iteration",
                        best,
                        hint=(
                            "the best iteration has the lowest dev cost seen before training stops, not the "
                            "lowest of the whole history: a stopped run never sees the costs that follow"
                        )
                        if hidden_best
                        else "return the iteration (the dict's key) of the lowest dev cost, not its position",
                    ),
                    equal(
                        "stop_iteration",
                        stop,
                        hint="count the records since the best cost last went down (compare with the best, "
                        "not with the previous record; back to 0 when it goes down) and stop at the record "
                        "where the count reaches patience, or at the last record if it never does",
                    ),
                ],
            )
        )
    return Spec(tuple(cases), returns=("best_iteration", "stop_iteration"))


def _short(history):
    return "{" + ", ".join(f"{i}: {c:g}" for i, c in history.items()) + "}"


def _early_stopping(history, patience):
    """(best, stop) of the reference: walk the records in order, stop after ``patience`` without improvement."""
    best, waited, stop = None, 0, None
    for iteration, cost in history.items():
        stop = iteration
        if best is None or cost < history[best]:
            best, waited = iteration, 0
        else:
            waited += 1
            if waited == patience:
                break
    return best, stop
