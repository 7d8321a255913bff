"""A private redis-server for tests that need a real one: on a Unix socket in a temp dir, nothing
kept on disk. It can be hung (SIGSTOP: connections open, no answer), resumed, killed (down) and
started again on the same socket."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


def has_redis() -> bool:
    return shutil.which("redis-server") is not None


class RedisServer:
    """`with RedisServer(tmp_path) as redis:` ... `redis.url`, `redis.hang()`, `redis.kill()`."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.socket = self.dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """As CACHE_URL takes it."""
        return f"redis://{self.socket}"

    @property
    def caches(self) -> dict:
        """CACHES for the site's Redis backend on this server, as settings build it."""
        backend = "shopagent.cache_backends.ForgivingRedisCache"
        return {"default": {"BACKEND": backend, "LOCATION": f"unix://{self.socket}"}}

    def start(self) -> "RedisServer":
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        return self

    def hang(self) -> None:
        """Stop the process: its socket still accepts connections, but nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """The server goes away: connections are refused."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.socket.unlink(missing_ok=True)

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()  # a stopped process ignores SIGTERM until continued
        self.kill()
