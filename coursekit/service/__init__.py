"""Grades on submit: ``python -m coursekit serve`` (``make serve``), one module per stage.

A submission's way through the service, run by the graders' account next to the exchange:

    inbox.py    the exchange's inbound folder: complete submissions, each checked to be its
                student's own (Submission)
    ledger.py   the service's durable record of every submission seen: queued, deferred, graded;
                its attempts and which one counts. The inbound folder plus the ledger are the
                whole state: a restart re-queues whatever was not recorded
    policy.py   the instructor's policies (``GradingService`` traitlets, set in nbgrader_config.py):
                feedback before the deadline, attempt limits, which submission counts
    engine.py   the task queue: dask.distributed, a TLS-only scheduler with worker processes on
                this machine, and ``python -m coursekit worker`` on others
    jobs.py     what a worker runs: one submission in, as bytes; its Outcome, feedback pages and
                graded notebooks out (``coursekit.workers.Grader.grade_files``)
    outbox.py   what the service does with a result: the course gradebook (``coursekit.gradebook``,
                the single writer), the course folders, and the student's feedback through
                nbgrader's exchange
    serve.py    the loop that ties them together, one log line per job, SIGTERM to stop

Workers never write the gradebook and hold no student's rights: a job carries its submission's
files and returns data; only the service process records.
"""
