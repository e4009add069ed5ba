"""Plots for the notebooks. Every ``plot_*`` function returns its matplotlib Figure and never calls
``plt.show()``, so it works headless and in tests.

A notebook shows each figure with ``show(fig, alt)``, which gives it its text alternative for
students who use a screen reader: what the figure shows and what a student should take from it.
"""

import html

import matplotlib.pyplot as plt
import numpy as np
from IPython import get_ipython
from IPython.display import publish_display_data
from matplotlib.figure import Figure

#: Grid points per axis used to draw a decision boundary.
BOUNDARY_RESOLUTION = 200
#: Margin added around the data when drawing a decision boundary, in data units.
BOUNDARY_MARGIN = 0.25
#: A figure's text alternative is shorter than this only when it says too little to stand in for the
#: figure (axes, what is compared, the numbers that matter).
MIN_ALT_CHARS = 40
#: What nbconvert writes as the text alternative of an image that has none: it counts as none.
NBCONVERT_PLACEHOLDER = "No description has been provided for this image"
#: The label of the collapsible description that follows each figure shown with ``show``.
DESCRIPTION_LABEL = "Description of the figure above"


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


def _scatter(ax, X, Y):
    # Y is (1, m): ravel it, since scatter needs one colour value per point.
    labels = np.asarray(Y).ravel()
    ax.scatter(X[0], X[1], c=labels, cmap=plt.cm.RdBu, vmin=0, vmax=1, s=12, edgecolors="k", linewidths=0.3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def plot_dataset(X, Y, ax=None, title=None):
    """Scatter plot of a 2-D two-class dataset, coloured by label (red 0, blue 1).

    Arguments:
    X -- points, shape (2, m)
    Y -- labels, shape (1, m)
    ax -- optional Axes to draw into
    title -- optional title

    Returns:
    fig -- the Figure that holds the plot
    """
    fig, ax = _axes(ax, (4, 4))
    _scatter(ax, X, Y)
    if title:
        ax.set_title(title)
    return fig


def plot_decision_boundary(predict, X, Y, ax=None, title=None):
    """Colour the plane by the class ``predict`` assigns, with the points of (X, Y) on top.

    Arguments:
    predict -- function(X_grid) -> predictions of shape (1, k), for X_grid of shape (2, k)
    X -- points, shape (2, m)
    Y -- labels, shape (1, m)
    ax -- optional Axes to draw into (e.g. one of several side by side)
    title -- optional title

    Returns:
    fig -- the Figure that holds the plot
    """
    fig, ax = _axes(ax, (4.5, 4))
    x_min, x_max = X[0].min() - BOUNDARY_MARGIN, X[0].max() + BOUNDARY_MARGIN
    y_min, y_max = X[1].min() - BOUNDARY_MARGIN, X[1].max() + BOUNDARY_MARGIN
    xx, yy = np.meshgrid(
        np.linspace(x_min, x_max, BOUNDARY_RESOLUTION), np.linspace(y_min, y_max, BOUNDARY_RESOLUTION)
    )
    grid = np.vstack([xx.ravel(), yy.ravel()])
    Z = np.asarray(predict(grid)).reshape(xx.shape)
    ax.contourf(xx, yy, Z, levels=[-0.5, 0.5, 1.5], colors=["#f4c7b8", "#b8d4f4"], alpha=0.8)
    _scatter(ax, X, Y)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    if title:
        ax.set_title(title)
    return fig


def plot_costs(costs, ax=None, title=None, log_scale=False, xlabel="iteration"):
    """Plot one or several cost curves.

    Arguments:
    costs -- a dict {iteration: cost} as returned by ``helpers.network.train``, or a dict
             {label: {iteration: cost}} to overlay several labelled curves
    ax -- optional Axes to draw into
    title -- optional title
    log_scale -- plot the cost on a logarithmic axis
    xlabel -- label of the horizontal axis ("iteration" or "epoch")

    Returns:
    fig -- the Figure that holds the plot
    """
    fig, ax = _axes(ax, (6, 4))
    curves = costs if costs and isinstance(next(iter(costs.values())), dict) else {None: costs}
    for label, curve in curves.items():
        ax.plot(list(curve.keys()), list(curve.values()), label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    if log_scale:
        ax.set_yscale("log")
    if any(label is not None for label in curves):
        ax.legend()
    if title:
        ax.set_title(title)
    return fig


def plot_image_grid(images, captions=None, ncols=8, ax=None, title=None):
    """Small grey-scale images side by side in rows of ``ncols``, each with an optional caption.

    The images are pasted into one mosaic drawn with a single ``imshow`` (fast, even for many images).

    Arguments:
    images -- array of shape (k, h, w), values in any range (dark = high, as ink on paper)
    captions -- optional list of k short strings, written above the images
    ncols -- images per row
    ax -- optional Axes to draw into
    title -- optional title

    Returns:
    fig -- the Figure that holds the plot
    """
    images = np.asarray(images, dtype=float)
    k, h, w = images.shape
    ncols = max(1, min(ncols, k))
    nrows = -(-k // ncols)
    gap = 1
    mosaic = np.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), np.nan)
    for i, image in enumerate(images):
        row, col = divmod(i, ncols)
        mosaic[row * (h + gap) : row * (h + gap) + h, col * (w + gap) : col * (w + gap) + w] = image
    fig, ax = _axes(ax, (0.9 * ncols, 1.1 * nrows))
    ax.imshow(mosaic, cmap="gray_r", interpolation="nearest")
    for i, caption in enumerate(captions or []):
        row, col = divmod(i, ncols)
        ax.text(
            col * (w + gap) + (w - 1) / 2,
            row * (h + gap) - 0.6,
            caption,
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_axis_off()
    if title:
        ax.set_title(title, pad=14)
    return fig


def plot_confusion_matrix(counts, ax=None, title=None):
    """A confusion matrix as a grid of counts, darker for larger counts; zero cells are left blank.

    Arguments:
    counts -- int array (C, C): counts[k, j] = number of examples of class k predicted as class j
    ax -- optional Axes to draw into
    title -- optional title

    Returns:
    fig -- the Figure that holds the plot
    """
    counts = np.asarray(counts)
    C = counts.shape[0]
    fig, ax = _axes(ax, (4.5, 4))
    ax.imshow(np.log1p(counts), cmap="Blues")
    for (k, j), count in np.ndenumerate(counts):
        if count:
            dark = np.log1p(count) > 0.6 * np.log1p(counts.max())
            ax.text(
                j, k, str(count), ha="center", va="center", fontsize=8, color="white" if dark else "black"
            )
    ax.set(xticks=range(C), yticks=range(C), xlabel="predicted class", ylabel="true class")
    if title:
        ax.set_title(title)
    return fig


def plot_heatmap(
    values, x_values, y_values, ax=None, title=None, xlabel=None, ylabel=None, vmin=None, vmax=None
):
    """A grid of numbers as coloured cells, each labelled with its value (two significant digits).

    Arguments:
    values -- array (len(y_values), len(x_values)); values[i, j] belongs to (x_values[j], y_values[i])
    x_values, y_values -- the settings along the columns and the rows, used as tick labels
    ax -- optional Axes to draw into
    title, xlabel, ylabel -- optional labels
    vmin, vmax -- the value range of the colour scale (default: the data's)

    Returns:
    fig -- the Figure that holds the plot
    """
    values = np.asarray(values, dtype=float)
    fig, ax = _axes(ax, (5, 4))
    image = ax.imshow(values, cmap="viridis", vmin=vmin, vmax=vmax, origin="lower", aspect="auto")
    middle = (
        (np.nanmin(values) + np.nanmax(values)) / 2 if vmin is None or vmax is None else (vmin + vmax) / 2
    )
    for (i, j), value in np.ndenumerate(values):
        ax.text(
            j,
            i,
            f"{value:.2g}",
            ha="center",
            va="center",
            fontsize=8,
            color="black" if value > middle else "white",
        )
    ax.set(xticks=range(len(x_values)), yticks=range(len(y_values)))
    ax.set_xticklabels([f"{x:g}" for x in x_values])
    ax.set_yticklabels([f"{y:g}" for y in y_values])
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    fig.colorbar(image, ax=ax)
    return fig


def show(fig, alt):
    """Show ``fig`` in the notebook with ``alt`` as its text alternative, then close it.

    Two outputs, both reproducible run to run (nbval compares their text):

    1. the figure as IPython's inline backend draws it (``image/png`` and ``<Figure size ...>``),
       with ``alt`` in the output's metadata (``{"image/png": {"alt": alt}}``), where the kit's
       HTML export (``make html``) and nbconvert's classic template read it;
    2. ``alt`` again as text right after it, in a collapsible element ("Description of the figure
       above"): JupyterLab 4 draws an image output without its metadata's ``alt``, so this is what
       a screen reader reads there.

    The figure is closed afterwards, so that the inline backend does not show it a second time at
    the end of the cell. Outside IPython (a script, a test) nothing is shown; the figure is closed.
    ``plt.show()`` is never called.

    Arguments:
    fig -- the matplotlib Figure to show (what the ``plot_*`` functions and ``plt.subplots`` return)
    alt -- what the figure shows and what to take from it, as plain text of at least
           ``MIN_ALT_CHARS`` characters (runs of white space become one space)

    Example (the last line of a cell that draws a figure)::

        fig = plot_dataset(train_X, train_Y, title="circles: training set")
        show(fig, "Scatter plot of the 300 training points, x1 against x2: an inner ring of blue "
                  "points (label 1) inside an outer ring of red points (label 0).")

    Raises:
    TypeError -- ``fig`` is not a Figure (e.g. an Axes: pass ``ax.figure``) or ``alt`` is not a string
    ValueError -- ``alt`` is shorter than ``MIN_ALT_CHARS`` or is nbconvert's placeholder
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"show() takes a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(alt, str):
        raise TypeError(f"show() needs the figure's description as a string, got {type(alt).__name__}")
    alt = " ".join(alt.split())
    if alt.rstrip(".") == NBCONVERT_PLACEHOLDER or len(alt) < MIN_ALT_CHARS:
        raise ValueError(
            f"describe the figure in at least {MIN_ALT_CHARS} characters: what it shows (axes, what is "
            f"compared) and what a student should take from it; got {alt!r}"
        )
    shell = get_ipython()
    if shell is not None:
        data, metadata = shell.display_formatter.format(fig)
        for mimetype in data:
            if mimetype.startswith("image/"):
                metadata.setdefault(mimetype, {})["alt"] = alt
        publish_display_data(data, metadata)
        publish_display_data(
            {
                "text/html": (
                    f"<details class='figure-description'><summary>{DESCRIPTION_LABEL}</summary>"
                    f"<p>{html.escape(alt)}</p></details>"
                ),
                "text/plain": f"{DESCRIPTION_LABEL}: {alt}",
            }
        )
    plt.close(fig)
