import html

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


# --- show(fig, alt): a figure with its text alternative ------------------------------------------------
#: A description long enough for show(), with characters that HTML must escape.
ALT = "Cost against iteration for <two> runs & a check: both fall from 0.69 to 0.05 by iteration 100."


@pytest.mark.parametrize(
    "alt",
    ["", "   ", "a plot", plotting.NBCONVERT_PLACEHOLDER, plotting.NBCONVERT_PLACEHOLDER + "."],
)
def test_show_refuses_a_figure_without_a_real_description(alt):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="describe the figure"):
        plotting.show(fig, alt)


def test_show_takes_a_figure_and_a_string():
    fig, ax = plt.subplots()
    with pytest.raises(TypeError, match="Figure"):
        plotting.show(ax, ALT)
    with pytest.raises(TypeError, match="string"):
        plotting.show(fig, None)


def test_show_outside_a_notebook_shows_nothing_and_closes_the_figure(monkeypatch, capsys):
    # Another test may have made an in-process IPython shell; here there is none.
    monkeypatch.setattr(plotting, "get_ipython", lambda: None)
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("helpers must not call plt.show()"))
    fig = plot_costs({0: 0.7, 10: 0.1})
    plotting.show(fig, ALT)
    assert not plt.fignum_exists(fig.number)
    assert capsys.readouterr() == ("", "")


#: A notebook as a course notebook draws figures: pyplot, the inline backend, show() at the end of a cell.
SHOW_CELLS = [
    (
        "import matplotlib.pyplot as plt\n"
        "from helpers.plotting import plot_costs, show\n"
        "plt.show = lambda *args, **kwargs: print('plt.show() was called')"
    ),
    f"fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([0, 100], [0.69, 0.05])\nshow(fig, {ALT!r})",
    # the same cell again: its text outputs must be the same (nothing that changes run to run)
    f"fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([0, 100], [0.69, 0.05])\nshow(fig, {ALT!r})",
    # a description written over several lines, of a figure a plot_* helper made
    (
        "show(plot_costs({0: 0.7, 10: 0.1}), '''Cost against iteration:\n   falls from 0.7 to 0.1 in ten "
        "iterations.''')\nprint(plt.get_fignums())"
    ),
]


@pytest.fixture(scope="module")
def shown():
    """SHOW_CELLS run in a real kernel of this environment (inline backend), as nbval runs a notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in SHOW_CELLS])
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    return nb


def test_show_in_a_notebook_gives_the_image_its_alt_and_a_description(shown):
    image, description = shown.cells[1].outputs
    assert image.output_type == "display_data" and set(image.data) == {"image/png", "text/plain"}
    assert image.data["text/plain"] == "<Figure size 400x300 with 1 Axes>"
    assert image.metadata["image/png"]["alt"] == ALT
    assert description.output_type == "display_data"
    assert description.data["text/plain"] == f"{plotting.DESCRIPTION_LABEL}: {ALT}"
    assert description.data["text/html"] == (
        f"<details class='figure-description'><summary>{plotting.DESCRIPTION_LABEL}</summary>"
        f"<p>{html.escape(ALT)}</p></details>"
    )


def test_show_in_a_notebook_shows_each_figure_once_and_closes_it(shown):
    # No second image from the inline backend at the end of the cell, no repr, no stream, no plt.show().
    assert [len(cell.outputs) for cell in shown.cells[1:3]] == [2, 2]
    *figure, printed = shown.cells[3].outputs
    assert [o.output_type for o in figure] == ["display_data", "display_data"]
    assert figure[0].metadata["image/png"]["alt"] == (
        "Cost against iteration: falls from 0.7 to 0.1 in ten iterations."
    )
    assert printed.name == "stdout" and printed.text == "[]\n"


def test_show_in_a_notebook_writes_the_same_text_every_run(shown):
    def text(cell):
        return [{k: v for k, v in o.data.items() if k != "image/png"} for o in cell.outputs]

    assert text(shown.cells[1]) == text(shown.cells[2])
