"""Kernels that grade a student's notebook without reaching what graders keep private.

nbgrader runs a submission's code with the grader's rights, in the course directory: by default it
could read the source notebooks (solutions, hidden tests), other students' submissions, and
overwrite gradebook.db. ``SandboxedKernelManager`` starts the kernel inside bubblewrap (``bwrap``,
Debian's ``bubblewrap`` package) with:

- the whole file system read-only, and the course directory (and the repository, and the nbgrader
  exchange) replaced by an empty directory, except what the kernel legitimately needs read-only
  (the helpers package, the shipped datasets, the virtual environment) and, writable, the folder of
  the notebook being graded (the student's own copy in autograded/);
- every capability dropped, a private /tmp, and a memory limit on the kernel's address space
  (``prlimit --as``), so a huge allocation raises MemoryError in that kernel instead of exhausting
  the machine;
- HOME and IPython/matplotlib configuration in a private temporary folder.

Without bwrap on the machine the kernel starts unsandboxed (memory limit still applied) and a warning
says so; ``require = True`` turns that into an error (CI sets it through the tests).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

import coursekit
import helpers
from helpers.datasets import DATASETS_DIR

#: Where nbgrader's exchange keeps every student's submission by default.
DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"


def bwrap_path():
    return shutil.which("bwrap")


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
        return [bwrap, *self.sandbox_arguments(workdir, private), *setenv, "--", *cmd]

    def sandbox_arguments(self, workdir, private):
        """bwrap arguments: what the kernel sees of the file system."""
        course_root = os.path.realpath(self.course_root or os.getcwd())
        hidden = {"/tmp", course_root, str(coursekit.COURSE_ROOT), DEFAULT_EXCHANGE, *self.hidden_paths}
        # Sorted, a parent comes before its children: an empty tmpfs first, re-binds inside it after.
        hidden = sorted(os.path.realpath(p) for p in hidden if os.path.isdir(p))
        # Needed read-only inside a hidden folder: helpers, its data, the Python environment.
        needed = [
            Path(helpers.__file__).resolve().parent,
            Path(coursekit.__file__).resolve().parent,  # the tamper guard runs in the kernel
            DATASETS_DIR.resolve(),
            Path(sys.prefix).resolve(),
        ]
        args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        for path in hidden:
            args += ["--tmpfs", path]
        for path in needed:
            if any(str(path).startswith(h + os.sep) or str(path) == h for h in hidden):
                args += ["--ro-bind", str(path), str(path)]
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
