"""hrdd.files: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os

import pytest

from hrdd.files import write_atomically


def test_text_bytes_and_streamed_content_replace_the_file_whole(tmp_path):
    target = tmp_path / "report.json"
    write_atomically(target, "first\n")
    write_atomically(target, b"second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    write_atomically(target, lambda stream: stream.write("third ✓\n"))
    assert target.read_text(encoding="utf-8") == "third ✓\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_write_that_fails_halfway_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old\n", encoding="utf-8")

    def half(stream):
        stream.write("half of a new rep")
        raise KeyboardInterrupt  # a user's Ctrl-C in the middle of a long report

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, half)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_directory_that_cannot_be_written_raises_and_leaves_nothing(tmp_path):
    missing = tmp_path / "no-such-dir" / "report.json"
    with pytest.raises(OSError):
        write_atomically(missing, "text")
    assert not missing.parent.exists()


# --------------------------------------------------------------------------------------
# Write-behind: a long output goes to disk as it grows and leaves the page cache
# --------------------------------------------------------------------------------------


class _Recorder:
    """Stands in for sync_file_range: records (offset, length, flags) and does the real call."""

    def __init__(self, real):
        self.real = real
        self.calls: list[tuple[int, int, int]] = []

    def __call__(self, fd, offset, length, flags):
        self.calls.append((offset, length, flags))
        return self.real(fd, offset, length, flags) if self.real is not None else 0


def _write_lines(path, behind_window, monkeypatch, lines):
    from hrdd import files

    recorder = _Recorder(files._SYNC_FILE_RANGE)
    monkeypatch.setattr(files, "_SYNC_FILE_RANGE", recorder)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        behind = files.WriteBehind(fd, window=behind_window)
        end = 0
        for line in lines:
            end += os.write(fd, line)
            behind.wrote(end)
    finally:
        os.close(fd)
    return recorder.calls


def test_write_behind_sends_each_completed_window_and_drops_those_two_behind(tmp_path, monkeypatch):
    lines = [bytes([65 + n % 26]) * 3000 + b"\n" for n in range(100)]  # 300,100 bytes
    calls = _write_lines(tmp_path / "out.jsonl", 65536, monkeypatch, lines)
    assert (tmp_path / "out.jsonl").read_bytes() == b"".join(lines)  # the output as written
    sent = [offset for offset, length, flags in calls if flags == 2]
    waited = [offset for offset, length, flags in calls if flags == 7]
    assert sent == [0, 65536, 131072, 196608]  # the four windows completed of 300,100 bytes
    assert waited == [0, 65536]  # each two windows behind the one just completed
    assert {length for _, length, _ in calls} == {65536}


def test_write_behind_continues_from_where_the_file_already_ends(tmp_path, monkeypatch):
    from hrdd import files

    recorder = _Recorder(None)
    monkeypatch.setattr(files, "_SYNC_FILE_RANGE", recorder)
    behind = files.WriteBehind(0, start=100_000, window=65536)  # a resumed output of 100,000 bytes
    behind.wrote(130_000)
    assert recorder.calls == []  # the window ending at 131,072 is not complete yet
    behind.wrote(140_000)
    assert recorder.calls == [(65536, 65536, 2)]  # now it is: sent (nothing lies two behind it)


def test_write_behind_on_a_pipe_stops_without_an_error(monkeypatch):
    from hrdd import files

    if files._SYNC_FILE_RANGE is None:
        pytest.skip("no sync_file_range on this platform: write-behind is off anyway")
    reader, writer = os.pipe()
    try:
        behind = files.WriteBehind(writer, window=4096)
        os.write(writer, b"x" * 5000)
        behind.wrote(5000)  # sync_file_range refuses a pipe: write-behind turns itself off
        assert behind._sync is None
        os.write(writer, b"y" * 5000)
        behind.wrote(10_000)
        assert os.read(reader, 20_000) == b"x" * 5000 + b"y" * 5000
    finally:
        os.close(reader)
        os.close(writer)


@pytest.mark.parametrize(
    ("flags_failing", "code", "raised"),
    [(2, 22, False), (2, 5, True), (7, 5, True)],  # EINVAL: not for this file; EIO: the disk failed
)
def test_write_behind_turns_off_where_unsupported_and_raises_what_the_disk_says(
    monkeypatch, flags_failing, code, raised
):
    import ctypes

    from hrdd import files

    def fake(fd, offset, length, flags):
        if flags == flags_failing:
            ctypes.set_errno(code)
            return -1
        return 0

    monkeypatch.setattr(files, "_SYNC_FILE_RANGE", fake)
    behind = files.WriteBehind(0, window=4096)
    if raised:
        with pytest.raises(OSError) as caught:
            behind.wrote(4096 * 4)
        assert caught.value.errno == code and "writing the output to disk failed" in str(caught.value)
    else:
        behind.wrote(4096 * 4)
        assert behind._sync is None  # off for this file; the output is written as usual
