import contextlib
import linecache

import numpy as np
import pytest

from helpers.checks import (
    FAIL_MARK,
    PASS_MARK,
    Case,
    Spec,
    advances,
    assert_checks,
    close,
    collect_failures,
    dtype,
    equal,
    evenly_spread,
    holds,
    instance,
    keys,
    layer_shapes,
    matches_numerical_gradient,
    normal,
    printed_lines,
    repeatable,
    run_checks,
    same_as,
    shape,
    swapped,
    varies_with,
)


def good_init(layers_dims):
    return {"W1": np.ones((layers_dims[1], layers_dims[0])), "b1": np.zeros((layers_dims[1], 1))}


def transposed_init(layers_dims):
    return {"W1": np.ones((layers_dims[0], layers_dims[1])), "b1": np.zeros((layers_dims[1], 1))}


CASES = [
    Case(
        args=([3, 4],),
        expect=[
            keys(["W1", "b1"]),
            shape("W1", (4, 3)),
            close("b1", np.zeros((4, 1))),
            dtype("W1", np.floating),
            holds("b1 to be all zeros", lambda p: not p["b1"].any()),
        ],
    )
]


#: Checks of CASES: the call, its five expectations, and two for a pure case (arguments, random state).
N_CASES_CHECKS = 8


def test_passing_function_prints_one_line(capsys):
    assert collect_failures(good_init, CASES) == (N_CASES_CHECKS, [])
    assert run_checks(good_init, CASES) is None
    assert capsys.readouterr().out.splitlines() == [PASS_MARK.format(n=N_CASES_CHECKS)]


def test_shape_failure_says_expected_and_got(capsys):
    run_checks(transposed_init, CASES)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "transposed_init([3, 4]): W1 has shape (3, 4), expected (4, 3)",
        FAIL_MARK.format(failed=1, n=N_CASES_CHECKS),
    ]


def test_value_failure_points_at_an_entry():
    _, failures = collect_failures(
        lambda: np.array([[1.0, 2.0], [3.0, 5.0]]), [Case(expect=[close(None, [[1, 2], [3, 4]])])]
    )
    assert failures == ["<lambda>(): the result differs in 1 of 4 entries; at (1, 1) got 5, expected 4"]


def test_scalar_and_nested_values():
    _, failures = collect_failures(
        lambda: (0.25, {"W1": 1}), [Case(expect=[close(0, 0.5), equal((1, "W1"), 2)])]
    )
    assert failures == [
        "<lambda>(): [0] is 0.25, expected 0.5",
        "<lambda>(): [1]['W1'] is 1, expected 2",
    ]


def test_dtype_keys_and_type_failures():
    _, failures = collect_failures(
        lambda: {"W1": np.zeros((2, 2), dtype=int), "extra": 1},
        [Case(expect=[dtype("W1", np.floating), keys(["W1", "b1"]), instance("W1", float)])],
    )
    assert failures == [
        "<lambda>(): W1 has dtype int64, expected a floating dtype",
        "<lambda>(): the result has keys ['W1', 'extra']: missing ['b1'], unexpected ['extra']",
        "<lambda>(): W1 is a ndarray, expected a float",
    ]


def test_missing_entry_and_exception_are_reported():
    def broken(layers_dims):
        raise ZeroDivisionError("division by zero")

    _, failures = collect_failures(broken, CASES)
    (failure,) = failures
    headline, where = failure.splitlines()
    assert headline == "broken([3, 4]) raised ZeroDivisionError: division by zero"
    line = broken.__code__.co_firstlineno + 1
    assert where == f'    at line {line} of broken: raise ZeroDivisionError("division by zero")'

    _, failures = collect_failures(dict, [Case(expect=[shape("W1", (1, 1))])])
    assert failures == ["dict(): W1 is missing from the result"]


def test_none_not_a_number_and_predicate_failure():
    _, failures = collect_failures(lambda: None, [Case(expect=[close(None, 1.0)])])
    assert failures == ["<lambda>() returned None (is a return statement missing?)"]
    _, failures = collect_failures(
        lambda: "x", [Case(expect=[close(None, 1.0), holds("a dict", lambda r: r["x"])])]
    )
    assert failures[0] == "<lambda>(): the result is not numeric: 'x'"
    assert failures[1].startswith("<lambda>(): could not check a dict: TypeError")


def test_arguments_are_copied_between_cases():
    data = [1, 2]

    def mutating(values):
        values.append(3)
        return len(values)

    case = Case(args=(data,), expect=[equal(None, 3)], pure=False)
    assert collect_failures(mutating, [case, case]) == (4, [])
    assert data == [1, 2]


def test_custom_label():
    _, failures = collect_failures(
        lambda x: x, [Case(args=(1,), expect=[equal(None, 2)], label="identity on 1")]
    )
    assert failures == ["identity on 1: the result is 1, expected 2"]


def test_derived_values_are_named_after_the_function():
    _, failures = collect_failures(
        lambda: {"W1": np.array([[1.0, -1.0], [1.0, -1.0]])},
        [Case(expect=[close(("W1", np.std), 0.5, rtol=0.05), shape(("W1", np.ravel), (4,))])],
    )
    assert failures == ["<lambda>(): std(W1) is 1, expected 0.5"]


def test_missing_nested_entry_names_the_path():
    _, failures = collect_failures(lambda: ({"W1": 1},), [Case(expect=[equal((0, "W2"), 1)])])
    assert failures == ["<lambda>(): [0]['W2'] is missing from the result"]


# Messages a student can act on (issue #14)


def student_update(parameters, grads, learning_rate):
    new_parameters = {}
    for key in parameters:
        new_parameters[key] = parameters[key] - learning_rate * grads[key]  # the student's bug: "d" + key
    return new_parameters


def test_an_error_shows_the_line_of_the_students_code_not_the_checks(capsys):
    cases = [
        Case(args=({"W1": np.ones((1, 2))}, {"dW1": np.ones((1, 2))}, 0.1), expect=[shape("W1", (1, 2))])
    ]
    run_checks(student_update, cases)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "student_update({W1}, {dW1}, 0.1) raised KeyError: 'W1'"
    assert lines[1].startswith("    at line ") and lines[1].endswith(
        "of student_update: new_parameters[key] = parameters[key] - learning_rate * grads[key]  "
        '# the student\'s bug: "d" + key'
    )
    assert "checks.py" not in "".join(lines) and "Traceback" not in "".join(lines)
    assert lines[2:] == [FAIL_MARK.format(failed=4, n=4)]


def test_an_error_inside_a_library_call_points_at_the_students_call():
    def student_forward(X, W):
        return np.dot(W, X)  # shapes do not align

    _, failures = collect_failures(student_forward, [Case(args=(np.ones((3, 2)), np.ones((2, 2))))])
    assert (
        failures[0].splitlines()[1].endswith("of student_forward: return np.dot(W, X)  # shapes do not align")
    )


def blank_exercise(layers_dims):
    # YOUR CODE HERE
    raise NotImplementedError()


def test_a_blank_exercise_is_reported_once_as_not_done_yet(capsys):
    run_checks(blank_exercise, [Case(args=([3, 4],), expect=[keys(["W1"]), shape("W1", (4, 3))])] * 3)
    assert capsys.readouterr().out.splitlines() == [
        "blank_exercise is not implemented yet: replace `raise NotImplementedError()` by your code",
        FAIL_MARK.format(failed=15, n=15),
    ]


def test_a_blank_earlier_exercise_is_named_without_a_traceback(capsys):
    def later_exercise(cache):
        return cache

    # An expectation calls the earlier exercise (e.g. a gradient check of the student's backward pass).
    cases = [Case(args=(1,), expect=[equal(None, 1), holds("a check", lambda r: blank_exercise(r))])] * 2
    run_checks(later_exercise, cases)
    assert capsys.readouterr().out.splitlines() == [
        "later_exercise(1) needs blank_exercise, which is not implemented yet: finish its exercise first",
        FAIL_MARK.format(failed=2, n=10),
    ]


def test_no_line_is_printed_twice_and_counts_are_checks(capsys):
    def no_masks(X):
        return X, {}

    run_checks(
        no_masks,
        [Case(args=(1,), expect=[shape((1, "D1"), (2, 2)), equal((1, "D1", np.sum), 3), equal(0, 1)])],
        returns=("A3", "cache"),
    )
    assert capsys.readouterr().out.splitlines() == [
        "no_masks(1): cache['D1'] is missing from the result",
        FAIL_MARK.format(failed=2, n=6),
    ]


def test_returned_values_have_readable_names():
    def momentum(parameters, v):
        return {"W1": 1.0}, {"dW1": 2.0}

    cases = [Case(args=(1, 2), expect=[equal((1, "dW1"), 3.0), close((0, "W1"), 0.5), equal(1, {})])]
    _, failures = collect_failures(momentum, cases, returns=("parameters", "v"))
    assert failures == [
        "momentum(1, 2): v['dW1'] is 2.0, expected 3.0",
        "momentum(1, 2): parameters['W1'] is 1, expected 0.5",
        "momentum(1, 2): v is {'dW1': 2.0}, expected {}",
    ]


def test_extra_keys_pass_where_the_grader_accepts_them():
    def grads_with_dz(X):
        return {"dW1": 1, "db1": 2, "dZ1": 3}

    expect = [keys(["dW1", "db1"], allow_extra=True), keys(["dW1", "db1", "dW2"], allow_extra=True)]
    _, failures = collect_failures(grads_with_dz, [Case(args=(1,), expect=expect)])
    assert failures == ["grads_with_dz(1): the result has keys ['dW1', 'db1', 'dZ1']: missing ['dW2']"]


def test_pure_cases_catch_changed_arguments_and_global_random_state():
    parameters, grads = (
        {"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))},
        {"dW1": np.ones((1, 2)), "db1": np.ones((1, 1))},
    )

    def in_place(parameters, grads, learning_rate):
        for key in parameters:
            parameters[key] -= learning_rate * grads["d" + key]
        return parameters

    def rebinds(parameters, grads, learning_rate):
        for key in parameters:
            parameters[key] = parameters[key] - learning_rate * grads["d" + key]
        return dict(parameters)

    def reseeds(parameters, grads, learning_rate):
        np.random.seed(1)
        return {key: value - learning_rate * grads["d" + key] for key, value in parameters.items()}

    case = Case(args=(parameters, grads, 0.5), expect=[close("W1", [[0.5, 0.5]])])
    changed = (
        "the caller's parameters['W1'] was changed: leave the arguments as they are; put the results in new "
        "dicts and arrays (new[key] = old[key] - ..., not old[key] -= ... or old[key] = ...)"
    )
    for function in (in_place, rebinds):
        n_checks, failures = collect_failures(function, [case])
        assert (n_checks, failures) == (4, [f"{function.__name__}({{W1, b1}}, {{dW1, db1}}, 0.5): {changed}"])
    state = np.random.get_state()
    _, failures = collect_failures(reseeds, [case])
    assert failures == [
        (
            "reseeds({W1, b1}, {dW1, db1}, 0.5): numpy's global random state changed (np.random.seed or "
            "np.random.* inside?): leave it alone, draw only from a generator or seed your function is given"
        )
    ]
    assert np.array_equal(np.random.get_state()[1], state[1]), "the check restores the global state"
    assert parameters["W1"].tolist() == [[1.0, 1.0]], "the case's own arguments are never changed"


def test_a_generator_argument_may_advance():
    def draws(rng):
        return rng.random(3)

    assert collect_failures(draws, [Case(args=(np.random.default_rng(0),))]) == (3, [])


def cell(source, namespace):
    """Run ``source`` as a notebook cell does: its own file name, its lines in linecache."""
    filename = f"<cell {len(linecache.cache)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 -- the test runs notebook-like cells
    return namespace


def test_a_failing_predicate_quotes_the_students_line_it_called_not_the_check_cell():
    notebook = cell(
        'def student_difference(gradients):\n    return gradients["dW1"] - gradients["dW2"]  # no dW2\n',
        {},
    )
    checks = cell(
        "def masked(result):\n"
        '    return result["D1"]\n'
        "\n"
        "\n"
        "cases = [\n"
        "    Case(\n"
        '        args=({"dW1": 1},),\n'
        "        expect=[\n"
        '            holds("D1 to be used", lambda r: masked(r)),\n'
        '            holds("a difference", lambda r: student_difference(r)),\n'
        "        ],\n"
        "    )\n"
        "]\n",
        dict(notebook, Case=Case, holds=holds),
    )
    _, failures = collect_failures(lambda gradients: gradients, checks["cases"])
    assert failures[0] == "<lambda>({dW1}): could not check D1 to be used: KeyError: 'D1'"
    headline, where = failures[1].splitlines()
    assert headline == "<lambda>({dW1}): could not check a difference: KeyError: 'dW2'"
    assert (
        where == '    at line 2 of student_difference: return gradients["dW1"] - gradients["dW2"]  # no dW2'
    )


def test_returned_values_are_picked_by_name_and_one_missing_key_is_reported_once():
    def forward(X):
        return np.ones((1, 2)), {"A1": np.ones((2, 2))}

    cases = [
        Case(
            args=(1,),
            expect=[
                shape("A3", (1, 2)),
                keys(["A1", "D1"], at="cache"),
                holds("D1 to be binary", lambda r: r[1]["D1"].all()),
                holds("A1 to be masked by D1", lambda r: (r[1]["A1"] * r[1]["D1"]).all()),
            ],
        )
    ]
    n_checks, failures = collect_failures(forward, cases, returns=("A3", "cache"))
    assert (n_checks, failures) == (
        7,
        [
            "forward(1): cache has keys ['A1']: missing ['D1']",
            "forward(1): could not check D1 to be binary: KeyError: 'D1'",
        ],
    )


def test_a_case_can_run_its_call_inside_a_context():
    entered = []

    @contextlib.contextmanager
    def scale(factor):
        entered.append(factor)
        yield

    def scaled(x):
        return x * entered[-1]

    cases = [Case(args=(2,), within=lambda function: scale(3), expect=[equal(None, 6)])]
    assert collect_failures(scaled, cases) == (4, [])
    assert entered == [3]


def test_an_array_changed_in_place_is_named():
    def shuffles_in_place(X):
        X[:] = X[:, ::-1]
        return X

    _, failures = collect_failures(shuffles_in_place, [Case(args=(np.arange(3.0)[None, :],))])
    assert failures == [
        (
            "shuffles_in_place(<array (1, 3)>): the caller's X was changed: leave the arguments as they are; "
            "compute new arrays (e.g. X[:, order] is a copy) instead of writing into it"
        )
    ]


def test_named_values_in_messages():
    _, failures = collect_failures(
        lambda: (np.zeros((2, 2)), {"mu": np.ones((2, 1))}),
        [
            Case(
                expect=[
                    shape(0, (2, 3), name="Z_tilde"),
                    close((1, "mu"), [[1.0], [2.0]], name="cache['mu']"),
                ]
            )
        ],
    )
    assert failures == [
        "<lambda>(): Z_tilde has shape (2, 2), expected (2, 3)",
        "<lambda>(): cache['mu'] differs in 1 of 2 entries; at (1, 0) got 1, expected 2",
    ]


def test_the_locked_test_raises_the_public_checks_lines_and_prints_nothing(capsys):
    assert_checks(good_init, CASES)
    assert capsys.readouterr().out == ""
    run_checks(transposed_init, CASES)
    printed = capsys.readouterr().out.splitlines()
    try:
        assert_checks(transposed_init, CASES)
    except AssertionError as error:
        assert str(error).splitlines() == printed[:-1], "the same lines, without the summary"
    else:
        raise AssertionError("a failing check must raise")
    assert capsys.readouterr().out == ""


def test_a_spec_names_the_returned_values():
    def momentum(parameters, v):
        return {"W1": 1.0}, {"dW1": 2.0}

    spec = Spec((Case(args=(1, 2), expect=[equal(("v", "dW1"), 3.0)]),), returns=("parameters", "v"))
    assert collect_failures(momentum, spec)[1] == ["momentum(1, 2): v['dW1'] is 2.0, expected 3.0"]


def test_a_warning_is_a_failure_and_never_reaches_stderr(capsys):
    def overflows(Z):
        return np.exp(Z)

    _, failures = collect_failures(overflows, [Case(args=(np.array([1000.0]),))])
    assert failures == ["overflows(<array (1,)>) warned: RuntimeWarning: overflow encountered in exp"]
    assert capsys.readouterr().err == ""


def test_what_the_call_prints_is_captured_and_can_be_checked(capsys):
    def verdict(x, print_msg=False):
        if print_msg:
            print("passed")
            print(x)
        return x

    cases = [Case(args=(1,), expect=[printed_lines(0), printed_lines(1, print_msg=True)])]
    _, failures = collect_failures(verdict, cases)
    assert failures == ["verdict(1): printed 2 lines with {'print_msg': True}, expected 1: 'passed\\n1\\n'"]
    assert capsys.readouterr().out == ""


def test_a_known_mistake_is_named_by_its_value():
    penalty = close(None, 1.0, mistakes={"divide by 2 * m, not by m": 2.0}, hint="check the formula")
    assert collect_failures(lambda: 2.0, [Case(expect=[penalty])])[1] == [
        "<lambda>(): the result is 2, expected 1: divide by 2 * m, not by m"
    ]
    assert collect_failures(lambda: 3.0, [Case(expect=[penalty])])[1] == [
        "<lambda>(): the result is 3, expected 1: check the formula"
    ]


def test_layer_shapes_names_every_missing_or_misshapen_parameter():
    def one_layer_short(layers_dims):
        return {"W1": np.zeros((3, 2)), "b1": np.zeros((3, 1))}

    _, failures = collect_failures(
        one_layer_short, [Case(args=([2, 3, 1],), expect=[layer_shapes([2, 3, 1])])]
    )
    assert failures == ["one_layer_short([2, 3, 1]): the result has keys ['W1', 'b1']: missing ['W2', 'b2']"]


def initializer(scale=1.0, draw="normal", seeded=True, per_layer=False):
    def initialize(layers_dims, seed=3):
        rng = np.random.default_rng(seed if seeded else None)
        parameters = {}
        for l in range(1, len(layers_dims)):
            if per_layer:
                rng = np.random.default_rng(seed)
            shape = (layers_dims[l], layers_dims[l - 1])
            unit = (
                rng.standard_normal(shape)
                if draw == "normal"
                else rng.uniform(-np.sqrt(3), np.sqrt(3), shape)
            )
            parameters[f"W{l}"] = scale * unit
        return parameters

    return initialize


SEEDS = [
    repeatable(),
    varies_with("another seed to give other values", seed=6),
    same_as("the default seed to be 3", seed=3),
    holds("W1 and W2 to differ", lambda p: not np.allclose(p["W1"], p["W2"])),
]


@pytest.mark.parametrize(
    "initialize, message",
    [
        (initializer(), None),
        (initializer(scale=2.0), "std(W1) is 1.99"),
        (initializer(draw="uniform"), "a normal distribution has 68.3% of its values there"),
        (initializer(seeded=False), "the same seed to give the same values"),
        (initializer(per_layer=True), "W1 and W2 to differ"),
    ],
)
def test_random_draws_their_statistics_and_seeds(initialize, message):
    cases = [Case(args=([400, 200, 100],), expect=[normal("W1", 1.0)]), Case(args=([3, 3, 3],), expect=SEEDS)]
    _, failures = collect_failures(initialize, cases)
    assert (message is None and failures == []) or (len(failures) >= 1 and message in failures[0]), failures


def test_a_function_must_draw_from_the_generator_it_is_given():
    def fresh(size, rng):
        return np.random.default_rng(0).random(size)

    expect = [advances("rng", lambda: np.random.default_rng(1))]
    assert (
        collect_failures(
            lambda size, rng: rng.random(size), [Case(args=(3, np.random.default_rng(2)), expect=expect)]
        )[1]
        == []
    )
    (failure,) = collect_failures(fresh, [Case(args=(3, np.random.default_rng(2)), expect=expect)])[1]
    assert "two calls with one generator to draw different values" in failure


def test_evenly_spread_values():
    spread = evenly_spread("log10 of the values", np.log10, -2, 0)
    uniform_exponent = 10 ** np.random.default_rng(0).uniform(-2, 0, 10_000)
    assert collect_failures(lambda: uniform_exponent, [Case(expect=[spread])])[1] == []
    (failure,) = collect_failures(lambda: uniform_exponent**2 / 1, [Case(expect=[spread])])[1]
    assert "should put 10% of the values into each tenth of [-2, 0]" in failure


def test_gradients_are_compared_with_the_numerical_gradient():
    point = {"W": np.array([[1.0, -2.0]]), "b": np.array([[0.5]])}

    def cost(p):
        return float(np.sum(p["W"] ** 2) + 3 * p["b"][0, 0])

    expect = matches_numerical_gradient(cost, point, hints={"dW": "the derivative of W² is 2 W"})
    right = {"dW": 2 * point["W"], "db": np.array([[3.0]])}
    assert collect_failures(lambda: right, [Case(expect=expect)])[1] == []
    _, failures = collect_failures(lambda: dict(right, dW=point["W"]), [Case(expect=expect)])
    assert failures == [
        "<lambda>(): dW differs from the numerical gradient (relative difference 0.33): the derivative of W² is 2 W"
    ]


def uses_helper(x):
    return helper(x)  # noqa: F821 -- swapped in by the test


def test_swapped_replaces_notebook_functions_during_the_call_only():
    cases = [Case(args=(2,), within=swapped(helper=lambda x: 10 * x), expect=[equal(None, 20)])]
    assert collect_failures(uses_helper, cases) == (4, [])
    assert "helper" not in globals()


def test_calls_for_an_expectation_never_change_the_cases_arguments():
    def shuffles_in_place(X, rng):
        rng.shuffle(X[0])
        return X[0].copy()

    X = np.arange(5.0)[None, :]
    case = Case(
        args=(X, np.random.default_rng(0)), expect=[advances("rng", lambda: np.random.default_rng(1))]
    )
    _, failures = collect_failures(shuffles_in_place, [case])
    assert failures == [
        (
            "shuffles_in_place(<array (1, 5)>, rng): the caller's X was changed: leave the arguments as they are; "
            "compute new arrays (e.g. X[:, order] is a copy) instead of writing into it"
        )
    ]
    assert X.tolist() == [[0.0, 1.0, 2.0, 3.0, 4.0]], "the expectation's own calls got copies too"


def test_what_the_function_prints_is_shown_and_what_a_check_calls_print_is_not(capsys):
    def noisy(x, print_msg=False):
        print(f"debugging {x}")
        return x

    cases = [Case(args=(1,), expect=[printed_lines(1), printed_lines(1, print_msg=True)])]
    assert collect_failures(noisy, cases) == (5, [])
    assert capsys.readouterr().out == "debugging 1\n", "the case's own call only"
