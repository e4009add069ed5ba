"""Plots for the notebooks. Every function returns its matplotlib Figure and never calls
``plt.show()``, so it works headless and in tests; in a notebook the returned figure displays
itself when it is the cell's last expression.
"""

import matplotlib.pyplot as plt
import numpy as np

#: Grid points per axis used to draw a decision boundary.
BOUNDARY_RESOLUTION = 200
#: Margin added around the data when drawing a decision boundary, in data units.
BOUNDARY_MARGIN = 0.25


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
