"""nbgrader's Execute preprocessor, hardened for grading submissions one cannot trust.

``GuardedExecute`` replaces ``nbgrader.preprocessors.Execute`` in autograding. On top of it:

- **sandbox**: kernels start through ``coursekit.kernel.sandbox.SandboxedKernelManager`` (bubblewrap, memory
  limit);
- **timeouts**: a cell running longer than ``timeout`` seconds is interrupted and gets the error
  "timed out after N s"; if the kernel does not come back from the interrupt it is restarted as below;
- **dead kernels**: when the kernel dies (``os._exit``, a crash, the memory limit), the cell that
  killed it gets an error saying so, a new kernel re-runs the cells that had run before it (their
  outputs kept as they were), and execution continues with the next cell; each cell is tried once;
- **kernels that do not start**: a kernel that dies before it answers (no cell has run yet, so it is
  never the student's doing) is started again, up to ``start_attempts`` times. jupyter_client picks a
  kernel's TCP ports before the kernel binds them, so two grading processes can pick the same port;
  the loser dies with "Address already in use", and without a retry its whole notebook would score 0;
- **output cap**: a cell's output beyond ``max_output_chars`` characters is dropped, with a note;
- **tamper guard**: before each grade cell the watched functions (numpy, builtins, helpers' checks)
  are restored, and a grade cell during which one was replaced fails (``coursekit.kernel.guard``).
  A kernel in which the guard cannot start (its Python cannot import coursekit) fails every grade
  cell, saying why: without the guard a grade cannot be trusted.
"""

import atexit
import json

from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from coursekit.kernel.sandbox import SandboxedKernelManager

GUARD_INSTALL = "import coursekit.kernel.guard as __guard; __guard.install({limit}); del __guard"
GUARD_RESTORE = (
    "import coursekit.kernel.guard as __guard; __guard.restore(get_ipython().user_ns); del __guard"
)
GUARD_CHECK = "import coursekit.kernel.guard as __guard; print(__import__('json').dumps(__guard.changed())); del __guard"


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
            for index in range(start, len(self.nb.cells)):
                cell = self.nb.cells[index]
                grade = cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade", False)
                guarded = grade and not guard_error
                try:
                    if guarded:
                        await self._silent(GUARD_RESTORE)
                    self._timed_out = False
                    await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
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
                    self._add_error(
                        cell,
                        "KernelDied",
                        "the kernel died while running this cell (os._exit, a crash, or more memory than "
                        "the grading limit); later cells ran in a new kernel",
                    )
                    return index + 1
                survivors.append(index)
        return None

    async def async_start_new_kernel_client(self):
        attempts = max(1, self.start_attempts)
        for attempt in range(1, attempts + 1):
            try:
                return await super().async_start_new_kernel_client()
            except Exception as error:  # nbclient raises RuntimeError, or a timeout
                if attempt == attempts:
                    # nbclient unregisters its exit-time clean-up only after a started kernel; this
                    # one was cleaned up already.
                    atexit.unregister(self._cleanup_kernel)
                    raise
                # nbclient has shut the dead kernel down (and may have dropped its manager); a new
                # kernel gets new ports.
                self.log.warning("the grading kernel did not start (%s); starting another", error)
                if self.km is None:
                    self.km = self.create_kernel_manager()
                await self.async_start_new_kernel()

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
