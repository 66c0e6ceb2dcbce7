"""Writing files so that a reader never sees half of one (the core's one way of doing it), and
writing long outputs without filling the page cache."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

Content = str | bytes | Callable[[IO[str]], None]


def write_atomically(path: Path, content: Content) -> None:
    """Write ``content`` (text, bytes, or a function that writes text to a stream) to a
    temporary file beside ``path`` and rename it into place once complete: a reader sees the
    old file or the new one, never half of one, and a failed write leaves the old file as it
    was (the temporary file is removed). Errors (``OSError`` above all) reach the caller,
    which says what could not be written."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if isinstance(content, bytes):
            temporary.write_bytes(content)
        elif isinstance(content, str):
            temporary.write_text(content, encoding="utf-8")
        else:
            with temporary.open("w", encoding="utf-8", newline="\n") as stream:
                content(stream)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def fsync_directory(directory: Path) -> None:
    """Sync a directory, so that a file created or renamed in it survives a crash. Where a
    directory cannot be opened or synced (not every platform allows it), the file's own sync
    is what there is."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# How much a long output writes between two steps of its write-behind (see WriteBehind), and
# how many such windows it lets the page cache hold beyond the one being written.
WRITE_BEHIND_WINDOW = 32 << 20
WRITE_BEHIND_WINDOWS = 2

_SYNC_WAIT_BEFORE, _SYNC_WRITE, _SYNC_WAIT_AFTER = 1, 2, 4


def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """Linux's sync_file_range(2) (through the C library), or None where there is none."""
    if not sys.platform.startswith("linux") or not hasattr(os, "posix_fadvise"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    function.restype = ctypes.c_int
    return cast(Callable[[int, int, int, int], int], function)


class WriteBehind:
    """Writes a long, append-only output out to disk as it grows, and drops what is on disk
    from the page cache: a batch writing gigabytes of reports keeps a few tens of megabytes of
    them in memory rather than gigabytes of dirty pages.

    Left alone, the kernel lets dirty pages pile up until a threshold, then makes the writer
    wait; every page the output passes through is memory the kernel must find, and on a
    virtual machine first touching fresh memory is what costs most (on the machine
    ``docs/performance.md`` measures, writing 5 GiB of reports cost about 100 µs of system
    time per report this way, about 15 with write-behind). So once the output passes a window
    boundary (``WRITE_BEHIND_WINDOW`` bytes), the window just completed is sent to disk
    without waiting (``sync_file_range``), and the one ``WRITE_BEHIND_WINDOWS`` windows before
    it, written by then, is waited for and dropped from the cache (``posix_fadvise``
    ``DONTNEED``); its pages are reused for what comes next.

    Call :meth:`wrote` with the file's size after each write. Several writers of one file
    (the batch's workers, appending in turn) may each keep one: a window sent or dropped
    twice costs nothing. Where the platform or file system has no such calls (not Linux, a
    pipe, some network file systems), it does nothing: the output is the same, only the
    page cache fills as usual. Nothing here makes the output durable: that is the final
    ``fsync``'s job. A window the disk failed to write raises :class:`OSError` when it is
    waited for (the final ``fsync`` would not hear of it again)."""

    __slots__ = ("_fd", "_next", "_sync", "window")

    def __init__(self, fd: int, start: int = 0, window: int | None = None) -> None:
        self._fd = fd
        self.window = window = window or WRITE_BEHIND_WINDOW
        self._sync = _SYNC_FILE_RANGE
        self._next = (start // window + 1) * window  # the first window boundary ahead

    def wrote(self, end: int) -> None:
        """The file now ends at ``end`` bytes: write behind every window completed since."""
        if self._sync is None or end < self._next:
            return
        fd, window, sync = self._fd, self.window, self._sync
        while self._next <= end:
            completed = self._next - window
            dropped = completed - WRITE_BEHIND_WINDOWS * window
            if sync(fd, completed, window, _SYNC_WRITE) != 0:
                failure = _failure()
                if failure.errno in _NOT_SUPPORTED:
                    self._sync = None  # not for this file (a pipe, a file system without it)
                    return
                raise failure
            if dropped >= 0:
                # An error writing this window is raised here: once reported to this call it
                # would not be reported again to the final fsync, and the output would look
                # complete without being so.
                if sync(fd, dropped, window, _SYNC_WAIT_BEFORE | _SYNC_WRITE | _SYNC_WAIT_AFTER) != 0:
                    raise _failure()
                with contextlib.suppress(OSError):
                    os.posix_fadvise(fd, dropped, window, os.POSIX_FADV_DONTNEED)
            self._next += window


# What sync_file_range says when the file or its file system does not take it.
_NOT_SUPPORTED = frozenset({errno.EINVAL, errno.ESPIPE, errno.ENOSYS, errno.EOPNOTSUPP})


def _failure() -> OSError:
    """The OSError of the C library call that just failed (its errno)."""
    import ctypes

    code = ctypes.get_errno()
    return OSError(code, f"writing the output to disk failed: {os.strerror(code)}")


_SYNC_FILE_RANGE = _sync_file_range()
