"""Reading a submission as data (coursekit.submission): what a hostile folder cannot make a reader do.

Issue 22 item 7 and issue 23 item 8: a student makes their submission folder by hand, so it may hold
a symbolic link to the instructor's source notebook, a named pipe, a sparse file of many gigabytes,
names and bytes that are not UTF-8, or very many entries. The reader must read regular files only,
never through a link, never wait on a pipe, never read past its caps, and say why for each refusal.
These run as root (who can read everything: the link must still not be followed);
tests/system/test_service.py repeats the attack as the graders' account, end to end.
"""

import os
import threading
import time

import pytest

from coursekit.submission import DEFAULT_LIMITS, MB, FolderUnreadable, Limits, read, shown, text, write

#: A read of a small hostile folder must finish in well under this many seconds (it must never block).
READ_PATIENCE_S = 10
SECRET_SOURCE = b'{"cells": ["the solutions and hidden tests"]}'


def read_in_time(folder, limits=DEFAULT_LIMITS):
    """read(folder), failing (instead of hanging the test run) if it blocks."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(snapshot=read(folder, limits)), daemon=True)
    thread.start()
    thread.join(READ_PATIENCE_S)
    assert not thread.is_alive(), f"reading {folder} blocked for {READ_PATIENCE_S} s"
    return result["snapshot"]


@pytest.fixture
def source(tmp_path):
    """A private file of the graders' (the source notebook, with its solutions)."""
    path = tmp_path / "instructor" / "Initialization.ipynb"
    path.parent.mkdir()
    path.write_bytes(SECRET_SOURCE)
    path.chmod(0o600)
    return path


def reasons(snapshot):
    return {r.path: r.reason for r in snapshot.refused}


def test_a_link_to_the_source_notebook_is_not_followed(tmp_path, source):
    folder = tmp_path / "alice+initialization+2026-11-22 10:00:00 UTC"
    folder.mkdir()
    (folder / "Initialization.ipynb").symlink_to(source)
    (folder / "data").symlink_to(source.parent, target_is_directory=True)
    (folder / "timestamp.txt").write_text("2026-11-22 10:00:00 UTC")
    snapshot = read_in_time(folder)
    assert set(snapshot.files) == {"timestamp.txt"}
    assert all(SECRET_SOURCE not in data for data in snapshot.files.values())
    assert reasons(snapshot) == {
        "Initialization.ipynb": "is a symbolic link: it was not followed (hand in the file itself)",
        "data": "is a symbolic link: it was not followed (hand in the file itself)",
    }
    assert not snapshot.transient


def test_the_folder_itself_may_not_be_a_link(tmp_path, source):
    (tmp_path / "link").symlink_to(source.parent, target_is_directory=True)
    with pytest.raises(FolderUnreadable) as refused:
        read(tmp_path / "link")
    assert "symbolic link" in refused.value.reason and not refused.value.transient
    with pytest.raises(FolderUnreadable) as gone:
        read(tmp_path / "gone")
    assert gone.value.transient


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    os.mkfifo(folder / "submission_secret.txt")
    snapshot = read_in_time(folder)
    assert reasons(snapshot) == {"submission_secret.txt": "is a named pipe, not a file: not read"}


def test_a_sparse_file_of_64_gb_is_refused_before_a_byte_is_read(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    with open(folder / "huge.bin", "wb") as huge:
        huge.truncate(64 * 1024**3)  # sparse: no disk used, 64 GiB to whoever reads it
    (folder / "small.txt").write_bytes(b"x" * 100)
    start = time.perf_counter()
    snapshot = read_in_time(folder)
    assert time.perf_counter() - start < READ_PATIENCE_S / 2
    assert set(snapshot.files) == {"small.txt"}
    assert reasons(snapshot)["huge.bin"].startswith("is 65536.0 MiB, more than the limit of 20 MiB per file")


def test_the_caps_per_file_per_submission_entries_and_depth(tmp_path):
    folder = tmp_path / "sub"
    (folder / "a" / "b" / "c").mkdir(parents=True)
    (folder / "a" / "b" / "c" / "deep.txt").write_bytes(b"d")
    for name in ("1.bin", "2.bin", "3.bin"):
        (folder / name).write_bytes(b"x" * (2 * MB))
    snapshot = read_in_time(folder, Limits(file_bytes=3 * MB, submission_bytes=5 * MB, depth=2))
    assert set(snapshot.files) == {"1.bin", "2.bin"}
    assert "per submission" in reasons(snapshot)["3.bin"]
    assert reasons(snapshot)["a/b/c"] == "is nested more than 2 folders deep: not read"
    many = read_in_time(folder, Limits(entries=2))
    assert "more than 2 files and folders" in reasons(many)[""]


def test_a_folder_that_takes_too_long_is_cut_off_with_a_reason(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "x.txt").write_text("x")
    snapshot = read_in_time(folder, Limits(seconds=0))
    assert snapshot.files == {}
    assert "took longer than 0 s" in reasons(snapshot)[""]


def test_names_and_bytes_that_are_not_utf8(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9\nline.txt")
    (folder / name).write_bytes(b"\xff\xfe\x00")
    snapshot = read_in_time(folder)
    assert snapshot.files == {name: b"\xff\xfe\x00"}
    assert shown(name) == "caf\\xe9\\nline.txt"  # one printable line in a log
    assert text(b"\xff2026-11-22\n10:00") == "\ufffd2026-11-22"
    write(snapshot.files, tmp_path / "copy")  # and written back as it was
    assert (tmp_path / "copy" / name).read_bytes() == b"\xff\xfe\x00"


def test_the_change_time_and_owner_are_the_folders(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "x.txt").write_text("x")
    before = time.time()
    time.sleep(0.01)
    (folder / "y.txt").write_text("y")
    snapshot = read_in_time(folder)
    assert snapshot.changed >= before - 0.01  # y.txt's change time: after x.txt's
    assert snapshot.owner == os.geteuid()
