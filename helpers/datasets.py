"""The course's small 2-D datasets, shipped as CSV files in the repository's ``datasets/`` folder.

Every loader returns ``(train_X, train_Y, test_X, test_Y)`` with X of shape (2, m) (float) and Y of
shape (1, m) (int, 0 or 1). Files are found relative to this package, never the working directory,
and checked against ``datasets/SHA256SUMS`` before use.
"""

import hashlib
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
