"""What a buyer sees in Chromium at 375 and 1280 px: every figure of the wide tables named, whole
and on screen, compare's columns and pickers readable, and the LLM picker one tap away.

One page load per page and width, shared by the checks on it: the module's tests only read."""

import re

import pytest
from django.core.management import call_command

from catalog.models import Gpu
from metrics.ranking import recompute_rankings
from tests.browser.conftest import local_tab
from tests.factories import make_listing

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
THREE = ("nvidia-geforce-rtx-3090", "nvidia-geforce-rtx-4090", "nvidia-rtx-a6000")
# Cards whose full names differ only past "NVIDIA RTX PRO 6000 Blackwell ".
LOOKALIKES = ("nvidia-rtx-pro-6000-blackwell-max-q", "nvidia-rtx-pro-6000-blackwell-server")
PRICES = {
    "nvidia-geforce-rtx-3090": "700",
    "nvidia-geforce-rtx-4090": "1650.50",
    "nvidia-rtx-a6000": "3877.25",
    "nvidia-tesla-v100-sxm2-16gb": "118.78",  # a price the phone once cut to "$118."
    "nvidia-tesla-p40": "160",
    "amd-instinct-mi50-32gb": "184.15",
    "nvidia-geforce-rtx-3060": "230",
    "nvidia-l4": "1941",
}


@pytest.fixture(scope="module")
def site(module_server):
    """The real catalog with a few priced cards, one with a text-to-image (SDXL) MLPerf result."""
    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    sdxl = Gpu.objects.filter(benchmark_results__model__slug="stable-diffusion-xl").first()
    for slug, price in [*PRICES.items(), (sdxl.slug, "30044")]:
        gpu = Gpu.objects.get(slug=slug)
        for _ in range(3):  # the headline price: the median of these
            make_listing(gpu, price)
    recompute_rankings()
    return module_server


@pytest.fixture(scope="module")
def tabs(browser, site):
    """A phone tab and a desktop tab, each opening a path and answering JavaScript on it."""
    opened = {
        name: local_tab(browser, site, viewport=size)
        for name, size in (("phone", PHONE), ("desktop", DESKTOP))
    }

    def visit(width: str, path: str):
        tab = opened[width][1]
        response = tab.goto(site.url + path)
        assert response.status == 200, path
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls {overflow} px sideways at {width} width"
        return tab

    yield visit
    for context, _ in opened.values():
        context.close()


# Each figure cell of the tables matched: its column name as the phone shows it (the cell's
# ::before), its box, whether its text fits its box and whether it sits inside its table's
# visible box and the screen.
FIGURE_CELLS = """(selector) => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll(selector)).map(td => {
    const box = td.getBoundingClientRect();
    const wrap = td.closest('.table-wrap').getBoundingClientRect();
    const label = getComputedStyle(td, '::before').content;
    return {
      text: td.textContent.trim().slice(0, 40),
      label: label === 'none' ? '' : label.replace(/^"|"$/g, ''),
      width: box.width, height: box.height,
      lines: Math.round(box.height / parseFloat(getComputedStyle(td).lineHeight)),
      whole: td.scrollWidth <= td.clientWidth + 1,
      visible: box.left >= Math.max(0, wrap.left) - 1
        && box.right <= Math.min(width, wrap.right) + 1,
    };
  });
}"""


def figure_cells(tab, selector):
    cells = tab.evaluate(FIGURE_CELLS, selector)
    assert cells, f"no cells match {selector}"
    return cells


def assert_named_and_whole(cells, labels, *, floor=120):
    """Every cell shows its column's name and its text whole, on screen, `floor` px wide or more;
    each of `labels` (figures) on one line: no row stands tall and blank beside a squeezed cell."""
    assert {cell["label"] for cell in cells} >= set(labels), {cell["label"] for cell in cells}
    for cell in cells:
        assert cell["label"] and cell["whole"] and cell["visible"], cell
        assert cell["width"] >= floor, cell
        if cell["label"] in labels and cell["label"] != "Basis":
            assert cell["lines"] == 1, cell


def test_phone_tables_name_every_figure_and_never_cut_one(tabs):
    tab = tabs("phone", "/ml/learn/gpu/nvidia-geforce-rtx-3090/")
    runs = figure_cells(tab, "#llms ~ .table-wrap tbody td")
    assert_named_and_whole(runs, ["Memory needed", "Fits", "Decode tokens/s", "Basis"])
    assert any(c["label"] == "Memory needed" and c["text"].endswith("GiB") for c in runs)

    tab = tabs("phone", "/ml/shop/llm/")
    single = figure_cells(tab, "#one-card ~ .table-wrap tbody td[data-label]")
    names = ["Decode tokens/s", "Prompt tokens/s", "Headline price", "Tokens/s per $1,000"]
    assert_named_and_whole(single, names)

    tab = tabs("phone", "/ml/shop/llm/llama-3.1-70b/")
    assert_named_and_whole(figure_cells(tab, "#one-card ~ .table-wrap tbody td[data-label]"), names)
    multi = figure_cells(tab, "#multi-card ~ .table-wrap tbody td[data-label]")
    assert_named_and_whole(multi, ["Decode tokens/s", "Setup price"])

    tab = tabs("phone", "/ml/shop/gpu/performance/cost-per-fp32-flops/")
    ranked = figure_cells(tab, "table.ranking.stack tbody td[data-label]")
    assert_named_and_whole(ranked, ["$ per FP32 TFLOPS", "Headline price", "Listings"])
    assert any(c["text"].startswith("$118.78") for c in ranked)

    tab = tabs("phone", "/ml/shop/use-case/image-classification/")
    scored = figure_cells(tab, "table.ranking.stack tbody td[data-label]")
    assert_named_and_whole(scored, ["Samples/s per $1,000", "$ per sample/s", "Headline price"])
    prices = [c["text"] for c in scored if c["label"] == "Headline price"]
    assert prices and all(re.fullmatch(r"\$[\d,]+(\.\d\d)?", price) for price in prices), prices


def test_phone_compare_shows_three_columns_and_pickers_that_tell_cards_apart(tabs):
    query = "&".join(f"gpu={slug}" for slug in THREE)
    tab = tabs("phone", f"/ml/shop/gpu/compare/?{query}")
    rows = tab.evaluate(
        """() => Array.from(document.querySelectorAll('table.compare tr')).map(tr =>
             Array.from(tr.querySelectorAll(':scope > td, :scope > th.card-cell')).map(cell => {
               const box = cell.getBoundingClientRect();
               return [box.left, box.right, box.width];
             })).filter(cells => cells.length)"""
    )
    assert len(rows) > 20
    for cells in rows:
        assert len(cells) == 3
        assert all(left >= 0 and right <= PHONE["width"] and w >= 90 for left, right, w in cells)

    tab = tabs("phone", f"/ml/shop/gpu/compare/?gpu={LOOKALIKES[0]}&gpu={LOOKALIKES[1]}&{query}")
    shown = tab.evaluate(
        """() => Array.from(document.querySelectorAll('form.compare-picker select'))
          .filter(select => select.value).map(select => {
            const style = getComputedStyle(select);
            const pen = document.createElement('canvas').getContext('2d');
            pen.font = style.font;
            const text = select.selectedOptions[0].text;
            // Room for text: the box less its padding and the drop-down arrow.
            const room = select.clientWidth - parseFloat(style.paddingLeft)
              - parseFloat(style.paddingRight) - 20;
            let n = text.length;
            while (n > 0 && pen.measureText(text.slice(0, n)).width > room) n--;
            return [text, text.slice(0, n)];
          })"""
    )
    assert len(shown) == 5
    visible = [seen for _, seen in shown]
    assert len(set(visible)) == 5, visible  # no two pickers read the same
    for text, seen in shown:
        if "GeForce" in text or "A6000" in text:
            assert seen == text  # short names in full


def test_desktop_tables_show_every_column(tabs):
    tab = tabs("desktop", "/ml/shop/gpu/")
    fit = tab.evaluate(
        """() => {
          const wrap = document.querySelector('table.all-cards').closest('.table-wrap');
          const head = Array.from(wrap.querySelectorAll('thead th')).pop();
          return {over: wrap.scrollWidth - wrap.clientWidth, head: head.textContent.trim(),
                  headWhole: head.getBoundingClientRect().right
                    <= wrap.getBoundingClientRect().right + 1};
        }"""
    )
    assert fit == {"over": 0, "head": "ML software", "headWhole": True}

    # Three cards side by side: every column in view, a long figure wrapping in its own.
    tab = tabs("desktop", "/ml/shop/gpu/compare/?" + "&".join(f"gpu={slug}" for slug in THREE))
    fit = tab.evaluate(
        """() => {
          const wrap = document.querySelector('.compare-wrap');
          const right = wrap.getBoundingClientRect().right;
          return {over: wrap.scrollWidth - wrap.clientWidth,
                  cut: Array.from(wrap.querySelectorAll('thead th.card-cell'))
                    .filter(th => th.getBoundingClientRect().right > right + 1).length};
        }"""
    )
    assert fit == {"over": 0, "cut": 0}

    tab = tabs("desktop", "/ml/learn/methodology/")
    over = tab.evaluate(
        """() => Array.from(document.querySelectorAll('main .table-wrap'))
                  .map(wrap => wrap.scrollWidth - wrap.clientWidth)"""
    )
    assert len(over) >= 2 and max(over) <= 0, over


def nav_link_to_llm_picker(tab):
    return tab.evaluate(
        """() => {
          const link = document.querySelector('.site-nav a[href="/ml/shop/llm/"]');
          if (!link) return null;
          const box = link.getBoundingClientRect();
          return {text: link.textContent.trim(), onScreen: box.width > 0 && box.left >= 0
                  && box.right <= document.documentElement.clientWidth};
        }"""
    )


def test_the_llm_picker_and_the_image_finder_are_one_tap_away(tabs):
    for width in ("phone", "desktop"):
        for path in ("/ml/learn/", "/ml/shop/gpu/performance/"):
            tab = tabs(width, path)
            assert nav_link_to_llm_picker(tab) == {"text": "LLMs", "onScreen": True}, path
            assert tab.locator('main a[href="/ml/shop/llm/"]').count() >= 1, path
    for path in (
        "/ml/shop/use-case/large-language-model/",
        "/ml/learn/use-case/large-language-model/",
    ):
        assert tabs("phone", path).locator('main a[href="/ml/shop/llm/"]').is_visible(), path

    tab = tabs("phone", "/ml/shop/use-case/text-to-image/?max_budget=1500")
    assert "No data" in tab.locator("main p.no-data").first.inner_text()
    with tab.expect_navigation():
        tab.click("text=see the finder's image-generation answer")
    assert "task=image-generation" in tab.url and "budget=1500" in tab.url
    answer = tab.locator("section.finder").inner_text()
    assert "Image generation (SDXL), up to $1,500" in answer
    assert tab.locator("ol.finder-picks > li").count() >= 1

    tab = tabs("desktop", "/")
    card = tab.locator("section.card", has_text="Top 5 GPUs for text-to-image")
    shown = card.locator("ol > li").count()
    assert shown == 5 or f"Only {shown} card" in card.inner_text()
    assert card.locator("a", has_text="image-generation answer").is_visible()
