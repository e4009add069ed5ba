import hashlib
import runpy
from pathlib import Path

import numpy as np
import pytest

from helpers import datasets
from helpers.datasets import DatasetError, load_circles, load_moons, load_wave

EXPECTED_SIZES = {load_circles: (300, 100), load_moons: (300, 300), load_wave: (200, 200)}
REPO = Path(__file__).resolve().parent.parent


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
