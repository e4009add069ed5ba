"""Notebook integration: experiment cells that the autograder skips.

Load it in a notebook's first code cell with ``%load_ext helpers.notebook``. From then on, a code
cell whose first line starts with ``# experiment`` runs normally for a student, but is skipped
while nbgrader runs the notebook (``nbgrader validate`` / ``autograde`` set the environment variable
``NBGRADER_EXECUTION``): grading needs only the exercises, and skipping training runs, sweeps and
plots keeps it fast. The cell stays plain Python, so linters and editors see it as such.
"""

import os

#: A code cell whose first line starts with this comment is an experiment.
EXPERIMENT_MARKER = "# experiment"
#: What an experiment cell is replaced with while grading.
SKIPPED_SOURCE = "# experiment skipped while grading\n"


def grading():
    """True while nbgrader executes the notebook (validate or autograde)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def is_experiment(lines):
    """Whether a cell, given as a list of source lines, is an experiment cell."""
    return bool(lines) and lines[0].lstrip().lower().startswith(EXPERIMENT_MARKER)


def skip_experiments_while_grading(lines):
    """IPython input transformer: replace an experiment cell by a comment while grading."""
    if grading() and is_experiment(lines):
        return [SKIPPED_SOURCE]
    return lines


def load_ipython_extension(ipython):
    """Called by ``%load_ext helpers.notebook``; loading twice registers the transformer once."""
    if skip_experiments_while_grading not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(skip_experiments_while_grading)


def unload_ipython_extension(ipython):
    if skip_experiments_while_grading in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(skip_experiments_while_grading)
