"""Tamper guard, installed in a grading kernel before any student code runs.

Test cells compare results with numpy functions, builtins and plain ``assert``. A submission could
reassign those (``np.allclose = lambda *a, **k: True``, ``builtins.abs = ...``) or shadow them in the
notebook's namespace (``np = ...``) so that a wrong solution passes. ``install`` snapshots the watched
modules; the grader calls ``restore`` before each test cell and ``changed`` after it, and fails a test
cell during which a watched function was replaced.

``assert`` itself cannot be faked by rebinding ``AssertionError``: the statement raises the builtin
class directly. A determined student controls the kernel process, so this is defence in depth: the
static scan of ``coursekit.tamper`` lists suspicious submissions for manual review.
"""

import builtins

import numpy
import numpy.linalg
import numpy.testing

import coursekit.kernel.testing
import helpers.checks

WATCHED = {
    "builtins": builtins,
    "numpy": numpy,
    "numpy.testing": numpy.testing,
    "numpy.linalg": numpy.linalg,
    "helpers.checks": helpers.checks,
    "coursekit.kernel.testing": coursekit.kernel.testing,  # what hidden test cells may share
}
#: Names the notebooks import that a test cell relies on: restored in the user namespace too.
NAMESPACE = {"np": numpy}
#: Builtins the kernel itself swaps on every execution (ipykernel routes input() to the front end).
KERNEL_MANAGED = {"input", "raw_input", "getpass", "display", "get_ipython", "exit", "quit"}

_snapshots = {}
_written = {"chars": 0}


def install(max_output_chars=None):
    """Snapshot the watched modules (call once, before any student code runs).

    With ``max_output_chars``, each cell's printed output (stdout and stderr together) is cut after
    that many characters, in the kernel itself: a cell printing 100 MB costs the grader nothing.
    """
    for name, module in WATCHED.items():
        _snapshots[name] = {k: v for k, v in vars(module).items() if k not in KERNEL_MANAGED}
    if max_output_chars:
        _cap_output(max_output_chars)


def _cap_output(limit):
    import sys

    from IPython import get_ipython

    note = f"\n[output truncated: this cell printed more than {limit} characters]\n"

    def capped(write):
        def capped_write(text, *args, **kwargs):
            used = _written["chars"]
            _written["chars"] = used + len(text)
            if used + len(text) <= limit:
                return write(text, *args, **kwargs)
            if used <= limit:
                write(text[: max(0, limit - used)] + note)
            return len(text)

        return capped_write

    def on_cell_start(*args):
        # IPython wraps each stream's write anew for every cell and unwraps it afterwards, so the
        # cap goes on top of its wrapper at the start of every cell.
        _written["chars"] = 0
        for stream in (sys.stdout, sys.stderr):
            stream.write = capped(stream.write)

    get_ipython().events.register("pre_run_cell", on_cell_start)


def restore(user_ns):
    """Undo changes to the watched modules and to the names test cells rely on in ``user_ns``."""
    for name, module in WATCHED.items():
        current = vars(module)
        for key, value in _snapshots[name].items():
            if current.get(key) is not value:
                setattr(module, key, value)
    for key, value in NAMESPACE.items():
        if key in user_ns:
            user_ns[key] = value
    # A global named like a builtin (abs = ..., len = ...) hides the builtin from test cells.
    for key in [k for k in user_ns if k in _snapshots["builtins"] and not k.startswith("_")]:
        del user_ns[key]


def changed():
    """Names of watched functions that differ from their snapshot (empty when untouched)."""
    found = []
    for name, module in WATCHED.items():
        current = vars(module)
        for key, value in _snapshots[name].items():
            if current.get(key) is not value:
                found.append(f"{name}.{key}")
    return found
