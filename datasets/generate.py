"""Generate the course's datasets and their checksums.

Run from anywhere:  python datasets/generate.py
It rewrites every CSV in this folder and SHA256SUMS. The output is byte-for-byte reproducible
for a given scikit-learn version: fixed seeds, fixed float formatting.

Each CSV has the header ``x1,x2,y,split`` with one example a row; ``split`` is ``train`` or
``test``. ``helpers.datasets`` reads them and returns X of shape (2, m) and Y of shape (1, m).
"""

import hashlib
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import make_circles, make_moons

from helpers.datasets import wave_boundary

HERE = Path(__file__).resolve().parent


def circles():
    """Two concentric noisy circles: 300 training and 100 test points (Initialization)."""
    X, y = make_circles(n_samples=400, noise=0.05, factor=0.6, random_state=1)
    return X, y, 300


def moons():
    """Two interleaving half-moons with noise 0.2: 300 training and 300 test points (Optimization)."""
    X, y = make_moons(n_samples=600, noise=0.2, random_state=3)
    return X, y, 300


def wave():
    """Two classes split by a gentle sine-shaped boundary, with label noise (Regularization).

    200 training and 200 test points in [-2, 2]^2. Points close to the boundary often carry the other
    class's label, and 5% of all points, wherever they lie, do too; a network that fits every training
    point bends its boundary around that noise and grows islands for the outliers, so it overfits.
    """
    rng = np.random.default_rng(91)
    m = 400
    X = 2.0 * rng.uniform(-1.0, 1.0, size=(m, 2))
    # Height above the boundary, in the units of the [-1, 1] square the points were first drawn in
    # (scaling by 2 is exact, so the labels are those of helpers.datasets.wave_labels).
    margin = (X[:, 1] - wave_boundary(X[:, 0])) / 2.0
    y = (margin > 0).astype(int)
    # Flip labels with a probability that decays away from the boundary, plus 5% everywhere: at most 45%,
    # so the boundary stays the best possible classifier.
    flip = rng.random(m) < 0.4 * np.exp(-((margin / 0.21) ** 2)) + 0.05
    y = np.where(flip, 1 - y, y)
    return X, y, 200


GENERATORS = {"circles": circles, "moons": moons, "wave": wave}


def write_csv(path, X, y, n_train):
    lines = ["x1,x2,y,split"]
    for i, ((x1, x2), label) in enumerate(zip(X, y)):
        split = "train" if i < n_train else "test"
        lines.append(f"{float(x1)!r},{float(x2)!r},{int(label)},{split}")
    path.write_text("\n".join(lines) + "\n")


def main(out_dir=HERE):
    out_dir = Path(out_dir)
    sums = []
    for name, generator in GENERATORS.items():
        X, y, n_train = generator()
        path = out_dir / f"{name}.csv"
        write_csv(path, X, y, n_train)
        sums.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
        print(f"wrote {path} ({len(y)} points, {n_train} for training)")
    (out_dir / "SHA256SUMS").write_text("\n".join(sums) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
