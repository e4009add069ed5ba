"""The task queue: dask.distributed, TLS only.

The service runs dask's scheduler in its own process, with ``GradingService.workers`` worker
processes on this machine (nothing to install or start beyond ``make``). More workers, on other
machines, join the same scheduler with ``python -m coursekit worker tls://<host>:<port>``; the
scheduler hands each job to a free worker, and re-runs the job of a worker that dies (dask's
``allowed-failures``). ``DaskEngine`` is all the service knows of it: submit a job, collect what
finished, give up on a job that takes too long (its worker is restarted), exclude a worker whose
grading environment fails the canary.

Every connection is TLS with a certificate only the graders hold: anyone who could reach a dask
scheduler could run code as its workers' user, so a student on the same machine must not be able to
connect. The service makes its own certificate authority on first start (``tls-ca/``, which never
leaves the service's folder) and a certificate signed by it (``tls/``: ca.pem, cert.pem, key.pem,
readable by the graders' account only; a remote worker needs a copy of that folder). The certificate
is valid for ``CERTIFICATE_DAYS``; the service renews it at start when fewer than
``GradingService.certificate_renewal_days`` are left, from the same authority, so that copies made
before keep working until they expire themselves. A worker whose copy has expired, or is refused by
the scheduler, says so and what to do (``check_worker_credentials``), instead of retrying in silence.
"""

import asyncio
import datetime
import os
import socket
import ssl
import stat
from pathlib import Path

from coursekit import course
from coursekit.service.jobs import GRADEBOOK_VARIABLE, LOCAL_VARIABLE, READY_TOPIC, ROOT_VARIABLE

CREDENTIALS = ("ca.pem", "cert.pem", "key.pem")
#: Job attempts the scheduler allows before it gives up on a job whose worker keeps dying.
ALLOWED_FAILURES = 3
#: How long a certificate of the service is valid, and its certificate authority.
CERTIFICATE_DAYS = 365
AUTHORITY_DAYS = 3650
#: The name in the certificates (dask checks the chain, not host names).
COMMON_NAME = "coursekit-grading"
#: Seconds a worker waits for the scheduler's TLS handshake before it reports that it cannot connect.
HANDSHAKE_TIMEOUT_S = 10


# --- TLS credentials ---------------------------------------------------------------------------------------
def _private_write(path, data):
    """Write ``data`` to ``path``, readable and writable by its owner only (from the first byte on)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def _private_folder(folder):
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, stat.S_IRWXU)


def _name(common_name):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _pem(key):
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificate(subject_key, issuer_name, issuer_key, days, now, authority):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    name = _name(f"{COMMON_NAME}-ca" if authority else COMMON_NAME)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
    )
    if not authority:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(COMMON_NAME)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def expiry(cert_file):
    """When the certificate in ``cert_file`` expires (an aware UTC datetime)."""
    from cryptography import x509

    return x509.load_pem_x509_certificate(Path(cert_file).read_bytes()).not_valid_after_utc


def issue(folder, authority_folder, renewal_days, now=None, days=CERTIFICATE_DAYS):
    """Make or renew the service's credentials in ``folder``; return what was done: '' (nothing), 'made'
    (the first time), 'renewed' (by the same authority) or 'replaced' (a new authority: copies made before
    are refused).

    ``authority_folder`` keeps the certificate authority's key (it never goes to a worker). The
    certificate is made again when it is missing, expires within ``renewal_days`` or was not signed
    by that authority (a folder from the first grading service, whose certificate was its own
    authority: then the authority is new, and workers elsewhere need a copy of ``folder``).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    now = now or datetime.datetime.now(datetime.timezone.utc)
    folder, authority_folder = Path(folder), Path(authority_folder)
    ca_key_path, ca_path = authority_folder / "ca-key.pem", folder / "ca.pem"
    action = ""
    if ca_key_path.exists() and ca_path.exists():
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
        if ca_cert.not_valid_after_utc - now < datetime.timedelta(days=renewal_days):
            ca_key = None  # the authority itself expires: a new one
    else:
        ca_key = None
    _private_folder(folder)
    _private_folder(authority_folder)
    if ca_key is None:
        action = "replaced" if ca_path.exists() else "made"
        ca_key = _new_key()
        ca_pem = _certificate(ca_key, None, ca_key, AUTHORITY_DAYS, now, authority=True)
        _private_write(ca_key_path, _pem(ca_key))
        _private_write(ca_path, ca_pem)
        ca_cert = x509.load_pem_x509_certificate(ca_pem)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.exists() and key_path.exists() and not action:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if cert.issuer == ca_cert.subject and cert.not_valid_after_utc - now >= datetime.timedelta(
            days=renewal_days
        ):
            return ""
        action = "renewed"
    key = _new_key()
    _private_write(key_path, _pem(key))
    _private_write(cert_path, _certificate(key, ca_cert.subject, ca_key, days, now, authority=False))
    return action


def credentials(folder):
    """dask Security for the scheduler, workers and clients from ``folder``'s ca/cert/key."""
    from distributed.security import Security

    folder = Path(folder)
    missing = [name for name in CREDENTIALS if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(
            f"no TLS credentials in {folder} (missing {', '.join(missing)}): copy the service's "
            "<state_directory>/tls/ folder here"
        )
    ca, cert, key = (str(folder / name) for name in CREDENTIALS)
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


class CredentialsRefused(RuntimeError):
    """A worker's copy of the credentials has expired, or the scheduler does not accept it."""


def check_worker_credentials(scheduler, folder, now=None):
    """Before a worker joins ``scheduler`` (tls://host:port): its certificate is valid, and the scheduler takes it.

    Raises CredentialsRefused with what to do; returns the certificate's expiry otherwise.
    """
    folder = Path(folder)
    credentials(folder)  # every file is there
    now = now or datetime.datetime.now(datetime.timezone.utc)
    expires = expiry(folder / "cert.pem")
    again = "copy the service's <state_directory>/tls/ folder to this machine again"
    if expires <= now:
        raise CredentialsRefused(
            f"this worker's TLS certificate ({folder}/cert.pem) expired on {expires:%Y-%m-%d}: {again}"
        )
    host, _, port = scheduler.removeprefix("tls://").rpartition(":")
    context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    context.check_hostname = False  # as dask: the chain is checked, not the host's name
    context.load_cert_chain(str(folder / "cert.pem"), str(folder / "key.pem"))
    try:
        with (
            socket.create_connection((host, int(port)), timeout=HANDSHAKE_TIMEOUT_S) as raw,
            context.wrap_socket(raw) as connection,
        ):
            connection.settimeout(0.5)  # TLS 1.3: the server's verdict on our certificate comes after
            try:
                connection.recv(1)
            except TimeoutError:
                pass
    except ssl.SSLError as error:
        raise CredentialsRefused(
            f"the scheduler at {scheduler} refused this worker's TLS certificate, or its own is not from "
            f"this worker's certificate authority ({error.reason or error}): {again}"
        ) from None
    return expires


# --- the engine ----------------------------------------------------------------------------------------------
def worker_environment(root, gradebook=None):
    """Environment of a worker process: its course, one BLAS thread (set before numpy loads), and for the
    service's own workers (on its machine), that they are and the course gradebook's URL."""
    env = {ROOT_VARIABLE: str(root), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if gradebook is not None:
        env.update({LOCAL_VARIABLE: "1", GRADEBOOK_VARIABLE: gradebook})
    return env


class DaskEngine:
    """The scheduler on ``address`` with ``n_workers`` local worker processes, as the service uses it."""

    def __init__(self, root, address, n_workers, tls_folder, warm_up=None):
        import dask
        from distributed import Client, LocalCluster

        dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES})
        security = credentials(tls_folder)
        host, _, port = address.removeprefix("tls://").rpartition(":")
        self.cluster = LocalCluster(
            n_workers=0,  # the scheduler at once; the workers join in the background (below)
            threads_per_worker=1,  # one submission at a time per process, as nbgrader grades
            processes=True,
            protocol="tls",
            host=host or "127.0.0.1",
            scheduler_port=int(port or 0),
            dashboard_address=None,
            security=security,
            worker_class="distributed.Nanny",  # restarts a worker process that dies
            env=worker_environment(root, course.gradebook_url(root)),
            silence_logs=40,  # errors only: the service prints one line per job
        )
        self.client = Client(self.cluster, security=security)
        self.address = self.cluster.scheduler_address
        # Not waited for: jobs queue at the scheduler meanwhile, as for workers that join from elsewhere.
        self.cluster.scale(n_workers)
        self.futures = {}  # submission key -> future
        self._submitted = self._ready_seen = 0
        if warm_up is not None:
            # In the background: the plugin's set-up on the workers returns at once, the warm-up runs there.
            self.client.register_plugin(warm_up)

    def submit(self, job):
        from coursekit.service import jobs

        self._submitted += 1  # a fresh task key each time: a cancelled task may linger under the old one
        self.futures[job.key] = self.client.submit(
            jobs.grade, job, key=f"grade-{self._submitted}-{job.key}", pure=False
        )

    def running(self):
        return set(self.futures)

    def finished(self):
        """[(submission key, JobResult or the exception)] of the jobs done since the last call."""
        done = []
        for key, future in list(self.futures.items()):
            if future.done():
                del self.futures[key]
                error = future.exception() if future.status != "cancelled" else RuntimeError("cancelled")
                done.append((key, error if error is not None else future.result()))
        return done

    def wait(self, timeout):
        """Until a job finishes, or ``timeout`` seconds."""
        from distributed import wait

        futures = list(self.futures.values())
        if not futures:
            return False
        try:
            wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except (TimeoutError, asyncio.TimeoutError):  # distinct classes before Python 3.11
            pass
        return True

    def abandon(self, key):
        """Give up on job ``key``: cancel it and restart the worker running it; return that worker ('' if none)."""
        future = self.futures.pop(key, None)
        if future is None:
            return ""
        holders = [w for w, keys in self.client.processing().items() if future.key in keys]
        future.cancel()
        if holders:
            self.client.restart_workers(holders, raise_for_error=False)
        return ", ".join(holders)

    def exclude(self, address):
        """Take the worker at ``address`` out of the queue for good (it closes, with its nanny)."""
        if address:
            self.client.retire_workers([address], close_workers=True, remove=True)

    def workers(self):
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def ready(self):
        """What workers said since the last call when they got ready ([jobs.warm_up's reports])."""
        events = self.client.get_events(READY_TOPIC)
        new, self._ready_seen = events[self._ready_seen :], len(events)
        return [message for _, message in new]

    def close(self):
        self.client.close()
        self.cluster.close()


def run_worker(scheduler, root, tls_folder, name=None):
    """Run one worker process (under a nanny that restarts it) for the scheduler at ``scheduler``.

    Checks its credentials first (``check_worker_credentials``); raises CredentialsRefused.
    """
    from distributed import Nanny

    check_worker_credentials(scheduler, tls_folder)
    security = credentials(tls_folder)

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
