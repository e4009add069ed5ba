"""A realistic mistake per graded function of Initialization: (text in the solution, replacement)."""

MUTATIONS = {
    # weights transposed: (n_{l-1}, n_l)
    "initialize_parameters_zeros": (
        "np.zeros((layers_dims[l], layers_dims[l - 1]))",
        "np.zeros((layers_dims[l - 1], layers_dims[l]))",
    ),
    # numpy's global generator instead of the seeded rng
    "initialize_parameters_random": ("rng.standard_normal(", "np.random.standard_normal("),
    # scaled by the layer's own size instead of its fan-in
    "initialize_parameters_he": ("np.sqrt(2 / layers_dims[l - 1])", "np.sqrt(2 / layers_dims[l])"),
    # He's factor 2 instead of Xavier's 1
    "initialize_parameters_xavier": ("np.sqrt(1 / layers_dims[l - 1])", "np.sqrt(2 / layers_dims[l - 1])"),
}
