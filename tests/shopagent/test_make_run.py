"""`make run PORT=...` serves the site's absolute links (canonical, sitemap, robots.txt, feeds, JSON
documents: all built from SITE_URL) on the port it serves, unless SITE_URL is set.

The Makefile runs here in a scratch folder with a stand-in for the virtualenv's python that logs
each call and the SITE_URL it was given, so nothing is installed, migrated or served."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE_PYTHON = '#!/bin/sh\necho "SITE_URL=${SITE_URL-unset} $*" >> "$CALLS"\n'


@pytest.fixture
def make_run(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    (tmp_path / "pyproject.toml").write_text("")
    venv = tmp_path / ".venv"
    venv.mkdir()
    (venv / ".installed-stamp").touch()  # newer than pyproject.toml: nothing to install
    python = venv / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    calls = tmp_path / "calls.log"

    def run(*args: str, env_file: str | None = None, **env: str) -> str:
        """The runserver call `make run ARGS` makes: its SITE_URL and arguments."""
        if env_file is not None:
            (tmp_path / ".env").write_text(env_file)
        environment = {
            **{k: v for k, v in os.environ.items() if k not in ("SITE_URL", "ENV_FILE")},
            "CALLS": str(calls),
            **env,
        }
        subprocess.run(
            ["make", "-s", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), "run", *args],
            env=environment,
            check=True,
            capture_output=True,
            timeout=60,
        )
        served = [line for line in calls.read_text().splitlines() if " runserver " in line]
        calls.unlink()
        return served[-1]

    return run


def test_make_run_links_to_the_port_it_serves(make_run):
    call = make_run("PORT=8811", "PY=.venv/python", env_file="DEBUG=true\n")
    assert call == "SITE_URL=http://127.0.0.1:8811 manage.py runserver 127.0.0.1:8811"
    call = make_run("HOST=0.0.0.0", "PORT=9000", "PY=.venv/python")
    assert call == "SITE_URL=http://127.0.0.1:9000 manage.py runserver 0.0.0.0:9000"


def test_a_site_url_set_in_the_environment_or_in_dot_env_wins(make_run):
    call = make_run("PORT=8811", "PY=.venv/python", SITE_URL="https://shop.example")
    assert call == "SITE_URL=https://shop.example manage.py runserver 127.0.0.1:8811"
    # Set in .env, it is left to the settings to read (an exported value would override it).
    call = make_run("PORT=8811", "PY=.venv/python", env_file="SITE_URL=https://dev.example\n")
    assert call == "SITE_URL=unset manage.py runserver 127.0.0.1:8811"
