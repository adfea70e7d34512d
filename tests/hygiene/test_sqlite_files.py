"""The SQLite database and the folders created for it are the owner's only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from storage import db


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_file_and_new_folders_are_private(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    old_umask = os.umask(0o022)  # a usual umask: files would be 0644
    try:
        path = tmp_path / "var" / "data" / "accord.db"
        engine = db.make_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            wal = path.with_name("accord.db-wal")
            assert wal.exists() and _mode(wal) == 0o600
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
    assert _mode(tmp_path) == 0o755  # an existing folder is left alone


def test_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    db.make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o640


def test_the_instance_lock_taken_first_creates_private_folders_too(tmp_path: Path) -> None:
    """`accord run` takes its SQLite lock before the database exists: same privacy."""
    from bot.delivery.instance_lock import InstanceLock

    old_umask = os.umask(0o022)
    try:
        lock = InstanceLock(tmp_path / "var" / "accord.db.lock").acquire()
    finally:
        os.umask(old_umask)
    try:
        assert _mode(tmp_path / "var") == 0o700
        assert _mode(tmp_path / "var" / "accord.db.lock") == 0o600
    finally:
        lock.release()
