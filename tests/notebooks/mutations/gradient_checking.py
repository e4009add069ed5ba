"""Submissions that test the Gradient Checking graders: (text in the solution, replacement) edits."""

#: The line of gradient_check and gradient_check_n that turns the difference into a verdict.
VERDICT = 'verdict = "passed" if difference < GRADIENT_CHECK_THRESHOLD else "FAILED"'

# One realistic mistake per graded function: each must lose exactly that function's points.
MUTATIONS = {
    # J = theta + x instead of theta * x
    "forward_propagation": ("J = theta * x", "J = theta + x"),
    # derivative with respect to x instead of theta
    "backward_propagation": ("dtheta = x", "dtheta = theta"),
    # one-sided difference
    "gradient_check": (
        "gradapprox = (J_plus - J_minus) / (2 * epsilon)",
        "gradapprox = (J_plus - forward_propagation(x, theta)) / epsilon",
    ),
    # one-sided difference in every coordinate
    "gradient_check_n": (
        "gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)",
        "gradapprox[i] = (J_plus - forward_propagation_n(X, Y, parameters)[0]) / epsilon",
    ),
    # only the first planted bug fixed: db2 still lacks the 1/m
    "backward_propagation_n": (
        "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
        "db2 = np.sum(dZ2, axis=1, keepdims=True)",
    ),
}

# Other correct implementations: every one must score full marks.
CORRECT_VARIANTS = [
    ("np-dot", "forward_propagation", [("J = theta * x", "J = np.dot(theta, x)")]),
    ("times-one", "backward_propagation", [("dtheta = x", "dtheta = 1.0 * x")]),
    (
        "abs-instead-of-norm",
        "gradient_check",
        [
            (
                "np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))",
                "abs(grad - gradapprox) / (abs(grad) + abs(gradapprox))",
            )
        ],
    ),
    (
        "verdict-with-threshold",
        "gradient_check",
        [
            (
                'print(f"gradient check {verdict}: difference = {difference:.1e}")',
                'print(f"{verdict}: {difference:.3g} vs threshold {GRADIENT_CHECK_THRESHOLD}")',
            )
        ],
    ),
    (
        "perturb-dict-in-place-and-restore",
        "gradient_check_n",
        [
            (
                """    n = theta.shape[0]
    gradapprox = np.zeros((n, 1))
    for i in range(n):
        theta_plus = np.copy(theta)
        theta_plus[i] += epsilon
        J_plus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus, layers_dims))
        theta_minus = np.copy(theta)
        theta_minus[i] -= epsilon
        J_minus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus, layers_dims))
        gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)
""",
                """    entries = []
    for key in vector_to_dictionary(theta, layers_dims):
        values = parameters[key]
        for index in np.ndindex(values.shape):
            old = values[index]
            values[index] = old + epsilon
            J_plus = forward_propagation_n(X, Y, parameters)[0]
            values[index] = old - epsilon
            J_minus = forward_propagation_n(X, Y, parameters)[0]
            values[index] = old
            entries.append((J_plus - J_minus) / (2 * epsilon))
    gradapprox = np.array(entries).reshape(-1, 1)
""",
            )
        ],
    ),
    (
        "no-layers-dims-helper",
        "gradient_check_n",
        [
            (
                "layers_dims = layers_dims_of(parameters)",
                (
                    "layers_dims = [parameters['W1'].shape[1]] + "
                    "[parameters[f'W{l}'].shape[0] for l in range(1, len(parameters) // 2 + 1)]"
                ),
            )
        ],
    ),
    ("mask-from-activation", "backward_propagation_n", [("dZ2 = dA2 * (Z2 > 0)", "dZ2 = dA2 * (A2 > 0)")]),
    # the reference course's backward pass also returns dZ3, dA2, ...: gradients_to_vector ignores them
    (
        "returns-dZ-too",
        "backward_propagation_n",
        [('return {"dW1": dW1,', 'return {"dZ3": dZ3, "dA2": dA2, "dW1": dW1,')],
    ),
    (
        "mean-for-db",
        "backward_propagation_n",
        [
            (
                "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
                "db2 = np.mean(dZ2, axis=1, keepdims=True)",
            ),
            ("dZ1 = dA1 * (Z1 > 0)", "dZ1 = np.where(Z1 > 0, dA1, 0.0)"),
        ],
    ),
]

# Further mistakes: each must lose exactly its function's points.
MORE_MISTAKES = [
    ("squared", "forward_propagation", [("J = theta * x", "J = theta * x**2")]),
    ("returns-one", "backward_propagation", [("dtheta = x", "dtheta = 1.0")]),
    (
        "difference-of-norms",
        "gradient_check",
        [("np.linalg.norm(grad - gradapprox) /", "(np.linalg.norm(grad) - np.linalg.norm(gradapprox)) /")],
    ),
    (
        "denominator-without-gradapprox",
        "gradient_check",
        [("(np.linalg.norm(grad) + np.linalg.norm(gradapprox))", "np.linalg.norm(grad)")],
    ),
    ("divides-by-epsilon", "gradient_check", [("/ (2 * epsilon)", "/ epsilon")]),
    ("always-prints", "gradient_check", [("    if print_msg:\n", "    if True:\n")]),
    (
        "fixed-epsilon",
        "gradient_check",
        [("theta + epsilon)", "theta + 1e-7)"), ("theta - epsilon)", "theta - 1e-7)")],
    ),
    (
        "difference-of-norms-n",
        "gradient_check_n",
        [("np.linalg.norm(grad - gradapprox) /", "(np.linalg.norm(grad) - np.linalg.norm(gradapprox)) /")],
    ),
    (
        "denominator-without-gradapprox-n",
        "gradient_check_n",
        [("(np.linalg.norm(grad) + np.linalg.norm(gradapprox))", "np.linalg.norm(grad)")],
    ),
    ("skips-last-parameter", "gradient_check_n", [("for i in range(n):", "for i in range(n - 1):")]),
    (
        "perturbs-without-copy",
        "gradient_check_n",
        [
            ("theta_plus = np.copy(theta)", "theta_plus = theta"),
            ("theta_minus = np.copy(theta)", "theta_minus = theta"),
        ],
    ),
    (
        "two-lines-printed",
        "gradient_check_n",
        [
            (
                'print(f"gradient check {verdict}: difference = {difference:.1e}")',
                'print(f"gradient check {verdict}")\n        print(f"difference = {difference:.1e}")',
            ),
        ],
    ),
    (
        "relu-mask-still-skipped",
        "backward_propagation_n",
        [("dA1 = W2.T @ dZ2", "dA1 = W2.T @ dA2")],
    ),
    (
        "compensated-in-the-wrong-place",
        "backward_propagation_n",
        [
            ("db2 = np.sum(dZ2, axis=1, keepdims=True) / m", "db2 = np.sum(dZ2, axis=1, keepdims=True)"),
            ("dW2 = dZ2 @ A1.T / m", "dW2 = dZ2 @ A1.T / m / m"),
        ],
    ),
    ("global-data", "backward_propagation_n", [("m = X.shape[1]", "m = 10")]),
    # the mistakes: a signed difference, no denominator, a verdict that ignores the threshold
    (
        "signed-difference",
        "gradient_check",
        [("difference = np.linalg.norm(grad - gradapprox) /", "difference = (grad - gradapprox) /")],
    ),
    (
        "no-denominator",
        "gradient_check",
        [
            (
                "np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))",
                "np.linalg.norm(grad - gradapprox)",
            )
        ],
    ),
    ("verdict-ignores-threshold", "gradient_check", [(VERDICT, 'verdict = "passed"')]),
    (
        "no-denominator-n",
        "gradient_check_n",
        [
            (
                "np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))",
                "np.linalg.norm(grad - gradapprox)",
            )
        ],
    ),
    ("verdict-ignores-threshold-n", "gradient_check_n", [(VERDICT, 'verdict = "passed"')]),
    (
        "fixed-epsilon-n",
        "gradient_check_n",
        [
            ("theta_plus[i] += epsilon", "theta_plus[i] += 1e-7"),
            ("theta_minus[i] -= epsilon", "theta_minus[i] -= 1e-7"),
            ("(J_plus - J_minus) / (2 * epsilon)", "(J_plus - J_minus) / (2 * 1e-7)"),
        ],
    ),
    # theta perturbed in place and never restored: every later entry is checked at a shifted point
    (
        "perturbs-theta-in-place-never-restored",
        "gradient_check_n",
        [
            ("theta_plus = np.copy(theta)", "theta_plus = theta"),
            (
                "theta_minus = np.copy(theta)\n        theta_minus[i] -= epsilon",
                "theta_minus = theta\n        theta_minus[i] -= 2 * epsilon",
            ),
        ],
    ),
]
