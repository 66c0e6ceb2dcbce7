"""hrdd.files: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

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
