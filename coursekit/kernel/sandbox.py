"""Kernels that grade a student's notebook without reaching what graders keep private.

nbgrader runs a submission's code with the grader's rights, in the course directory: by default it
could read the source notebooks (solutions, hidden tests), other students' submissions, and
overwrite gradebook.db. ``SandboxedKernelManager`` starts the kernel inside bubblewrap (``bwrap``,
Debian's ``bubblewrap`` package) with:

- the whole file system read-only, and the course directory (and the repository, and the nbgrader
  exchange) replaced by an empty directory, except what the kernel legitimately needs read-only
  and, writable, the folder of the notebook being graded (the student's own copy in autograded/).
  What the kernel needs is asked of the kernel's own Python (the kernelspec's ``argv[0]``), not
  taken from the grading process: where ``helpers`` (with its datasets) and ``coursekit`` (the tamper
  guard) resolve for it, its environment's prefix and its import path. A grading process and a
  kernel may use different installations (another checkout's virtual environment, a server's
  kernel environment); the sandbox shows the kernel's own;
- every capability dropped, a private /tmp, and a memory limit on the kernel's address space
  (``prlimit --as``), so a huge allocation raises MemoryError in that kernel instead of exhausting
  the machine;
- HOME and IPython/matplotlib configuration in a private temporary folder.

Without bwrap on the machine the kernel starts unsandboxed (memory limit still applied) and a warning
says so; ``require = True`` turns that into an error (CI sets it through the tests).
"""

import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

from coursekit import COURSE_ROOT

#: Where nbgrader's exchange keeps every student's submission by default.
DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"


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
    its environment's prefixes and its import path, as the kernel's own Python reports them.

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


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in a bubblewrap sandbox with a memory limit."""

    memory_limit_mb = Integer(2048, help="Address-space limit of the kernel process, in MiB (0: none).").tag(
        config=True
    )
    hidden_paths = List(
        Unicode(),
        help="Directories the kernel must not see (the course directory is always added).",
    ).tag(config=True)
    course_root = Unicode("", help="The course directory; default: the current directory.").tag(config=True)
    require = Bool(False, help="Fail instead of running unsandboxed when bwrap is missing.").tag(config=True)

    def format_kernel_cmd(self, extra_arguments=None):
        # Interrupt through the control channel: a SIGINT to the process group would also reach
        # bwrap, which would exit and take the kernel with it.
        self.kernel_spec.interrupt_mode = "message"
        cmd = super().format_kernel_cmd(extra_arguments)
        python = shutil.which(cmd[0]) or cmd[0]
        if self.memory_limit_mb:
            cmd = ["prlimit", f"--as={self.memory_limit_mb * 1024 * 1024}", "--", *cmd]
        bwrap = bwrap_path()
        if bwrap is None:
            if self.require:
                raise RuntimeError("bwrap (Debian package bubblewrap) is required to sandbox grading kernels")
            self.log.warning("bwrap not found: the grading kernel runs WITHOUT a sandbox")
            return cmd
        workdir = os.path.realpath(self._launch_args.get("cwd") or os.getcwd())
        private = tempfile.mkdtemp(prefix="kernel-home-")
        self._private_home = private
        env = {
            "HOME": private,
            "IPYTHONDIR": os.path.join(private, ".ipython"),
            "MPLCONFIGDIR": os.path.join(private, ".matplotlib"),
            "TMPDIR": "/tmp",
        }
        setenv = [arg for key, value in env.items() for arg in ("--setenv", key, value)]
        env = {**(self._launch_args.get("env") or os.environ), **(self.kernel_spec.env or {})}
        needed = kernel_paths(python, tuple(sorted(env.items())))
        return [bwrap, *self.sandbox_arguments(workdir, private, needed), *setenv, "--", *cmd]

    def sandbox_arguments(self, workdir, private, needed=()):
        """bwrap arguments: what the kernel sees of the file system.

        ``needed``: folders the kernel reads (``kernel_paths``); those inside a hidden folder are
        shown again, read-only, unless that would show a hidden folder itself.
        """
        course_root = os.path.realpath(self.course_root or os.getcwd())
        hidden = {"/tmp", course_root, str(COURSE_ROOT), DEFAULT_EXCHANGE, *self.hidden_paths}
        # The checkout a package comes from (an editable install) holds source notebooks too.
        hidden |= {str(Path(p).parent) for p in needed if (Path(p).parent / "nbgrader_config.py").exists()}
        # Sorted, a parent comes before its children: an empty tmpfs first, re-binds inside it after.
        hidden = sorted(os.path.realpath(p) for p in hidden if os.path.isdir(p))
        args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        for path in hidden:
            args += ["--tmpfs", path]
        for path in sorted(needed):
            inside = any(path.startswith(h + os.sep) for h in hidden)
            uncovers = any(h == path or h.startswith(path + os.sep) for h in hidden)
            if inside and not uncovers:
                args += ["--ro-bind", path, path]
        args += ["--bind", workdir, workdir, "--bind", private, private]
        connection_file = os.path.realpath(self.connection_file)
        args += ["--ro-bind", connection_file, connection_file]
        args += ["--chdir", workdir, "--cap-drop", "ALL", "--die-with-parent"]
        return args

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        home = getattr(self, "_private_home", None)
        if home:
            shutil.rmtree(home, ignore_errors=True)
