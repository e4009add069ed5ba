"""The course's fully-connected networks: LINEAR->RELU repeated, then LINEAR->SIGMOID.

A network with ``layers_dims = [n_0, n_1, ..., n_L]`` has L layers and parameters
``W1, b1, ..., WL, bL`` with ``Wl`` of shape (n_l, n_{l-1}) and ``bl`` of shape (n_l, 1).
Inputs ``X`` have shape (n_0, m) and labels ``Y`` shape (1, m) with entries 0 or 1.

The cache that ``forward_propagation`` returns is a dict holding everything the backward pass
needs, so that backward functions take ``(X, Y, cache)`` only:

    "A0"        -> X, shape (n_0, m)
    "Zl", "Al"  -> pre-activation and activation of layer l, shape (n_l, m), l = 1..L
    "Wl", "bl"  -> the parameters used by the forward pass (the same arrays, not copies)

Variants extend this layout. The Regularization notebook's dropout forward adds each hidden layer's
mask as "Dl", shape (n_l, m), l = 1..L-1, entries 0 or 1 (bool or int; 1 = unit kept), and stores in
"Al" the activation after dropout and the 1 / keep_prob scaling, i.e. what layer l + 1 received.

Update functions share one interface, ``update(parameters, grads, learning_rate) -> parameters``,
and return a new dict without modifying the caller's arrays.
"""

import numpy as np

from helpers.activations import relu, relu_backward, sigmoid

#: Predictions are clipped into [PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR] before taking logs in
#: ``compute_cost``, so that a saturated sigmoid (an output of exactly 0.0 or 1.0 in floating
#: point) costs at most -log(PROBABILITY_FLOOR) ~ 34.5 per example instead of inf or nan.
PROBABILITY_FLOOR = 1e-15

#: An output above this threshold predicts class 1.
DECISION_THRESHOLD = 0.5


def num_layers(parameters):
    """Number of layers L of a network, counted from its weight matrices ``W1..WL``."""
    return sum(1 for key in parameters if key.startswith("W"))


def layers_dims_of(parameters):
    """The ``layers_dims`` list [n_0, n_1, ..., n_L] that ``parameters`` implement."""
    L = num_layers(parameters)
    return [parameters["W1"].shape[1]] + [parameters[f"W{l}"].shape[0] for l in range(1, L + 1)]


def initialize_parameters(layers_dims, seed=3):
    """The kit's standard initializer for training: He-uniform weights, zero biases.

    Each weight is drawn uniformly from [-a, a] with a = sqrt(6 / n_{l-1}), whose variance is
    a^2 / 3 = 2 / n_{l-1}: He's variance for ReLU layers (the Initialization notebook explains why,
    and its graded exercise draws from a normal distribution instead). The notebooks after
    Initialization train with this function.

    Arguments:
    layers_dims -- list [n_0, n_1, ..., n_L] of layer sizes
    seed -- seed of the np.random.Generator the weights are drawn from

    Returns:
    parameters -- dict with "Wl" of shape (n_l, n_{l-1}) and "bl" of shape (n_l, 1), l = 1..L
    """
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layers_dims)):
        n, n_prev = layers_dims[l], layers_dims[l - 1]
        limit = np.sqrt(6 / n_prev)
        parameters[f"W{l}"] = rng.uniform(-limit, limit, size=(n, n_prev))
        parameters[f"b{l}"] = np.zeros((n, 1))
    return parameters


def forward_propagation(X, parameters):
    """Forward pass LINEAR->RELU (layers 1..L-1) then LINEAR->SIGMOID (layer L).

    Arguments:
    X -- input data, shape (n_0, m)
    parameters -- dict with "Wl" of shape (n_l, n_{l-1}) and "bl" of shape (n_l, 1), l = 1..L

    Returns:
    AL -- output probabilities, shape (1, m)
    cache -- dict described in the module docstring ("A0", "Zl", "Al", "Wl", "bl")
    """
    L = num_layers(parameters)
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = W @ A + b
        A = sigmoid(Z) if l == L else relu(Z)
        cache.update({f"Z{l}": Z, f"A{l}": A, f"W{l}": W, f"b{l}": b})
    return A, cache


def backward_propagation(X, Y, cache, activation_grads=False):
    """Backward pass of ``forward_propagation`` for the cross-entropy cost.

    With a sigmoid output and the cross-entropy cost, dZL = AL - Y; every hidden layer then
    passes its gradient back through the ReLU.

    Arguments:
    X -- input data, shape (n_0, m)
    Y -- labels, shape (1, m)
    cache -- the dict returned by ``forward_propagation``
    activation_grads -- also return "dAl", the gradient with respect to each hidden layer's
                        activation, shape (n_l, m), l = 1..L-1 (to watch the backward signal);
                        like dZ in the course's notation it is m times the gradient of the
                        mean cost, the 1/m being applied in dW and db

    Returns:
    grads -- dict with "dWl" of shape (n_l, n_{l-1}) and "dbl" of shape (n_l, 1), l = 1..L
             (plus "dAl" when asked)
    """
    m = X.shape[1]
    L = num_layers(cache)
    grads = {}
    dZ = cache[f"A{L}"] - Y
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = dZ @ cache[f"A{l - 1}"].T / m
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True) / m
        if l > 1:
            dA = cache[f"W{l}"].T @ dZ
            if activation_grads:
                grads[f"dA{l - 1}"] = dA
            dZ = relu_backward(dA, cache[f"Z{l - 1}"])
    return grads


def compute_cost(AL, Y):
    """Cross-entropy cost -1/m * sum(Y log AL + (1 - Y) log(1 - AL)).

    Stays finite when an output is exactly 0 or 1: AL is first clipped into
    [PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR], which changes nothing for unsaturated outputs.

    Arguments:
    AL -- output probabilities, shape (1, m)
    Y -- labels, shape (1, m)

    Returns:
    cost -- a Python float
    """
    m = Y.shape[1]
    P = np.clip(AL, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return float(-np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)) / m)


def predict(X, parameters):
    """Class predictions of the network (no dropout, deterministic).

    Arguments:
    X -- input data, shape (n_0, m)
    parameters -- dict of "Wl", "bl"

    Returns:
    predictions -- integer array of 0s and 1s, shape (1, m)
    """
    AL, _ = forward_propagation(X, parameters)
    return (AL > DECISION_THRESHOLD).astype(int)


def accuracy(predictions, Y):
    """Fraction of predictions equal to the labels, a float in [0, 1].

    Arguments:
    predictions -- shape (1, m)
    Y -- labels, shape (1, m)
    """
    return float(np.mean(predictions == Y))


def update_parameters(parameters, grads, learning_rate):
    """One step of plain gradient descent: Wl <- Wl - learning_rate * dWl (same for bl).

    Returns a new dict; the caller's arrays are left unchanged.

    Arguments:
    parameters -- dict of "Wl" (n_l, n_{l-1}) and "bl" (n_l, 1)
    grads -- dict of "dWl" and "dbl" with the same shapes
    learning_rate -- step size, a float

    Returns:
    parameters -- the updated dict, same keys and shapes
    """
    return {key: value - learning_rate * grads[f"d{key}"] for key, value in parameters.items()}


def _cross_entropy(AL, Y, parameters):
    return compute_cost(AL, Y)


def train(
    X,
    Y,
    layers_dims,
    initialize,
    *,
    learning_rate,
    num_iterations,
    forward=forward_propagation,
    backward=backward_propagation,
    update=update_parameters,
    cost=_cross_entropy,
    batches=None,
    cost_every=100,
    on_record=None,
):
    """The training loop every notebook reuses; the notebook plugs in its own pieces.

    Each iteration (an epoch when ``batches`` is given) runs forward -> cost -> backward -> update
    on every batch. The cost is recorded at iteration 0, every ``cost_every`` iterations and at
    the last iteration.

    Arguments:
    X -- training inputs, shape (n_0, m)
    Y -- training labels, shape (1, m)
    layers_dims -- [n_0, ..., n_L], passed to ``initialize``
    initialize -- function(layers_dims) -> parameters
    learning_rate -- a float, or a function(iteration) -> float for a schedule
    num_iterations -- number of iterations (epochs when ``batches`` is given)
    forward -- function(X, parameters) -> (AL, cache), AL of shape (1, m_batch)
    backward -- function(X, Y, cache) -> grads
    update -- function(parameters, grads, learning_rate) -> parameters; a stateful optimizer
              (momentum, Adam) keeps its state in a closure or object
    cost -- function(AL, Y, parameters) -> float; defaults to ``compute_cost(AL, Y)``
    batches -- optional function(iteration) -> list of (X_batch, Y_batch) with shapes (n_0, k)
               and (1, k); default: the whole training set as a single batch
    cost_every -- record the cost every this many iterations
    on_record -- optional function(iteration, parameters), called on every recorded iteration with the
                 parameters at its start (before its updates), e.g. to record the dev set's cost along
                 the way or to keep a copy of the parameters (early stopping); its result is ignored

    Returns:
    parameters -- the trained parameters
    costs -- dict {iteration: cost}; with batches, the cost averaged over the epoch's examples
    """
    parameters = initialize(layers_dims)
    schedule = learning_rate if callable(learning_rate) else (lambda iteration: learning_rate)
    m = X.shape[1]
    costs = {}
    for iteration in range(num_iterations):
        alpha = schedule(iteration)
        # The cost is only needed on recorded iterations; skipping it elsewhere saves time.
        record = iteration % cost_every == 0 or iteration == num_iterations - 1
        if record and on_record is not None:
            on_record(iteration, parameters)
        epoch_cost = 0.0
        for X_batch, Y_batch in batches(iteration) if batches else [(X, Y)]:
            AL, cache = forward(X_batch, parameters)
            if record:
                epoch_cost += cost(AL, Y_batch, parameters) * Y_batch.shape[1] / m
            grads = backward(X_batch, Y_batch, cache)
            parameters = update(parameters, grads, alpha)
        if record:
            costs[iteration] = epoch_cost
    return parameters, costs
