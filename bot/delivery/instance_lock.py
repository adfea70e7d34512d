"""SQLite is for one process: a second `accord run` on the same file is refused.

The running process holds an exclusive `flock` on a sidecar file
(`<database>.lock`) for its whole life; the kernel drops it when the process
dies, however it dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url


class InstanceLockError(RuntimeError):
    """Another process already runs on this SQLite database."""


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        # It may run before the database exists: create the folders as the database would
        # (owner only), never world-readable.
        missing = [p for p in [self.path.parent, *self.path.parent.parents] if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise InstanceLockError(
                f"another Accord process{f' (pid {holder})' if holder else ''} is already "
                f"running on this SQLite database (lock {self.path}). SQLite is for one "
                "process: stop the other one, or use PostgreSQL (DATABASE_URL) to run "
                "several instances."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def sqlite_lock(database_url: str) -> InstanceLock | None:
    """The lock to hold for a long-running process on this database; None off SQLite files."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return InstanceLock(Path(f"{database}.lock"))


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""
