"""nbgrader's Execute preprocessor, hardened for grading submissions one cannot trust.

``GuardedExecute`` replaces ``nbgrader.preprocessors.Execute`` in autograding. On top of it:

- **sandbox**: kernels start through ``coursekit.kernel.sandbox.SandboxedKernelManager`` (bubblewrap: no
  network, no other process, no file of the host but its Python, bounded memory, disk, processes and
  CPU time); grading refuses to start without bwrap unless ``sandbox = False``;
- **limits, explained**: a cell that fails on one of the sandbox's limits (MemoryError, a full disk,
  no process left, the CPU time) gets a line saying which limit it hit, e.g. "your code wrote more than
  200 MB"; processes a cell leaves running in the background are stopped after it, and the cell says
  so: a cell's processes end with it;
- **timeouts**: a cell running longer than ``timeout`` seconds is interrupted and gets the error
  "timed out after N s"; if the kernel does not come back from the interrupt it is restarted as below;
- **dead kernels**: when the kernel dies (``os._exit``, a crash, the memory or CPU limit), the cell
  that killed it gets an error saying so, a new kernel re-runs the cells that had run before it (their
  outputs kept as they were), and execution continues with the next cell; each cell is tried once;
- **kernels that do not start**: a kernel that dies before it answers (no cell has run yet, so it is
  never the student's doing) is started again, up to ``start_attempts`` times;
- **output cap**: a cell's output beyond ``max_output_chars`` characters is dropped, with a note;
- **tamper guard**: before each grade cell the watched functions (numpy, builtins, helpers' checks)
  are restored, and a grade cell during which one was replaced fails (``coursekit.kernel.guard``).
  A kernel in which the guard cannot start (its Python cannot import coursekit) fails every grade
  cell, saying why: without the guard a grade cannot be trusted.

What the kernel printed is made inert afterwards, by the next step of the pipeline
(``coursekit.inert.InertOutputs``).
"""

import atexit
import json

from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, default

from coursekit.kernel.sandbox import SandboxedKernelManager

GUARD_INSTALL = "import coursekit.kernel.guard as __guard; __guard.install({limit}); del __guard"
GUARD_RESTORE = (
    "import coursekit.kernel.guard as __guard; __guard.restore(get_ipython().user_ns); del __guard"
)
GUARD_CHECK = "import coursekit.kernel.guard as __guard; print(__import__('json').dumps(__guard.changed())); del __guard"


#: A cell's error that means it hit one of the sandbox's limits: (test on its ename and evalue and on
#: whether the cell left processes behind, limit). EAGAIN is a process limit only for a cell that had
#: started processes (a non-blocking socket raises it too).
LIMIT_ERRORS = (
    (lambda ename, evalue, forked: ename == "MemoryError", "memory"),
    (lambda ename, evalue, forked: "[Errno 28]" in evalue, "disk"),  # ENOSPC: the tmpfs is full
    (lambda ename, evalue, forked: ("[Errno 11]" in evalue and forked) or "can't start new thread" in evalue,
     "processes"),
)  # fmt: skip


#: What a student reads when a cell hits a limit: (ename, message), formatted with the sandbox ``km``.
LIMIT_MESSAGES = {
    "memory": (
        "MemoryLimit",
        "this cell used more memory than grading allows ({km.memory_limit_mb} MB per process)",
    ),
    "disk": (
        "DiskLimit",
        "your code wrote more than {km.disk_limit_mb} MB (its folder, /tmp and its home share this limit)",
    ),
    "processes": (
        "ProcessLimit",
        "your code started more than {km.max_processes} processes and threads at once (the limit per submission)",
    ),
    "cpu": (
        "CPULimit",
        (
            "the kernel used more than {km.cpu_limit_s} s of CPU time (the limit per process) and was stopped; "
            "later cells ran in a new kernel"
        ),
    ),
}


def limit_message(limit, km):
    """(ename, message) of a limit the sandbox ``km`` enforces, in the student's terms."""
    ename, message = LIMIT_MESSAGES[limit]
    return ename, message.format(km=km)


def _error_of(reply):
    """'ename: evalue' of a failed execute reply; '' when it succeeded."""
    content = (reply or {}).get("content", {})
    if content.get("status", "ok") == "ok":
        return ""
    return f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"


class GuardedExecute(Execute):
    sandbox = Bool(True, help="Start kernels in the bubblewrap sandbox.").tag(config=True)
    max_output_chars = Integer(100_000, help="Output kept per cell, in characters.").tag(config=True)
    max_restarts = Integer(5, help="Kernel restarts allowed per notebook.").tag(config=True)
    interrupt_grace = Integer(5, help="Seconds a kernel gets to recover from an interrupt.").tag(config=True)
    start_attempts = Integer(3, help="Kernel starts tried before a notebook fails to grade.").tag(config=True)
    # A cell whose kernel never answers after a timeout must not abort the whole notebook.
    raise_on_iopub_timeout = Bool(False).tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.sandbox:
            self.kernel_manager_class = SandboxedKernelManager

    @default("shutdown_kernel")
    def _default_shutdown_kernel(self):
        # A sandbox is thrown away whole (its processes, its tmpfs): nothing a graceful shutdown lets the
        # kernel do is kept, and waiting for it took about a second per notebook.
        return "immediate" if self.sandbox else "graceful"

    @property
    def _sandboxed(self):
        return isinstance(self.km, SandboxedKernelManager)

    # --- execution with recovery from dead kernels -------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        # As nbconvert's ExecutePreprocessor.preprocess, with GuardedExecute's own cell loop.
        NotebookClient.__init__(self, nb, km)
        self._check_assign_resources(resources)
        run_sync(self._execute_all)()
        return self.nb, self.resources

    async def _execute_all(self):
        self.reset_execution_trackers()
        self._output_chars = {}
        survivors, start, restarts = [], 0, 0
        while start is not None:
            start = await self._run_from(start, survivors)
            restarts += 1
            if start is not None and restarts > self.max_restarts:
                for index in range(start, len(self.nb.cells)):
                    self._add_error(self.nb.cells[index], "KernelDied", "not run: the kernel died too often")
                break
        return self.nb

    async def _run_from(self, start, survivors):
        """Run cells from ``start`` in a fresh kernel; return where to restart, or None when done."""
        async with self.async_setup_kernel():
            reply = await self._silent(GUARD_INSTALL.format(limit=self.max_output_chars), reply=True)
            guard_error = _error_of(reply)
            for index in list(survivors):
                try:
                    await self._silent(self.nb.cells[index].source)
                except DeadKernelError:
                    survivors.remove(index)  # it killed the kernel this time: leave it out
                    return start
            if survivors and self._sandboxed and self.km.stop_strays() < 0:
                return start  # what the replayed cells left running outran the kills
            for index in range(start, len(self.nb.cells)):
                cell = self.nb.cells[index]
                grade = cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade", False)
                guarded = grade and not guard_error
                try:
                    if guarded:
                        await self._silent(GUARD_RESTORE)
                    self._timed_out = False
                    await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
                    stopped = self._stop_strays(cell) if self._sandboxed else 0
                    self._explain_limits(cell, forked=stopped != 0)
                    if stopped < 0:
                        self._kernel_stuck = True
                    if self._kernel_stuck:
                        self._kernel_stuck = False
                        return index + 1
                    if guarded:
                        self._fail_if_tampered(cell, await self._silent(GUARD_CHECK, output=True))
                    elif grade:
                        self._add_error(
                            cell,
                            "GuardError",
                            f"the tamper guard did not start in the grading kernel: {guard_error}",
                        )
                    if self._timed_out:
                        continue  # replaying it after a restart would only time out again
                except DeadKernelError:
                    if self._sandboxed and self.km.death_cause() == "cpu":
                        self._add_error(cell, *limit_message("cpu", self.km))
                    else:
                        self._add_error(
                            cell,
                            "KernelDied",
                            "the kernel died while running this cell (os._exit, a crash, or more memory than "
                            "the grading limit); later cells ran in a new kernel",
                        )
                    return index + 1
                survivors.append(index)
        return None

    async def async_start_new_kernel(self, **kwargs):
        # A sandbox that ends before the kernel opens its sockets fails here, a kernel that dies
        # before it answers in async_start_new_kernel_client: both are started again.
        attempts = max(1, self.start_attempts)
        for attempt in range(1, attempts + 1):
            try:
                return await super().async_start_new_kernel(**kwargs)
            except Exception as error:  # noqa: BLE001 -- whatever stopped it, a new kernel may start
                await self._start_failed(attempt, attempts, error)

    async def async_start_new_kernel_client(self):
        attempts = max(1, self.start_attempts)
        for attempt in range(1, attempts + 1):
            try:
                return await super().async_start_new_kernel_client()
            except Exception as error:  # noqa: BLE001 -- nbclient raises RuntimeError, or a timeout
                await self._start_failed(attempt, attempts, error)
                await self.async_start_new_kernel()
        return None

    async def _start_failed(self, attempt, attempts, error):
        """After a failed start: drop what is left of the kernel, then raise after the last attempt."""
        if self.km is not None:
            try:
                if self.km.has_kernel:
                    await ensure_async(self.km.shutdown_kernel(now=True))
            finally:
                await ensure_async(self.km.cleanup_resources())
        if attempt == attempts:
            # nbclient unregisters its exit-time clean-up only after a started kernel; this one is
            # cleaned up already.
            atexit.unregister(self._cleanup_kernel)
            raise error
        self.log.warning("the grading kernel did not start (%s); starting another", error)
        self.km = self.create_kernel_manager()

    async def _silent(self, code, output=False, reply=False):
        """Run code in the kernel without recording anything; return its stdout, or its reply, when asked."""
        msg_id = await ensure_async(self.kc.execute(code, silent=not output, store_history=False))
        text = []
        if output:
            while True:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.timeout or 30))
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    text.append(msg["content"]["text"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
        answer = await self.async_wait_for_reply(msg_id)
        return answer if reply else "".join(text)

    def _explain_limits(self, cell, forked):
        """Say which of the sandbox's limits a failed cell hit, once per limit (``forked``: the cell
        left processes behind)."""
        if not self._sandboxed or cell.cell_type != "code":
            return
        hit = []
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            ename, evalue = str(output.get("ename", "")), str(output.get("evalue", ""))
            hit += [limit for test, limit in LIMIT_ERRORS if test(ename, evalue, forked) and limit not in hit]
        for limit in hit:
            self._add_error(cell, *limit_message(limit, self.km))

    def _stop_strays(self, cell):
        """Stop the processes a cell left running; say so on the cell. -1: they outran the kills."""
        stopped = self.km.stop_strays()  # 0 at once (one look at the sandbox's /proc) when none is left
        if stopped:
            left = "more than could be stopped; the kernel was restarted" if stopped < 0 else "stopped"
            count = f"{stopped} " if stopped > 0 else ""
            self._add_error(
                cell,
                "BackgroundProcesses",
                f"this cell left {count}process(es) running in the background: {left} (a cell's processes "
                "end with it)",
            )
        return stopped

    def _fail_if_tampered(self, cell, report):
        try:
            replaced = json.loads(report.strip().splitlines()[-1]) if report.strip() else []
        except (ValueError, IndexError):
            replaced = ["(the guard's report was unreadable)"]
        if replaced:
            self._add_error(
                cell, "TamperError", f"replaced during this test: {', '.join(replaced[:5])}; scored 0"
            )

    @staticmethod
    def _add_error(cell, ename, evalue):
        cell.setdefault("outputs", []).append(
            new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
        )

    # --- timeouts -----------------------------------------------------------------------------
    _kernel_stuck = False
    _timed_out = False

    async def _async_handle_timeout(self, timeout, cell=None):
        self.log.error("Cell timed out after %s s; interrupting the kernel", timeout)
        self._timed_out = True
        await ensure_async(self.km.interrupt_kernel())
        try:
            msg_id = await ensure_async(self.kc.kernel_info())
            reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=self.interrupt_grace))
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=self.interrupt_grace))
        except Exception:  # noqa: BLE001 -- no answer in time: restart after this cell
            self._kernel_stuck = True
        return {
            "content": {
                "status": "error",
                "ename": "CellTimeoutError",
                "evalue": f"timed out after {timeout} s",
                "traceback": [f"CellTimeoutError: timed out after {timeout} s"],
            }
        }

    # --- output cap ---------------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}).get("text") or msg.get("content", {}).get("data", "")))
        used = self._output_chars.get(cell_index, 0)
        self._output_chars[cell_index] = used + size
        if used + size > self.max_output_chars:
            if used <= self.max_output_chars:
                note = f"[output truncated: this cell printed more than {self.max_output_chars} characters]\n"
                outs.append(new_output("stream", name="stdout", text=note))
            return None
        return super().output(outs, msg, display_id, cell_index)
