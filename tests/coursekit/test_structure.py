"""coursekit's structure: an import graph without cycles, and nothing happening at import time."""

import ast
import json
import os
import re
import subprocess
import sys

from tests.support import REPO

PACKAGE = REPO / "coursekit"


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name):
    """The coursekit modules that module ``name`` imports anywhere in its code, lazily or not.

    (Importing a module also imports its packages' ``__init__``; those import nothing of coursekit,
    which ``test_the_package_and_the_kernels_guard_import_nothing_of_coursekit`` checks.)
    """
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{name}: coursekit imports absolutely (from coursekit.x import y)"
            # "from coursekit import course" imports the module coursekit.course
            full = [f"{node.module}.{alias.name}" for alias in node.names]
            targets = [t if t in MODULES else node.module for t in full]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: imports(name) for name in MODULES}


def find_cycle(graph):
    """One cycle of ``graph`` as a list of nodes, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for successor in sorted(graph[node]):
            if state.get(successor) == "open":
                return stack[stack.index(successor) :] + [successor]
            if successor not in state:
                cycle = visit(successor)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_import_graph_sees_every_kind_of_import():
    assert "coursekit.course" in GRAPH["coursekit.autograde"]  # from coursekit import course
    assert "coursekit.workers" in GRAPH["coursekit.autograde"]
    assert "coursekit.kernel.sandbox" in GRAPH["coursekit.kernel.execute"]


def test_coursekit_has_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_package_and_the_kernels_guard_import_nothing_of_coursekit():
    assert GRAPH["coursekit"] == set()
    assert GRAPH["coursekit.kernel"] == set()
    # The grading kernel imports the guard and nothing else of coursekit (test cells use helpers.checks).
    assert GRAPH["coursekit.kernel.guard"] == set()


def test_tamper_imports_only_the_course():
    assert GRAPH["coursekit.tamper"] <= {"coursekit", "coursekit.course"}


def outside_imports():
    """Every module outside coursekit that a coursekit module imports at its top level."""
    found = set()
    for path in MODULES.values():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                found.add(node.module)
    return sorted(name for name in found if name.split(".")[0] != "coursekit")


def test_importing_changes_nothing_in_the_process():
    # Third-party packages may change warning filters when imported (nbgrader's dependencies do):
    # they are imported first, so that only what coursekit's own code does is measured. PATH lacks
    # this Python's scripts folder, as when the environment is used without being activated.
    code = (
        "import importlib, json, os, warnings\n"
        f"for module in {outside_imports()!r}:\n"
        "    importlib.import_module(module)\n"
        "changed = []\n"
        f"for name in {sorted(n for n in MODULES if not n.endswith('__main__'))!r}:\n"
        "    before = (os.environ.get('PATH'), list(warnings.filters), os.getcwd())\n"
        "    importlib.import_module(name)\n"
        "    if (os.environ.get('PATH'), list(warnings.filters), os.getcwd()) != before:\n"
        "        changed.append(name)\n"
        "print(json.dumps(changed))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 0, result.stderr
    changed = json.loads(result.stdout.strip().splitlines()[-1])
    assert not changed, f"importing these changed PATH, the warning filters or the directory: {changed}"


def test_nbgrader_is_driven_one_way_through_course_nbgrader_api():
    """coursekit calls nbgrader's Python API, made in one place, never its command line (see course.py)."""
    for name, path in MODULES.items():
        text = path.read_text()
        assert not re.search(r"""["']-m["'],\s*["']nbgrader["']""", text), (
            f"{name} runs nbgrader's command line"
        )
        if name != "coursekit.course":
            assert "NbGraderAPI(" not in text, f"{name} makes its own NbGraderAPI: use course.nbgrader_api"
