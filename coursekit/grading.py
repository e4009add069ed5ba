"""The instructor's pipeline around nbgrader: release, autograde, feedback, grades.csv.

Every step runs nbgrader's own command line in the course directory, so that it reads the course's
``nbgrader_config.py`` exactly as an instructor's manual ``nbgrader ...`` call would.

    python -m coursekit release            # release/<assignment>/ for every assignment
    python -m coursekit autograde -j 2     # grade submitted/*/<assignment>/ (coursekit.autograde)
    python -m coursekit validate NOTEBOOK  # exit 1 unless every test passes (--invert: fails)
    python -m coursekit report             # report.html from the gradebook (coursekit.report)
"""

import os
import subprocess
import sys
from pathlib import Path

from coursekit import ASSIGNMENTS, COURSE_ROOT, scripts_on_path


class GradingError(RuntimeError):
    """An nbgrader command failed; the message holds its output."""


def nbgrader(*args, root=COURSE_ROOT):
    """Run ``nbgrader <args>`` in the course directory ``root`` and return its combined output."""
    env = scripts_on_path(dict(os.environ))
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise GradingError(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{output}")
    return output


def assignments(root=COURSE_ROOT):
    """The assignment ids that have a source folder under notebooks/, in course order."""
    return [a for a in ASSIGNMENTS if any((Path(root) / "notebooks" / a).glob("*.ipynb"))]


def source_notebook(assignment, root=COURSE_ROOT):
    """The path of an assignment's (single) source notebook, notebooks/<assignment>/<Name>.ipynb."""
    (path,) = (Path(root) / "notebooks" / assignment).glob("*.ipynb")
    return path


def release(root=COURSE_ROOT, ids=None):
    """Generate release/<assignment>/ (solutions and hidden tests removed) for each assignment."""
    for assignment in ids or assignments(root):
        nbgrader("generate_assignment", assignment, "--force", root=root)


def submitted_students(assignment, root=COURSE_ROOT):
    """Students with a submitted/<student>/<assignment>/ folder, sorted."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(d.name for d in submitted.iterdir() if (d / assignment).is_dir())


def validate(notebook, invert=False):
    """Execute a notebook as ``nbgrader validate`` does and return its results dict.

    The dict is empty when the notebook passes (with ``invert``: when every test fails); otherwise
    it holds "failed", "passed" (invert) or "changed" entries. Unlike the command line, whose exit
    status is 0 either way, this lets a caller act on the outcome.
    """
    from nbgrader.validator import Validator

    validator = Validator(invert=invert)
    return validator.validate(str(notebook))


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m coursekit", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(COURSE_ROOT), help="course directory (default: the repository)")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("release")
    command.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    command = commands.add_parser("autograde")
    command.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    command.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
    command.add_argument("--student", action="append", help="grade only this student (repeatable)")
    check = commands.add_parser("validate")
    check.add_argument("notebook")
    check.add_argument("--invert", action="store_true", help="succeed only if every test fails")
    command = commands.add_parser("report", help="write report.html from the gradebook and the course folder")
    command.add_argument("assignment", nargs="*", help="assignment ids (default: all in the gradebook)")
    command.add_argument("--to", help="where to write the page (default: <root>/report.html)")
    args = parser.parse_args(argv)

    if args.command == "release":
        release(args.root, args.assignment)
        print(f"released: {', '.join(args.assignment or assignments(args.root))}")
    elif args.command == "autograde":
        from coursekit.autograde import autograde

        autograde(args.root, args.assignment, jobs=args.jobs, students=args.student)
    elif args.command == "report":
        from coursekit.autograde import gradebook_url
        from coursekit.report import write_report

        print(f"wrote {write_report(args.root, gradebook_url(args.root), args.assignment, to=args.to)}")
    else:
        results = validate(args.notebook, invert=args.invert)
        for kind, cells in results.items():
            for cell in cells:
                print(f"{kind}: {cell['source'].splitlines()[0]}")
                if cell.get("raw_error"):
                    print("   ", cell["raw_error"].strip().splitlines()[-1])
        print("OK" if not results else f"NOT OK ({', '.join(f'{len(v)} {k}' for k, v in results.items())})")
        return 1 if results else 0
    return 0
