"""The grading service's benchmark (a script, not a test): latency on submit, and a deadline burst.

    python -m coursekit.service.bench            # `make bench-service`
    python -m coursekit.service.bench --latency 20 --restarts 5 --burst 40

A course with the Initialization assignment, an exchange in a scratch folder, and the service started
as ``python -m coursekit serve`` (a real scheduler and worker processes). A submission appears in the
inbound folder the way ``nbgrader submit`` leaves it (notebook, timestamp.txt, then
submission_secret.txt), in one rename; it is "fetchable" when its feedback page is in the exchange's
feedback folder under its secret's hash, where ``nbgrader fetch_feedback`` looks.

- latency: LATENCY submissions of the solution, one at a time, with 2 workers: p50 and p95;
- restart: RESTARTS times, the service stopped (SIGTERM), a submission dropped, the service started
  again: seconds until it serves, and until that submission's feedback is fetchable (the canaries
  passed before: the grading environment is unchanged);
- burst: BURST submissions (a third correct, a third with one exercise raising, a third not valid
  JSON) dropped at once, with 1 and 2 workers: time until the last feedback is fetchable; next to
  ``coursekit.autograde`` (``make autograde``) on the same files with as many workers, in the same run.
"""

import argparse
import io
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.utils import notebook_hash

from coursekit import course
from coursekit.autograde import autograde
from coursekit.bench import cpu_name, new_course, partly_wrong

ASSIGNMENT = "initialization"
COURSE_ID = "improving-dnn"
#: How long to wait for one feedback page before the benchmark gives up.
PATIENCE_S = 600


class Bench:
    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="bench-service-"))
        self.exchange = self.base / "exchange"
        self.exchange.mkdir()
        os.chmod(self.exchange, 0o1777)
        os.environ["NBGRADER_EXCHANGE_ROOT"] = str(self.exchange)  # read by the course's nbgrader_config.py
        self.source = nbformat.read(course.source_notebook(ASSIGNMENT), as_version=4)
        self.name = course.source_notebook(ASSIGNMENT).name
        self.inbound = self.exchange / COURSE_ID / "inbound"
        self.feedback = self.exchange / COURSE_ID / "feedback"
        self.starts, self.ready = {}, {}
        self.reset()

    def reset(self):
        """An empty exchange: each measurement's service sees only its own submissions."""
        shutil.rmtree(self.exchange / COURSE_ID, ignore_errors=True)
        self.inbound.mkdir(parents=True)

    def make(self, student, kind="correct"):
        """A complete submission folder in a staging area: (its path, the feedback page it must get)."""
        timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        staged = self.base / "staging" / f"{student}+{ASSIGNMENT}+{timestamp}+{secrets.token_hex(6)}"
        staged.mkdir(parents=True)
        if kind == "broken":
            (staged / self.name).write_text(json.dumps(self.source)[:4000])
        else:
            nb = self.source if kind == "correct" else partly_wrong(self.source)
            nbformat.write(nb, staged / self.name)
        (staged / "timestamp.txt").write_text(timestamp)
        secret = secrets.token_hex(64)
        (staged / "submission_secret.txt").write_text(secret)
        page = (
            self.feedback
            / f"{notebook_hash(secret=secret, notebook_id=self.name.removesuffix('.ipynb'))}.html"
        )
        return staged, page

    def drop(self, staged):
        staged.rename(self.inbound / staged.name)

    def serve(self, root, workers, ready=True):
        """Start the service on ``root``; return (process, log path, seconds until it serves) once it
        serves, and (``ready``) once its workers say they are ready."""
        log = self.base / f"serve-{workers}.log"
        start = time.perf_counter()
        with open(log, "a") as out:  # the service keeps its own copy of the file open
            process = subprocess.Popen(
                [sys.executable, "-m", "coursekit", "--root", str(root), "serve", "--workers", str(workers),
                 "--policy", "require_owner=False"],
                stdout=out, stderr=subprocess.STDOUT, env=course.scripts_on_path(os.environ),
            )  # fmt: skip
        serving = self.until(process, log, lambda text: text.count("serving ") > self.starts.get(log, 0))
        self.starts[log] = self.starts.get(log, 0) + 1
        serving -= start
        if ready:
            before = self.ready.get(log, 0)
            self.until(process, log, lambda text: text.count(") ready: ") >= before + workers)
            self.ready[log] = before + workers
        return process, log, serving

    @staticmethod
    def until(process, log, condition):
        """perf_counter() when ``condition(log's text)`` first holds; raises if the service stops first."""
        deadline = time.monotonic() + PATIENCE_S
        while not condition(log.read_text()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not get there:\n{log.read_text()[-3000:]}")
            time.sleep(0.01)
        return time.perf_counter()

    @staticmethod
    def wait_for(pages):
        """Seconds until every page in ``pages`` exists."""
        start, deadline = time.perf_counter(), time.monotonic() + PATIENCE_S
        waiting = list(pages)
        while waiting:
            waiting = [p for p in waiting if not p.exists()]
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(waiting)} feedback page(s) never came")
            time.sleep(0.01)
        return time.perf_counter() - start


def stop(process):
    process.terminate()
    process.wait(timeout=120)


def latency(bench, n):
    bench.reset()
    root = new_course([ASSIGNMENT])
    process, _, _ = bench.serve(root, 2)
    try:
        times = []
        for i in range(n):
            staged, page = bench.make(f"latency-{i}")
            bench.drop(staged)
            times.append(bench.wait_for([page]))
        return times
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)


def restarts(bench, n):
    """[(seconds until the service serves, until the feedback of a submission made while it was down)]."""
    bench.reset()
    root = new_course([ASSIGNMENT])
    process, _, _ = bench.serve(root, 2)  # the first start: canaries, then cached
    times = []
    try:
        for i in range(n):
            stop(process)
            staged, page = bench.make(f"restart-{i}")
            bench.drop(staged)
            start = time.perf_counter()
            process, _, serving = bench.serve(root, 2, ready=False)
            bench.wait_for([page])
            times.append((serving, time.perf_counter() - start))
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)
    return times


def burst(bench, n, workers):
    """(service seconds, autograde seconds, grades equal) for ``n`` submissions dropped at once."""
    bench.reset()
    root = new_course([ASSIGNMENT])
    kinds = ("correct", "partly-wrong", "broken")
    made = [bench.make(f"burst{workers}-{i:02d}", kinds[i % 3]) for i in range(n)]
    process, _, _ = bench.serve(root, workers)
    try:
        for staged, _ in made:
            bench.drop(staged)
        service_seconds = bench.wait_for([page for _, page in made])
    finally:
        stop(process)
    service_scores = _scores(root)
    # make autograde on the same files, in a fresh course, with as many workers
    other = new_course([ASSIGNMENT])
    for staged, _ in made:
        student = staged.name.split("+")[0]
        shutil.copytree(bench.inbound / staged.name, other / "submitted" / student / ASSIGNMENT)
    start = time.perf_counter()
    with course.nbgrader_environment():
        autograde(other, [ASSIGNMENT], jobs=workers, stream=io.StringIO())
    autograde_seconds = time.perf_counter() - start
    equal = service_scores == _scores(other)
    for folder in (root, other):
        shutil.rmtree(folder, ignore_errors=True)
    return service_seconds, autograde_seconds, equal


def _scores(root):
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url(root)) as gradebook:
        return sorted((s.student_id, s.score) for s in gradebook.find_assignment(ASSIGNMENT).submissions)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=20, help="submissions, one at a time (default 20)")
    parser.add_argument(
        "--restarts", type=int, default=5, help="restarts with a submission waiting (default 5)"
    )
    parser.add_argument("--burst", type=int, default=40, help="submissions dropped at once (default 40)")
    args = parser.parse_args(argv)
    bench = Bench()
    try:
        print(
            f"{cpu_name()}, Python {platform.python_version()}, {datetime.now():%Y-%m-%d}, load {os.getloadavg()[0]:.1f}"
        )
        times = latency(bench, args.latency)
        quantiles = statistics.quantiles(times, n=20)
        print(
            f"latency, submit -> feedback fetchable, {args.latency} submissions, 2 workers: "
            f"p50 {statistics.median(times):.2f} s, p95 {quantiles[18]:.2f} s, max {max(times):.2f} s"
        )
        if args.restarts:
            measured = restarts(bench, args.restarts)
            serving = [s for s, _ in measured]
            fetchable = [f for _, f in measured]
            print(
                f"restart, {args.restarts} times, 2 workers, a submission waiting: serving after "
                f"p50 {statistics.median(serving):.2f} s (max {max(serving):.2f} s), its feedback fetchable after "
                f"p50 {statistics.median(fetchable):.2f} s (max {max(fetchable):.2f} s)"
            )
        if not args.burst:
            return
        print(
            f"| workers | service: last of {args.burst} fetchable (s) | make autograde (s) | service / autograde throughput | grades equal |"
        )
        print("|---|---|---|---|---|")
        for workers in (1, 2):
            service_seconds, autograde_seconds, equal = burst(bench, args.burst, workers)
            print(
                f"| {workers} | {service_seconds:.1f} | {autograde_seconds:.1f} | "
                f"{autograde_seconds / service_seconds:.0%} | {equal} |"
            )
    finally:
        shutil.rmtree(bench.base, ignore_errors=True)


if __name__ == "__main__":
    main()
