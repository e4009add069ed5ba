import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers import plotting
from helpers.plotting import (
    plot_confusion_matrix,
    plot_costs,
    plot_dataset,
    plot_decision_boundary,
    plot_heatmap,
    plot_image_grid,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_decision_boundary_uses_predict_on_grid(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("helpers must not call plt.show()"))
    X = np.array([[-1.0, 1.0, 0.5], [0.0, 0.5, -0.5]])
    Y = np.array([[0, 1, 1]])
    seen = []

    def predict(grid):
        seen.append(grid.shape)
        return (grid[0:1] > 0).astype(int)

    fig = plot_decision_boundary(predict, X, Y, title="x1 > 0")
    assert isinstance(fig, Figure)
    assert seen == [(2, plotting.BOUNDARY_RESOLUTION**2)]
    ax = fig.axes[0]
    assert ax.get_title() == "x1 > 0"
    # The points are drawn with one colour per point, Y being (1, m).
    assert ax.collections[-1].get_offsets().shape == (3, 2)


def test_decision_boundary_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    X = np.array([[0.0, 1.0], [0.0, 1.0]])
    out = plot_decision_boundary(lambda g: np.zeros((1, g.shape[1])), X, np.array([[0, 1]]), ax=axes[1])
    assert out is fig
    assert axes[1].collections and not axes[0].collections


def test_single_cost_curve():
    fig = plot_costs({0: 0.7, 100: 0.5, 199: 0.2})
    line = fig.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), [0, 100, 199])
    np.testing.assert_array_equal(line.get_ydata(), [0.7, 0.5, 0.2])
    assert fig.axes[0].get_legend() is None


def test_labelled_cost_curves():
    fig = plot_costs({"zeros": {0: 0.69, 10: 0.69}, "He": {0: 0.8, 10: 0.1}}, log_scale=True, xlabel="epoch")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["zeros", "He"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["zeros", "He"]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"


def test_dataset_scatter_colours_by_label():
    X = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 0.0]])
    fig = plot_dataset(X, np.array([[0, 1, 1]]), title="data")
    points = fig.axes[0].collections[0]
    assert points.get_offsets().shape == (3, 2)
    np.testing.assert_array_equal(points.get_array(), [0, 1, 1])
    assert fig.axes[0].get_title() == "data"


def test_image_grid_is_one_mosaic_with_captions():
    images = np.arange(5 * 8 * 8, dtype=float).reshape(5, 8, 8)
    fig = plot_image_grid(images, [f"{i} as 3" for i in range(5)], ncols=3, title="digits")
    ax = fig.axes[0]
    (image,) = ax.images
    assert image.get_array().shape == (2 * 8 + 1, 3 * 8 + 2)  # two rows of three, one-pixel gaps
    assert [t.get_text() for t in ax.texts] == [f"{i} as 3" for i in range(5)]
    assert ax.get_title() == "digits"


def test_confusion_matrix_labels_non_zero_counts():
    fig = plot_confusion_matrix(np.array([[5, 0], [2, 7]]), title="test")
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["2", "5", "7"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"


def test_heatmap_cells_and_ticks():
    values = np.array([[0.1, 0.5, 0.9], [0.2, 0.25, 0.333]])
    fig = plot_heatmap(values, [0.01, 0.1, 1], [1, 3], xlabel="learning rate", vmin=0, vmax=1)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.1", "0.5", "0.9", "0.2", "0.25", "0.33"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.01", "0.1", "1"]
    assert len(fig.axes) == 2  # the colour bar
