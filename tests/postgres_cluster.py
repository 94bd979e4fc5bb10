"""A private PostgreSQL cluster for the catalogue tests: initialised in a temporary folder,
listening on 127.0.0.1 on a free port (and a socket in that folder), stopped and removed after.

It uses the server programs of Debian's `postgresql` package (make test installs it when it is
missing and the run is root's). initdb refuses to run as root, so as root the cluster belongs to
the `postgres` user the package creates; otherwise to the user running the tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def server_programs() -> Path | None:
    """The folder of initdb and pg_ctl: Debian keeps them per major version."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if versions:
        return versions[0].parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def cluster() -> Iterator[str]:
    """A running cluster; yields the URL of its `postgres` database as user `zuji`."""
    programs = server_programs()
    if programs is None:
        raise RuntimeError(
            "PostgreSQL's server programs are missing: `make test` installs Debian's postgresql"
        )
    folder = Path(tempfile.mkdtemp(prefix="zuji-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_owner(
            [str(programs / "initdb"), "-D", str(data), "-U", "zuji", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = folder / "log"
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
    start = [str(programs / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log)]
    subprocess.run(
        _as_owner([*start, "-w", "start"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        yield f"postgresql://zuji@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([str(programs / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(url: str, name: str) -> str:
    """A new empty database in the cluster at `url`; its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name
