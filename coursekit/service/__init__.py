"""Grades on submit: ``python -m coursekit serve`` (``make serve``), one module per stage.

A submission's way through the service, run by the graders' account next to the exchange:

    inbox.py    the exchange's inbound folder: complete submissions, read as data
                (``coursekit.submission``: regular files only, never through a link, within caps),
                each with the service's time (its folder's last change, at most when first seen)
    ledger.py   the service's durable record of every submission seen: queued, deferred, graded,
                its attempts and which one counts, and an outbox of what is left to do for each
                (record it, release a page), written in transactions
    policy.py   the instructor's settings (``GradingService`` traitlets, set in nbgrader_config.py)
                and the policies as pure functions: admission under attempt limits, which submission
                counts, what a student sees, the wait before a retry
    engine.py   the task queue: dask.distributed, a TLS-only scheduler (its own certificate
                authority, renewed certificates) with worker processes on this machine, and
                ``python -m coursekit worker`` on others; jobs given up after a time limit,
                workers whose canary fails excluded
    jobs.py     what a worker runs: one submission in, as bytes, with its deadline; its Outcome,
                feedback pages and graded notebooks out (``coursekit.workers.Grader.grade_files``)
    outbox.py   what the service keeps on disk (its copy of each submission, results, pages to
                release) and does with a result: the course gradebook (``coursekit.gradebook``, the
                single writer), the course folders, and the student's feedback through nbgrader's
                exchange
    faults.py   named points between "graded" and "released" where tests kill the service
    serve.py    the loop that ties them together, one log line per job, a lock (one service per
                course), SIGTERM to stop
    bench.py    make bench-service: latency on submit, restarts, a deadline burst

The inbound folder plus the service's folder are the whole state: a restart carries on where the last
process stopped. Workers never write the gradebook and hold no student's rights: a job carries its
submission's files and returns data; only the service process records.
"""
