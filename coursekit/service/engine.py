"""The task queue: dask.distributed, TLS only.

The service runs dask's scheduler in its own process, with ``GradingService.workers`` worker
processes on this machine (nothing to install or start beyond ``make``). More workers, on other
machines, join the same scheduler with ``python -m coursekit worker tls://<host>:<port>``; the
scheduler hands each job to a free worker, and re-runs the job of a worker that dies (dask's
``allowed-failures``).

Every connection is TLS with a certificate only the graders hold: anyone who could reach a dask
scheduler could run code as its workers' user, so a student on the same machine must not be able to
connect. The service makes a self-signed certificate on first start and keeps it in its folder
(``tls/``, readable by the graders' account only); a remote worker needs a copy of that folder.
"""

import asyncio
import os
import stat
from pathlib import Path

from coursekit.service.jobs import ROOT_VARIABLE

CREDENTIALS = ("ca.pem", "cert.pem", "key.pem")
#: Job attempts the scheduler allows before it gives up on a job whose worker keeps dying.
ALLOWED_FAILURES = 3


def credentials(folder, create=True):
    """Security for the scheduler and workers from ``folder``'s ca/cert/key, made on first use."""
    from distributed.security import Security

    folder = Path(folder)
    paths = [folder / name for name in CREDENTIALS]
    if not all(p.exists() for p in paths):
        if not create:
            raise FileNotFoundError(
                f"no TLS credentials in {folder}: copy the service's <state_directory>/tls/ folder here"
            )
        temporary = Security.temporary()  # a fresh self-signed certificate: its own CA
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, stat.S_IRWXU)
        for path, pem in zip(
            paths, (temporary.tls_ca_file, temporary.tls_worker_cert, temporary.tls_worker_key)
        ):
            path.write_text(pem)
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    ca, cert, key = (str(p) for p in paths)
    return Security(
        require_encryption=True,
        tls_ca_file=ca,
        tls_scheduler_cert=cert,
        tls_scheduler_key=key,
        tls_worker_cert=cert,
        tls_worker_key=key,
        tls_client_cert=cert,
        tls_client_key=key,
    )


def worker_environment(root):
    """Environment of a worker process: its course, and one BLAS thread (set before numpy loads)."""
    return {ROOT_VARIABLE: str(root), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def start(root, address, n_workers, tls_folder):
    """(client, cluster): the scheduler on ``address`` with ``n_workers`` local worker processes."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES})
    security = credentials(tls_folder)
    host, _, port = address.removeprefix("tls://").rpartition(":")
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,  # one submission at a time per process, as nbgrader grades
        processes=True,
        protocol="tls",
        host=host or "127.0.0.1",
        scheduler_port=int(port or 0),
        dashboard_address=None,
        security=security,
        worker_class="distributed.Nanny",  # restarts a worker process that dies
        env=worker_environment(root),
        silence_logs=40,  # errors only: the service prints one line per job
    )
    return Client(cluster, security=security), cluster


def run_worker(scheduler, root, tls_folder, name=None):
    """Run one worker process (under a nanny that restarts it) for the scheduler at ``scheduler``."""
    from distributed import Nanny

    security = credentials(tls_folder, create=False)

    async def main():
        async with Nanny(
            scheduler,
            nthreads=1,
            security=security,
            name=name,
            env=worker_environment(root),
        ) as nanny:
            await nanny.finished()

    asyncio.run(main())
