"""Save PNGs of every page type at desktop and phone widths, and the main ones in dark mode.

Usage: python tests/browser/screenshots.py OUTPUT_DIR. It builds a throwaway SQLite database with
the catalog and demo listings, serves it with runserver on a free loopback port and drives Debian's
Chromium.
"""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(env: dict) -> str:
    """Migrate, load the catalog and demo listings; returns the card with the most listings."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    for command in (["load_catalog"], ["seed_demo_listings"], ["recompute_rankings"]):
        if subprocess.run(
            [*manage, "help", *command], cwd=ROOT, env=env, capture_output=True
        ).returncode:
            continue
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    code = (
        "import django; django.setup()\n"
        "from django.db.models import Count, Q\n"
        "from catalog.models import Gpu\n"
        "from tests.factories import make_shop\n"
        "visible = Q(listings__is_active=True, listings__verdict='keep')\n"
        "gpu = Gpu.objects.annotate(n=Count('listings', filter=visible)).order_by('-n').first()\n"
        "print(gpu.slug if gpu and gpu.n else make_shop().slug)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("the server stopped before answering")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer within 20 s")


def page_paths(slug: str) -> dict[str, str]:
    """Every page type by name; `slug` is the card with the most listings."""
    last_month = (datetime.now(UTC).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    return {
        "home": "/",
        "shop": f"/ml/shop/gpu/{slug}/",
        "all-cards": "/ml/shop/gpu/",
        "all-cards-filtered": "/ml/shop/gpu/?vendor=NVIDIA&min_memory=24&sort=per-fp16",
        "all-cards-machines": "/ml/shop/gpu/?kind=systems",
        "compare": "/ml/shop/gpu/compare/nvidia-geforce-rtx-3090-vs-nvidia-geforce-rtx-4090/",
        "compare-picker": "/ml/shop/gpu/compare/",
        "compare-three": "/ml/shop/gpu/compare/?gpu=nvidia-geforce-rtx-3090"
        "&gpu=nvidia-geforce-rtx-4090&gpu=nvidia-rtx-a6000",
        "compare-lookalikes": "/ml/shop/gpu/compare/?gpu=nvidia-rtx-pro-6000-blackwell-max-q"
        "&gpu=nvidia-rtx-pro-6000-blackwell-server",
        "rankings": "/ml/shop/gpu/performance/",
        "ranking": "/ml/shop/gpu/performance/cost-per-fp32-flops/",
        "use-cases": "/ml/shop/use-case/",
        "use-case": "/ml/shop/use-case/image-classification/",
        "use-case-llm": "/ml/shop/use-case/large-language-model/",
        "use-case-text-to-image": "/ml/shop/use-case/text-to-image/?max_budget=1500",
        "llm": "/ml/shop/llm/",
        "llm-model": "/ml/shop/llm/llama-3.1-70b/",
        "rent-or-buy": "/ml/shop/rent-or-buy/?hours_per_day=4",
        "learn": "/ml/learn/",
        "learn-gpu": "/ml/learn/gpu/nvidia-geforce-rtx-3090/",
        "learn-machine": "/ml/learn/gpu/apple-mac-studio-m4-max-40c-128gb/",
        "compare-machine": (
            "/ml/shop/gpu/compare/apple-mac-studio-m4-max-40c-128gb-vs-nvidia-geforce-rtx-3090/"
        ),
        "llm-model-host": "/ml/shop/llm/gpt-oss-120b/?host=800",
        "learn-model": "/ml/learn/models/resnet50/",
        "learn-use-case": "/ml/learn/use-case/image-classification/",
        "methodology": "/ml/learn/methodology/",
        "data": "/ml/data/",
        "search": "/ml/search/?q=3090",
        "reports": "/ml/shop/reports/",
        "report": f"/ml/shop/reports/{last_month:%Y-%m}/",
        "alerts": "/ml/alerts/",
        "alert-subscribe": f"/ml/alerts/subscribe/?gpu={slug}",
        "404": "/no-such-page/",
    }


def main(out_dir: str) -> None:
    from playwright.sync_api import sync_playwright

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="shopagent-screens-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopagent.settings.base",
        "ENV_FILE": "/dev/null",
        # As in production (so the 404 page is the site's own), served over plain HTTP on loopback.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "CACHE_URL": "locmemcache://screens",
        "POSTHOG_API_KEY": "",
    }
    env.pop("EBAY_CLIENT_ID", None)
    slug = prepare_database(env)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pages = page_paths(slug)
    dark = {
        *("home", "all-cards", "compare", "compare-three", "compare-lookalikes", "compare-picker"),
        *("rankings", "ranking", "use-case", "use-case-llm", "use-case-text-to-image", "llm"),
        *("llm-model", "learn", "learn-gpu", "methodology", "data", "report", "rent-or-buy"),
        "404",
    }
    try:
        wait_until_up(url, server)
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(work / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            tab = context.new_page()
            for name, path in pages.items():
                schemes = ["light", "dark"] if name in dark else ["light"]
                for width_name, viewport in WIDTHS.items():
                    for scheme in schemes:
                        tab.emulate_media(color_scheme=scheme)
                        tab.set_viewport_size(viewport)
                        response = tab.goto(url + path)
                        suffix = "-dark" if scheme == "dark" else ""
                        target = out / f"{name}-{width_name}{suffix}.png"
                        tab.screenshot(path=str(target), full_page=True)
                        print(f"{target}  ({response.status if response else '?'} {path})")
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
