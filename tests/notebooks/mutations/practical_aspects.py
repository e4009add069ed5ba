"""Submissions that test the Practical Aspects graders: (text in the solution, replacement) edits."""

SPLIT = (
    "order = rng.permutation(m)\n"
    "    train, dev, test = order[:m_train], order[m_train : m_train + m_dev], order[m_train + m_dev :]\n"
    "    train_X, train_Y = X[:, train], Y[:, train]\n"
    "    dev_X, dev_Y = X[:, dev], Y[:, dev]\n"
    "    test_X, test_Y = X[:, test], Y[:, test]"
)
SIZES = (
    "    if all(isinstance(size, int) for size in sizes):\n"
    "        m_train, m_dev, m_test = sizes\n"
    "    else:\n"
    "        m_dev, m_test = int(sizes[1] * m), int(sizes[2] * m)\n"
    "        m_train = m - m_dev - m_test\n"
)
ZEROS = (
    "    if dy > 0:\n"
    "        moved[:, :dy, :] = 0\n"
    "    elif dy < 0:\n"
    "        moved[:, dy:, :] = 0\n"
    "    if dx > 0:\n"
    "        moved[:, :, :dx] = 0\n"
    "    elif dx < 0:\n"
    "        moved[:, :, dx:] = 0\n"
)
SHIFT = "    images = X.T.reshape(m, 8, 8)\n    moved = np.roll(images, (dy, dx), axis=(1, 2))\n" + ZEROS
WALK = (
    "    best_iteration, best_cost, waited = None, np.inf, 0\n"
    "    for iteration, cost in dev_costs.items():\n"
    "        stop_iteration = iteration\n"
    "        if cost < best_cost:\n"
    "            best_iteration, best_cost, waited = iteration, cost, 0\n"
    "        else:\n"
    "            waited += 1\n"
    "            if waited == patience:\n"
    "                break\n"
)

# One realistic mistake per graded function: each must lose exactly that function's points.
MUTATIONS = {
    # cut in file order, without shuffling: a sorted file gives sets of different classes
    "split_dataset": ("order = rng.permutation(m)", "order = np.arange(m)"),
    # each set normalized with its own statistics instead of the training set's
    "normalize_inputs": ("(train_X, axis=1", "(X, axis=1"),
    # avoidable bias measured against 0 instead of the baseline error
    "diagnose": ("avoidable_bias = train_error - baseline_error", "avoidable_bias = train_error"),
    # np.roll alone: pixels pushed off one edge come back on the other
    "shift_images": (ZEROS, ""),
    # the lowest dev cost of the whole history, as if training had never stopped
    "early_stopping": (
        WALK,
        "    best_iteration = min(dev_costs, key=dev_costs.get)\n    stop_iteration = list(dev_costs)[-1]\n",
    ),
}

# Other correct implementations: every one must score full marks.
CORRECT_VARIANTS = [
    (
        "shuffle-then-slice",
        "split_dataset",
        [
            (
                SPLIT,
                (
                    "order = rng.permutation(m)\n"
                    "    X_shuffled, Y_shuffled = X[:, order], Y[:, order]\n"
                    "    train_X, train_Y = X_shuffled[:, :m_train], Y_shuffled[:, :m_train]\n"
                    "    dev_X, dev_Y = X_shuffled[:, m_train : m_train + m_dev], Y_shuffled[:, m_train : m_train + m_dev]\n"
                    "    test_X, test_Y = X_shuffled[:, m_train + m_dev :], Y_shuffled[:, m_train + m_dev :]"
                ),
            )
        ],
    ),
    (
        "dev-and-test-first",
        "split_dataset",
        [
            (
                "train, dev, test = order[:m_train], order[m_train : m_train + m_dev], order[m_train + m_dev :]",
                "dev, test, train = order[:m_dev], order[m_dev : m_dev + m_test], order[m_dev + m_test :]",
            )
        ],
    ),
    (
        "rounded-sizes-and-np-split",
        "split_dataset",
        [
            (
                SIZES,
                (
                    "    if isinstance(sizes[0], float):\n"
                    "        m_train, m_dev = round(sizes[0] * m), round(sizes[1] * m)\n"
                    "        m_test = m - m_train - m_dev\n"
                    "    else:\n"
                    "        m_train, m_dev, m_test = sizes\n"
                ),
            ),
            (
                "train, dev, test = order[:m_train], order[m_train : m_train + m_dev], order[m_train + m_dev :]",
                "train, dev, test = np.split(order, [m_train, m_train + m_dev])",
            ),
        ],
    ),
    (
        "boolean-index-guard",
        "normalize_inputs",
        [("sigma = np.where(sigma == 0, 1.0, sigma)", "sigma[sigma == 0] = 1")],
    ),
    (
        "root-mean-square-and-methods",
        "normalize_inputs",
        [
            ("mu = np.mean(train_X, axis=1, keepdims=True)", "mu = train_X.mean(axis=1)[:, None]"),
            (
                "sigma = np.std(train_X, axis=1, keepdims=True)",
                "sigma = np.sqrt(((train_X - mu) ** 2).mean(axis=1))[:, np.newaxis]",
            ),
        ],
    ),
    (
        "verdicts-as-bools",
        "diagnose",
        [
            ("high_bias = avoidable_bias > threshold", "high_bias = bool(avoidable_bias > threshold)"),
            ("high_variance = variance > threshold", "high_variance = not variance <= threshold"),
        ],
    ),
    (
        "slices",
        "shift_images",
        [
            (
                SHIFT,
                (
                    "    images = X.T.reshape(m, 8, 8)\n"
                    "    moved = np.zeros_like(images)\n"
                    "    rows, cols = 8 - abs(dy), 8 - abs(dx)\n"
                    "    moved[:, max(dy, 0) : max(dy, 0) + rows, max(dx, 0) : max(dx, 0) + cols] = images[\n"
                    "        :, max(-dy, 0) : max(-dy, 0) + rows, max(-dx, 0) : max(-dx, 0) + cols\n"
                    "    ]\n"
                ),
            )
        ],
    ),
    (
        "pad-and-crop-pixel-major",
        "shift_images",
        [
            (
                SHIFT,
                (
                    "    images = X.reshape(8, 8, m)\n"
                    "    padded = np.pad(images, ((8, 8), (8, 8), (0, 0)))\n"
                    "    moved = padded[8 - dy : 16 - dy, 8 - dx : 16 - dx, :]\n"
                ),
            ),
            ("shifted = moved.reshape(m, 64).T", "shifted = moved.reshape(64, m)"),
        ],
    ),
    (
        "key-lookup",
        "early_stopping",
        [
            (
                "    for iteration, cost in dev_costs.items():\n",
                "    for iteration in dev_costs:\n        cost = dev_costs[iteration]\n",
            )
        ],
    ),
    (
        "records-since-best",
        "early_stopping",
        [
            (
                WALK,
                (
                    "    records = list(dev_costs.items())\n"
                    "    for k, (iteration, cost) in enumerate(records):\n"
                    "        stop_iteration = iteration\n"
                    "        best_k = min(range(k + 1), key=lambda j: (records[j][1], j))\n"
                    "        best_iteration = records[best_k][0]\n"
                    "        if k - best_k == patience:\n"
                    "            break\n"
                ),
            )
        ],
    ),
]

# Further mistakes: each must lose exactly its function's points.
MORE_MISTAKES = [
    ("global-rng", "split_dataset", [("rng.permutation(m)", "np.random.permutation(m)")]),
    (
        "new-generator-inside",
        "split_dataset",
        [("rng.permutation(m)", "np.random.default_rng(0).permutation(m)")],
    ),
    ("drawn-with-replacement", "split_dataset", [("rng.permutation(m)", "rng.choice(m, m)")]),
    (
        "labels-shuffled-apart",
        "split_dataset",
        [
            (
                SPLIT,
                (
                    "X_shuffled, Y_shuffled = X[:, rng.permutation(m)], Y[:, rng.permutation(m)]\n"
                    "    train_X, train_Y = X_shuffled[:, :m_train], Y_shuffled[:, :m_train]\n"
                    "    dev_X, dev_Y = X_shuffled[:, m_train : m_train + m_dev], Y_shuffled[:, m_train : m_train + m_dev]\n"
                    "    test_X, test_Y = X_shuffled[:, m_train + m_dev :], Y_shuffled[:, m_train + m_dev :]"
                ),
            )
        ],
    ),
    ("dev-is-test", "split_dataset", [("order[m_train + m_dev :]", "order[m_train : m_train + m_test]")]),
    (
        "fractions-taken-as-counts",
        "split_dataset",
        [("if all(isinstance(size, int) for size in sizes):", "if True:")],
    ),
    ("per-example", "normalize_inputs", [("axis=1", "axis=0")]),
    ("divided-by-variance", "normalize_inputs", [("np.std(", "np.var(")]),
    (
        "sample-standard-deviation",
        "normalize_inputs",
        [("keepdims=True)\n    sigma = np.where", "ddof=1, keepdims=True)\n    sigma = np.where")],
    ),
    (
        "epsilon-instead-of-guard",
        "normalize_inputs",
        [("sigma = np.where(sigma == 0, 1.0, sigma)", "sigma = sigma + 1e-8")],
    ),
    ("no-guard", "normalize_inputs", [("    sigma = np.where(sigma == 0, 1.0, sigma)\n", "")]),
    ("one-mean-for-all", "normalize_inputs", [("(train_X, axis=1, keepdims=True)", "(train_X)")]),
    (
        "normalized-in-place",
        "normalize_inputs",
        [("X_norm = (X - mu) / sigma", "X -= mu\n    X /= sigma\n    X_norm = X")],
    ),
    (
        "variance-against-baseline",
        "diagnose",
        [("variance = dev_error - train_error", "variance = dev_error - baseline_error")],
    ),
    ("threshold-hard-coded", "diagnose", [("> threshold", "> 0.02")]),
    (
        "absolute-gaps",
        "diagnose",
        [
            ("high_bias = avoidable_bias > threshold", "high_bias = abs(avoidable_bias) > threshold"),
            ("high_variance = variance > threshold", "high_variance = abs(variance) > threshold"),
        ],
    ),
    ("bias-from-dev-error", "diagnose", [("avoidable_bias = train_error", "avoidable_bias = dev_error")]),
    (
        "verdicts-swapped",
        "diagnose",
        [
            ("high_bias = avoidable_bias > threshold", "high_bias = variance > threshold"),
            ("high_variance = variance > threshold", "high_variance = avoidable_bias > threshold"),
        ],
    ),
    ("axes-swapped", "shift_images", [("(dy, dx), axis=(1, 2)", "(dx, dy), axis=(1, 2)")]),
    ("signs-reversed", "shift_images", [("(dy, dx), axis=(1, 2)", "(-dy, -dx), axis=(1, 2)")]),
    (
        "images-read-as-rows",
        "shift_images",
        [
            ("images = X.T.reshape(m, 8, 8)", "images = X.reshape(m, 8, 8)"),
            ("shifted = moved.reshape(m, 64).T", "shifted = moved.reshape(64, m)"),
        ],
    ),
    (
        "one-row-per-image",
        "shift_images",
        [("shifted = moved.reshape(m, 64).T", "shifted = moved.reshape(m, 64)")],
    ),
    (
        "shifted-in-place",
        "shift_images",
        [
            (
                "moved = np.roll(images, (dy, dx), axis=(1, 2))",
                "moved = images\n    moved[:] = np.roll(images, (dy, dx), axis=(1, 2))",
            )
        ],
    ),
    (
        "only-positive-shifts-blanked",
        "shift_images",
        [
            ("    elif dy < 0:\n        moved[:, dy:, :] = 0\n", ""),
            ("    elif dx < 0:\n        moved[:, :, dx:] = 0\n", ""),
        ],
    ),
    (
        "count-not-reset",
        "early_stopping",
        [
            (
                "best_iteration, best_cost, waited = iteration, cost, 0",
                "best_iteration, best_cost = iteration, cost",
            )
        ],
    ),
    ("one-record-late", "early_stopping", [("if waited == patience:", "if waited > patience:")]),
    (
        "positions-not-iterations",
        "early_stopping",
        [
            (
                "for iteration, cost in dev_costs.items():",
                "for iteration, cost in enumerate(dev_costs.values()):",
            )
        ],
    ),
    (
        "compared-with-previous-record",
        "early_stopping",
        [
            (
                WALK,
                (
                    "    best_iteration, best_cost, waited, previous = None, np.inf, 0, np.inf\n"
                    "    for iteration, cost in dev_costs.items():\n"
                    "        stop_iteration = iteration\n"
                    "        if cost < best_cost:\n"
                    "            best_iteration, best_cost = iteration, cost\n"
                    "        if cost < previous:\n"
                    "            waited = 0\n"
                    "        else:\n"
                    "            waited += 1\n"
                    "            if waited == patience:\n"
                    "                break\n"
                    "        previous = cost\n"
                ),
            )
        ],
    ),
]
