"""A DuckDB file and a throwaway PostgreSQL cluster holding the sample, once per session.

The PostgreSQL cluster is real (Debian's binaries, ``initdb`` in a temporary folder,
a free port on 127.0.0.1, password authentication); where none can be started the
tests that need it are skipped, saying why. No database is mocked.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from alignlib import paths
from alignlib.sample_warehouse import load_sample

SAMPLE = paths.PROJECT_ROOT / "data" / "sample"
#: The role the tests connect as, and its password (checked never to reach a message).
PG_USER = "alignlib"


@pytest.fixture(scope="session")
def duckdb_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "crm.duckdb"
    load_sample(SAMPLE, path)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Cluster:
    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if binaries:
            self.bindir = Path(binaries[-1]).parent
        elif shutil.which("initdb") and shutil.which("pg_ctl"):
            self.bindir = Path(shutil.which("initdb") or "").parent
        else:
            pytest.skip("no PostgreSQL server binaries (.ci/run installs Debian's postgresql)")
        self.prefix: list[str] = []
        self.owner: tuple[int, int] | None = None
        if os.geteuid() == 0:  # initdb refuses to run as root: run it as postgres
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no postgres user to run initdb as")
            if not shutil.which("runuser"):
                pytest.skip("running as root without runuser to start PostgreSQL as postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
            self.owner = (pw.pw_uid, pw.pw_gid)
        self.folder = Path(tempfile.mkdtemp(prefix="alignlib-pg-"))
        if self.owner:
            os.chown(self.folder, *self.owner)
        self.data = self.folder / "data"
        self.port = _free_port()
        self.password = "pw-" + secrets.token_hex(8)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )

    def start(self) -> str:
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        if self.owner:
            os.chown(pwfile, *self.owner)
        init = self.run(
            str(self.bindir / "initdb"),
            "-D", str(self.data),
            "-U", PG_USER,
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "--no-sync",
            "-E", "UTF8",
            "--locale=C",
        )  # fmt: skip
        pwfile.unlink()
        if init.returncode:
            pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
        opts = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        started = self.run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts,
            "-l", str(self.folder / "log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        if started.returncode:
            log = (self.folder / "log").read_text(errors="replace")[-300:]
            pytest.skip(f"PostgreSQL did not start: {started.stderr.strip()[-200:]} {log}")
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=PG_USER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute("CREATE DATABASE crm")
        return f"postgresql+psycopg://{PG_USER}:{self.password}@127.0.0.1:{self.port}/crm"

    def stop(self) -> None:
        if self.data.exists():
            self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(request) -> _Cluster:
    cluster = _Cluster()
    request.addfinalizer(cluster.stop)
    cluster.url = cluster.start()  # type: ignore[attr-defined]
    load_sample(SAMPLE, cluster.url)  # type: ignore[attr-defined]
    return cluster


@pytest.fixture(scope="session")
def postgres_url(postgres) -> str:
    return postgres.url
