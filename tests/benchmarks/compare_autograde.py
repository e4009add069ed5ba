"""Per-notebook autograde time of this checkout against another, interleaved (a script, not a test).

    .venv/bin/python -m tests.benchmarks.compare_autograde /path/to/other/checkout --rounds 4

Each round grades one student's complete submission of the source solutions (every assignment, one
worker, ``coursekit.bench.grade_complete_submission``) with each checkout's own environment, one after
the other, so that the load other processes put on the machine falls on both alike; the table holds the
median over the rounds of each notebook's autograde time (the canary is not counted) and of the wall time.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

#: What each checkout runs, in its own Python: one complete submission, graded with one worker.
MEASURE = (
    "import json; from coursekit import course; from coursekit.bench import grade_complete_submission; "
    "wall, each = grade_complete_submission(course.assignments(), 1); print(json.dumps(dict(each, wall=wall)))"
)


def measure(checkout):
    python = Path(checkout) / ".venv" / "bin" / "python"
    result = subprocess.run([python, "-c", MEASURE], cwd=checkout, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", help="the other checkout (with its own .venv)")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    checkouts = {"this": REPO, "other": Path(args.other).resolve()}
    runs = {name: [] for name in checkouts}
    for round_ in range(args.rounds):
        for name, checkout in checkouts.items():
            runs[name].append(measure(checkout))
            print(f"round {round_ + 1} {name}: {json.dumps(runs[name][-1])}", file=sys.stderr)
    keys = list(dict.fromkeys([*runs["this"][0], *runs["other"][0]]))  # a notebook one checkout lacks: "—"
    print(f"| notebook | this checkout (s) | {checkouts['other']} (s) |")
    print("|---|---|---|")
    for key in keys:
        medians = [
            f"{statistics.median(run[key] for run in runs[name]):.2f}" if key in runs[name][0] else "—"
            for name in checkouts
        ]
        print(f"| {key} | {' | '.join(medians)} |")


if __name__ == "__main__":
    main()
