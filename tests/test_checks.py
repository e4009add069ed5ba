import numpy as np

from helpers.checks import (
    FAIL_MARK,
    PASS_MARK,
    Case,
    close,
    collect_failures,
    dtype,
    equal,
    holds,
    instance,
    keeps_global_random_state,
    keys,
    leaves_arguments_unchanged,
    run_checks,
    shape,
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


def test_passing_function_prints_one_line(capsys):
    assert collect_failures(good_init, CASES) == (5, [])
    assert run_checks(good_init, CASES) is None
    assert capsys.readouterr().out.splitlines() == [PASS_MARK.format(n=5)]


def test_shape_failure_says_expected_and_got(capsys):
    run_checks(transposed_init, CASES)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "transposed_init([3, 4]): W1 has shape (3, 4), expected (4, 3)",
        FAIL_MARK.format(failed=1, n=5),
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
    assert failures == ["broken([3, 4]) raised ZeroDivisionError: division by zero"]
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

    case = Case(args=(data,), expect=[equal(None, 3)])
    assert collect_failures(mutating, [case, case]) == (2, [])
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


def shift_in_place(Z, state):
    Z -= 1
    state["mean"] = state["mean"] + 1
    return Z


def shift(Z, state):
    return Z - 1


def test_arguments_changed_in_place_are_named():
    Z, state = np.ones((2, 2)), {"mean": np.zeros(2)}
    cases = [Case(args=(Z, state), expect=[leaves_arguments_unchanged(shift_in_place, Z, state)])]
    _, failures = collect_failures(shift_in_place, cases)
    assert len(failures) == 1 and "changed the caller's Z, state" in failures[0]
    assert np.array_equal(Z, np.ones((2, 2))) and np.array_equal(state["mean"], np.zeros(2)), (
        "copies were used"
    )
    cases = [Case(args=(Z, state), expect=[leaves_arguments_unchanged(shift, Z, state)])]
    assert collect_failures(shift, cases) == (1, [])


def draw(rng):
    return rng.random(3)


def draw_globally(rng):
    return np.random.random(3)


def test_global_random_state_is_watched():
    rng = np.random.default_rng(0)
    assert collect_failures(draw, [Case(args=(rng,), expect=[keeps_global_random_state(draw, rng)])]) == (
        1,
        [],
    )
    _, failures = collect_failures(
        draw_globally, [Case(args=(rng,), expect=[keeps_global_random_state(draw_globally, rng)])]
    )
    assert len(failures) == 1 and "global random state" in failures[0]
