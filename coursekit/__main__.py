"""The command line: python -m coursekit release | autograde | validate | report | html | serve | worker.

    python -m coursekit release            # release/<assignment>/ for every assignment
    python -m coursekit autograde -j 2     # grade submitted/*/<assignment>/ with 2 workers
    python -m coursekit validate NOTEBOOK  # exit 1 unless every test passes (--invert: fails)
    python -m coursekit report             # report.html from the gradebook (coursekit.report)
    python -m coursekit html               # html/<assignment>/<Name>.html: learners' offline pages
    python -m coursekit serve              # grade each submission as it arrives (coursekit.service)
    python -m coursekit worker tls://HOST:PORT --credentials DIR   # a grading worker on another machine

autograde and serve exit 2, recording nothing, when the grading environment fails the canary
(``coursekit.workers``); serve exits 3 when another service serves the course already; worker exits
2 when its TLS credentials are missing, expired or refused by the scheduler.
"""

import argparse
import ast
import sys

from coursekit import COURSE_ROOT


def main(argv=None):
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
    command = commands.add_parser("html", help="the released notebooks as accessible pages to read offline")
    command.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    command.add_argument("--to", help="the pages' folder (default: <root>/html)")
    command = commands.add_parser("serve", help="grade each submission as it arrives, until SIGTERM")
    command.add_argument(
        "--workers", type=int, help="grading processes here (default: GradingService.workers)"
    )
    command.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a GradingService setting of nbgrader_config.py, e.g. --policy max_attempts=3",
    )
    command = commands.add_parser("worker", help="a grading worker for a service's scheduler")
    command.add_argument("scheduler", help="the service's scheduler address, tls://HOST:PORT")
    command.add_argument("--credentials", required=True, help="a copy of the service's tls/ folder")
    command.add_argument("--name", help="this worker's name in the scheduler's logs")
    args = parser.parse_args(argv)

    # Each command imports what it needs: the grading service and its workers start (and restart) sooner.
    if args.command == "release":
        from coursekit.course import assignments
        from coursekit.release import release

        released = release(args.root, args.assignment or assignments(args.root))
        print(f"released: {', '.join(released)}")
    elif args.command == "autograde":
        from coursekit.autograde import CanaryFailed, autograde

        try:
            autograde(args.root, args.assignment, jobs=args.jobs, students=args.student)
        except CanaryFailed as error:
            print(error, file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130  # the shell's code for Ctrl-C; autograde has said what was recorded
    elif args.command == "serve":
        from coursekit.service.serve import serve

        overrides = dict(policy(text) for text in args.policy)
        if args.workers is not None:
            overrides["workers"] = args.workers
        return serve(args.root, **overrides)
    elif args.command == "worker":
        from coursekit.service.engine import CredentialsRefused, run_worker

        try:
            run_worker(args.scheduler, args.root, args.credentials, name=args.name)
        except (CredentialsRefused, FileNotFoundError) as error:
            print(error, file=sys.stderr)
            return 2
    elif args.command == "html":
        from coursekit.release import write_offline

        try:
            pages = write_offline(args.root, args.assignment, to=args.to)
        except FileNotFoundError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"wrote {len(pages)} page(s): {', '.join(str(p) for p in pages)}")
    elif args.command == "report":
        from coursekit.course import gradebook_url
        from coursekit.report import write_report

        print(f"wrote {write_report(args.root, gradebook_url(args.root), args.assignment, to=args.to)}")
    else:
        from coursekit.release import validate

        results = validate(args.notebook, invert=args.invert)
        for kind, cells in results.items():
            for cell in cells:
                print(f"{kind}: {cell['source'].splitlines()[0]}")
                if cell.get("raw_error"):
                    print("   ", cell["raw_error"].strip().splitlines()[-1])
        print("OK" if not results else f"NOT OK ({', '.join(f'{len(v)} {k}' for k, v in results.items())})")
        return 1 if results else 0
    return 0


def policy(text):
    """("name", value) of a --policy NAME=VALUE option; VALUE is a Python literal or a plain string."""
    name, _, value = text.partition("=")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


if __name__ == "__main__":
    sys.exit(main())
