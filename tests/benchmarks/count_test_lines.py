"""How much test code each exercise carries, against its solution: non-blank lines per notebook.

    .venv/bin/python -m tests.benchmarks.count_test_lines [COURSE_ROOT]

For every source notebook: the solution lines (inside ``### BEGIN/END SOLUTION``), the public-check cells
(the code cell after each solution cell), the visible part of the locked test cells (what the release shows)
and their hidden regions; and the lines of the notebook's specification module in helpers/specs/ (test code
that lives outside the notebook, counted so that moving checks out of a notebook is not mistaken for
removing them). A maintainer's measure (issue 25), not a test.
"""

import sys
from pathlib import Path

import nbformat

from tests.support import REPO
from tests.support.course import HIDDEN_REGION, SOLUTION_REGION, nbgrader_meta, visible_test

COLUMNS = ("solution", "public", "visible locked", "hidden", "spec module")


def non_blank(text):
    return sum(1 for line in text.splitlines() if line.strip())


def count(notebook, spec_module=None):
    """{column: non-blank lines} of one source notebook and its specification module (if it has one)."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    counts = dict.fromkeys(COLUMNS, 0)
    for i, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            counts["solution"] += sum(non_blank(region) for region in SOLUTION_REGION.findall(cell.source))
            counts["public"] += non_blank(cells[i + 1].source)
        elif meta.get("grade"):
            counts["hidden"] += sum(non_blank(region) for region in HIDDEN_REGION.findall(cell.source))
            counts["visible locked"] += non_blank(visible_test(cell))
    if spec_module is not None and spec_module.exists():
        counts["spec module"] = non_blank(spec_module.read_text())
    return counts


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else REPO
    totals = dict.fromkeys(COLUMNS, 0)
    print("| notebook | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for notebook in sorted((root / "notebooks").glob("*/*.ipynb")):
        counts = count(notebook, root / "helpers" / "specs" / f"{notebook.parent.name}.py")
        for column in COLUMNS:
            totals[column] += counts[column]
        print(f"| {notebook.parent.name} | " + " | ".join(str(counts[c]) for c in COLUMNS) + " |")
    print("| all | " + " | ".join(str(totals[c]) for c in COLUMNS) + " |")


if __name__ == "__main__":
    main()
