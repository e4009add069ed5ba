import pytest
from IPython.core.interactiveshell import InteractiveShell

from helpers import notebook


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "helpers.notebook")
    yield ip
    ip.run_line_magic("unload_ext", "helpers.notebook")


def test_experiment_cells_run_for_students(shell, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    shell.run_cell("# experiment: train\nran = 1")
    assert shell.user_ns["ran"] == 1


@pytest.mark.parametrize("mode", ["validate", "autograde"])
def test_experiment_cells_are_skipped_while_grading(shell, monkeypatch, mode):
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    shell.user_ns.pop("skipped", None)
    shell.run_cell("# Experiment: a slow sweep\nskipped = 1")
    assert "skipped" not in shell.user_ns
    shell.run_cell("graded = 2  # ordinary cells still run\n")
    assert shell.user_ns["graded"] == 2


def test_marker_must_open_the_cell():
    assert notebook.is_experiment(["# experiment\n", "x = 1\n"])
    assert not notebook.is_experiment(["x = 1\n", "# experiment\n"])
    assert not notebook.is_experiment([])


def test_loading_twice_registers_once(shell):
    shell.run_line_magic("load_ext", "helpers.notebook")
    shell.run_line_magic("reload_ext", "helpers.notebook")
    assert shell.input_transformers_cleanup.count(notebook.skip_experiments_while_grading) == 1
