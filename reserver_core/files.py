"""Files only their owner may read: the SQLite store and the server's signing key.

A store holds password hashes and everyone's bookings, and the key signs tokens.
The folders reserver makes for them are 0700 and the files 0600; a folder that
already exists was somebody's choice (a home directory, /tmp) and stays as it is.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dirs(path: Path) -> None:
    """Create `path` and its missing parents with mode 0700; existing ones are left alone.

    FileExistsError when something other than a folder is in the way.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    if not current.is_dir():
        raise FileExistsError(errno.EEXIST, "a file is in the way of the folder", str(current))
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by someone else, who chose its mode
        # mkdir's mode passes through the umask; this one must be exactly 0700.
        directory.chmod(PRIVATE_DIR_MODE)


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists, which then stays as it is.

    SQLite would create a missing database file 0644, and gives its -wal and -shm
    files the mode of the database file: made 0600 first, all three are private.
    """
    if path.exists():
        return  # even on a read-only file system, where creating would fail
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)
