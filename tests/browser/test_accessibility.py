"""axe-core in Chromium on the main page types, light and dark, and figures visible on a phone.

axe-core comes from the axe-playwright-python package (pinned in pyproject's dev extra), so
nothing is downloaded at test time.
"""

from datetime import date
from importlib.resources import files

import pytest
from django.core.management import call_command

from catalog.models import Gpu
from metrics.monthly import month_start, previous_month
from metrics.ranking import recompute_rankings
from tests.browser.conftest import local_tab
from tests.factories import make_listing, make_month

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
LAST_MONTH = previous_month(month_start(date.today()))
PAIR = "/ml/shop/gpu/compare/nvidia-geforce-rtx-3090-vs-nvidia-geforce-rtx-4090/"
PAGES = {
    "home": "/",
    "all-cards": "/ml/shop/gpu/",
    "ranking": "/ml/shop/gpu/performance/cost-per-fp16-flops/",
    "use-case": "/ml/shop/use-case/image-classification/",
    "learn": "/ml/learn/gpu/nvidia-geforce-rtx-3090/",
    "learn-results": "/ml/learn/gpu/nvidia-l4/",  # MLPerf results with notes
    "compare": PAIR,
    "compare-picker": "/ml/shop/gpu/compare/",
    "search": "/ml/search/?q=3090",
    "404": "/no-such-page/",
    "shop": "/ml/shop/gpu/nvidia-geforce-rtx-3090/",
    "rent-or-buy": "/ml/shop/rent-or-buy/",
    "reports": "/ml/shop/reports/",
    "report": f"/ml/shop/reports/{LAST_MONTH:%Y-%m}/",
    "alert": "/ml/alerts/subscribe/?gpu=nvidia-geforce-rtx-3090",
}
# Pages whose every figure must sit on screen at 375 px (tables stack or fit); on the others a
# table may scroll inside its own box, never the page.
STACKED = {"all-cards", "learn", "compare", "rent-or-buy"}


@pytest.fixture(scope="module")
def site(module_server):
    """The live server over the real catalog with a few priced cards and their rankings, set up
    once for the module's tests (which only read it)."""
    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    prices = {
        "nvidia-geforce-rtx-3090": ["650", "700", "720"],
        "nvidia-geforce-rtx-4090": ["1650.50", "1700", "1800"],
        "nvidia-l4": ["2100", "2300"],
        "nvidia-t4": ["550", "600"],
        "amd-radeon-rx-7900-xtx": ["800", "850"],
    }
    for slug, amounts in prices.items():
        gpu = Gpu.objects.get(slug=slug)
        for amount in amounts:
            make_listing(gpu, amount)
    recompute_rankings()
    _past_months(prices)
    return module_server


def _past_months(prices):
    """Two finished months of going rates for the priced cards, so the reports have a month."""
    for month in (previous_month(LAST_MONTH), LAST_MONTH):
        for slug, amounts in prices.items():
            for scope in ("all", "used"):
                make_month(Gpu.objects.get(slug=slug), month, scope, amounts[0])


AXE = files("axe_playwright_python").joinpath("axe.min.js").read_text()


def serious_violations(tab) -> list[str]:
    """axe-core's serious and critical violations on the open page, one line per failing node."""
    if not tab.evaluate("typeof axe !== 'undefined'"):
        tab.evaluate(AXE)
    result = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["name"] == "axe-core" and result["passes"], "axe did not run"
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')[:160]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations_in_light_or_dark(browser, site, name):
    # One load, then each colour scheme and width in turn: the page's script reads neither, so
    # the browser lays the same document out again exactly as a fresh load would show it.
    context, tab = local_tab(browser, site, viewport=DESKTOP)
    try:
        response = tab.goto(site.url + PAGES[name])
        assert response.status == (404 if name == "404" else 200)
        for scheme in ["light", "dark"]:
            for viewport in [DESKTOP, PHONE]:
                tab.emulate_media(color_scheme=scheme)
                tab.set_viewport_size(viewport)
                found = serious_violations(tab)
                assert found == [], f"{name}, {scheme}, {viewport['width']} px:\n" + "\n".join(
                    found
                )
    finally:
        context.close()


OFF_SCREEN_FIGURES = """() => {
  const width = document.documentElement.clientWidth;
  const bad = [];
  for (const el of document.querySelectorAll('main td, main dd, main th[scope=row]')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const scroller = el.closest('.table-wrap');
    const inScroller = scroller && scroller.scrollWidth > scroller.clientWidth;
    if ((box.left < 0 || box.right > width + 0.5) && !(inScroller && STRICT === false)) {
      const where = Math.round(box.left) + '..' + Math.round(box.right);
      bad.push(el.textContent.trim().slice(0, 40) + ' @' + where);
    }
  }
  const wraps = Array.from(document.querySelectorAll('main .table-wrap')).filter(
    w => w.getBoundingClientRect().right > width + 0.5);
  return {bad: bad.slice(0, 10), wraps: wraps.length,
          overflow: document.documentElement.scrollWidth - width};
}"""


@pytest.mark.parametrize("name", [n for n in PAGES if n != "search"])
def test_every_figure_is_reachable_on_a_phone_without_sideways_page_scroll(browser, site, name):
    context, tab = local_tab(browser, site, viewport=PHONE)
    try:
        tab.goto(site.url + PAGES[name])
        strict = "true" if name in STACKED else "false"
        found = tab.evaluate(OFF_SCREEN_FIGURES.replace("STRICT", strict))
        assert found["overflow"] <= 0, f"{name} scrolls {found['overflow']} px sideways"
        assert found["wraps"] == 0, f"{name}: a table box is wider than the screen"
        assert found["bad"] == [], f"{name}: figures off screen: {found['bad']}"
    finally:
        context.close()


def test_all_cards_on_a_phone_shows_each_figure_with_its_column_name(browser, site):
    context, tab = local_tab(browser, site, viewport=PHONE)
    try:
        tab.goto(site.url + "/ml/shop/gpu/?q=3090")
        row = tab.locator("table.stack tbody tr").first
        shown = row.evaluate(
            """tr => Array.from(tr.querySelectorAll('td[data-label]')).map(td =>
                getComputedStyle(td, '::before').content + ' ' + td.textContent.trim())"""
        )
        for label in ["Headline price", "$ per FP16 TFLOPS", "$ per GB", "Memory (GB)"]:
            assert any(line.startswith(f'"{label}" ') for line in shown), shown
        assert '"$ per FP16 TFLOPS" $9.86' in shown  # $700 / 71 FP16 TFLOPS (FP32 accumulate)
        assert row.bounding_box()["width"] <= PHONE["width"]
    finally:
        context.close()
