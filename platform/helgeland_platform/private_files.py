"""Files the services write hold personal data (the database, its WAL, mails, lock files):
readable by the service's own user only. New files get it from the process's umask; the data
folder and what an earlier release left in it are tightened at start."""

from __future__ import annotations

import os
from pathlib import Path

from helgeland_platform.engines import sqlite_path

PRIVATE_UMASK = 0o077  # files 0600, folders 0700


def keep_private(data_dir: Path, database_url: str) -> None:
    """Set the umask for everything this process creates, and tighten what exists already:
    the data folder (recursively) and a SQLite database with its -wal, -shm and lock files."""
    os.umask(PRIVATE_UMASK)
    paths: list[Path] = []
    if data_dir.is_dir():
        paths.append(data_dir)
        paths.extend(data_dir.rglob("*"))
    if database_url.startswith("sqlite:"):
        database = sqlite_path(database_url)
        paths.extend(database.parent.glob(f"{database.name}*"))
    for path in paths:
        if path.is_symlink():
            continue  # the operator's choice; chmod would follow it elsewhere
        mode = path.stat().st_mode & 0o777
        private = mode & 0o700 if path.is_file() else 0o700
        if mode != private:
            path.chmod(private)
