"""Shared machinery for the "Improving Deep Neural Networks" course notebooks.

Import what you need from the submodules, e.g. ``from helpers.network import forward_propagation``:

- ``helpers.activations``: sigmoid and ReLU with their backward passes;
- ``helpers.network``: forward/backward propagation of the course's fully-connected nets, cost,
  prediction, the plain gradient-descent update and the shared training loop;
- ``helpers.multiclass``: softmax networks, optionally batch-normalized, that take the notebook's softmax and
  batch-norm functions as arguments;
- ``helpers.vectorize``: parameters/gradients dict <-> column vector (gradient checking);
- ``helpers.datasets``: the shipped 2-D datasets and scikit-learn's digits;
- ``helpers.plotting``: decision boundaries, cost curves, image grids, confusion matrices and heat maps,
  and ``show(fig, alt)``, which shows a figure with its text alternative;
- ``helpers.checks``: the engine that runs each exercise's checks, for the public check and the locked test;
- ``helpers.specs``: each exercise's specification (its cases and expectations), one module per notebook.

Conventions: ``X`` has shape (n_x, m), ``Y`` has shape (1, m), or (C, m) one-hot for C classes;
``parameters["Wl"]`` has shape (n_l, n_{l-1}) and ``parameters["bl"]`` has shape (n_l, 1); gradients are keyed
``dWl``, ``dbl``.
Nothing here draws from numpy's global random state: randomness comes in as a ``seed`` or an
``np.random.Generator``.
"""

__version__ = "0.1.0"
