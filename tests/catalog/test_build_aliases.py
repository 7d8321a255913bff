"""Card aliases from the fixture builder: each names one card, so a listing found by one is
priced on the card it is."""

import json

from catalog.build import shared_aliases
from catalog.loader import default_fixtures_dir

CARDS = {
    gpu["slug"]: gpu
    for gpu in json.loads((default_fixtures_dir() / "gpus.json").read_text(encoding="utf-8"))
}


def test_each_gh200_alias_says_its_memory_size():
    for slug, size in (("nvidia-gh200-96gb", "96GB"), ("nvidia-gh200-144gb", "144GB")):
        aliases = CARDS[slug]["aliases"]
        assert "GH200 Grace Hopper Superchip" not in aliases
        assert f"GH200 Grace Hopper Superchip {size}" in aliases
        assert all(size in alias for alias in aliases), aliases


def test_no_alias_names_two_cards():
    assert shared_aliases(list(CARDS.values())) == {}


def test_an_alias_shared_by_two_cards_is_reported_with_both():
    cards = [
        {"slug": "nvidia-gh200-96gb", "aliases": ["GH200 Grace Hopper Superchip", "GH200 96GB"]},
        {"slug": "nvidia-gh200-144gb", "aliases": ["GH200 grace hopper superchip"]},
    ]
    assert shared_aliases(cards) == {
        "gh200 grace hopper superchip": ["nvidia-gh200-96gb", "nvidia-gh200-144gb"]
    }
