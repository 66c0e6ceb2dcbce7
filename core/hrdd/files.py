"""Writing files so that a reader never sees half of one: the core's one way of doing it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

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
