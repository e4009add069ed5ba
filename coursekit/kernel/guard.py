"""Tamper guard, installed in a grading kernel before any student code runs.

Test cells compare results with numpy functions, builtins and plain ``assert``. A submission could
reassign those (``np.allclose = lambda *a, **k: True``, ``builtins.abs = ...``) or shadow them in the
notebook's namespace (``np = ...``) so that a wrong solution passes. ``install`` snapshots the watched
modules and the course's own (``helpers``: the checks engine and the exercises' specifications, which
the locked test cells import); the grader calls ``restore`` before each test cell and ``changed`` after
it, and fails a test cell during which a watched function was replaced. Restoring covers a module's
attributes, its entry in ``sys.modules``, and for the course's modules their functions' code and
defaults (a specification's visible values) and their classes' attributes.

``assert`` itself cannot be faked by rebinding ``AssertionError``: the statement raises the builtin
class directly. A determined student controls the kernel process, so this is defence in depth: the
static scan of ``coursekit.tamper`` lists suspicious submissions for manual review.
"""

import builtins
import contextlib
import copy
import importlib
import inspect
import pkgutil
import sys
import types

import numpy
import numpy.linalg
import numpy.testing

#: Modules test cells rely on, whatever the course: their attributes are restored.
WATCHED = {
    "builtins": builtins,
    "numpy": numpy,
    "numpy.testing": numpy.testing,
    "numpy.linalg": numpy.linalg,
    # what the checks engine (helpers.checks) calls: copies, signatures, contexts
    "copy": copy,
    "inspect": inspect,
    "contextlib": contextlib,
}
#: The course's package: the checks engine and every exercise's specification (helpers/specs/), which
#: the locked test cells import, and whatever helpers module they use. ``install`` imports them and
#: watches every ``helpers`` module then loaded: their attributes, their functions' code and defaults,
#: their classes' attributes, and their entries in ``sys.modules``.
COURSE_PACKAGES = ("helpers.checks", "helpers.specs")
#: Names the notebooks import that a test cell relies on: restored in the user namespace too.
NAMESPACE = {"np": numpy}
#: Builtins the kernel itself swaps on every execution (ipykernel routes input() to the front end).
KERNEL_MANAGED = {"input", "raw_input", "getpass", "display", "get_ipython", "exit", "quit"}

_snapshots = {}
_modules = {}
_internals = {}
_written = {"chars": 0}


def _course_modules():
    """The course's modules a test cell may rely on, imported: {name: module}."""
    for package in COURSE_PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__, package + "."):
            importlib.import_module(info.name)
    return {
        name: module
        for name, module in sorted(sys.modules.items())
        if (name == "helpers" or name.startswith("helpers.")) and isinstance(module, types.ModuleType)
    }


def _internals_of(module):
    """{(owner, attribute): value} of what lives inside a course module's functions and classes."""
    found = {}
    for value in vars(module).values():
        if getattr(value, "__module__", None) != module.__name__:
            continue  # imported from elsewhere: watched where it is defined
        if isinstance(value, types.FunctionType):
            for attribute in ("__code__", "__defaults__", "__kwdefaults__"):
                found[(value, attribute)] = getattr(value, attribute)
        elif isinstance(value, type):
            for key, member in vars(value).items():
                if key not in {"__dict__", "__weakref__"}:
                    found[(value, key)] = member
    return found


def install(max_output_chars=None):
    """Snapshot the watched modules (call once, before any student code runs).

    With ``max_output_chars``, each cell's printed output (stdout and stderr together) is cut after
    that many characters, in the kernel itself: a cell printing 100 MB costs the grader nothing.
    """
    _modules.update(WATCHED)
    _modules.update(_course_modules())
    for name, module in _modules.items():
        _snapshots[name] = {k: v for k, v in vars(module).items() if k not in KERNEL_MANAGED}
        if name.startswith("helpers"):
            _internals.update(_internals_of(module))
    if max_output_chars:
        _cap_output(max_output_chars)


def _cap_output(limit):
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
    for name, module in _modules.items():
        if name in sys.modules and sys.modules[name] is not module:
            sys.modules[name] = module
        current = vars(module)
        for key, value in _snapshots[name].items():
            if current.get(key) is not value:
                setattr(module, key, value)
    for (owner, attribute), value in _internals.items():
        if _current(owner, attribute) is not value:
            setattr(owner, attribute, value)
    for key, value in NAMESPACE.items():
        if key in user_ns:
            user_ns[key] = value
    # A global named like a builtin (abs = ..., len = ...) hides the builtin from test cells.
    for key in [k for k in user_ns if k in _snapshots["builtins"] and not k.startswith("_")]:
        del user_ns[key]


def _current(owner, attribute):
    return vars(owner).get(attribute) if isinstance(owner, type) else getattr(owner, attribute)


def changed():
    """Names of watched functions that differ from their snapshot (empty when untouched)."""
    found = []
    for name, module in _modules.items():
        if name in sys.modules and sys.modules[name] is not module:
            found.append(f"sys.modules[{name!r}]")
        current = vars(module)
        for key, value in _snapshots[name].items():
            if current.get(key) is not value:
                found.append(f"{name}.{key}")
    for (owner, attribute), value in _internals.items():
        if _current(owner, attribute) is not value:
            found.append(f"{owner.__module__}.{owner.__qualname__}.{attribute}")
    return found
