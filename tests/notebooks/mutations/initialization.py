"""Submissions that test the Initialization graders: (text in the solution, replacement) edits."""

# One realistic mistake per graded function: each must lose exactly that function's points.
MUTATIONS = {
    # weights transposed: (n_{l-1}, n_l)
    "initialize_parameters_zeros": ("np.zeros((n, n_prev))", "np.zeros((n_prev, n))"),
    # numpy's global generator instead of the seeded rng
    "initialize_parameters_random": ("rng.standard_normal(", "np.random.standard_normal("),
    # scaled by the layer's own size instead of its fan-in
    "initialize_parameters_he": ("np.sqrt(2 / n_prev)", "np.sqrt(2 / n)"),
    # He's factor 2 instead of Xavier's 1
    "initialize_parameters_xavier": ("np.sqrt(1 / n_prev)", "np.sqrt(2 / n_prev)"),
}

# Other correct implementations: every one must score full marks.
CORRECT_VARIANTS = [
    (
        "normal-with-scale",
        "initialize_parameters_he",
        [
            (
                "rng.standard_normal((n, n_prev)) * np.sqrt(2 / n_prev)",
                "rng.normal(0.0, np.sqrt(2 / n_prev), size=(n, n_prev))",
            )
        ],
    ),
    ("divide-by-sqrt", "initialize_parameters_xavier", [("* np.sqrt(1 / n_prev)", "/ np.sqrt(n_prev)")]),
    (
        "pairwise-loop",
        "initialize_parameters_zeros",
        [
            (
                "for l in range(1, len(layers_dims)):",
                "for l, (n_prev, n) in enumerate(zip(layers_dims, layers_dims[1:]), 1):",
            ),
            ("        n, n_prev = layers_dims[l], layers_dims[l - 1]\n", ""),
        ],
    ),
]

# Further mistakes: each must lose exactly its function's points.
MORE_MISTAKES = [
    (
        "uniform-draws",
        "initialize_parameters_he",
        [
            (
                "rng.standard_normal((n, n_prev)) * np.sqrt(2 / n_prev)",
                "rng.uniform(-1, 1, (n, n_prev)) * np.sqrt(6 / n_prev)",
            )
        ],
    ),
    (
        "generator-per-layer",
        "initialize_parameters_xavier",
        [("rng.standard_normal(", "np.random.default_rng(seed).standard_normal(")],
    ),
    ("no-scaling", "initialize_parameters_random", [(" * 10\n", "\n")]),
    ("random-biases", "initialize_parameters_he", [("np.zeros((n, 1))", "rng.standard_normal((n, 1))")]),
    (
        "missing-last-layer",
        "initialize_parameters_zeros",
        [("range(1, len(layers_dims))", "range(1, len(layers_dims) - 1)")],
    ),
    # the mistakes: numpy's global generator, seeded inside (reproducible, but changes everyone's state)
    (
        "global-seed-and-randn",
        "initialize_parameters_random",
        [
            (
                "    for l in range(1, len(layers_dims)):",
                "    np.random.seed(seed)\n    for l in range(1, len(layers_dims)):",
            ),
            ("rng.standard_normal((n, n_prev)) * 10", "np.random.randn(n, n_prev) * 10"),
        ],
    ),
    (
        "he-global-seed-and-randn",
        "initialize_parameters_he",
        [
            (
                "    for l in range(1, len(layers_dims)):",
                "    np.random.seed(seed)\n    for l in range(1, len(layers_dims)):",
            ),
            ("rng.standard_normal((n, n_prev))", "np.random.randn(n, n_prev)"),
        ],
    ),
    (
        "he-generator-per-layer",
        "initialize_parameters_he",
        [("rng.standard_normal(", "np.random.default_rng(seed).standard_normal(")],
    ),
]
