"""Submissions that test the Hyperparameter Tuning graders: (text in the solution, replacement) edits."""

LOG_SAMPLE = "r = rng.uniform(np.log10(low), np.log10(high), size)\n    values = 10.0**r"
BETA_SAMPLE = "r = rng.uniform(np.log10(1 - high), np.log10(1 - low), size)\n    betas = 1 - 10.0**r"
SOFTMAX = "T = np.exp(Z - np.max(Z, axis=0, keepdims=True))\n    A = T / np.sum(T, axis=0, keepdims=True)"
RUNNING_UPDATE = (
    "new_running = {\n"
    '            "mean": momentum * running["mean"] + (1 - momentum) * mu,\n'
    '            "var": momentum * running["var"] + (1 - momentum) * var,\n'
    "        }"
)
BACKWARD_DZ = (
    "    dZ = (\n"
    "        m * dZ_hat\n"
    "        - np.sum(dZ_hat, axis=1, keepdims=True)\n"
    "        - Z_hat * np.sum(dZ_hat * Z_hat, axis=1, keepdims=True)\n"
    "    ) / (m * s)\n"
)

# One realistic mistake per graded function: each must lose exactly that function's points.
MUTATIONS = {
    # alpha drawn uniformly between the bounds: 90% of [1e-4, 1] lands in the top decade
    "sample_log_uniform": (LOG_SAMPLE, "values = rng.uniform(low, high, size)"),
    # the log scale applied to beta itself instead of 1 - beta
    "sample_beta": (BETA_SAMPLE, "r = rng.uniform(np.log10(low), np.log10(high), size)\n    betas = 10.0**r"),
    # normalized over each row (unit) instead of each column (example)
    "softmax": ("axis=0", "axis=1"),
    # averaged over all C * m entries instead of the m examples
    "compute_softmax_cost": ("-np.sum(Y * np.log(AL)) / m", "-np.mean(Y * np.log(AL))"),
    # statistics over the units of each example (axis 0) instead of over the batch for each unit
    "batchnorm_forward": ("axis=1", "axis=0"),
    # mu and var treated as constants: dZ = gamma * dZ_tilde / sqrt(var + epsilon)
    "batchnorm_backward": (BACKWARD_DZ, "    dZ = dZ_hat / s\n"),
}

# Other correct implementations: every one must score full marks.
CORRECT_VARIANTS = [
    (
        "natural-log",
        "sample_log_uniform",
        [(LOG_SAMPLE, "values = np.exp(rng.uniform(np.log(low), np.log(high), size))")],
    ),
    (
        "power-of-ratio",
        "sample_log_uniform",
        [(LOG_SAMPLE, "values = low * (high / low) ** rng.random(size)")],
    ),
    (
        "scaled-random",
        "sample_log_uniform",
        [
            (
                LOG_SAMPLE,
                "a, b = np.log10(low), np.log10(high)\n    values = np.power(10, a + (b - a) * rng.random(size))",
            )
        ],
    ),
    (
        "reuse-log-uniform",
        "sample_beta",
        [(BETA_SAMPLE, "betas = 1 - sample_log_uniform(1 - high, 1 - low, size, rng)")],
    ),
    (
        "natural-log-beta",
        "sample_beta",
        [(BETA_SAMPLE, "betas = 1 - np.exp(rng.uniform(np.log(1 - high), np.log(1 - low), size))")],
    ),
    (
        "no-keepdims",
        "softmax",
        [
            ("np.max(Z, axis=0, keepdims=True)", "Z.max(axis=0)"),
            ("np.sum(T, axis=0, keepdims=True)", "T.sum(axis=0)"),
        ],
    ),
    (
        "log-sum-exp",
        "softmax",
        [
            (
                SOFTMAX,
                (
                    "top = np.max(Z, axis=0, keepdims=True)\n"
                    "    A = np.exp(Z - top - np.log(np.sum(np.exp(Z - top), axis=0, keepdims=True)))"
                ),
            )
        ],
    ),
    (
        "true-class-probability",
        "compute_softmax_cost",
        [("cost = -np.sum(Y * np.log(AL)) / m", "cost = -np.mean(np.log(np.sum(Y * AL, axis=0)))")],
    ),
    (
        "boolean-index",
        "compute_softmax_cost",
        [("cost = -np.sum(Y * np.log(AL)) / m", "cost = -np.sum(np.log(AL[Y == 1])) / m")],
    ),
    (
        "explicit-sums-and-copies",
        "batchnorm_forward",
        [
            ("mu = np.mean(Z, axis=1, keepdims=True)", "mu = Z.sum(axis=1, keepdims=True) / Z.shape[1]"),
            ("var = np.var(Z, axis=1, keepdims=True)", "var = np.mean((Z - mu) ** 2, axis=1, keepdims=True)"),
            (
                "new_running = running\n",
                'new_running = {"mean": running["mean"].copy(), "var": running["var"].copy()}\n',
            ),
            (
                "Z_hat = (Z - mu) / np.sqrt(var + epsilon)",
                "inverse_std = 1.0 / np.sqrt(var + epsilon)\n    Z_hat = (Z - mu) * inverse_std",
            ),
        ],
    ),
    (
        "chain-rule-steps",
        "batchnorm_backward",
        [
            (
                BACKWARD_DZ,
                (
                    "    Z, mu, var = cache['Z'], cache['mu'], cache['var']\n"
                    "    dvar = np.sum(dZ_hat * (Z - mu), axis=1, keepdims=True) * -0.5 * s**-3\n"
                    "    dmu = -np.sum(dZ_hat, axis=1, keepdims=True) / s\n"
                    "    dmu += dvar * np.mean(-2 * (Z - mu), axis=1, keepdims=True)\n"
                    "    dZ = dZ_hat / s + dvar * 2 * (Z - mu) / m + dmu / m\n"
                ),
            )
        ],
    ),
    (
        "means-form",
        "batchnorm_backward",
        [
            (
                BACKWARD_DZ,
                (
                    "    dZ = (gamma / s) * (\n"
                    "        dZ_tilde\n"
                    "        - dZ_tilde.mean(axis=1, keepdims=True)\n"
                    "        - Z_hat * (dZ_tilde * Z_hat).mean(axis=1, keepdims=True)\n"
                    "    )\n"
                ),
            )
        ],
    ),
]

# Further mistakes: each must lose exactly its function's points.
MORE_MISTAKES = [
    ("global-rng", "sample_log_uniform", [("rng.uniform(", "np.random.uniform(")]),
    ("new-generator-inside", "sample_log_uniform", [("rng.uniform(", "np.random.default_rng(0).uniform(")]),
    ("exponent-returned", "sample_log_uniform", [("values = 10.0**r", "values = r")]),
    ("uniform-beta", "sample_beta", [(BETA_SAMPLE, "betas = rng.uniform(low, high, size)")]),
    ("one-minus-forgotten", "sample_beta", [("betas = 1 - 10.0**r", "betas = 10.0**r")]),
    ("global-rng-beta", "sample_beta", [("rng.uniform(", "np.random.uniform(")]),
    ("no-max-subtracted", "softmax", [("np.exp(Z - np.max(Z, axis=0, keepdims=True))", "np.exp(Z)")]),
    ("global-max", "softmax", [("np.max(Z, axis=0, keepdims=True)", "np.max(Z)")]),
    ("sum-of-everything", "softmax", [("np.sum(T, axis=0, keepdims=True)", "np.sum(T)")]),
    (
        "shifted-in-place",
        "softmax",
        [
            (
                "T = np.exp(Z - np.max(Z, axis=0, keepdims=True))",
                "Z -= np.max(Z, axis=0, keepdims=True)\n    T = np.exp(Z)",
            )
        ],
    ),
    (
        "no-division-by-m",
        "compute_softmax_cost",
        [("-np.sum(Y * np.log(AL)) / m", "-np.sum(Y * np.log(AL))")],
    ),
    (
        "two-class-formula",
        "compute_softmax_cost",
        [("-np.sum(Y * np.log(AL)) / m", "-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m")],
    ),
    (
        "cost-per-example",
        "compute_softmax_cost",
        [("-np.sum(Y * np.log(AL)) / m", "-np.sum(Y * np.log(AL), axis=0) / m")],
    ),
    ("epsilon-outside-root", "batchnorm_forward", [("np.sqrt(var + epsilon)", "(np.sqrt(var) + epsilon)")]),
    (
        "unbiased-variance",
        "batchnorm_forward",
        [("np.var(Z, axis=1, keepdims=True)", "np.var(Z, axis=1, ddof=1, keepdims=True)")],
    ),
    (
        "running-in-place",
        "batchnorm_forward",
        [
            (
                RUNNING_UPDATE,
                (
                    'running["mean"] = momentum * running["mean"] + (1 - momentum) * mu\n'
                    '        running["var"] = momentum * running["var"] + (1 - momentum) * var\n'
                    "        new_running = running"
                ),
            )
        ],
    ),
    (
        "momentum-weights-swapped",
        "batchnorm_forward",
        [
            (
                'momentum * running["mean"] + (1 - momentum) * mu',
                '(1 - momentum) * running["mean"] + momentum * mu',
            ),
            (
                'momentum * running["var"] + (1 - momentum) * var',
                '(1 - momentum) * running["var"] + momentum * var',
            ),
        ],
    ),
    (
        "batch-statistics-at-test-time",
        "batchnorm_forward",
        [
            (
                'mu, var = running["mean"], running["var"]',
                "mu, var = np.mean(Z, axis=1, keepdims=True), np.var(Z, axis=1, keepdims=True)",
            )
        ],
    ),
    ("scale-and-shift-swapped", "batchnorm_forward", [("gamma * Z_hat + beta", "beta * Z_hat + gamma")]),
    (
        "centred-in-place",
        "batchnorm_forward",
        [("Z_hat = (Z - mu) / np.sqrt(var + epsilon)", "Z -= mu\n    Z_hat = Z / np.sqrt(var + epsilon)")],
    ),
    ("gamma-forgotten", "batchnorm_backward", [("dZ_hat = gamma * dZ_tilde", "dZ_hat = dZ_tilde")]),
    (
        "averaged-parameter-gradients",
        "batchnorm_backward",
        [
            (
                "dbeta = np.sum(dZ_tilde, axis=1, keepdims=True)",
                "dbeta = np.mean(dZ_tilde, axis=1, keepdims=True)",
            ),
            (
                "dgamma = np.sum(dZ_tilde * Z_hat, axis=1, keepdims=True)",
                "dgamma = np.mean(dZ_tilde * Z_hat, axis=1, keepdims=True)",
            ),
        ],
    ),
    ("default-epsilon", "batchnorm_backward", [('cache["epsilon"]', "1e-8")]),
    (
        "backward-epsilon-outside-root",
        "batchnorm_backward",
        [('np.sqrt(cache["var"] + cache["epsilon"])', '(np.sqrt(cache["var"]) + cache["epsilon"])')],
    ),
    (
        "dgamma-without-keepdims",
        "batchnorm_backward",
        [
            (
                "dgamma = np.sum(dZ_tilde * Z_hat, axis=1, keepdims=True)",
                "dgamma = np.sum(dZ_tilde * Z_hat, axis=1)",
            )
        ],
    ),
]
