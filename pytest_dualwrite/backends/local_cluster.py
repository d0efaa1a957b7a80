"""An ephemeral Postgres cluster from locally installed server binaries.

Used when no URL is given and no Docker engine answers. Built for speed and for leaving
nothing behind: `initdb --no-sync`, trust auth on a private socket folder and a free
loopback port, fsync off; stopped and deleted at the end of the run. Postgres refuses to
run as root, so under root only the server binaries run as an unprivileged user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..errors import BackendError

DEFAULT_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin",
                 "/opt/homebrew/opt/postgresql*/bin", "/usr/local/opt/postgresql*/bin")


def _has_server(folder: Path) -> bool:
    return (folder / "initdb").is_file() and (folder / "postgres").is_file()


def _version_key(folder: Path) -> tuple[int, ...]:
    digits = [int(p) for p in folder.parent.name.split(".") if p.isdigit()]
    return tuple(digits) or (0,)


def candidate_folders(search: Sequence[str] | None = None) -> list[Path]:
    """Where to look, in order: the user's folders; else PATH, pg_config, well-known globs."""
    if search:
        return [Path(p) for p in search]
    found: list[Path] = []
    for tool in ("pg_ctl", "postgres", "initdb"):
        where = shutil.which(tool)
        if where:
            found.append(Path(os.path.realpath(where)).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout.strip()
            if out:
                found.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    for pattern in DEFAULT_GLOBS:
        found.extend(sorted((Path(p) for p in glob.glob(pattern)), key=_version_key,
                            reverse=True))
    return list(dict.fromkeys(found))


def find_server_binaries(search: Sequence[str] | None = None) -> Path | None:
    for folder in candidate_folders(search):
        if _has_server(folder):
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reachable_by_others(folder: Path) -> bool:
    """Whether every folder above `folder` lets other users through (o+x)."""
    for part in [folder, *folder.parents]:
        try:
            if not part.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def _base_folder(user: pwd.struct_passwd | None) -> str | None:
    """Where to make the cluster's folder: the temp folder, unless the server's user could
    not reach it (a private TMPDIR under root's home), then /tmp."""
    base = Path(tempfile.gettempdir())
    if user is None or _reachable_by_others(base):
        return None
    return "/tmp"


def _unprivileged_user() -> pwd.struct_passwd | None:
    """None when we are not root; else the `postgres` user if any, else `nobody`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise BackendError("postgres local cluster: running as root and no unprivileged user "
                       "(postgres or nobody) exists to run the server as")


@dataclass
class LocalCluster:
    """A running throwaway cluster; `url` is a superuser URL on loopback."""

    bindir: Path
    root: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> sa.engine.URL:
        return sa.engine.URL.create("postgresql+psycopg", username="postgres",
                                    host="127.0.0.1", port=self.port, database="postgres")

    @classmethod
    def start(cls, bindir: Path, timeout: float = 60.0) -> LocalCluster:
        user = _unprivileged_user()
        root = Path(tempfile.mkdtemp(prefix="dualwrite-pg-", dir=_base_folder(user)))
        data, sockets = root / "data", root / "sockets"
        sockets.mkdir()
        run_as: dict[str, int] = {}
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
            os.chown(sockets, user.pw_uid, user.pw_gid)
            run_as = {"user": user.pw_uid, "group": user.pw_gid}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        init = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--no-sync", "--no-instructions"],
            capture_output=True, text=True, env=env, cwd=root, check=False, **run_as)
        if init.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            last = (init.stderr or init.stdout).strip().splitlines()[-1:] or ["no output"]
            raise BackendError(f"postgres local cluster: initdb in {bindir} failed: {last[0]}")
        port = _free_port()
        log = open(root / "server.log", "wb")
        process = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
             "-k", str(sockets), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True,
            **run_as)
        cluster = cls(bindir=bindir, root=root, port=port, process=process)
        cluster._wait_ready(timeout)
        return cluster

    def _wait_ready(self, timeout: float) -> None:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.process.poll() is not None:
                    log = (self.root / "server.log").read_text(errors="replace").strip()
                    self.stop()
                    raise BackendError("postgres local cluster exited at start: "
                                       + (log.splitlines()[-1] if log else "no log"))
                try:
                    with engine.connect():
                        return
                except sa.exc.OperationalError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise BackendError(f"postgres local cluster did not answer within "
                                           f"{timeout:.0f}s on port {self.port}") from None
                    time.sleep(0.05)
        finally:
            engine.dispose()

    def stop(self) -> None:
        """Fast shutdown, then remove the data folder: nothing is left behind."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
