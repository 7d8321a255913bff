"""The site as production runs it: separate gunicorn processes sharing one SQLite file.

Each worker listens on a Unix socket in a temp dir (other test runs share the machine's ports), has
its own local-memory cache like a gunicorn worker, and `manage()` runs a command in yet another
process, as cron or an operator would.
"""

import http.client
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
# The migrated database each SiteWorkers starts from: migrated once per test process, copied
# for every site after the first (`migrate` in a fresh process costs seconds each time).
_MIGRATED = tempfile.TemporaryDirectory(prefix="shopagent-migrated-")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class SiteWorkers:
    """`with SiteWorkers(workers=2) as site:` migrated database, then site.start()."""

    def __init__(self, *, workers: int = 2, settings: str = ""):
        self.count = workers
        self.extra_settings = settings  # Python lines appended to the workers' settings module
        self.processes: list[subprocess.Popen] = []
        self.sockets: list[str] = []
        self.logs: list = []

    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="shopagent-workers-")
        self.dir = Path(self._tmp.name)
        # Production settings, but static files served unhashed: no collectstatic into the checkout.
        (self.dir / "worker_settings.py").write_text(
            "from shopagent.settings.base import *  # noqa\n"
            "STORAGES = {**STORAGES, 'staticfiles': "
            "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
            + self.extra_settings
        )
        self.env = dict(os.environ)
        self.env.update(
            DJANGO_SETTINGS_MODULE="worker_settings",
            PYTHONPATH=os.pathsep.join([str(self.dir), str(ROOT)]),
            DEBUG="false",
            ENV_FILE="/dev/null",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="localhost",
            SITE_URL="http://localhost",
            SECURE_SSL_REDIRECT="false",
            DATABASE_URL=f"sqlite:///{self.dir / 'site.sqlite3'}",
            POSTHOG_API_KEY="",
            EBAY_CLIENT_ID="",
            EBAY_CLIENT_SECRET="",
            LOG_LEVEL="ERROR",
        )
        if not self.env.get("CACHE_URL", "").startswith(("redis://", "valkey://", "unix://")):
            # The default, each worker's own local memory; under .ci/with-redis every process
            # shares that server instead.
            self.env.pop("CACHE_URL", None)
        self._migrate()
        return self

    def _migrate(self) -> None:
        """Migrate the site's database: a copy of the one migrated for the first site."""
        migrated = Path(_MIGRATED.name) / "site.sqlite3"
        if not migrated.exists():
            self.manage("migrate", "--verbosity", "0")
            _copy_database(self.dir / "site.sqlite3", migrated)
        else:
            _copy_database(migrated, self.dir / "site.sqlite3")

    def __exit__(self, *exc):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()
        self._tmp.cleanup()

    def spawn(self, *args: str) -> subprocess.Popen:
        """Start a management command in a fresh process and return without waiting."""
        return subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def manage(self, *args: str) -> str:
        """Run a management command in a fresh process; its stdout."""
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        """Start the workers: one gunicorn process each, one sync worker inside."""
        gunicorn = Path(sys.executable).with_name("gunicorn")
        for index in range(self.count):
            path = str(self.dir / f"worker-{index}.sock")
            self.sockets.append(path)
            self.logs.append((self.dir / f"worker-{index}.log").open("w"))
            self.processes.append(
                subprocess.Popen(
                    [str(gunicorn), "shopagent.wsgi", "--bind", f"unix:{path}", "--workers", "1"],
                    env=self.env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=self.logs[-1],
                )
            )
        deadline = time.monotonic() + 30
        for path in self.sockets:
            while True:
                try:
                    self.request(self.sockets.index(path), "GET", "/healthz")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

    def request(
        self,
        worker: int,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        cookies: dict | None = None,
    ) -> tuple[int, dict, str]:
        """(status, headers, body) of one request to one worker."""
        connection = _UnixConnection(self.sockets[worker])
        headers = {"Host": "localhost"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            return response.status, dict(response.getheaders()), text
        finally:
            connection.close()

    def get(self, worker: int, path: str) -> str:
        status, _, body = self.request(worker, "GET", path)
        assert status == 200, (status, path)
        return body


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database (the backup API, whatever its journal holds)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
