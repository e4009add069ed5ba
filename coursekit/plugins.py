"""nbgrader's extension points, as nbgrader_config.py plugs them into nbgrader's own pipelines.

- release (GenerateAssignment): ``StarterCode`` right after ClearSolutions;
- autograde, sanitizing (Autograde.sanitize_preprocessors): ``ForgetForeignMetadata`` right after
  DeduplicateIds; executing (Autograde.autograde_preprocessors): nbgrader's Execute replaced by
  ``coursekit.kernel.execute.GuardedExecute``, followed by ``coursekit.inert.InertOutputs``;
- feedback (GenerateFeedback): ClearHiddenTests and ``ConciseErrors`` right after GetGrades;
- the exchange (ExchangeFactory.submit, .collect): ``PrivateSubmit``, ``SafeCollect``.

``inserted_after`` and ``replaced`` build those pipelines from nbgrader's defaults (e.g.
``GenerateAssignment.class_traits()["preprocessors"].default()``), so that a step nbgrader adds in a
later release is kept; they fail loudly if the step they anchor on is gone.
"""

import os
import stat

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from coursekit import submission


def inserted_after(steps, anchor, *new):
    """``steps`` (a pipeline: classes or dotted names) with ``new`` right after each ``anchor``."""
    out = []
    for step in steps:
        out.append(step)
        if _name(step) == _name(anchor):
            out.extend(new)
    if len(out) == len(steps):
        raise ValueError(f"{_name(anchor)} is not in the pipeline {[_name(s) for s in steps]}")
    return out


def replaced(steps, old, new):
    """``steps`` with each ``old`` replaced by ``new``."""
    if not any(_name(step) == _name(old) for step in steps):
        raise ValueError(f"{_name(old)} is not in the pipeline {[_name(s) for s in steps]}")
    return [new if _name(step) == _name(old) else step for step in steps]


def _name(step):
    return (step if isinstance(step, str) else step.__name__).rsplit(".", 1)[-1]


class ConciseErrors(NbGraderPreprocessor):
    """Replace each error's traceback by one line, ``AssertionError: <message>``.

    Applied to feedback: a traceback quotes the failing line of a test cell, which would show
    hidden test code to the student; the assertion message says what to fix without it.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


#: Where a solution cell keeps the code students start from: ``cell.metadata[STARTER_KEY]["starter_code"]``.
STARTER_KEY = "coursekit"


def starter_code(cell):
    """The starter code a source cell carries (a string, dedented), or None.

    The metadata holds either one string or a list of lines (friendlier to edit and to diff).
    """
    code = cell.get("metadata", {}).get(STARTER_KEY, {}).get("starter_code")
    if code is None:
        return None
    return "\n".join(code) if isinstance(code, list) else code


def insert_starter_code(source, code, stub, name="cell"):
    """Replace the one (indented) ``stub`` in ``source`` by ``code``, indented the same way."""
    lines = source.split("\n")
    wanted = [line.strip() for line in stub.split("\n")]
    n = len(wanted)
    found = [i for i in range(len(lines) - n + 1) if [line.strip() for line in lines[i : i + n]] == wanted]
    if len(found) != 1:
        raise RuntimeError(f"{name}: expected one code stub to replace by starter code, found {len(found)}")
    (start,) = found
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    starter = [indent + line if line.strip() else "" for line in code.strip("\n").split("\n")]
    return "\n".join(lines[:start] + starter + lines[start + n :])


class StarterCode(NbGraderPreprocessor):
    """Show students starter code instead of the empty stub, in the solution cells that carry one.

    ClearSolutions replaces a solution region by ``code_stub`` ("YOUR CODE HERE"). A solution cell
    whose metadata holds ``{"coursekit": {"starter_code": ...}}`` gets that code in place of the
    stub instead, indented like the region it replaces, e.g. a function with planted bugs that the
    students find with a gradient check and fix. The source keeps the corrected code inside the
    solution region, so it validates; the metadata entry is removed from the release.

    Runs right after ClearSolutions; ``code_stub`` must equal ClearSolutions' stub (nbgrader_config.py
    sets both from one constant). A cell with starter code must hold exactly one solution region.
    """

    code_stub = Unicode(
        "# YOUR CODE HERE\nraise NotImplementedError()", help="ClearSolutions' code stub for Python"
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        code = starter_code(cell)
        if code is None:
            return cell, resources
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", cell_index)
        if not cell.metadata.get("nbgrader", {}).get("solution") or cell.cell_type != "code":
            raise RuntimeError(f"cell {grade_id}: starter code is only allowed in solution code cells")
        cell.source = insert_starter_code(cell.source, code, self.code_stub, grade_id)
        del cell.metadata[STARTER_KEY]["starter_code"]
        if not cell.metadata[STARTER_KEY]:
            del cell.metadata[STARTER_KEY]
        return cell, resources


class ForgetForeignMetadata(NbGraderPreprocessor):
    """Drop nbgrader metadata that does not belong to a cell of the source notebook.

    A submission can carry a grade cell under an id the source does not have (a student changed
    it), or an emptied ``nbgrader`` entry (nbgrader's DeduplicateIds leaves one on every duplicate of
    a cell). nbgrader 0.9.6's OverwriteCells then fails on the whole notebook (KeyError 'grade_id').
    Made ordinary cells instead, they are harmless, and OverwriteCells restores every missing original
    cell (``add_missing_cells``). Runs after DeduplicateIds, before OverwriteCells.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            source = gradebook.find_notebook(info["notebook"], info["assignment"])
            known = {cell.name for cell in source.source_cells}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is not None and meta.get("grade_id") not in known:
                self.log.warning("Dropping nbgrader metadata the source does not have: %s", meta)
                del cell.metadata["nbgrader"]
        return nb, resources


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's exchange with submissions that other students cannot read.

    nbgrader's default ``submit`` leaves each submission in the exchange's inbound folder readable by
    everyone (files 0644, the folder 0777); only the folder's unguessable name hides it. This takes the
    permissions for "others" away, so only the student and the graders' group can read it.

    It needs the inbound folder to belong to the graders' group with the set-group-ID bit, so that new
    submissions inherit that group (the instructor, a member of the group, runs once after the first
    ``release_assignment``: ``chgrp <graders> <exchange>/<course>/inbound && chmod 2733 .../inbound``).
    Without that set-up it keeps nbgrader's default permissions, since the instructor could not collect
    otherwise, and says so.
    """

    def do_copy(self, src, dest):
        inbound = os.path.abspath(self.inbound_path)
        if os.path.dirname(os.path.abspath(dest)) != inbound or not os.stat(inbound).st_mode & stat.S_ISGID:
            return super().do_copy(src, dest)
        # copytree ends by copying the student's folder mode onto the new folder, which clears the
        # set-group-ID bit inherited from inbound (a student may not set it back: they are not in the
        # graders' group); the files nbgrader writes next (timestamp.txt, submission_secret.txt) would
        # then get the student's group. So copy into a staging folder and move the entries into a
        # folder made with os.makedirs, which keeps the inherited bit.
        staging = dest + ".staging"
        super().do_copy(src, staging)
        os.makedirs(dest)
        for entry in os.listdir(staging):
            os.rename(os.path.join(staging, entry), os.path.join(dest, entry))
        os.rmdir(staging)
        return None

    def copy_files(self):
        super().copy_files()
        inbound = os.stat(self.inbound_path)
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        if not inbound.st_mode & stat.S_ISGID or inbound.st_gid == os.getgid():
            self.log.warning(
                "inbound folder %s is not set-group-ID to a graders' group: the submission stays readable "
                "by other users of this machine",
                self.inbound_path,
            )
            return
        for dirname, dirnames, filenames in os.walk(dest):
            for filename in filenames:
                os.chmod(os.path.join(dirname, filename), 0o640)
            for sub in dirnames:
                os.chmod(os.path.join(dirname, sub), 0o750)
        # Group-writable so that graders can remove it, as nbgrader intends; closed to others.
        os.chmod(dest, 0o2770)


class SafeCollect(ExchangeCollect):
    """nbgrader's collect, reading each submission as data (``coursekit.submission``).

    nbgrader's own copies the inbound folder with ``shutil.copytree``, which follows symbolic links with
    the graders' rights: a student's link to the instructor's source notebook became a submitted/ copy
    of the solutions, and a named pipe stopped the collect. This copies regular files only, within the
    kit's caps (``SubmissionLimits``), and writes what it left out, and why, into the submission
    (``coursekit.submission.REFUSED_FILE``), which ``make autograde`` explains on the student's page.
    """

    def do_copy(self, src, dest, log=None):
        try:
            snapshot = submission.read(src, submission.SubmissionLimits(parent=self).limits())
        except submission.FolderUnreadable as error:
            snapshot = submission.Snapshot(refused=[submission.Refusal("", error.reason)])
        snapshot.files.pop(submission.REFUSED_FILE, None)  # only this collect writes one
        os.makedirs(dest, exist_ok=True)
        submission.write(snapshot.files, dest)
        if snapshot.refused:
            with open(os.path.join(dest, submission.REFUSED_FILE), "wb") as out:
                out.write(submission.refusals_file(snapshot.refused))
            for refusal in snapshot.refused:
                self.log.warning("%s: %s", src, refusal.message)
