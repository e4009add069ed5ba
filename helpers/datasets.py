"""The course's datasets.

The small 2-D datasets are shipped as CSV files in the repository's ``datasets/`` folder: their loaders
return ``(train_X, train_Y, test_X, test_Y)`` with X of shape (2, m) (float) and Y of shape (1, m) (int,
0 or 1). Files are found relative to this package, never the working directory, and checked against
``datasets/SHA256SUMS`` before use.

``load_digits`` reads the handwritten digits that scikit-learn ships inside its package (no download) and
splits them into training, dev and test sets, with one-hot labels of shape (10, m).
"""

import gzip
import hashlib
import importlib.util
from pathlib import Path

import numpy as np

DATASETS_DIR = Path(__file__).resolve().parent.parent / "datasets"
REGENERATE_COMMAND = "python datasets/generate.py"


class DatasetError(RuntimeError):
    """A dataset file is missing, corrupted or malformed."""


def _expected_checksum(filename):
    sums = DATASETS_DIR / "SHA256SUMS"
    if not sums.is_file():
        raise DatasetError(f"{sums} is missing; regenerate the datasets with `{REGENERATE_COMMAND}`")
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        if name == filename:
            return digest
    raise DatasetError(f"{sums} has no checksum for {filename}; regenerate with `{REGENERATE_COMMAND}`")


def _load(filename):
    path = DATASETS_DIR / filename
    if not path.is_file():
        raise DatasetError(f"dataset file {path} is missing; regenerate it with `{REGENERATE_COMMAND}`")
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != _expected_checksum(filename):
        raise DatasetError(
            f"dataset file {path} does not match its checksum in SHA256SUMS (corrupted or edited); "
            f"regenerate it with `{REGENERATE_COMMAND}`"
        )
    rows = [line.split(",") for line in content.decode().splitlines()[1:]]
    X = np.array([[float(r[0]), float(r[1])] for r in rows]).T
    Y = np.array([[int(r[2]) for r in rows]])
    is_train = np.array([r[3] == "train" for r in rows])
    return X[:, is_train], Y[:, is_train], X[:, ~is_train], Y[:, ~is_train]


def load_circles():
    """Two noisy concentric circles (Initialization): 300 training and 100 test points.

    Returns:
    train_X -- (2, 300), train_Y -- (1, 300), test_X -- (2, 100), test_Y -- (1, 100)
    """
    return _load("circles.csv")


def load_moons():
    """Two interleaving half-moons with noise (Optimization): 300 training and 300 test points.

    Returns:
    train_X -- (2, 300), train_Y -- (1, 300), test_X -- (2, 300), test_Y -- (1, 300)
    """
    return _load("moons.csv")


def load_wave():
    """Two classes split by a gentle sine-shaped boundary, with label noise (Regularization).

    Labels near the boundary are often flipped and 5% of all points carry the other class's label,
    so an unregularized [2, 20, 3, 1] network fits the noise and overfits.

    Returns:
    train_X -- (2, 200), train_Y -- (1, 200), test_X -- (2, 200), test_Y -- (1, 200)
    """
    return _load("wave.csv")


#: The wave data's classes are split by the curve x2 = WAVE_AMPLITUDE * sin(WAVE_FREQUENCY * x1), class 1
#: above it, before label noise is added (datasets/generate.py draws the data with ``wave_boundary``).
WAVE_AMPLITUDE = 0.46
WAVE_FREQUENCY = 1.375


def wave_boundary(x1):
    """The noise-free boundary of ``load_wave``'s classes: x2 = 0.46 sin(1.375 x1) (class 1 above it).

    Arguments:
    x1 -- first coordinates, any shape

    Returns:
    x2 -- the boundary's second coordinate at each x1, same shape as x1
    """
    return WAVE_AMPLITUDE * np.sin(WAVE_FREQUENCY * np.asarray(x1))


def wave_labels(X):
    """The labels ``load_wave``'s points would carry without noise: 1 above ``wave_boundary``, else 0.

    Since every point's chance of a flipped label is below one half, this rule is the best possible
    classifier of the wave data (the Bayes classifier): a model can beat it on one sample only by
    fitting that sample's noise.

    Arguments:
    X -- points, shape (2, m)

    Returns:
    Y -- integer labels, 0 or 1, shape (1, m)
    """
    return (X[1] > wave_boundary(X[0])).astype(int).reshape(1, -1)


#: SHA256 of the digits as a (1797, 65) uint8 array (64 pixels, then the label), row by row: the split
#: below, and every number the notebooks print about the digits, rely on exactly these values.
DIGITS_SHA256 = "68aea062d35a127749050fa0e52dca09d6569ac08092c925610e0954e172dde2"
#: Seed of the permutation that splits the digits, and the sizes of the dev and test sets.
DIGITS_SPLIT_SEED = 0
DIGITS_DEV_SIZE = 300
DIGITS_TEST_SIZE = 300
#: Number of classes (digits 0-9) and the largest pixel value (pixels are integers 0..16).
DIGITS_CLASSES = 10
DIGITS_MAX_PIXEL = 16


def _digits_table():
    """The (1797, 65) integer table of scikit-learn's digits: 64 pixels, then the label."""
    # The file that sklearn.datasets.load_digits() reads, found without importing scikit-learn: the import
    # alone takes longer (1-3 s) than everything else a notebook does with the data.
    spec = importlib.util.find_spec("sklearn")
    locations = spec.submodule_search_locations if spec else None
    path = Path(locations[0]) / "datasets" / "data" / "digits.csv.gz" if locations else None
    if path is not None and path.is_file():
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    else:
        try:
            from sklearn.datasets import load_digits as sklearn_load_digits
        except ImportError as error:
            raise DatasetError("the digits come with scikit-learn: pip install scikit-learn") from error
        data, target = sklearn_load_digits(return_X_y=True)
        table = np.column_stack([data, target]).astype(np.int64)
    if hashlib.sha256(table.astype(np.uint8).tobytes()).hexdigest() != DIGITS_SHA256:
        raise DatasetError(
            "scikit-learn's digits differ from the ones this course was written for (checksum mismatch); "
            "reinstall scikit-learn (pip install --force-reinstall scikit-learn)"
        )
    return table


def one_hot(labels, num_classes):
    """One-hot columns for integer labels.

    Arguments:
    labels -- integer array of shape (m,) with entries in 0..num_classes-1
    num_classes -- the number of classes C

    Returns:
    Y -- int array of shape (C, m), Y[k, i] = 1 if labels[i] == k, else 0
    """
    labels = np.asarray(labels)
    return (np.arange(num_classes)[:, None] == labels[None, :]).astype(int)


def load_digits():
    """scikit-learn's 8x8 images of handwritten digits, split into training, dev and test sets.

    1,797 images of 10 classes (about 180 each); a fixed permutation (seed ``DIGITS_SPLIT_SEED``) puts 1,197
    in the training set, 300 in the dev set and 300 in the test set. Each column of X is one image, its 64
    pixels row by row, scaled from 0..16 to [0, 1]; ``X[:, i].reshape(8, 8)`` shows it.

    Returns:
    train_X -- (64, 1197), train_Y -- (10, 1197), dev_X -- (64, 300), dev_Y -- (10, 300),
    test_X -- (64, 300), test_Y -- (10, 300); X float in [0, 1], Y one-hot int (Y.argmax(axis=0) gives
    the digits)
    """
    table = _digits_table()
    X = table[:, :-1].T / DIGITS_MAX_PIXEL
    Y = one_hot(table[:, -1], DIGITS_CLASSES)
    order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(table.shape[0])
    test, dev = order[:DIGITS_TEST_SIZE], order[DIGITS_TEST_SIZE : DIGITS_TEST_SIZE + DIGITS_DEV_SIZE]
    train = order[DIGITS_TEST_SIZE + DIGITS_DEV_SIZE :]
    return X[:, train], Y[:, train], X[:, dev], Y[:, dev], X[:, test], Y[:, test]
