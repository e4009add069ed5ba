"""Submissions that test the Regularization graders: (text in the solution, replacement) edits."""

# One realistic mistake per graded function: each must lose exactly that function's points.
MUTATIONS = {
    # the penalty divided by m instead of 2m
    "compute_cost_with_regularization": ("lambd / (2 * m)", "lambd / m"),
    # the biases regularized too
    "backward_propagation_with_regularization": (
        '        grads[f"dW{l}"] = grads[f"dW{l}"] + lambd / m * cache[f"W{l}"]\n',
        (
            '        grads[f"dW{l}"] = grads[f"dW{l}"] + lambd / m * cache[f"W{l}"]\n'
            '        grads[f"db{l}"] = grads[f"db{l}"] + lambd / m * cache[f"b{l}"]\n'
        ),
    ),
    # kept activations not divided by keep_prob (plain, not inverted, dropout)
    "forward_propagation_with_dropout": ("/ keep_prob\n", "\n"),
    # the masks reapplied in backward, but without the 1 / keep_prob scaling
    "backward_propagation_with_dropout": (" / keep_prob\n", "\n"),
}

# Other correct implementations: every one must score full marks.
CORRECT_VARIANTS = [
    (
        "mask-greater-than",
        "forward_propagation_with_dropout",
        [
            ("rng.random(Z1.shape) < keep_prob", "rng.random(Z1.shape) > 1 - keep_prob"),
            ("rng.random(Z2.shape) < keep_prob", "rng.random(Z2.shape) > 1 - keep_prob"),
        ],
    ),
    (
        "mask-binomial-integers",
        "forward_propagation_with_dropout",
        [
            ("rng.random(Z1.shape) < keep_prob", "rng.binomial(1, keep_prob, size=Z1.shape)"),
            ("rng.random(Z2.shape) < keep_prob", "rng.binomial(1, keep_prob, size=Z2.shape)"),
        ],
    ),
    (
        "mask-uniform-own-shape",
        "forward_propagation_with_dropout",
        [
            (
                "D2 = rng.random(Z2.shape) < keep_prob",
                "D2 = rng.uniform(size=(W2.shape[0], X.shape[1])) < keep_prob",
            )
        ],
    ),
    (
        "own-cross-entropy-any-depth",
        "compute_cost_with_regularization",
        [
            ("compute_cost(A3, Y)", "-np.mean(Y * np.log(A3) + (1 - Y) * np.log(1 - A3))"),
            (
                'np.sum(np.square(parameters[f"W{l}"])) for l in (1, 2, 3)',
                'np.linalg.norm(parameters[key]) ** 2 for key in parameters if key.startswith("W")',
            ),
        ],
    ),
    (
        "in-place-add",
        "backward_propagation_with_regularization",
        [('grads[f"dW{l}"] = grads[f"dW{l}"] + lambd', 'grads[f"dW{l}"] += lambd')],
    ),
    (
        "relu-derivative-from-dropped-activation",
        "backward_propagation_with_dropout",
        [
            ('relu_backward(dA2, cache["Z2"])', 'dA2 * (cache["A2"] > 0)'),
            ('relu_backward(dA1, cache["Z1"])', 'np.where(cache["A1"] > 0, dA1, 0.0)'),
        ],
    ),
    # the reference course's backward passes also return dZ3, dA2, ...: the graders accept extra entries
    (
        "returns-dZ-too",
        "backward_propagation_with_dropout",
        [
            (
                '    grads["dW3"] = dZ3 @ cache["A2"].T / m\n',
                '    grads["dZ3"] = dZ3\n    grads["dW3"] = dZ3 @ cache["A2"].T / m\n',
            )
        ],
    ),
    (
        "regularized-returns-dZ-too",
        "backward_propagation_with_regularization",
        [("    for l in (1, 2, 3):\n", '    grads["dZ3"] = cache["A3"] - Y\n    for l in (1, 2, 3):\n')],
    ),
]

# Further mistakes: each must lose exactly its function's points.
MORE_MISTAKES = [
    (
        "biases-penalized",
        "compute_cost_with_regularization",
        [
            (
                'np.sum(np.square(parameters[f"W{l}"])) for l',
                'np.sum(np.square(parameters[f"W{l}"])) + np.sum(np.square(parameters[f"b{l}"])) for l',
            )
        ],
    ),
    (
        "norms-not-squared",
        "compute_cost_with_regularization",
        [('np.sum(np.square(parameters[f"W{l}"]))', 'np.linalg.norm(parameters[f"W{l}"])')],
    ),
    ("half-the-gradient", "backward_propagation_with_regularization", [("lambd / m", "lambd / (2 * m)")]),
    (
        "forward-multiplied-by-keep-prob",
        "forward_propagation_with_dropout",
        [("/ keep_prob\n", "* keep_prob\n")],
    ),
    (
        "output-layer-dropped",
        "forward_propagation_with_dropout",
        [("A3 = sigmoid(Z3)\n", "A3 = sigmoid(Z3) * (rng.random(Z3.shape) < keep_prob) / keep_prob\n")],
    ),
    (
        "keeps-one-minus-keep-prob",
        "forward_propagation_with_dropout",
        [
            ("rng.random(Z1.shape) < keep_prob", "rng.random(Z1.shape) > keep_prob"),
            ("rng.random(Z2.shape) < keep_prob", "rng.random(Z2.shape) > keep_prob"),
        ],
    ),
    (
        "global-seeding",
        "forward_propagation_with_dropout",
        [
            ("D1 = rng.random(Z1.shape)", "np.random.seed(1)\n    D1 = np.random.rand(*Z1.shape)"),
            ("D2 = rng.random(Z2.shape)", "D2 = np.random.rand(*Z2.shape)"),
        ],
    ),
    (
        "fixed-generator-inside",
        "forward_propagation_with_dropout",
        [("    Z1 = W1 @ X + b1\n", "    rng = np.random.default_rng(1)\n    Z1 = W1 @ X + b1\n")],
    ),
    ("masks-not-stored", "forward_propagation_with_dropout", [('"D1": D1, ', ""), ('"D2": D2, ', "")]),
    (
        "second-layer-not-dropped",
        "forward_propagation_with_dropout",
        [("relu(Z2) * D2 / keep_prob", "relu(Z2)")],
    ),
    (
        "new-mask-in-backward",
        "backward_propagation_with_dropout",
        [('cache["D2"] / keep_prob', '(np.random.rand(*cache["Z2"].shape) < keep_prob) / keep_prob')],
    ),
    (
        "masks-forgotten",
        "backward_propagation_with_dropout",
        [(' * cache["D2"]', ""), (' * cache["D1"]', "")],
    ),
    (
        "backward-multiplied-by-keep-prob",
        "backward_propagation_with_dropout",
        [(" / keep_prob\n", " * keep_prob\n")],
    ),
    # the mistakes: masks from numpy's global generator; one mask forgotten in backward
    (
        "masks-from-np-random",
        "forward_propagation_with_dropout",
        [
            ("rng.random(Z1.shape) < keep_prob", "np.random.rand(*Z1.shape) < keep_prob"),
            ("rng.random(Z2.shape) < keep_prob", "np.random.rand(*Z2.shape) < keep_prob"),
        ],
    ),
    ("first-mask-forgotten", "backward_propagation_with_dropout", [(' * cache["D1"]', "")]),
    # the cache's A2 stored before dropout, while A3 is computed right: a cache mistake, not the output layer's
    (
        "cache-holds-A2-before-dropout",
        "forward_propagation_with_dropout",
        [
            (
                "    A2 = relu(Z2) * D2 / keep_prob\n    Z3 = W3 @ A2 + b3\n",
                "    Z3 = W3 @ (relu(Z2) * D2 / keep_prob) + b3\n    A2 = relu(Z2)\n",
            ),
        ],
    ),
]
