"""A hostile student's notebook: the attacks of issue 22 in one grading kernel, and what each one got.

``notebook(targets)`` builds the notebook: one cell per attack, each printing one line
``ATTACK <name> <json>`` with what it found; ``found(nb)`` reads those lines back from the executed
notebook. ``execute`` runs it with ``GuardedExecute`` (the course's grading step) and small limits
(``LIMITS``), so that the limits are hit in seconds; ``python -m tests.support.attacks <spec.json>`` does
the same in a process of its own, as another Unix user (tests/system/test_sandbox.py).

The attacks (the issue's numbers):

1. ``env``: the kernel's environment and that of every process it can see (/proc/*/environ);
2. ``files``: a private key in the graders' home, the course's source notebook and gradebook, by path
   and relative to the working folder, /etc/shadow, and the listings of /home, /root and /var;
3. ``network``: a TCP connection to a port the grader listens on, and to an abstract Unix socket;
4. ``detach``: a detached process (new session, double fork) that would outlive grading, and one
   that burns CPU; ``after_detach`` looks for them in the next cell;
5. ``disk_tmp``, ``disk_folder``: writing more than the disk limit to /tmp and to the working
   folder; ``fork``: more processes than the process limit; ``cpu``: more CPU time than the CPU limit
   (the first attack, so that the others run in the kernel that replaces the one it costs);
6. ``proc``: every process the kernel can see, its user id, and the gradebook opened for writing
   through another process's /proc/<pid>/root and /proc/<pid>/cwd (the way out when grading ran as root);
8. ``html``: outputs that would run code where they are shown (see tests/coursekit/kernel/test_hostile.py,
   which grades them through nbgrader's pipeline and renders the pages).
"""

import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import psutil
from traitlets.config import Config

PREFIX = "ATTACK "
#: The limits the attacks run under: small, so that each is hit in a second or two.
LIMITS = {"disk_limit_mb": 50, "max_processes": 32, "cpu_limit_s": 2}
#: The per-cell time limit: long enough for the CPU limit to be hit first on a loaded machine.
CELL_TIMEOUT_S = 40
#: Bytes the disk attacks try to write, and processes the fork attack tries to start: past the limits,
#: small enough that an unbounded sandbox survives them.
WRITE_BYTES = 3 * LIMITS["disk_limit_mb"] << 20
FORKS = 4 * LIMITS["max_processes"]

REPORT = """
import json as _json
def _report(name, value):
    print("ATTACK " + name + " " + _json.dumps(value, default=str))
"""

ENV = """
import os
_seen = {"own": dict(os.environ), "others": {}}
for _pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        with open(f"/proc/{_pid}/environ", "rb") as _f:
            _seen["others"][_pid] = _f.read().decode(errors="replace")
    except OSError as _e:
        pass
_report("env", _seen)
"""

FILES = """
import os
_found = {{}}
for _path in {paths!r}:
    try:
        with open(_path, "rb") as _f:
            _found[_path] = "READ " + _f.read(200).decode(errors="replace")
    except OSError as _e:
        _found[_path] = type(_e).__name__
for _folder in ("/home", "/root", "/var", "/srv", "/run", "/tmp", "/etc"):
    try:
        _found["ls " + _folder] = sorted(os.listdir(_folder))
    except OSError as _e:
        _found["ls " + _folder] = type(_e).__name__
_report("files", _found)
"""

NETWORK = """
import socket
_got = {{}}
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=3) as _s:
        _s.sendall(b"{token}")
    _got["tcp"] = "SENT"
except OSError as _e:
    _got["tcp"] = type(_e).__name__
try:
    with socket.socket(socket.AF_UNIX) as _s:
        _s.settimeout(3)
        _s.connect("\\0{abstract}")
        _s.sendall(b"{token}")
    _got["abstract"] = "SENT"
except OSError as _e:
    _got["abstract"] = type(_e).__name__
_report("network", _got)
"""

DETACH = """
import subprocess, sys
_sleeper = subprocess.Popen(["sh", "-c", "exec sleep 600 # {token}"], start_new_session=True)
_burner = subprocess.Popen([sys.executable, "-c", "while True: pass  # {token}"], start_new_session=True)
_report("detach", [_sleeper.pid, _burner.pid])
"""

AFTER_DETACH = """
import os
_alive = {}
for _pid in (_sleeper.pid, _burner.pid):
    try:
        with open(f"/proc/{_pid}/stat") as _f:
            _alive[_pid] = _f.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        _alive[_pid] = False
_report("after_detach", _alive)
"""

DISK = """
_written = 0
try:
    with open({path!r}, "wb") as _f:
        while _written < {size}:
            _f.write(b"x" * (1 << 20))
            _written += 1 << 20
finally:
    _report({name!r}, _written)
    import os
    if os.path.exists({path!r}):
        os.remove({path!r})
"""

FORK = """
import os, time
_children = []
try:
    for _ in range({forks}):
        _pid = os.fork()
        if _pid == 0:
            time.sleep(5)
            os._exit(0)
        _children.append(_pid)
finally:
    _report("fork", len(_children))
"""

PROC = """
import os
_seen = {{"commands": {{}}, "uid": os.getuid(), "ways_out": []}}
for _pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
    try:
        with open(f"/proc/{{_pid}}/cmdline", "rb") as _f:
            _seen["commands"][_pid] = _f.read().replace(b"\\0", b" ").decode(errors="replace")
    except OSError:
        pass
    for _link in ("root", "cwd"):
        for _path in {paths!r}:
            try:
                with open(f"/proc/{{_pid}}/{{_link}}{{_path}}", "r+b") as _f:
                    _seen["ways_out"].append(f"/proc/{{_pid}}/{{_link}}{{_path}}")
            except OSError:
                pass
_report("proc", _seen)
"""

CPU = """
_report("cpu", "started")
while True:
    pass
"""

#: Issue item 8: outputs that would run code where the graded notebook is shown (each sets
#: window.ATTACK), next to what the student must still see: a table, bold text, printed text, a PNG image.
HTML = """
import struct, zlib
from IPython.display import HTML, SVG, Image, Javascript, Markdown, display
display(HTML("<table><tr><th>alpha</th><td>0.5</td></tr></table><script>window.ATTACK = 1</script>"
             "<img src=x onerror='window.ATTACK = 2'><a href='javascript:window.ATTACK = 3'>link</a>"))
display(Markdown("**bold** <img src=x onerror='window.ATTACK = 4'>"))
display(Markdown("*emphasis*, **bold**"))
display(SVG("<svg xmlns='http://www.w3.org/2000/svg'><script>window.ATTACK = 5</script></svg>"))
display(Javascript("window.ATTACK = 6"))
display({"text/html": "<b>printed table</b>", "text/plain": "table"}, raw=True)
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
_png = (b"\\x89PNG\\r\\n\\x1a\\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"\\x00\\x00")) + _chunk(b"IEND", b""))
display(Image(data=_png), metadata={"width": "1 onerror=window.ATTACK=7"})
print("<script>window.ATTACK = 8</script> as text")
"""
#: A markdown cell of the student's with HTML that would run code.
MARKDOWN = "My answer: <img src=x onerror='window.ATTACK = 9'> [more](javascript:window.ATTACK=10)"
#: What runs code in a page, by HTML's rules: scripts, event handlers, and URLs or documents in attributes.
CODE_ATTRIBUTES = ("href", "src", "srcdoc", "action", "formaction", "data", "content", "style", "xlink:href")


class _Code(HTMLParser):
    def __init__(self, marker):
        super().__init__(convert_charrefs=True)
        self.marker, self.found, self.inside = marker, [], None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and self.marker in value and (name.startswith("on") or name in CODE_ATTRIBUTES):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag in ("script", "style"):
            self.inside = tag

    def handle_endtag(self, tag):
        if tag == self.inside:
            self.inside = None

    def handle_data(self, data):
        if self.inside and self.marker in data:
            self.found.append(f"<{self.inside}>{data.strip()[:80]}")


def live_code(page, marker="ATTACK"):
    """Where ``marker`` sits in ``page`` (HTML) where a browser would run it; [] when nowhere."""
    parser = _Code(marker)
    parser.feed(page)
    return parser.found


def formgrader_page(nb, student="mallory", assignment="a", notebook_path="n.ipynb"):
    """Formgrader's manual-grading view of the graded notebook ``nb`` (a NotebookNode), rendered as
    formgrader renders it."""
    from nbconvert import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[handlers.template_path])
    resources = {"base_url": "", "assignment_id": assignment, "notebook_id": Path(notebook_path).stem,
                 "submission_id": "s", "index": 0, "total": 1, "student": student,
                 "notebook_path": str(notebook_path)}  # fmt: skip
    return exporter.from_notebook_node(nb, resources=resources)[0]


# --- the grading side's secrets ----------------------------------------------------------------------
#: A variable of the grading process the kernel must not see, as a database password would be.
SECRET_VARIABLE = "PGPASSWORD"


class Listener:
    """A TCP port and an abstract Unix socket on this machine that record what they receive."""

    def __init__(self, token):
        self.received = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.unix = socket.socket(socket.AF_UNIX)
        self.abstract = f"dnn-sandbox-test-{token}"
        self.unix.bind("\0" + self.abstract)
        self.unix.listen()
        self.port = self.tcp.getsockname()[1]
        self.threads = [
            threading.Thread(target=self._serve, args=(s,), daemon=True) for s in (self.tcp, self.unix)
        ]
        for thread in self.threads:
            thread.start()

    def _serve(self, server):
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return  # closed
            with connection:
                self.received.append(connection.recv(100))

    def close(self):
        for server in (self.tcp, self.unix):
            server.close()


def make_targets(base, token, listener):
    """Secrets of the grading side under ``base``: a home with a key, a course with a gradebook."""
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_ed25519"
    key.write_text(f"-----BEGIN OPENSSH PRIVATE KEY----- {token}\n")
    course = base / "course"
    (course / "notebooks" / "initialization").mkdir(parents=True)
    source = course / "notebooks" / "initialization" / "Initialization.ipynb"
    source.write_text(f'{{"solution": "{token}"}}')
    gradebook = course / "gradebook.db"
    gradebook.write_bytes(b"SQLite format 3\0" + token.encode())
    folder = course / "autograded" / "mallory" / "initialization"
    folder.mkdir(parents=True)
    targets = {
        "paths": [str(key), str(source), str(gradebook), "../../../gradebook.db", "/etc/shadow"],
        "gradebook": [str(gradebook)],
        "port": listener.port,
        "abstract": listener.abstract,
        "token": token,
    }
    return targets, home, folder, gradebook


@contextlib.contextmanager
def grading_side(prefix):
    """(token, listener, base): a unique token, a Listener for it and a folder outside /tmp for the
    grading side's secrets (the old sandbox hid /tmp as a whole, not a home or a course elsewhere);
    afterwards the listener is closed, the attacks' processes killed and the folder removed."""
    token = os.urandom(8).hex()
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))
    listener = Listener(token)
    try:
        yield token, listener, base
    finally:
        listener.close()
        for process in stray_processes(token):
            process.kill()
        shutil.rmtree(base, ignore_errors=True)


def stray_processes(token):
    """Processes of this machine whose command line carries ``token`` (only the attacks' own)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if token in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


# --- the notebook -------------------------------------------------------------------------------------
#: The notebook metadata of the course's kernel.
KERNEL = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}


def code_cell(source):
    return nbformat.v4.new_code_cell(source.strip("\n"))


def notebook(targets):
    """The attack notebook. ``targets``: {"paths": files to read, "gradebook": paths to open for
    writing through /proc, "port": a TCP port the grader listens on, "abstract": an abstract socket's
    name, "token": a unique string (the secret the listeners wait for, the mark of the processes)}."""
    cells = [
        REPORT,
        CPU,  # first: the new kernel it leaves behind then runs the rest without replaying heavy cells
        "_report('after_cpu', True)",
        ENV,
        FILES.format(paths=targets["paths"]),
        NETWORK.format(port=targets["port"], abstract=targets["abstract"], token=targets["token"]),
        DETACH.format(token=targets["token"]),
        AFTER_DETACH,
        DISK.format(path="/tmp/filler", name="disk_tmp", size=WRITE_BYTES),
        DISK.format(path="filler", name="disk_folder", size=WRITE_BYTES),
        FORK.format(forks=FORKS),
        PROC.format(paths=targets["gradebook"]),
    ]
    return nbformat.v4.new_notebook(cells=[code_cell(c) for c in cells], metadata=KERNEL)


def found(nb):
    """{attack name: what it reported} from an executed attack notebook."""
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines() if output.get("output_type") == "stream" else []:
                if line.startswith(PREFIX):
                    name, _, value = line.removeprefix(PREFIX).partition(" ")
                    out[name] = json.loads(value)
    return out


def errors(nb, name):
    """The 'ename: evalue' lines of the cell whose attack is ``name`` (the cell that reported it)."""
    for cell in nb.cells:
        texts = [o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
        if any(line.startswith(f"{PREFIX}{name} ") for t in texts for line in t.splitlines()):
            return [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
    raise KeyError(name)


#: What each attack's verdict checks, by name (the tests are parametrized over these).
ATTACKS = ("env", "files", "network", "detach", "proc", "disk_tmp", "disk_folder", "fork", "cpu")
#: The messages a student reads in the cell of an attack that hit a limit.
LIMIT_MESSAGES = {
    "disk_tmp": "DiskLimit: your code wrote more than 50 MB",
    "disk_folder": "DiskLimit: your code wrote more than 50 MB",
    "fork": "ProcessLimit: your code started more than 32 processes",
    "cpu": "CPULimit: the kernel used more than 2 s",
    "detach": "BackgroundProcesses: this cell left",
}


def verdicts(run):
    """{attack: '' if it failed, else what it got}. ``run``: the executed notebook (``nb``), what the
    attacks found (``found``), the ``token``, the grading process's command line (``grader``), what the
    grader's listeners received (``received``), the attacks' processes left after grading (``left``),
    the gradebook's bytes afterwards (``gradebook``) and the uids the kernel must not have (``not_uids``).
    """
    found, out = run.found, {}
    out["env"] = (
        "a secret of the grading process reached the kernel" if run.token in str(found["env"]) else ""
    )
    read = {path: value for path, value in found["files"].items() if str(value).startswith("READ")}
    listings = {k: v for k, v in found["files"].items() if k.startswith("ls ") and isinstance(v, list)}
    shown = {
        k: v
        for k, v in listings.items()
        if k in ("ls /var", "ls /srv") or (k == "ls /home" and v != ["student"])
    }
    out["files"] = f"read {read}, listed {shown}" if read or shown else ""
    sent = {k: v for k, v in found["network"].items() if v == "SENT"}
    out["network"] = f"connected: {sent}, received: {run.received}" if sent or run.received else ""
    alive = [pid for pid, running in found["after_detach"].items() if running]
    out["detach"] = f"alive in the next cell: {alive}, after grading: {run.left}" if alive or run.left else ""
    proc = found["proc"]
    seen = [cmd for cmd in proc["commands"].values() if run.grader in cmd]
    breach = (
        seen or proc["ways_out"] or proc["uid"] in run.not_uids or not run.gradebook.startswith(b"SQLite")
    )
    out["proc"] = f"saw {seen}, ways out {proc['ways_out']}, uid {proc['uid']}" if breach else ""
    for attack, limit in (
        ("disk_tmp", "disk_limit_mb"),
        ("disk_folder", "disk_limit_mb"),
        ("fork", "max_processes"),
    ):
        reached = found[attack] >> 20 if attack.startswith("disk") else found[attack]
        out[attack] = f"reached {reached}, past {LIMITS[limit]}" if reached > LIMITS[limit] else ""
    out["cpu"] = "" if found.get("after_cpu") else "grading did not go on after the CPU limit"
    for attack, message in LIMIT_MESSAGES.items():
        if not out[attack] and not any(e.startswith(message) for e in errors(run.nb, attack)):
            out[attack] = f"no message {message!r} in its cell: {errors(run.nb, attack)}"
    return out


def config():
    """The grading configuration of the attacks: the course's step, small limits, a longer cell time limit."""
    c = Config()
    c.GuardedExecute.timeout = CELL_TIMEOUT_S
    for name, value in LIMITS.items():
        c.SandboxedKernelManager[name] = value
    return c


def execute(nb, folder):
    """Run ``nb`` as autograding runs a submission: GuardedExecute, the working folder ``folder``."""
    from coursekit.kernel.execute import GuardedExecute

    executed, _ = GuardedExecute(config=config()).preprocess(nb, {"metadata": {"path": str(folder)}})
    return executed


def main(spec_path):
    """Run the attack notebook described by a JSON spec: {"targets", "folder", "out"} (paths)."""
    spec = json.loads(Path(spec_path).read_text())
    nbformat.write(execute(notebook(spec["targets"]), spec["folder"]), spec["out"])


if __name__ == "__main__":
    main(sys.argv[1])
