"""A submission read as data: regular files only, never through a link, within size and time limits.

Whatever a student hands in is read here and nowhere else: the grading service's look at the
exchange's inbound folder (``coursekit.service.inbox``), ``make autograde``'s submitted/
(``coursekit.workers``) and ``nbgrader collect`` (``coursekit.plugins.SafeCollect``). A student can
make a submission folder by hand (they must be able to write the inbound folder for ``nbgrader
submit``), so anything in it may be hostile:

- a symbolic link (e.g. to the instructor's source notebook, which the graders' account can read):
  never followed; every entry is looked at with ``lstat`` and opened with ``O_NOFOLLOW``, relative
  to its folder's descriptor, so that no entry can be swapped for a link between the look and the
  open;
- a named pipe, socket or device: never opened for reading (``O_NONBLOCK``: opening a pipe does not
  wait for a writer), refused;
- a huge or sparse file: its size is checked before a byte is read, and never more than the limit
  is read, per file and per submission;
- a folder with very many entries, very deep, or slow to read: bounded by ``SubmissionLimits``;
- names and contents that are not UTF-8: read as bytes, decoded only for display (``text``).

A refused entry is a ``Refusal`` with a reason for the student; it costs only what needed it (a
refused notebook scores 0, and the page says why). A refusal that may go away (permission denied
while ``nbgrader submit`` is still setting permissions, a file removed while being read) is
``transient``: read the folder again later.
"""

import errno
import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from traitlets import Float, Int
from traitlets.config import LoggingConfigurable

#: Entries nbgrader itself leaves out of a submission (its CourseDirectory.ignore), skipped silently.
IGNORED = frozenset({".ipynb_checkpoints", "__pycache__"})
MB = 1024 * 1024
#: How a file is opened: never through a link, never waiting on a pipe, never becoming a terminal.
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: Bytes read at a time.
_CHUNK = 1024 * 1024
#: Errors after which reading again later may succeed.
_TRANSIENT = frozenset(
    {errno.EACCES, errno.EPERM, errno.ENOENT, errno.EAGAIN, errno.EINTR, errno.EIO, errno.ENOMEM,
     errno.EMFILE, errno.ENFILE, errno.ESTALE}
)  # fmt: skip
_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class SubmissionLimits(LoggingConfigurable):
    """What one submission may hold, for every reader of submissions (``coursekit.submission``)."""

    max_file_mb = Float(
        20.0, help="Largest file read from a submission, in MiB; a larger one is refused."
    ).tag(config=True)
    max_submission_mb = Float(
        50.0, help="Most bytes read from one submission, in MiB; files beyond it are refused."
    ).tag(config=True)
    max_entries = Int(
        500, help="Most files and folders read from one submission; entries beyond it are refused."
    ).tag(config=True)
    max_depth = Int(8, help="Deepest folder read in a submission; deeper ones are refused.").tag(config=True)
    max_read_seconds = Float(
        10.0, help="Time budget for reading one submission; what is left when it runs out is refused."
    ).tag(config=True)

    def limits(self):
        """These settings as a plain, picklable Limits."""
        return Limits(
            int(self.max_file_mb * MB),
            int(self.max_submission_mb * MB),
            self.max_entries,
            self.max_depth,
            self.max_read_seconds,
        )


@dataclass(frozen=True)
class Limits:
    """Caps on one read (see ``SubmissionLimits``): bytes per file, bytes in all, entries, depth, seconds."""

    file_bytes: int = int(20 * MB)
    submission_bytes: int = int(50 * MB)
    entries: int = 500
    depth: int = 8
    seconds: float = 10.0


#: The defaults of SubmissionLimits.
DEFAULT_LIMITS = Limits()


def limits_of(config):
    """The Limits that a course's configuration (e.g. ``course.load_config(root)``) sets."""
    return SubmissionLimits(config=config).limits()


@dataclass(frozen=True)
class Refusal:
    """An entry of a submission that was not read, and why (in words for the student)."""

    path: str  # relative to the submission folder ('' for the folder as a whole), as the file system has it
    reason: str
    transient: bool = False  # it may be readable later: read the folder again

    @property
    def message(self):
        """The refusal as one printable line, e.g. "Initialization.ipynb is a symbolic link: ..."."""
        return f"{shown(self.path)} {self.reason}" if self.path else self.reason


@dataclass
class Snapshot:
    """A submission folder's regular files as data, what was refused, and when the folder last changed."""

    files: dict = field(default_factory=dict)  # {relative path: bytes}
    refused: list = field(default_factory=list)  # [Refusal]
    changed: float = 0.0  # latest change time (st_ctime, which no user can set back) of what was read
    owner: int = -1  # the folder's owner (uid)

    @property
    def size(self):
        return sum(len(data) for data in self.files.values())

    @property
    def transient(self):
        """Whether a refusal may go away if the folder is read again later."""
        return any(r.transient for r in self.refused)


class FolderUnreadable(OSError):
    """The submission folder itself cannot be opened (gone, not a folder, a link, permission denied)."""

    def __init__(self, reason, transient):
        super().__init__(reason)
        self.reason, self.transient = reason, transient


def shown(name):
    """A file name as it may be shown in a log line or a page: undecodable bytes and control characters escaped."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def text(data, limit=200):
    """Bytes a student wrote (e.g. timestamp.txt), as one printable line of at most ``limit`` characters."""
    line = data.decode("utf-8", "replace").strip().splitlines()
    return shown(line[0] if line else "")[:limit]


def read(folder, limits=DEFAULT_LIMITS):
    """The Snapshot of the submission ``folder`` (see the module's docstring); raises FolderUnreadable."""
    try:
        descriptor = os.open(folder, _OPEN_FOLDER)
    except OSError as error:
        raise FolderUnreadable(_folder_error(error), _is_transient(error)) from error
    try:
        info = os.fstat(descriptor)
        snapshot = Snapshot(changed=info.st_ctime, owner=info.st_uid)
        _Reader(limits, snapshot).walk(descriptor, "", 0)
    finally:
        os.close(descriptor)
    return snapshot


#: What ``coursekit.plugins.SafeCollect`` writes into a collected submission: what it did not copy, and why
#: (JSON [[path, reason]]), for ``make autograde`` to explain.
REFUSED_FILE = "coursekit-refused.json"


def refusals_file(refused):
    """The bytes of REFUSED_FILE for ``refused`` (Refusals)."""
    return json.dumps([[r.path, r.reason] for r in refused]).encode("utf-8", "surrogateescape")


def refusals_in(data):
    """The Refusals that REFUSED_FILE's ``data`` lists; nothing if it is not one."""
    try:
        return [
            Refusal(str(path), str(reason))
            for path, reason in json.loads(data.decode("utf-8", "surrogateescape"))
        ]
    except (ValueError, TypeError):
        return []


def write(files, folder):
    """Write ``files`` ({relative path: bytes}, e.g. a Snapshot's) into ``folder``, made if needed."""
    folder = Path(folder)
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _folder_error(error):
    if isinstance(error, FileNotFoundError):
        return "the submission folder is gone"
    if getattr(error, "errno", None) in (errno.ENOTDIR, errno.ELOOP):  # ELOOP: a link
        return "the submission is not a folder (or is a symbolic link to one): not read"
    if isinstance(error, PermissionError):
        return "the submission folder cannot be read (permission denied)"
    return f"the submission folder cannot be read ({error.strerror or error})"


def _is_transient(error):
    """Whether reading again later may succeed: permissions being set, a file being replaced, no memory."""
    return getattr(error, "errno", None) in _TRANSIENT


class _Reader:
    """One walk of a submission folder within ``limits``, filling ``snapshot``."""

    def __init__(self, limits, snapshot):
        self.limits, self.snapshot = limits, snapshot
        self.deadline = time.monotonic() + limits.seconds
        self.entries = self.bytes = 0
        self.stopped = False

    def refuse(self, path, reason, transient=False):
        self.snapshot.refused.append(Refusal(path, reason, transient))

    def walk(self, descriptor, prefix, depth):
        try:
            names = sorted(os.listdir(descriptor))
        except OSError as error:
            self.refuse(prefix.rstrip("/"), f"could not be listed ({error.strerror})", True)
            return
        for name in names:
            if self.stopped:
                return
            if name in IGNORED:
                continue
            relative = prefix + name
            if time.monotonic() > self.deadline:
                self.stopped = True
                self.refuse(
                    "", f"reading the submission took longer than {self.limits.seconds:g} s: what was "
                    "left (from " + shown(relative) + " on) was not read"
                )  # fmt: skip
                return
            self.entries += 1
            if self.entries > self.limits.entries:
                self.stopped = True
                self.refuse("", f"the submission has more than {self.limits.entries} files and folders: "
                            f"what was left (from {shown(relative)} on) was not read")  # fmt: skip
                return
            self.entry(descriptor, name, relative, depth)

    def entry(self, descriptor, name, relative, depth):
        try:
            info = os.stat(name, dir_fd=descriptor, follow_symlinks=False)
        except OSError as error:
            self.refuse(relative, f"could not be read ({error.strerror})", True)
            return
        if stat.S_ISLNK(info.st_mode):
            self.refuse(relative, "is a symbolic link: it was not followed (hand in the file itself)")
        elif stat.S_ISDIR(info.st_mode):
            self.folder(descriptor, name, relative, depth)
        elif stat.S_ISREG(info.st_mode):
            self.file(descriptor, name, relative)
        else:
            self.refuse(relative, f"is {_kind(info.st_mode)}, not a file: not read")

    def folder(self, descriptor, name, relative, depth):
        if depth + 1 > self.limits.depth:
            self.refuse(relative, f"is nested more than {self.limits.depth} folders deep: not read")
            return
        child = self.opened(descriptor, name, relative, _OPEN_FOLDER)
        if child is None:
            return
        try:
            self.snapshot.changed = max(self.snapshot.changed, os.fstat(child).st_ctime)
            self.walk(child, relative + "/", depth + 1)
        finally:
            os.close(child)

    def file(self, descriptor, name, relative):
        handle = self.opened(descriptor, name, relative, _OPEN_FILE)
        if handle is None:
            return
        try:
            info = os.fstat(handle)  # what was opened, whatever the name pointed at before
            if not stat.S_ISREG(info.st_mode):
                self.refuse(relative, f"is {_kind(info.st_mode)}, not a file: not read")
                return
            cap = min(self.limits.file_bytes, self.limits.submission_bytes - self.bytes)
            if info.st_size > cap:
                self.too_large(relative, info.st_size)
                return
            chunks, size = [], 0
            while size <= cap:  # a file that grows while it is read is refused too
                chunk = os.read(handle, min(_CHUNK, cap + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > cap:
                self.too_large(relative, size)
                return
            self.bytes += size
            self.snapshot.files[relative] = b"".join(chunks)
            self.snapshot.changed = max(self.snapshot.changed, info.st_ctime)
        except OSError as error:
            self.refuse(relative, f"could not be read ({error.strerror})", True)
        finally:
            os.close(handle)

    def opened(self, descriptor, name, relative, flags):
        """A descriptor of ``name`` in the folder ``descriptor``, never through a link; None if refused."""
        try:
            return os.open(name, flags, dir_fd=descriptor)
        except OSError as error:
            if error.errno == errno.ELOOP:  # it became a link since it was looked at
                self.refuse(relative, "is a symbolic link: it was not followed (hand in the file itself)")
            else:
                self.refuse(relative, f"could not be read ({error.strerror})", _is_transient(error))
            return None

    def too_large(self, relative, size):
        if size > self.limits.file_bytes:
            limit = f"the limit of {self.limits.file_bytes / MB:g} MiB per file"
        else:
            limit = f"what is left of the limit of {self.limits.submission_bytes / MB:g} MiB per submission"
        self.refuse(relative, f"is {size / MB:.1f} MiB, more than {limit}: not read")


def _kind(mode):
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")
