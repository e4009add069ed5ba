import hashlib
import runpy

import numpy as np
import pytest

from helpers import datasets
from helpers.datasets import (
    DatasetError,
    load_circles,
    load_digits,
    load_moons,
    load_wave,
    one_hot,
    wave_boundary,
    wave_labels,
)
from tests.support import REPO

#: The first labels of the digits dev and test sets (see test_digits_split_is_fixed).
DEV_LABELS_START = [2, 5, 4, 4, 3, 1, 6, 7, 8, 7, 9, 7]
TEST_LABELS_START = [6, 6, 6, 2, 5, 6, 6, 2, 2, 1, 1, 9]
EXPECTED_SIZES = {load_circles: (300, 100), load_moons: (300, 300), load_wave: (200, 200)}


@pytest.mark.parametrize("loader", EXPECTED_SIZES, ids=lambda f: f.__name__)
def test_shapes_and_labels(loader):
    train_X, train_Y, test_X, test_Y = loader()
    m_train, m_test = EXPECTED_SIZES[loader]
    assert train_X.shape == (2, m_train) and train_Y.shape == (1, m_train)
    assert test_X.shape == (2, m_test) and test_Y.shape == (1, m_test)
    assert np.issubdtype(train_X.dtype, np.floating)
    assert np.issubdtype(train_Y.dtype, np.integer)
    for Y in (train_Y, test_Y):
        assert set(np.unique(Y)) == {0, 1}
        # Both classes are well represented, so chance accuracy is about 50%.
        assert 0.35 < Y.mean() < 0.65


def test_loading_does_not_depend_on_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_circles()[0].shape == (2, 300)


def copy_datasets(tmp_path, monkeypatch):
    for path in datasets.DATASETS_DIR.iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(datasets, "DATASETS_DIR", tmp_path)


def test_missing_file_names_file_and_command(tmp_path, monkeypatch):
    copy_datasets(tmp_path, monkeypatch)
    (tmp_path / "moons.csv").unlink()
    with pytest.raises(DatasetError) as error:
        load_moons()
    assert "moons.csv" in str(error.value) and "python datasets/generate.py" in str(error.value)


def test_corrupted_file_names_file_and_command(tmp_path, monkeypatch):
    copy_datasets(tmp_path, monkeypatch)
    path = tmp_path / "circles.csv"
    path.write_text(path.read_text().replace("train", "test", 1))
    with pytest.raises(DatasetError) as error:
        load_circles()
    assert "circles.csv" in str(error.value) and "checksum" in str(error.value)
    assert "python datasets/generate.py" in str(error.value)


def test_missing_checksum_file_is_explained(tmp_path, monkeypatch):
    copy_datasets(tmp_path, monkeypatch)
    (tmp_path / "SHA256SUMS").unlink()
    with pytest.raises(DatasetError, match="SHA256SUMS"):
        load_wave()


def test_generator_reproduces_shipped_files(tmp_path):
    generate = runpy.run_path(str(REPO / "datasets" / "generate.py"))
    generate["main"](tmp_path)
    for name in ("circles.csv", "moons.csv", "wave.csv", "SHA256SUMS"):
        shipped = (REPO / "datasets" / name).read_bytes()
        regenerated = (tmp_path / name).read_bytes()
        assert hashlib.sha256(regenerated).digest() == hashlib.sha256(shipped).digest(), name


#: How many wave labels differ from the noise-free rule (generate.py flipped them), training then test set;
#: the Regularization notebook prints them.
WAVE_FLIPPED = (19, 26)
#: Points closer to the boundary than this (vertically) are "near" it, where generate.py flips most labels
#: (with probability up to 45%, against 5% far from it).
WAVE_NEAR = 0.3


def test_wave_labels_are_the_labels_before_noise():
    train_X, train_Y, test_X, test_Y = load_wave()
    for X, Y, flipped in ((train_X, train_Y, WAVE_FLIPPED[0]), (test_X, test_Y, WAVE_FLIPPED[1])):
        clean = wave_labels(X)
        assert clean.shape == Y.shape and set(np.unique(clean)) == {0, 1}
        noisy = (clean != Y)[0]
        assert noisy.sum() == flipped
        near = np.abs(X[1] - wave_boundary(X[0])) < WAVE_NEAR
        assert noisy[near].mean() > 2 * noisy[~near].mean(), "flipped labels cluster at the boundary"


def test_digits_split_shapes_and_one_hot_labels():
    train_X, train_Y, dev_X, dev_Y, test_X, test_Y = load_digits()
    for X, Y, m in ((train_X, train_Y, 1197), (dev_X, dev_Y, 300), (test_X, test_Y, 300)):
        assert X.shape == (64, m) and Y.shape == (10, m)
        assert np.issubdtype(X.dtype, np.floating) and 0 <= X.min() and X.max() <= 1
        assert np.issubdtype(Y.dtype, np.integer) and np.all(Y.sum(axis=0) == 1)
        assert np.all(Y.sum(axis=1) > 0.05 * m), "every digit appears in every split"


def test_digits_are_scikit_learns_and_each_image_is_in_one_split():
    from sklearn.datasets import load_digits as sklearn_load_digits

    data, target = sklearn_load_digits(return_X_y=True)
    train_X, train_Y, dev_X, dev_Y, test_X, test_Y = load_digits()
    X = np.hstack([train_X, dev_X, test_X]).T * datasets.DIGITS_MAX_PIXEL
    labels = np.hstack([train_Y, dev_Y, test_Y]).argmax(axis=0)
    order = np.lexsort(np.column_stack([X, labels]).T)
    expected = np.lexsort(np.column_stack([data, target]).T)
    np.testing.assert_array_equal(X[order], data[expected])
    np.testing.assert_array_equal(labels[order], target[expected])


def test_digits_split_is_fixed():
    """The notebooks print results on these exact splits: a change of the split must be deliberate."""
    _, _, _, dev_Y, _, test_Y = load_digits()
    assert dev_Y.argmax(axis=0)[:12].tolist() == DEV_LABELS_START
    assert test_Y.argmax(axis=0)[:12].tolist() == TEST_LABELS_START


def test_digits_checksum_mismatch_is_explained(monkeypatch):
    monkeypatch.setattr(datasets, "DIGITS_SHA256", "0" * 64)
    with pytest.raises(DatasetError, match="scikit-learn"):
        load_digits()


def test_one_hot():
    np.testing.assert_array_equal(
        one_hot(np.array([2, 0, 1, 2]), 3), [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]]
    )
