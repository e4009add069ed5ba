"""Submissions that test the Optimization graders: (text in the solution, replacement) edits."""

# One realistic mistake per graded function: each must lose exactly that function's points.
MUTATIONS = {
    # gradient ascent: the sign of the step flipped
    "update_parameters_with_gd": (
        'parameters[key] - learning_rate * grads["d" + key]',
        'parameters[key] + learning_rate * grads["d" + key]',
    ),
    # X and Y shuffled with two different permutations: labels no longer match their examples
    "random_mini_batches": ("shuffled_Y = Y[:, permutation]", "shuffled_Y = Y[:, rng.permutation(m)]"),
    # off by one: the last layer gets no velocity
    "initialize_velocity": ("range(1, L + 1)", "range(1, L)"),
    # momentum without the (1 - beta) factor on the gradient
    "update_parameters_with_momentum": ("(1 - beta) * grads[dkey]", "grads[dkey]"),
    # state keyed like the parameters (W1, b1) instead of the gradients (dW1, db1)
    "initialize_rmsprop": ('s[f"d', 's[f"'),
    # RMSProp without the square: averages the gradient itself
    "update_parameters_with_rmsprop": ("(1 - beta2) * grads[dkey] ** 2", "(1 - beta2) * grads[dkey]"),
    # copy-paste: s's bias shaped like the weights
    "initialize_adam": (
        's[f"db{l}"] = np.zeros_like(parameters[f"b{l}"])',
        's[f"db{l}"] = np.zeros_like(parameters[f"W{l}"])',
    ),
    # Adam without bias correction of the first moment
    "update_parameters_with_adam": ("new_v[dkey] / (1 - beta1**t)", "new_v[dkey]"),
    # exponential decay instead of inverse-time decay
    "update_lr": (
        "learning_rate0 / (1 + decay_rate * epoch_num)",
        "learning_rate0 * np.exp(-decay_rate * epoch_num)",
    ),
    # no floor: decays every epoch instead of every time_interval epochs
    "schedule_lr_decay": ("(epoch_num // time_interval)", "(epoch_num / time_interval)"),
}

# Other correct implementations: every one must score full marks.
CORRECT_VARIANTS = [
    (
        "gd-comprehension",
        "update_parameters_with_gd",
        [
            (
                (
                    "    for key in parameters:\n"
                    '        new_parameters[key] = parameters[key] - learning_rate * grads["d" + key]\n'
                ),
                '    new_parameters = {k: w - learning_rate * grads[f"d{k}"] for k, w in parameters.items()}\n',
            )
        ],
    ),
    (
        "np-take",
        "random_mini_batches",
        [
            ("shuffled_X = X[:, permutation]", "shuffled_X = np.take(X, permutation, axis=1)"),
            ("shuffled_Y = Y[:, permutation]", "shuffled_Y = np.take(Y, permutation, axis=1)"),
        ],
    ),
    (
        "shuffled-indices-and-remainder-loop",
        "random_mini_batches",
        [
            ("permutation = rng.permutation(m)", "permutation = np.arange(m)\n    rng.shuffle(permutation)"),
            (
                (
                    "    for start in range(0, m, mini_batch_size):\n"
                    "        end = start + mini_batch_size\n"
                    "        mini_batches.append((shuffled_X[:, start:end], shuffled_Y[:, start:end]))\n"
                ),
                (
                    "    num_complete = math.floor(m / mini_batch_size)\n"
                    "    for k in range(num_complete):\n"
                    "        cols = slice(k * mini_batch_size, (k + 1) * mini_batch_size)\n"
                    "        mini_batches.append((shuffled_X[:, cols], shuffled_Y[:, cols]))\n"
                    "    if m % mini_batch_size != 0:\n"
                    "        cols = slice(num_complete * mini_batch_size, m)\n"
                    "        mini_batches.append((shuffled_X[:, cols], shuffled_Y[:, cols]))\n"
                ),
            ),
            (
                "    rng = np.random.default_rng(seed)\n",
                "    import math\n\n    rng = np.random.default_rng(seed)\n",
            ),
        ],
    ),
    (
        "zeros-of-shape",
        "initialize_velocity",
        [
            ('np.zeros_like(parameters[f"W{l}"])', 'np.zeros(parameters[f"W{l}"].shape)'),
            ('np.zeros_like(parameters[f"b{l}"])', 'np.zeros(parameters[f"b{l}"].shape)'),
        ],
    ),
    (
        "key-loop",
        "initialize_adam",
        [
            (
                (
                    "    for l in range(1, L + 1):\n"
                    '        v[f"dW{l}"] = np.zeros_like(parameters[f"W{l}"])\n'
                    '        v[f"db{l}"] = np.zeros_like(parameters[f"b{l}"])\n'
                    '        s[f"dW{l}"] = np.zeros_like(parameters[f"W{l}"])\n'
                    '        s[f"db{l}"] = np.zeros_like(parameters[f"b{l}"])\n'
                ),
                (
                    "    for key, value in parameters.items():\n"
                    '        v["d" + key] = np.zeros(value.shape)\n'
                    '        s["d" + key] = np.zeros(value.shape)\n'
                ),
            )
        ],
    ),
    (
        "momentum-comprehensions",
        "update_parameters_with_momentum",
        [
            (
                (
                    "    for key in parameters:\n"
                    '        dkey = "d" + key\n'
                    "        new_v[dkey] = beta * v[dkey] + (1 - beta) * grads[dkey]\n"
                    "        new_parameters[key] = parameters[key] - learning_rate * new_v[dkey]\n"
                ),
                (
                    '    new_v = {f"d{k}": beta * v[f"d{k}"] + (1 - beta) * grads[f"d{k}"] for k in parameters}\n'
                    '    new_parameters = {k: w - learning_rate * new_v[f"d{k}"] for k, w in parameters.items()}\n'
                ),
            )
        ],
    ),
    ("np-square", "update_parameters_with_rmsprop", [("grads[dkey] ** 2", "np.square(grads[dkey])")]),
    (
        "times-itself",
        "update_parameters_with_adam",
        [("grads[dkey] ** 2", "grads[dkey] * grads[dkey]"), ("(1 - beta1**t)", "(1.0 - np.power(beta1, t))")],
    ),
    (
        "power-minus-one",
        "update_lr",
        [
            (
                "learning_rate0 / (1 + decay_rate * epoch_num)",
                "learning_rate0 * (1 + decay_rate * epoch_num) ** -1",
            )
        ],
    ),
    (
        "math-floor",
        "schedule_lr_decay",
        [
            (
                "    learning_rate = learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))",
                (
                    "    import math\n\n"
                    "    learning_rate = learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval))"
                ),
            )
        ],
    ),
    (
        "int-division",
        "schedule_lr_decay",
        [("(epoch_num // time_interval)", "int(epoch_num / time_interval)")],
    ),
]

# Further mistakes: each must lose exactly its function's points.
MORE_MISTAKES = [
    (
        "gd-in-place",
        "update_parameters_with_gd",
        [
            (
                '        new_parameters[key] = parameters[key] - learning_rate * grads["d" + key]\n',
                '        parameters[key] -= learning_rate * grads["d" + key]\n        new_parameters[key] = parameters[key]\n',
            )
        ],
    ),
    (
        "unshuffled",
        "random_mini_batches",
        [("permutation = rng.permutation(m)", "permutation = np.arange(m)")],
    ),
    (
        "dropped-last-batch",
        "random_mini_batches",
        [("range(0, m, mini_batch_size)", "range(0, m - mini_batch_size + 1, mini_batch_size)")],
    ),
    ("global-rng", "random_mini_batches", [("rng.permutation(m)", "np.random.permutation(m)")]),
    (
        "momentum-steps-with-old-velocity",
        "update_parameters_with_momentum",
        [("learning_rate * new_v[dkey]", "learning_rate * v[dkey]")],
    ),
    (
        "momentum-state-in-place",
        "update_parameters_with_momentum",
        [("new_v[dkey] = beta * v[dkey]", "new_v[dkey] = v[dkey] = beta * v[dkey]")],
    ),
    (
        "rmsprop-epsilon-inside-root",
        "update_parameters_with_rmsprop",
        [("(np.sqrt(new_s[dkey]) + epsilon)", "np.sqrt(new_s[dkey] + epsilon)")],
    ),
    (
        "rmsprop-old-s",
        "update_parameters_with_rmsprop",
        [("(np.sqrt(new_s[dkey]) + epsilon)", "(np.sqrt(s[dkey]) + epsilon)")],
    ),
    ("velocity-keyed-like-parameters", "initialize_velocity", [('v[f"d', 'v[f"')]),
    (
        "adam-epsilon-inside-root",
        "update_parameters_with_adam",
        [("(np.sqrt(s_corrected[dkey]) + epsilon)", "np.sqrt(s_corrected[dkey] + epsilon)")],
    ),
    (
        "adam-no-second-moment-correction",
        "update_parameters_with_adam",
        [("new_s[dkey] / (1 - beta2**t)", "new_s[dkey]")],
    ),
    (
        "adam-returns-corrected-v",
        "update_parameters_with_adam",
        [
            (
                "v_corrected[dkey] = new_v[dkey] / (1 - beta1**t)",
                "v_corrected[dkey] = new_v[dkey] = new_v[dkey] / (1 - beta1**t)",
            )
        ],
    ),
    (
        "adam-beta1-for-s",
        "update_parameters_with_adam",
        [("beta2 * s[dkey] + (1 - beta2)", "beta1 * s[dkey] + (1 - beta1)")],
    ),
    ("adam-correction-without-power", "update_parameters_with_adam", [("(1 - beta1**t)", "(1 - beta1)")]),
    ("adam-missing-layer", "initialize_adam", [("range(1, L + 1)", "range(1, L)")]),
    (
        "lr-precedence",
        "update_lr",
        [("learning_rate0 / (1 + decay_rate * epoch_num)", "learning_rate0 / 1 + decay_rate * epoch_num")],
    ),
    (
        "lr-power-decay",
        "update_lr",
        [("learning_rate0 / (1 + decay_rate * epoch_num)", "learning_rate0 * (1 - decay_rate) ** epoch_num")],
    ),
    (
        "schedule-exponential-steps",
        "schedule_lr_decay",
        [
            (
                "learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))",
                "learning_rate0 * np.exp(-decay_rate * (epoch_num // time_interval))",
            )
        ],
    ),
    # the mistakes: the caller's dicts rebound or their arrays updated in place; numpy's global generator
    (
        "gd-rebinds-caller-dict",
        "update_parameters_with_gd",
        [
            (
                '        new_parameters[key] = parameters[key] - learning_rate * grads["d" + key]\n',
                '        parameters[key] = parameters[key] - learning_rate * grads["d" + key]\n        new_parameters[key] = parameters[key]\n',
            )
        ],
    ),
    (
        "shuffles-caller-arrays",
        "random_mini_batches",
        [
            ("shuffled_X = X[:, permutation]", "X[:] = X[:, permutation]\n    shuffled_X = X"),
            ("shuffled_Y = Y[:, permutation]", "Y[:] = Y[:, permutation]\n    shuffled_Y = Y"),
        ],
    ),
    (
        "seeded-global-shuffle",
        "random_mini_batches",
        [
            (
                "permutation = rng.permutation(m)",
                "np.random.seed(seed)\n    permutation = np.random.permutation(m)",
            )
        ],
    ),
    (
        "momentum-parameters-in-place",
        "update_parameters_with_momentum",
        [
            (
                "        new_parameters[key] = parameters[key] - learning_rate * new_v[dkey]\n",
                "        parameters[key] -= learning_rate * new_v[dkey]\n        new_parameters[key] = parameters[key]\n",
            )
        ],
    ),
    (
        "momentum-velocity-array-in-place",
        "update_parameters_with_momentum",
        [
            (
                "        new_v[dkey] = beta * v[dkey] + (1 - beta) * grads[dkey]\n",
                "        v[dkey] *= beta\n        v[dkey] += (1 - beta) * grads[dkey]\n        new_v[dkey] = v[dkey]\n",
            )
        ],
    ),
    (
        "rmsprop-state-rebound",
        "update_parameters_with_rmsprop",
        [("new_s[dkey] = beta2 * s[dkey]", "new_s[dkey] = s[dkey] = beta2 * s[dkey]")],
    ),
    (
        "rmsprop-parameters-in-place",
        "update_parameters_with_rmsprop",
        [
            (
                "new_parameters[key] = parameters[key] - learning_rate",
                "parameters[key] -= learning_rate",
            ),
            ("epsilon)\n", "epsilon)\n        new_parameters[key] = parameters[key]\n"),
        ],
    ),
    (
        "adam-state-rebound",
        "update_parameters_with_adam",
        [("new_v[dkey] = beta1 * v[dkey]", "new_v[dkey] = v[dkey] = beta1 * v[dkey]")],
    ),
    (
        "adam-parameters-in-place",
        "update_parameters_with_adam",
        [
            (
                "        new_parameters[key] = parameters[key] - learning_rate * step\n",
                "        parameters[key] -= learning_rate * step\n        new_parameters[key] = parameters[key]\n",
            )
        ],
    ),
    ("adam-fixed-epsilon", "update_parameters_with_adam", [("+ epsilon)", "+ 1e-8)")]),
    (
        "adam-correction-one-step-late",
        "update_parameters_with_adam",
        [("(1 - beta1**t)", "(1 - beta1 ** (t + 1))"), ("(1 - beta2**t)", "(1 - beta2 ** (t + 1))")],
    ),
]
