"""Multi-class networks: LINEAR -> [BATCH NORM] -> RELU repeated, then LINEAR -> SOFTMAX.

The output and normalization functions come in as arguments, so that the Hyperparameter Tuning notebook
trains with the ones its exercises write, as ``helpers.network.train`` takes a notebook's update function;
notebooks that come before it pass the kit's own ``helpers.activations.softmax`` and ``cross_entropy``
(below). Their interfaces:

    softmax(Z) -> A                      Z and A of shape (C, m), each column of A sums to 1
    cost(AL, Y) -> float                 cross-entropy of AL (C, m) against one-hot Y (C, m)
    batchnorm_forward(Z, gamma, beta, running, momentum, training=...) -> (Z_tilde, bn_cache, running)
    batchnorm_backward(dZ_tilde, bn_cache) -> (dZ, dgamma, dbeta)

with Z, Z_tilde, dZ of shape (n_l, m), gamma, beta of shape (n_l, 1) and ``running`` a dict of "mean" and
"var", each (n_l, 1).

A network with ``layers_dims = [n_0, ..., n_L]`` has weights ``Wl`` of shape (n_l, n_{l-1}). Without batch
normalization every layer has a bias ``bl`` (n_l, 1); with it, each hidden layer has ``gammal`` and
``betal`` (n_l, 1) instead (a bias would be cancelled by the mean subtraction), and the output layer keeps
``bL``. Inputs X have shape (n_0, m), labels Y are one-hot of shape (C, m) with C = n_L.

The cache of ``forward_propagation`` holds "A0" = X, and for each layer l: "Zl" = Wl A(l-1) (+ bl);
"Z_tildel", the input of the activation (the normalized Zl in a batch-norm layer, else Zl itself); the
normalization's own cache "bnl" (batch-norm layers only); "Al" and "Wl".

Unlike ``helpers.network``, whose dZ carries a factor m, gradients here are those of the mean cost itself:
dZL = (AL - Y) / m and dWl = dZl A(l-1)^T, so that ``batchnorm_backward`` receives the true gradient
with respect to Z_tilde and returns the true gradients of gamma and beta.
"""

import numpy as np

from helpers import network
from helpers.activations import relu, relu_backward

#: Exponential-average coefficient of the batch-norm running statistics.
MOMENTUM = 0.9


def is_batchnorm(parameters):
    """Whether the network's hidden layers are batch-normalized (it has "gamma1")."""
    return "gamma1" in parameters


def cross_entropy(AL, Y):
    """The C-class cross-entropy -1/m * sum(Y * log AL), a cost for ``train`` (see the module docstring).

    Probabilities below ``helpers.network.PROBABILITY_FLOOR`` are raised to it before the log, so that a
    confidently wrong prediction (a probability of exactly 0 in floating point) costs about 34.5, not inf.

    Arguments:
    AL -- probabilities, shape (C, m), each column summing to 1
    Y -- one-hot labels, shape (C, m)

    Returns:
    cost -- a Python float
    """
    return float(-np.sum(Y * np.log(np.maximum(AL, network.PROBABILITY_FLOOR))) / Y.shape[1])


def initialize_parameters(layers_dims, seed=3, weight_scale=1.0, batchnorm=False):
    """He-uniform weights (``helpers.network.initialize_parameters``) times ``weight_scale``.

    Arguments:
    layers_dims -- [n_0, ..., n_L]
    seed -- seed of the generator the weights are drawn from
    weight_scale -- factor applied to every weight matrix (1 keeps He's variance 2 / n_{l-1})
    batchnorm -- give the hidden layers gamma (ones) and beta (zeros) instead of a bias

    Returns:
    parameters -- "Wl" (n_l, n_{l-1}) for l = 1..L; "bl" (n_l, 1) for every layer, or, with batchnorm,
                  "gammal" and "betal" (n_l, 1) for l = 1..L-1 and "bL" (n_L, 1)
    """
    parameters = network.initialize_parameters(layers_dims, seed=seed)
    L = len(layers_dims) - 1
    for l in range(1, L + 1):
        parameters[f"W{l}"] = weight_scale * parameters[f"W{l}"]
        if batchnorm and l < L:
            del parameters[f"b{l}"]
            parameters[f"gamma{l}"] = np.ones((layers_dims[l], 1))
            parameters[f"beta{l}"] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_running(parameters):
    """Running statistics of every batch-norm layer before training: mean 0, variance 1.

    Returns:
    running -- dict {l: {"mean": zeros (n_l, 1), "var": ones (n_l, 1)}} for the hidden layers l = 1..L-1
    """
    L = network.num_layers(parameters)
    return {
        l: {
            "mean": np.zeros((parameters[f"W{l}"].shape[0], 1)),
            "var": np.ones((parameters[f"W{l}"].shape[0], 1)),
        }
        for l in range(1, L)
    }


def forward_propagation(
    X, parameters, softmax, batchnorm_forward=None, running=None, training=True, momentum=MOMENTUM
):
    """Forward pass of the network; batch-normalized when ``parameters`` has "gamma1".

    Arguments:
    X -- inputs, shape (n_0, m)
    parameters -- as made by ``initialize_parameters``
    softmax -- function(Z) -> A, shapes (C, m)
    batchnorm_forward -- the normalization (see the module docstring); needed with batch norm
    running -- {l: {"mean", "var"}} running statistics, from ``initialize_running`` or a previous call
    training -- normalize with the batch's statistics and update the running ones (True), or normalize
                with the running statistics (False)
    momentum -- coefficient of the running averages

    Returns:
    AL -- class probabilities, shape (C, m)
    cache -- dict described in the module docstring
    running -- the running statistics after this pass (a new dict; None without batch norm)
    """
    L = network.num_layers(parameters)
    batchnorm = is_batchnorm(parameters)
    new_running = {} if batchnorm else None
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        W = parameters[f"W{l}"]
        cache[f"W{l}"] = W
        if batchnorm and l < L:
            Z = W @ A
            Z_tilde, cache[f"bn{l}"], new_running[l] = batchnorm_forward(
                Z, parameters[f"gamma{l}"], parameters[f"beta{l}"], running[l], momentum, training=training
            )
        else:
            Z = Z_tilde = W @ A + parameters[f"b{l}"]
        A = softmax(Z) if l == L else relu(Z_tilde)
        cache[f"Z{l}"], cache[f"Z_tilde{l}"], cache[f"A{l}"] = Z, Z_tilde, A
    return A, cache, new_running


def backward_propagation(Y, cache, batchnorm_backward=None, lambd=0.0):
    """Gradients of the mean cross-entropy (plus lambd / (2m) * sum ||Wl||^2) for a softmax output.

    With a softmax output and the cross-entropy cost, dZL = (AL - Y) / m; every hidden layer passes its
    gradient back through the ReLU and, with batch norm, through ``batchnorm_backward``.

    Arguments:
    Y -- one-hot labels, shape (C, m)
    cache -- the dict returned by ``forward_propagation``
    batchnorm_backward -- function(dZ_tilde, bn_cache) -> (dZ, dgamma, dbeta); needed with batch norm
    lambd -- L2 regularization strength

    Returns:
    grads -- "dWl" (n_l, n_{l-1}), and "dbl" or "dgammal", "dbetal" (n_l, 1), keyed like the parameters
    """
    m = Y.shape[1]
    L = network.num_layers(cache)
    grads = {}
    dZ_tilde = (cache[f"A{L}"] - Y) / m
    for l in range(L, 0, -1):
        if f"bn{l}" in cache:
            dZ, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = batchnorm_backward(dZ_tilde, cache[f"bn{l}"])
        else:
            dZ = dZ_tilde
            grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
        grads[f"dW{l}"] = dZ @ cache[f"A{l - 1}"].T + lambd / m * cache[f"W{l}"]
        if l > 1:
            dZ_tilde = relu_backward(cache[f"W{l}"].T @ dZ, cache[f"Z_tilde{l - 1}"])
    return grads


def l2_penalty(parameters, lambd, m):
    """lambd / (2m) * sum_l ||Wl||_F^2, the L2 term added to the cost."""
    return (
        lambd / (2 * m) * sum(float(np.sum(np.square(W))) for k, W in parameters.items() if k.startswith("W"))
    )


def train(
    X,
    Y,
    layers_dims,
    *,
    softmax,
    cost,
    learning_rate,
    num_iterations,
    batchnorm=None,
    weight_scale=1.0,
    lambd=0.0,
    seed=3,
    batches=None,
    cost_every=100,
    momentum=MOMENTUM,
    on_record=None,
):
    """Train a multi-class network with ``helpers.network.train`` (plain gradient descent).

    Arguments:
    X -- training inputs, shape (n_0, m); Y -- one-hot labels, shape (C, m)
    layers_dims -- [n_0, ..., n_L] with n_L = C
    softmax -- function(Z) -> A; cost -- function(AL, Y) -> float (see the module docstring)
    learning_rate, num_iterations, batches, cost_every -- as for ``helpers.network.train``
    batchnorm -- None for a plain network, or the pair (batchnorm_forward, batchnorm_backward)
    weight_scale, seed -- passed to ``initialize_parameters``
    lambd -- L2 regularization strength (in the cost and the gradients)
    momentum -- coefficient of the batch-norm running averages
    on_record -- optional function(iteration, parameters), as for ``helpers.network.train``

    Returns:
    parameters -- the trained parameters
    running -- the batch-norm running statistics after training (None for a plain network)
    costs -- {iteration: cost}, the cost including the L2 term
    """
    batchnorm_forward, batchnorm_backward = batchnorm or (None, None)
    state = {}

    def initialize(layers_dims):
        parameters = initialize_parameters(layers_dims, seed, weight_scale, batchnorm=batchnorm is not None)
        state["running"] = initialize_running(parameters) if batchnorm else None
        return parameters

    def forward(X, parameters):
        AL, cache, state["running"] = forward_propagation(
            X, parameters, softmax, batchnorm_forward, state["running"], training=True, momentum=momentum
        )
        return AL, cache

    def backward(X, Y, cache):
        return backward_propagation(Y, cache, batchnorm_backward, lambd)

    def full_cost(AL, Y, parameters):
        return cost(AL, Y) + l2_penalty(parameters, lambd, Y.shape[1])

    parameters, costs = network.train(
        X,
        Y,
        layers_dims,
        initialize,
        learning_rate=learning_rate,
        num_iterations=num_iterations,
        forward=forward,
        backward=backward,
        cost=full_cost,
        batches=batches,
        cost_every=cost_every,
        on_record=on_record,
    )
    return parameters, state["running"], costs


def predict(X, parameters, softmax, batchnorm_forward=None, running=None):
    """Predicted class of each example: the row of the largest probability (test mode, running statistics).

    Returns:
    predictions -- integer array of shape (m,), entries in 0..C-1
    """
    AL, _, _ = forward_propagation(X, parameters, softmax, batchnorm_forward, running, training=False)
    return np.argmax(AL, axis=0)


def confusion_matrix(labels, predictions, num_classes):
    """Counts of (true class, predicted class) pairs.

    Arguments:
    labels, predictions -- integer arrays of shape (m,)
    num_classes -- C

    Returns:
    counts -- int array (C, C): counts[k, j] = number of examples of class k predicted as j
    """
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (np.asarray(labels), np.asarray(predictions)), 1)
    return counts
