"""The terms of an offer beyond which card it is: how many cards one purchase gives, whether they
are engineering samples, and whether the seller has a track record.

Pure functions over a title the screen has already normalised (lower case, ASCII, "pci-e" written
"pcie") and over the item's plain data; the screen (listings/heuristics.py) calls them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ENGINEERING_SAMPLE = "engineering-sample"
LOW_FEEDBACK_SELLER = "low-feedback-seller"
# A seller needs this much track record for its prices to count: eBay's feedback score (ratings
# received, all time) and its positive share over the last 12 months.
MIN_FEEDBACK_SCORE = 10
MIN_FEEDBACK_PERCENT = 95.0

CARD_WORDS = (
    r"nvidia|amd|intel|geforce|radeon|tesla|quadro|rtx|gtx|rx|arc|gpus?|graphics|video|cards?|"
    r"asus|msi|gigabyte|evga|zotac|pny|sapphire|xfx|powercolor|asrock|dell|hpe?|lenovo"
)


def any_of(*patterns: str) -> re.Pattern[str]:
    """One compiled pattern matching any of these."""
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10}
_N = r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + ")"
# What a card has several of, so "2x" before or "x2" after it counts them, not cards:
# "3x WINDFORCE fans", "2x 8-pin", "HDMI x2", "4x DP".
_FEATURE = (
    r"\d*\s*-?\s*pins?\b|fans?\b|hdmi|dp\b|displayports?|dvi|mdp|vga|usb|ports?\b|outputs?\b|"
    r"slots?\b|windforce|connectors?|heat\s?pipes?|gen\s?\d?\b|lanes?\b|links?\b|pcie"
)
# Things sold in pairs that are not cards: "pair of cables" is one card's accessories.
_PAIRED_THINGS = (
    r"cables?|cords?|fans?|brackets?|adapters?|risers?|connectors?|screws?|bridges?|pads?|"
    r"heat\s?sinks?|coolers?|backplates?|shrouds?|power|nvlink|sli|8-?pin|6-?pin"
)
# "4 units available" is eBay's stock of single cards, not a lot.
_IN_STOCK = r"(?!\s+(?:available|avail|in\s+stock|left|on\s+hand|sold))"
# In order of trust: "lot of 4", "4pcs", "pair", "(qty 5)", "4x NVIDIA", "x8"; the last two
# write the count with an "x", as lane widths and features are written too.
_LOT = (
    (
        any_of(
            rf"\b(?:lot|set|pack|box|bundle)\s+of\s+\(?{_N}\)?(?!\w)",
            rf"\blot\s*[:x#(]?\s*{_N}\b",
            r"^\W*\((\d{1,3})\)",
        ),
        False,
    ),
    (any_of(rf"\b{_N}\s*-?\s*(?:pcs|pieces|units?|cards|gpus|pack|pk|lot)\b{_IN_STOCK}"), False),
    (any_of(rf"\b(?:a\s+|matched\s+)?(pair)\b(?!\s+of\s+(?:\w+\s+)?(?:{_PAIRED_THINGS}))"), False),
    (any_of(rf"\b(?:qty|quantity)\s*[:.]?\s*(\d{{1,3}})\b{_IN_STOCK}"), False),
    (
        any_of(
            rf"^\W*(\d{{1,3}})\s?x\b(?!\s*(?:{_FEATURE}))",
            rf"\b(\d{{1,3}})\s?x\s+(?={CARD_WORDS}|[a-z]{{0,3}}\d{{2,4}}\b)",
            rf"^\W*{_N}\s+(?={CARD_WORDS})",
        ),
        True,
    ),
    (
        any_of(
            rf"(?<![\w.])x\s?(\d{{1,3}})\s+(?={CARD_WORDS})",
            rf"(?<![\w.])x\s?(\d{{1,3}})\b(?!\s*(?:{_FEATURE}))",
        ),
        True,
    ),
)
# "PCIe 4.0 x16", "Gen4 x8": the x counts lanes.
_LANES = re.compile(r"(?:pcie|gen\s?\d?|\d\.\d|slot|lanes?)\W*$")
# A port or cooler name before "2x"/"x2" counts that: "HDMI x2", "Ventus 2X", "DP x3".
_COUNTED_BEFORE = re.compile(
    r"(?:hdmi|dp|displayports?|dvi|mdp|vga|usb|fans?|ventus|windforce|twin|dual|trio|eagle|"
    r"aero|frozr|torx|ichill)\W*$"
)
LANE_WIDTHS = frozenset({16, 32})  # "x16" is a slot, never a lot of sixteen
GPU_LINKS = frozenset({1, 4, 8, 16, 32})  # widths a card's link has; nobody writes "PCIe x2"


def _counts_something_else(before: str, count: int) -> bool:
    """Whether a count written with an x counts lanes, ports or fans rather than cards."""
    if count in LANE_WIDTHS or _COUNTED_BEFORE.search(before):
        return True
    return count in GPU_LINKS and bool(_LANES.search(before))


def lot_size(text: str) -> int:
    """Cards one purchase gives, read from a normalised title: "lot of 4", "4pcs", "pair",
    "2x", "x8", "(qty 5)", "set of 2"; else 1."""
    for pattern, x_form in _LOT:
        for match in pattern.finditer(text):
            raw = next(group for group in match.groups() if group)
            count = 2 if raw == "pair" else _NUMBER_WORDS.get(raw) or int(raw)
            if x_form and _counts_something_else(text[: match.start()], count):
                continue
            if 1 <= count <= 1000:
                return count
    return 1


# Pre-release silicon: engineering (ES) and qualification (QS) samples, pre-production boards.
# They may lack features, run at other clocks, need special firmware or have no warranty.
_SAMPLE = any_of(
    r"\b(?:engineering|qualification|eng|qual)\.?\s+(?:samples?|versions?|boards?|cards?)\b",
    r"\b(?:es|qs)\b(?![-/.]\w)",
    r"\bpre[\s-]?(?:production|release)\b",
    r"\bsamples?\b",
)
# "Not ES", "non-ES", "no engineering sample": the seller says it is the retail card.
_NEGATED = re.compile(r"\b(?:not|non|no)\b[\s-]*(?:an?\s+|the\s+)?$")
# A sample photo is a picture of the item, not an item that is a sample.
_SAMPLE_PICTURE = re.compile(
    r"\bsamples?\s+(?:photos?|pictures?|pics?|images?|only\s+for)|(?:photos?|pictures?|pics?|"
    r"images?)\s+(?:is\s+|are\s+)?(?:an?\s+|for\s+)?(?:samples?|reference)\b"
)


def says_sample(text: str) -> str:
    """The words that make the normalised text an engineering or qualification sample, or ""."""
    for match in _SAMPLE.finditer(text):
        if _NEGATED.search(text, 0, match.start()):
            continue
        around = text[max(0, match.start() - 20) : match.end() + 20]
        if match.group().startswith("sample") and _SAMPLE_PICTURE.search(around):
            continue
        return match.group()
    return ""


def aspect_texts(item: Mapping[str, Any]) -> list[str]:
    """The item specifics the API gave ("Name: value"), when it gave any."""
    aspects = item.get("localizedAspects")
    if not isinstance(aspects, list):
        return []
    texts = []
    for aspect in aspects:
        if not isinstance(aspect, Mapping):
            continue
        name, value = aspect.get("name"), aspect.get("value")
        if isinstance(name, str) and isinstance(value, str):
            if value.strip().lower() in ("no", "false", "n/a", "none", "retail"):
                continue  # "Engineering Sample: No" says the opposite
            texts.append(f"{name}: {value}")
    return texts


def seller_flag(item: Mapping[str, Any]) -> str:
    """LOW_FEEDBACK_SELLER when the seller's stated feedback shows little track record: a score
    under MIN_FEEDBACK_SCORE or under MIN_FEEDBACK_PERCENT positive over the last 12 months;
    "" otherwise or unstated."""
    seller = item.get("seller")
    if not isinstance(seller, Mapping):
        return ""
    score, percent = _number(seller.get("feedbackScore")), _number(seller.get("feedbackPercentage"))
    if score is not None and score < MIN_FEEDBACK_SCORE:
        return LOW_FEEDBACK_SELLER
    # eBay gives 0.0 when the seller had no ratings in the last 12 months (sellers with
    # hundreds of ratings show it): no recent record, not an unhappy one; the score decides.
    if percent is not None and 0 < percent < MIN_FEEDBACK_PERCENT:
        return LOW_FEEDBACK_SELLER
    return ""


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number == number and abs(number) != float("inf") else None
