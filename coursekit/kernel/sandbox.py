"""Kernels that run a student's notebook seeing only what they need, with bounded resources.

nbgrader runs a submission's code with the grader's rights. ``SandboxedKernelManager`` starts the
kernel inside bubblewrap (``bwrap``, Debian's ``bubblewrap`` package), built from nothing up:

- **namespaces**: new user, mount, PID, network, IPC, UTS and cgroup namespaces (``--unshare-all``),
  no further user namespaces inside (``--disable-userns``), a new session (no terminal to type into)
  and no capabilities. The kernel sees only its own processes, has no network (not even localhost),
  and every process of the sandbox dies with the kernel (the PID namespace ends with it);
- **files, an allow-list**: the system's programs and libraries (``/usr``), the few files of ``/etc``
  a Python needs (``ETC_FILES``; ``/etc/passwd`` and ``/etc/group`` are written for the sandbox and
  name only its user), the kernel's Python environment and the packages it imports, read-only, as
  the kernel's own Python reports them (``kernel_paths``: helpers with its datasets, coursekit with
  the tamper guard, the environment's prefixes and import path). Nothing else of the machine exists
  in the sandbox: no home folder, no course, no exchange, no /var, /srv, /run or /tmp of the host;
- **writable, bounded**: one tmpfs of ``disk_limit_mb`` holds everything the kernel can write: its
  home ``/home/student``, ``/tmp`` (a link into it) and its working folder
  ``/home/student/<folder>``, a *copy* of the notebook's folder (the submission's own files). The
  kernel never writes a file of the host; what it writes is gone when it stops;
- **the grader's channel**: the kernel's ZeroMQ sockets are Unix sockets (jupyter_client's ``ipc``
  transport) in a small tmpfs of the sandbox, ``/run/kernel``. The grader opens each of them once,
  through ``/proc/<pid>/root`` of the sandbox and without following links, and connects through
  that open file: a kernel that later replaces a socket by a link cannot send the grader elsewhere;
- **an environment from an allow-list** (``--clearenv``): PATH, HOME, TMPDIR, LANG, the kernel's
  own settings (``env_allowed``, the kernelspec's ``env``); never the grading process's environment
  (bwrap itself starts with the same allow-list, since the sandbox's first process shows its
  environment in /proc);
- **limits** (``prlimit``, inside the sandbox's user namespace): ``memory_limit_mb`` of address
  space per process, ``max_processes`` processes and threads (RLIMIT_NPROC, which counts per user
  *and* user namespace, so the sandbox's count is its own and the grader's processes do not use it
  up), ``cpu_limit_s`` seconds of CPU per process, no core files;
- **never root's rights**: grading as root, bwrap runs as ``sandbox_user`` (an unprivileged system
  user), so that nothing in the sandbox has root's rights on the host's files. Grading as any other
  user, the kernel runs as that user, in its own user namespace.

The whole bound on memory a submission can take is therefore ``max_processes`` x ``memory_limit_mb``
(address space, an upper bound on memory in use) plus ``disk_limit_mb`` (the tmpfs, held in memory);
see the README's threat model for what the sandbox does not guarantee.

Without bwrap the kernel does not start: ``GuardedExecute.sandbox = False`` grades without a sandbox,
for notebooks one trusts.
"""

import asyncio
import functools
import glob
import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time

import psutil
import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, Unicode, default

INSTALL_BWRAP = (
    "grading kernels run in a bubblewrap sandbox, and bwrap is not installed: install it (Debian and "
    "Ubuntu: apt-get install bubblewrap), or set c.GuardedExecute.sandbox = False to grade without a "
    "sandbox (only notebooks you trust)"
)

#: The grader's private folder of each sandbox (its connection file and socket links), in the temporary
#: folder, is named <PRIVATE_PREFIX><grading process's pid>-<random>.
PRIVATE_PREFIX = "dnn-kernel-"
#: Inside the sandbox: the kernel's user, its home (the one writable tmpfs) and its sockets' folder.
USER = "student"
HOME = "/home/student"
SOCKETS = "/run/kernel"
#: Size of the sockets' own tmpfs, in bytes (it holds five sockets and the connection file).
SOCKETS_TMPFS_BYTES = 1 << 20
#: Files of the host's /etc a Python needs: the dynamic linker's cache, name-service order, time zone.
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/nsswitch.conf",
    "/etc/localtime",
)
#: What of the submission's folder is copied into the sandbox at most: files, and bytes (then the
#: tmpfs's size decides).
MAX_COPIED_FILES = 200
#: Seconds the grader waits for a started kernel to open its sockets.
SOCKETS_TIMEOUT_S = 60
#: Seconds between two looks at a starting sandbox.
START_POLL_S = 0.005
#: Characters of the sandbox's own error output kept to explain a kernel that did not start, and the
#: seconds to wait for the rest of it once the sandbox ended.
STDERR_KEPT = 8000
STDERR_WAIT_S = 1
#: The largest message the grader accepts from a kernel (a cell's output is capped far below it, at
#: GuardedExecute.max_output_chars, once received): a larger one is dropped with its connection.
MAX_MESSAGE_BYTES = 64 << 20
#: Grace (seconds) between the CPU limit's SIGXCPU and SIGKILL.
CPU_GRACE_S = 5
#: Exit status of a kernel killed by a signal, as bwrap reports it: 128 + the signal's number.
SIGNALLED = 128


def remove_private_folders(pid):
    """Remove the private folders of the sandboxes of grading process ``pid``, which was killed (a
    process that stops its kernels removes them itself)."""
    for folder in glob.glob(os.path.join(tempfile.gettempdir(), f"{PRIVATE_PREFIX}{pid}-*")):
        shutil.rmtree(folder, ignore_errors=True)


def bwrap_path():
    return shutil.which("bwrap")


#: Run by the kernel's Python: where the packages a grading kernel imports resolve for it. It finds
#: them the way the kernel will (editable installs, .pth files, PYTHONPATH), and reports an import
#: error instead of failing, so that the grading kernel itself shows the error to the canary.
KERNEL_PROBE = """
import importlib.util, json, sys
found = {"prefixes": sorted({sys.prefix, sys.exec_prefix, sys.base_prefix}), "path": sys.path[1:], "packages": []}
for name in ("helpers", "coursekit"):
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        found["packages"].extend(spec.submodule_search_locations)
try:
    from helpers.datasets import DATASETS_DIR
    found["packages"].append(str(DATASETS_DIR))
except Exception:
    pass
print(json.dumps(found))
"""


@functools.lru_cache(maxsize=8)
def kernel_paths(python, env_items=()):
    """Folders the kernel run by ``python`` reads: its packages (helpers, its datasets, coursekit),
    its environment's prefixes and its import path, as the kernel's own Python reports them with the
    environment ``env_items`` (the sandbox's).

    Cached per Python and environment: one probe (about 0.2 s) per grading process.
    """
    env = dict(env_items) if env_items else None
    result = subprocess.run(
        [python, "-c", KERNEL_PROBE], capture_output=True, text=True, check=False, env=env, cwd="/"
    )
    if result.returncode != 0:
        raise RuntimeError(f"the grading kernel's Python {python} does not run: {result.stderr.strip()}")
    found = json.loads(result.stdout.strip().splitlines()[-1])
    paths = [*found["packages"], *found["prefixes"], *found["path"]]
    return tuple(dict.fromkeys(os.path.realpath(p) for p in paths if os.path.isabs(p) and os.path.isdir(p)))


def shown_paths(needed):
    """The folders of ``needed`` that the sandbox binds: each once (not inside another), none that is
    already there (/usr), and none that holds a course (a folder with nbgrader_config.py, e.g. a
    checkout whose root is on the import path): its source notebooks hold solutions and hidden tests.
    """
    shown = []
    for path in sorted(set(needed)):
        if path in ("/", "/usr") or path.startswith(("/usr/", HOME)):
            continue
        if any(path.startswith(parent + os.sep) for parent in shown):
            continue
        if os.path.exists(os.path.join(path, "nbgrader_config.py")):
            continue
        shown.append(path)
    return shown


#: The grading process's variables a kernel gets by default (SandboxedKernelManager.env_allowed): the
#: locale, nbgrader's flag that skips experiments, the hash seed, the numeric back-ends' threads and kernels.
KERNEL_SETTINGS = [
    *("LANG", "LC_ALL", "LC_CTYPE", "TZ", "NBGRADER_EXECUTION", "PYTHONHASHSEED"),
    *(
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_CORETYPE",
        "NPY_DISABLE_CPU_FEATURES",
    ),
]


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in a bubblewrap sandbox (see the module's docstring)."""

    memory_limit_mb = Integer(
        2048, help="Address space of each process in the sandbox, in MiB (RLIMIT_AS; 0: no limit)."
    ).tag(config=True)
    disk_limit_mb = Integer(
        200,
        help="What the kernel may write in all, in MiB: its working folder, /tmp and its home are one "
        "tmpfs of this size, held in memory. The submission's own files are copied in first.",
    ).tag(config=True)
    max_processes = Integer(
        64,
        help="Processes and threads the sandbox may run at once (RLIMIT_NPROC, counted in the "
        "sandbox's own user namespace). A grading kernel uses about 10 threads.",
    ).tag(config=True)
    cpu_limit_s = Integer(
        300,
        help="CPU seconds each process of the sandbox may use (RLIMIT_CPU); the kernel's count runs "
        "over the whole notebook, and a kernel past it is stopped and restarted.",
    ).tag(config=True)
    sandbox_user = Unicode(
        "dnn-sandbox",
        help="The unprivileged user that grading kernels run as when grading runs as root (create it "
        "with: useradd --system --no-create-home --shell /usr/sbin/nologin dnn-sandbox). Ignored "
        "when grading runs as another user: kernels then run as that user, in a user namespace.",
    ).tag(config=True)
    env_allowed = List(
        Unicode(),
        KERNEL_SETTINGS,
        help="Variables of the grading process that the kernel gets (when set), besides PATH, HOME, "
        "TMPDIR and USER, which the sandbox sets, and the kernelspec's env. Nothing else passes.",
    ).tag(config=True)

    @default("transport")
    def _default_transport(self):
        # The kernel has no network: it talks to the grader over Unix sockets.
        return "ipc"

    def client(self, **kwargs):
        client = super().client(**kwargs)
        _bound_messages(client.context)
        return client

    # --- starting: the command, then the launch ------------------------------------------------------
    async def _async_pre_start_kernel(self, **kw):
        if bwrap_path() is None:
            raise RuntimeError(INSTALL_BWRAP)
        self._sandbox = Sandbox(self)
        _bound_messages(self.context)
        # The host's side of the connection: a private folder whose ipc "addresses" are made links
        # to the kernel's sockets once it has opened them (Sandbox.connect).
        self.connection_file = os.path.join(self._sandbox.private, "connection.json")
        self.ip = os.path.join(self._sandbox.private, "k")
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        # Interrupt through the control channel: a SIGINT to the process group would reach bwrap,
        # which would exit and take the kernel with it.
        self.kernel_spec.interrupt_mode = "message"
        cmd = super().format_kernel_cmd(extra_arguments)
        return self._sandbox.command(cmd, self.connection_file)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **self._sandbox.launch_arguments(kw))
        self._sandbox.launched(self.provisioner.process)
        ports = [getattr(self, f"{channel}_port") for channel in ("shell", "iopub", "stdin", "control", "hb")]
        await self._sandbox.connect(ports)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        sandbox = getattr(self, "_sandbox", None)
        if sandbox is not None:
            sandbox.close()

    # AsyncKernelManager binds its public name to the base class's function, which would skip the above
    # (nbclient calls it for a kernel that died: its sandbox's descriptors and folder must go too).
    cleanup_resources = _async_cleanup_resources

    # --- what the grader asks of a running sandbox ----------------------------------------------------
    def stop_strays(self):
        """Kill every process of the sandbox but the kernel; return how many were running, or -1 when
        they could not all be stopped (a fork bomb outrunning the kills: restart the kernel)."""
        sandbox = getattr(self, "_sandbox", None)
        return sandbox.stop_strays() if sandbox is not None else 0

    def death_cause(self):
        """Why the kernel's process ended, when a limit ended it ('cpu'), else ''."""
        process = getattr(self.provisioner, "process", None) if self.provisioner else None
        code = process.poll() if process is not None else None
        if code == SIGNALLED + signal.SIGXCPU:  # RLIMIT_CPU's soft limit
            return "cpu"
        return ""


class Sandbox:
    """One sandbox's life on the grader's side: its command, its launch, its connection, its processes."""

    def __init__(self, km):
        self.km = km
        self.fds = []  # passed to bwrap, closed here once it started
        self.sockets = []  # the kernel's sockets, opened O_PATH
        self.root = None  # the sandbox's root folder, opened O_PATH
        self.init = self.kernel = None  # psutil.Process: the sandbox's first process, the kernel
        self.process = None  # bwrap (subprocess.Popen)
        self.stderr = []
        self.reader = None
        self.as_user = None
        if os.geteuid() == 0:
            try:
                self.as_user = pwd.getpwnam(km.sandbox_user)
            except KeyError:
                raise RuntimeError(
                    f"grading as root, and the unprivileged user {km.sandbox_user!r} that kernels run as "
                    "does not exist: create it (useradd --system --no-create-home --shell "
                    f"/usr/sbin/nologin {km.sandbox_user}), set c.SandboxedKernelManager.sandbox_user to "
                    "another unprivileged user, or grade as the graders' account (see the README's "
                    "threat model)"
                ) from None
        self.uid = self.as_user.pw_uid if self.as_user else os.getuid()
        self.gid = self.as_user.pw_gid if self.as_user else os.getgid()
        # Short (Unix socket paths are <108 bytes), and named after the grading process that owns it.
        self.private = tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-")

    # --- the command ---------------------------------------------------------------------------------
    def environment(self, python):
        """The kernel's environment: set by the sandbox, allowed from the grader's, the kernelspec's."""
        km = self.km
        launch = km._launch_args.get("env") or os.environ
        env = {name: launch[name] for name in km.env_allowed if name in launch}
        env.setdefault("LANG", "C.UTF-8")
        # One BLAS thread unless told otherwise: a kernel per core, tiny matrices, and threads count
        # against max_processes.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")
        env.update(km.kernel_spec.env or {})
        env.update(
            PATH=f"{os.path.dirname(python)}:/usr/local/bin:/usr/bin:/bin",
            HOME=HOME,
            USER=USER,
            LOGNAME=USER,
            TMPDIR="/tmp",
            IPYTHONDIR=f"{HOME}/.ipython",
            MPLCONFIGDIR=f"{HOME}/.config/matplotlib",
        )
        return env

    def command(self, cmd, connection_file):
        """The bwrap command line that runs the kernel command ``cmd`` in the sandbox."""
        km = self.km
        python = shutil.which(cmd[0]) or cmd[0]
        # Run by its folder's real path, which the sandbox binds (kernel_paths gives real paths): a Python
        # environment reached through a link (.venv -> elsewhere) would not be found. Not the program's own
        # real path: a virtual environment's python links to the base interpreter, which would leave the
        # environment (its pyvenv.cfg is found beside the path the program is run by).
        python = os.path.join(os.path.realpath(os.path.dirname(python)), os.path.basename(python))
        env = self.environment(python)
        workdir = km._launch_args.get("cwd")
        inside = f"{HOME}/{_folder_name(workdir)}"
        kernel_connection = f"{SOCKETS}/connection.json"
        cmd = [python, *(kernel_connection if arg == connection_file else arg for arg in cmd[1:])]
        read, write = os.pipe()
        os.set_inheritable(write, True)
        self.info = read
        self.fds.append(write)
        args = [
            "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--hostname", "sandbox", "--info-fd", str(write),
        ]  # fmt: skip
        args += self._system()
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--size", str(km.disk_limit_mb << 20), "--perms", "0700", "--tmpfs", HOME]
        args += ["--dir", f"{HOME}/.tmp", "--symlink", "home/student/.tmp", "/tmp"]
        args += self._copy_folder(workdir, inside)
        args += ["--size", str(SOCKETS_TMPFS_BYTES), "--perms", "0700", "--tmpfs", SOCKETS]
        args += ["--perms", "0600", "--file", str(self._data(self._kernel_connection(connection_file))),
                 kernel_connection]  # fmt: skip
        env_items = tuple(sorted(env.items()))
        for path in shown_paths(kernel_paths(python, env_items)):
            self._check_readable(path)
            args += ["--ro-bind", path, path]
        args += ["--ro-bind-data", str(self._data(self._passwd())), "/etc/passwd"]
        args += ["--ro-bind-data", str(self._data(f"{USER}:x:{self.gid}:\n")), "/etc/group"]
        args += ["--ro-bind-data", str(self._data("127.0.0.1 localhost sandbox\n")), "/etc/hosts"]
        # Nothing else of the sandbox is writable: its root and /dev are read-only.
        args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", inside, "--clearenv"]
        args += [arg for name, value in env.items() for arg in ("--setenv", name, value)]
        limits = [f"--nproc={km.max_processes}", "--core=0"]
        if km.memory_limit_mb:
            limits.append(f"--as={km.memory_limit_mb << 20}")
        if km.cpu_limit_s:
            limits.append(f"--cpu={km.cpu_limit_s}:{km.cpu_limit_s + CPU_GRACE_S}")
        return [bwrap_path(), *args, "--", shutil.which("prlimit") or "/usr/bin/prlimit", *limits, "--", *cmd]

    def _check_readable(self, path):
        """Grading as root, bwrap runs as the sandbox user, which must reach ``path`` (the kernel's Python
        environment): each folder on the way searchable by others, the folder itself readable."""
        if self.as_user is None:
            return
        parts = path.rstrip("/").split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[: depth + 1]) or "/"
            mode = os.stat(folder).st_mode
            wanted = stat.S_IXOTH | (stat.S_IROTH if depth == len(parts) - 1 else 0)
            if mode & wanted != wanted:
                raise RuntimeError(
                    f"grading as root, kernels run as {self.km.sandbox_user}, which cannot read {path}, a folder of "
                    f"the kernel's Python environment ({folder} is not open to others): make it readable by others "
                    "(chmod o+rX), or grade as the graders' account"
                )

    def _data(self, text):
        """A file descriptor bwrap reads ``text`` from (a file in the private folder, opened, unlinked)."""
        fd, path = tempfile.mkstemp(dir=self.private)
        os.write(fd, text.encode())
        os.unlink(path)
        os.lseek(fd, 0, os.SEEK_SET)
        self.fds.append(fd)
        return fd

    def _system(self):
        """The host's programs and libraries, read-only: /usr, the merged-/usr links, a few /etc files."""
        args = ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = f"/{name}"
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in ETC_FILES:
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        return args

    def _passwd(self):
        return f"{USER}:x:{self.uid}:{self.gid}:grading kernel:{HOME}:/bin/sh\n"

    def _kernel_connection(self, connection_file):
        """The kernel's connection file: the grader's, with the sockets' folder inside the sandbox."""
        with open(connection_file) as f:
            info = json.load(f)
        info["ip"] = f"{SOCKETS}/k"
        return json.dumps(info)

    def _copy_folder(self, folder, inside):
        """bwrap arguments that copy ``folder``'s directories and regular files to ``inside``.

        Copied, never bound: the kernel may change its copy, not the host's files. Links and special
        files are left out. No folder (a kernel started without one): an empty working folder.
        """
        args = ["--dir", inside]
        if not folder:
            return args
        count, size, limit = 0, 0, self.km.disk_limit_mb << 20
        for top, dirs, files in os.walk(folder):
            relative = os.path.relpath(top, folder)
            target = inside if relative == "." else f"{inside}/{relative}"
            for name in sorted(dirs):
                if not os.path.islink(os.path.join(top, name)):
                    args += ["--dir", f"{target}/{name}"]
            for name in sorted(files):
                path = os.path.join(top, name)
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
                except OSError:
                    continue  # a link, or unreadable
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode):
                    os.close(fd)
                    continue
                self.fds.append(fd)
                count, size = count + 1, size + info.st_size
                if count > MAX_COPIED_FILES or size > limit:
                    raise RuntimeError(
                        f"the notebook's folder holds more than {MAX_COPIED_FILES} files or "
                        f"{self.km.disk_limit_mb} MB, more than a grading kernel's folder may hold "
                        "(c.SandboxedKernelManager.disk_limit_mb)"
                    )
                args += ["--file", str(fd), f"{target}/{name}"]
        return args

    # --- the launch ------------------------------------------------------------------------------------
    def launch_arguments(self, kw):
        """Popen's arguments: the descriptors bwrap reads, an environment of the allow-list only, the
        sandbox's user when grading as root, and no terminal or log of the grader for the kernel to
        write into (its error output is kept here, to explain a kernel that did not start)."""
        kw = dict(kw)
        kw.update(
            pass_fds=tuple(self.fds),
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd="/",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if self.as_user is not None:
            kw.update(user=self.uid, group=self.gid, extra_groups=[], umask=0o077)
        return kw

    def launched(self, process):
        self.process = process
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        self.reader = threading.Thread(target=self._read_stderr, args=(process.stderr,), daemon=True)
        self.reader.start()

    def _read_stderr(self, stream):
        kept = 0
        for line in iter(lambda: stream.readline(1000), b""):
            if kept < STDERR_KEPT:
                self.stderr.append(line.decode(errors="replace"))
                kept += len(line)
        stream.close()

    def stderr_text(self):
        if self.reader is not None and self.process is not None and self.process.poll() is not None:
            self.reader.join(timeout=STDERR_WAIT_S)  # the sandbox ended: its last words are on their way
        return "".join(self.stderr)[-STDERR_KEPT:].strip()

    def _started(self, what):
        code = self.process.poll()
        if code is not None:
            raise RuntimeError(
                f"the grading kernel's sandbox ended ({code}) before {what}: {self.stderr_text()}"
            )

    async def connect(self, ports):
        """Wait for the kernel's sockets, open each without following links, and point the grader's
        ipc addresses (``<private>/k-<port>``) at them."""
        deadline = time.monotonic() + SOCKETS_TIMEOUT_S
        info = await self._info(deadline)
        if "child-pid" not in info:
            self._started("it started")
            raise RuntimeError(f"bwrap did not report the sandbox's process: {self.stderr_text()}")
        self.init = psutil.Process(info["child-pid"])
        host_root = os.stat("/")
        while True:  # until bwrap has moved the sandbox's first process into the sandbox's root
            self._started("it was set up")
            try:
                root = os.open(f"/proc/{self.init.pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:  # it has just ended: bwrap is about to say why
                await self._wait(deadline, "set up")
                continue
            here = os.fstat(root)
            if (here.st_dev, here.st_ino) != (host_root.st_dev, host_root.st_ino) and _has(root, SOCKETS):
                break
            os.close(root)
            await self._wait(deadline, "set up")
        self.root = root
        if self.init.ppid() != self.process.pid:  # the pid was the sandbox's when opened (no reuse)
            raise RuntimeError("the grading kernel's sandbox ended while it was set up")
        folder = _open_beneath(root, SOCKETS)
        try:
            for port in ports:
                while (fd := _open_socket(folder, f"k-{port}")) is None:
                    self._started("the kernel opened its sockets")
                    await self._wait(deadline, "open its sockets")
                self.sockets.append(fd)
                os.symlink(f"/proc/self/fd/{fd}", f"{self.km.ip}-{port}")
        finally:
            os.close(folder)
        self.kernel = min(self.init.children(), key=lambda p: p.create_time())

    async def _info(self, deadline):
        """bwrap's --info-fd JSON (``child-pid``), read without blocking the event loop or needing a
        thread (a grading process may be a fork of one whose threads are gone); {} if bwrap wrote none."""
        os.set_blocking(self.info, False)
        data = b""
        try:
            while b"}" not in data:
                try:
                    chunk = os.read(self.info, 4096)
                except BlockingIOError:
                    self._started("it started")
                    await self._wait(deadline, "start")
                    continue
                if not chunk:
                    break  # bwrap closed it without a word
                data += chunk
        finally:
            os.close(self.info)
        try:
            return json.loads(data or b"{}")
        except ValueError:
            return {}

    @staticmethod
    async def _wait(deadline, what):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the grading kernel did not {what} in {SOCKETS_TIMEOUT_S} s")
        await asyncio.sleep(START_POLL_S)

    # --- processes -------------------------------------------------------------------------------------
    def strays(self):
        """Processes alive in the sandbox's PID namespace besides its first process and the kernel.

        One listing of the sandbox's own /proc; only when it shows more, each one's state is read
        (a stopped process stays a zombie until its parent reaps it: it runs nothing).
        """
        if self.root is None:
            return 0
        proc = f"/proc/self/fd/{self.root}/proc"
        try:
            pids = [name for name in os.listdir(proc) if name.isdigit()]
        except OSError:
            return 0  # the sandbox is gone
        if len(pids) <= 2:
            return 0
        return sum(1 for pid in pids if pid not in ("1", "2") and _alive(f"{proc}/{pid}/stat"))

    def stop_strays(self):
        if not self.strays():
            return 0
        seen = set()
        for _ in range(STOP_ROUNDS):
            try:
                others = [p for p in self.init.children(recursive=True) if p != self.kernel and _running(p)]
            except psutil.NoSuchProcess:
                return len(seen)
            if not others:
                return len(seen)
            for process in others:
                seen.add(process.pid)
                try:
                    process.kill()
                except psutil.NoSuchProcess:
                    pass
            time.sleep(STOP_WAIT_S)
        return -1

    def close(self):
        for fd in [*self.sockets, *self.fds, *([self.root] if self.root is not None else [])]:
            try:
                os.close(fd)
            except OSError:
                pass
        self.sockets, self.fds, self.root = [], [], None
        shutil.rmtree(self.private, ignore_errors=True)


#: Rounds of killing a sandbox's stray processes before giving up (then the kernel is restarted), and
#: the seconds each round waits for them to end.
STOP_ROUNDS = 20
STOP_WAIT_S = 0.01


def _alive(stat_path):
    """Whether the process of a /proc/<pid>/stat file runs (it exists and is not a zombie)."""
    try:
        with open(stat_path) as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _running(process):
    try:
        return process.status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return False


def _bound_messages(context):
    """Make the grader's sockets of ``context`` drop a kernel that sends a message too large to hold:
    what a kernel sends is the student's, and the grader's memory is every student's."""
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)


def _folder_name(folder):
    """The name of the kernel's working folder inside the sandbox: the host folder's, made safe."""
    name = os.path.basename(os.path.normpath(folder)) if folder else ""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return safe or "work"


def _open_beneath(root, path):
    """Open the folder ``path`` under the folder ``root`` (a descriptor), following no link on the way."""
    fd = os.dup(root)
    for part in path.strip("/").split("/"):
        try:
            child = os.open(part, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        finally:
            os.close(fd)
        fd = child
    return fd


def _has(root, path):
    try:
        os.close(_open_beneath(root, path))
        return True
    except OSError:
        return False


def _open_socket(folder, name):
    """The socket ``name`` in ``folder``, opened O_PATH without following a link; None until it is there."""
    try:
        fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    except FileNotFoundError:
        return None
    if not stat.S_ISSOCK(os.fstat(fd).st_mode):
        os.close(fd)
        raise RuntimeError(f"the grading kernel's {name} is not a socket")
    return fd
