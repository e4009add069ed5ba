"""Static scan of submissions for code that tries to fake a grade or reach private data.

The scan reads every code cell of every submitted notebook and reports, per cell, what looks like
tampering: reassigning numpy/builtins/helpers functions, shadowing builtins or ``np``, reaching into
the kernel (``get_ipython``, ``sys.modules``, frames, ``ctypes``), killing the process, running
programs, touching files outside the submission, or editing a locked test cell. A finding is a reason
for an instructor to look, not a verdict; the autograder's guard and sandbox act independently.
"""

import ast
import builtins
import csv
import re

import nbformat

from coursekit.course import source_folder, submitted_folder, submitted_students

WATCHED_MODULES = {
    "np",
    "numpy",
    "builtins",
    "__builtins__",
    "helpers",
    "checks",
    "spec",
    "math",
    "copy",
    "inspect",
}
SUSPICIOUS_CALLS = {
    "get_ipython": "reaches into the IPython kernel",
    "_getframe": "inspects interpreter frames",
    "currentframe": "inspects interpreter frames",
    "get_objects": "walks the garbage collector's objects",
    "_exit": "kills the kernel process",
    "kill": "sends signals to processes",
    "system": "runs a shell command",
    "Popen": "runs a program",
    "run": None,  # too common (e.g. run_checks is a different name); see below
    "reload": "reloads a module",
    "__import__": "imports a module dynamically",
}
SUSPICIOUS_IMPORTS = {"ctypes", "subprocess", "signal", "gc", "inspect", "importlib", "sys"}
PRIVATE_PATH = re.compile(r"gradebook|submitted|autograded|notebooks/|\.\./|exchange|/home/|\.db\b")
BUILTIN_NAMES = set(dir(builtins)) - {"_", "__name__", "__doc__"}
CELL_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def _target_names(target):
    if isinstance(target, ast.Attribute):
        base = target.value
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name):
            yield "attribute", f"{ast.unparse(target)}", base.id
    elif isinstance(target, ast.Name):
        yield "name", target.id, target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Subscript):
        base = target.value
        if (
            isinstance(base, ast.Call)
            and isinstance(base.func, ast.Name)
            and base.func.id in {"vars", "globals"}
        ):
            yield "attribute", ast.unparse(target), "builtins"


def scan_code(source):
    """Findings (one short sentence each) for one code cell's source."""
    findings = []
    try:
        tree = ast.parse(CELL_MAGIC.sub("", source))
    except SyntaxError:
        return findings
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            for kind, text, base in _target_names(target):
                if kind == "attribute" and base in WATCHED_MODULES:
                    findings.append(f"reassigns {text}")
                elif kind == "name" and text in BUILTIN_NAMES:
                    findings.append(f"shadows the builtin {text}")
                elif kind == "name" and text == "np" and not isinstance(node, ast.Delete):
                    findings.append("rebinds np")
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else None
            )
            if name == "setattr" and node.args:
                findings.append(f"setattr on {ast.unparse(node.args[0])}")
            elif name in {"open", "listdir", "scandir", "walk", "glob", "rmtree", "remove", "unlink"}:
                text = ast.unparse(node)
                if PRIVATE_PATH.search(text):
                    findings.append(f"touches a private path: {text[:80]}")
            elif SUSPICIOUS_CALLS.get(name):
                findings.append(f"{SUSPICIOUS_CALLS[name]} ({name})")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            )
            for module in modules:
                if module.split(".")[0] in SUSPICIOUS_IMPORTS:
                    findings.append(f"imports {module}")
    return sorted(set(findings))


def scan_notebook(nb, source=None):
    """[(cell index, finding)] for a submitted notebook; ``source`` flags edited locked test cells."""
    originals = {}
    if source is not None:
        originals = {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in source.cells
            if c.metadata.get("nbgrader", {}).get("grade")
        }
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in originals:
            if cell.source.strip() != originals[grade_id].strip():
                found.append((index, f"edits the locked test cell {grade_id}"))
            continue  # the test cell is replaced by the original before grading
        found.extend((index, finding) for finding in scan_code(cell.source))
    return found


def scan_submissions(root, assignments, report_path):
    """Write ``report_path`` (CSV: student, assignment, notebook, cell, finding); return the rows."""
    rows = []
    for assignment in assignments:
        sources = {
            p.name: nbformat.read(p, as_version=4) for p in source_folder(assignment, root).glob("*.ipynb")
        }
        for student in submitted_students(assignment, root):
            for path in sorted(submitted_folder(student, assignment, root).glob("*.ipynb")):
                try:
                    nb = nbformat.read(path, as_version=4)
                except Exception:  # noqa: BLE001,S112 -- unreadable notebooks are reported by the grader
                    continue
                for index, finding in scan_notebook(nb, sources.get(path.name)):
                    rows.append([student, assignment, path.name, index, finding])
    with open(report_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "notebook", "cell", "finding"])
        writer.writerows(rows)
    return rows
