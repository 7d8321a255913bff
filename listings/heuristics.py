"""The listing screen: does an eBay result sell the card we searched for, how many, at what price.

Pure functions over plain data (no Django, no ORM, no HTTP). Sibling variants come from the
catalog's labels, memory sizes, form factors and part numbers, so a new card needs no new rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property, lru_cache
from statistics import median
from typing import Any, Literal

from listings.machine_screen import Machine, machine_problem, read_machine
from listings.terms import (
    ENGINEERING_SAMPLE,
    aspect_texts,
    lot_size,
    says_sample,
    seller_flag,
)
from listings.terms import any_of as _rx


class Reason(StrEnum):
    """Why a listing was dropped; a kept listing has reason ""."""

    PARTS = "parts"
    ACCESSORY = "accessory"
    WRONG_MODEL = "wrong_model"
    SYSTEM = "system"
    BUNDLE = "bundle"
    OTHER = "other"
    PRICE_OUTLIER = "price_outlier"
    CURRENCY = "currency"  # priced in another currency than expected / unparseable price


@dataclass(frozen=True)
class CardFacts:
    """What the screen knows about one catalog card; the ingest builds it from a Gpu row."""

    slug: str
    label: str
    manufacturer: str
    memory_gb: float | None
    form_factor: str
    category: str
    aliases: tuple[str, ...] = ()
    part_numbers: tuple[str, ...] = ()
    typical_price: Decimal | None = None


@dataclass(frozen=True)
class Screened:
    """The screen's verdict on one listing."""

    verdict: Literal["keep", "drop"]
    reason: str  # a Reason's value, "" when kept
    quantity: int
    unit_price: Decimal | None
    currency: str
    note: str = ""
    # What buyers should know and the going rate leaves out, decided whatever the verdict:
    # terms.ENGINEERING_SAMPLE, terms.LOW_FEEDBACK_SELLER.
    flags: tuple[str, ...] = ()


KEEP, DROP = "keep", "drop"
SYSTEM = "system"  # the form factor of a whole computer
PARTS_CONDITION_ID = "7000"  # eBay's "For parts or not working"
LOW_PRICE_RATIO = Decimal("0.3")  # a working card rarely sells under 30% of the going rate
HIGH_PRICE_RATIO = Decimal("10")  # ten times the going rate is a system, a bundle or a typo
# The catalog's typical price is the used market's, not a launch price: a working card rarely
# sells under a quarter of it, while parts, boxes and scams often do.
LOW_TYPICAL_RATIO = Decimal("0.25")
MIN_BATCH = 3  # fewer keeps than this make no going rate; fall back to the catalog's price
CENT = Decimal("0.01")
MAX_PRICE = Decimal("1e9")  # beyond any real listing; also keeps cent rounding exact

# Words right after a model number that make it another card: RTX 4070 Ti, RX 7900 XT, H100 NVL.
VARIANT_WORDS = frozenset(
    {"ti", "super", "xt", "xtx", "gre", "nvl", "pro", "maxq", "d", "mobile", "laptop"}
)
# Label words titles often leave out; alone they do not make another card.
SOFT_WORDS = frozenset({"ada", "blackwell", "workstation", "standard"})
# Makers and brands say whose card it is, not which one.
BRAND_WORDS = frozenset(
    {"nvidia", "amd", "intel", "qualcomm", "geforce", "radeon", "quadro", "tesla", "instinct"}
)
# Label words that are no part of the model name: brands, form factor (checked apart), marketing.
NOISE_WORDS = BRAND_WORDS | {"pcie", "sxm", "sxm2", "sxm3", "sxm4", "sxm5", "oam", "hhhl", "fhfl"}
NOISE_WORDS |= {"grace", "hopper", "superchip", "generation", "edition"}
# Product lines: another line's word before our number is another card (GTX vs RTX, RTX PRO 6000).
LINE_WORDS = frozenset({"rtx", "gtx", "gts", "gt", "rx", "hd", "arc", "titan", "pro"})
# Each rewrite with the words it needs: a title without them skips the pattern (same result).
_NORMALIZE = tuple(
    (re.compile(pattern), repl, needs)
    for pattern, repl, needs in (
        (r"pci[\s-]?e(?:xpress)?", "pcie", ("pci",)),
        (r"\bsmx", "sxm", ("smx",)),  # a frequent misspelling of SXM
        (r"\bmax[\s-]q\b", "maxq", ("max",)),
        (
            r"\b(nvidia|tesla)\s+([a-z])\s(\d{2,3})\b",
            r"\1 \2\3",
            ("nvidia", "tesla"),
        ),  # "Tesla P 100"
        (
            r"\b(rtx|gtx|gts|gt|rx|hd|gaudi)(?=\d)",
            r"\1 ",
            ("rtx", "gt", "rx", "hd", "gaudi"),
        ),  # "RTX4090"
        (r"(?<=\d)tis\b", " ti super", ("tis",)),  # part numbers write the 4070 Ti Super "4070TIS"
        (r"(?<=\d)(xtx|xt|ti|super|gre)\b", r" \1", ("xt", "ti", "super", "gre")),  # "4070Ti"
        (r"(?<![a-z0-9])(\d{4})s\b", r"\1 super", ("s",)),  # "4070S" is the Super
    )
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")  # trademark signs, emoji and mojibake carry no meaning
# A number glued to a dash and a code is a part or revision number, not a model ("L4-9", "T4-D2").
_CODE_TAIL = re.compile(r"-[a-z]?\d(?!\d*\s?gb?\b)")
_MEMORY = re.compile(r"(?<![\w.])(\d{1,3})\s?(?:gb|g(?![a-z0-9]))")
# SXM (and HGX/DGX boards) is the module, not the PCIe card; "not SXM" says the opposite.
_SXM = re.compile(r"(?<!not )(?<!no )(?<!non )(?<!non-)\b(?:sxm\d?|hgx|dgx)")
# Any GPU model a title may name, including the many the catalog does not carry.
_ANY_GPU = _rx(
    r"\b(?:gtx|gts|gt|rtx|rx|hd|r[579]|nvs|fx|mx|arc)\s?[a-z]?\d{3,4}m?\b",
    r"\bquadro\s(?:rtx\s)?[kmpt]?\d{3,4}\b|\bw[x]?\s?\d{4}\b|\bvega\s?\d{2}\b|\btitan\b",
    r"\b(?:[kmp](?:4|6|10|20|40|60|80)|[kmpt]\d{3,4}|[ahlbv]\d{2,4}s?|a2|t4|l4|gh\d{3}|mi\d{2,3}x?)\b",
)
# The seller says it does not work (eBay's condition is checked separately).
_PARTS = _rx(
    r"\bfor\s+parts\b|\bparts\b|\bnot\s+working\b|\bnon[\s-]?working\b|\bdoes\s?n[o']?t\s+work",
    r"\bbroken\b(?!\s+(?:seal|box))|\bfaulty\b|\bdefective\b|\bscrap\b|\bbricked\b|\buntested\b",
    r"\bdamaged?\b(?!\s+(?:box|packag|retail))|(?<!no )\bartifact(?:s|ing)?\b|\bas[\s-]is\b",
    r"\becc\s+errors?\b|\bno\s+(?:display|video|signal|output|post)\b|\b(?:needs?|for)\s+repair\b",
)
# Things sold for a card rather than the card: fans, shrouds, brackets, cables, empty boxes.
_ACCESSORY = _rx(
    r"\b(?:shroud|backplate|back\s?plate|riser|water\s?block|brackets?|baffle|heat\s?sink|"
    r"(?:fan|cooler|cooling|mounting)\s+(?:kit|adapter|attachment|shroud)|(?:nvlink|sli)\s+bridge|"
    r"(?:cooling|blower|turbine|replacement)\s+fans?|(?:power\s+)?cables?|adapter)\b",
    r"\b(?:fans?|cooler|box|housing|shell|radiator|thermal\s+pads?)\s+(?:only|for)\b|\bempty\s+box\b",
    r"\bno\s+(?:pcb|pbc|gpu|card|graphics\s+card)\b|\bwithout\s+(?:gpu|card)\b",
)
# An accessory word inside a card's own description: "with FH bracket", "no bracket", "cable incl".
_WITH_CARD = re.compile(
    r"(?:\bno|\bw/o?|with(?:out)?|\bincl\w*|\bpassive|\bactive|\bsupport|\+)\W*(?:[a-z0-9]+\W+){0,2}$"
)
# A whole computer around the card: its price is not the card's.
_SYSTEM = _rx(
    r"\b(?:gaming|desktop|custom|tower|complete|mini)\s+(?:pc|computer|desktop|build|system)\b",
    r"\b(?:pc|computer)\s+(?:build|system|tower)\b|\bpre-?built\b|\b(?:mining|crypto)\s+rig\b",
    r"\begpu\b|\bexternal\s+gpu\b|\benclosure\b|\bbarebone\b|\b(?:[1-8]u|rack|gpu)\s+server\b",
    r"\bserver\s+(?:with|w/|chassis|system)\b|\bwindows\s?1[01]\b|\b(?:ssd|nvme|hdd)\b",
    r"\bbaseboard\b|\b[48][\s-]gpu\b",  # an HGX board or a server holding several modules
)
# The card sold with a CPU or motherboard: the price buys more than the card.
_BUNDLE = _rx(
    r"\b(?:motherboard|mobo|mainboard|cpu|processor|ryzen|threadripper|epyc|xeon)\b",
    r"\bcore\s+i[3579]\b|\bi[3579][\s-]?\d{4,5}[a-z]{0,2}\b|\b(?:with|w/)\s+i[3579]\b",
    r"\b(?:x[3-8][579]0e?|b[3-8][56]0m?|z[3-8][79]0)\b",  # chipsets, not Arc B570/B580
)
# Laptop chips share desktop names but are slower, smaller cards (MXM modules, "4090 Laptop").
_LAPTOP = _rx(
    r"\b(?:laptop|notebook|mxm|mobile)\b|(?<![\w-])\d{3,4}m\b|\b[gq]n\d{2}-[a-z]\d",
    r"\bzbook\b|\bthinkpad\b|\bprecision\s(?:[357]5\d0|77\d0)\b",
)


def _normalize(text: str) -> str:
    text = text.lower()
    if not text.isascii():
        text = _NON_ASCII.sub(" ", text)
    for pattern, repl, needs in _NORMALIZE:
        if any(word in text for word in needs):
            text = pattern.sub(repl, text)
    return text


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"[a-z0-9]+", text)]


def parse_quantity(title: str) -> int:
    """Cards one purchase gives: "lot of 4", "4pcs", "pair", "2x", "x8", "(qty 5)"; else 1."""
    return lot_size(_normalize(title) if isinstance(title, str) else "")


@dataclass(frozen=True)
class _Name:
    """How titles write one catalog card: prefix words, the model number, variant words."""

    prefix: frozenset[str]  # words before the number ("rtx", "pro")
    model: str  # "4090", "v100", "a5000", "100" (Cloud AI 100)
    suffix: tuple[str, ...]  # variant words right after the number ("ti", "super")
    extra: frozenset[str]  # other words a title must say somewhere ("maxq", "server")
    soft: frozenset[str]  # generation words titles often omit ("ada", "blackwell")
    brand: frozenset[str]  # the label's maker, brand and line words ("nvidia", "geforce", "rx")
    needed: frozenset[str] = frozenset()  # prefix words a sibling lacks, so titles must say them

    # Derived word sets are cached on the instance: names live as long as the catalog index.
    @cached_property
    def words(self) -> frozenset[str]:
        """The words that tell this card from others with the same number."""
        return self.needed | set(self.suffix) | self.extra

    @cached_property
    def all_words(self) -> frozenset[str]:
        return self.prefix | self.words | self.soft | {self.model}

    @cached_property
    def required(self) -> frozenset[str]:
        """Words a title must contain somewhere to name this card."""
        return self.needed | self.extra

    @cached_property
    def other_lines(self) -> frozenset[str]:
        return LINE_WORDS - self.prefix

    @cached_property
    def other_variants(self) -> frozenset[str]:
        return VARIANT_WORDS - self.words


def _parse_name(text: str) -> _Name | None:
    label = [w for w, _, _ in _words(_normalize(re.sub(r"\(.*?\)", " ", text)))]
    words = [w for w in label if w not in NOISE_WORDS and not re.fullmatch(r"\d+gb", w)]
    at = next((i for i, w in enumerate(words) if any(c.isdigit() for c in w)), None)
    if at is None:
        return None
    rest, n = words[at + 1 :], 0
    while n < len(rest) and rest[n] in VARIANT_WORDS:
        n += 1
    return _Name(
        prefix=frozenset(words[:at]),
        model=words[at],
        suffix=tuple(rest[:n]),
        extra=frozenset(w for w in rest[n:] if w not in SOFT_WORDS),
        soft=frozenset(w for w in rest[n:] if w in SOFT_WORDS),
        brand=frozenset(label) & BRAND_WORDS | frozenset(words[:at]),
    )


class _Title:
    """A normalised title split once into words, with where each word stands."""

    __slots__ = ("text", "words", "vocabulary", "positions")

    def __init__(self, text: str):
        self.text = text
        self.words = _words(text)
        self.positions: dict[str, list[int]] = {}
        for i, (word, _, _) in enumerate(self.words):
            self.positions.setdefault(word, []).append(i)
        self.vocabulary = self.positions.keys()


def _find(name: _Name, title: _Title) -> list[tuple[int, int]]:
    """Spans where the title names this card: the number with its prefix and variant words."""
    if name.model not in title.positions or not name.required <= title.vocabulary:
        return []
    words, text, spans = title.words, title.text, []
    for i in title.positions[name.model]:
        word, start, end = words[i]
        if _CODE_TAIL.match(text, end):
            continue
        if i and words[i - 1][0] in name.other_lines:
            continue  # "GTX 3060" or "RTX PRO 6000" is another line's card with the same number
        if word.isdigit():
            if len(word) < 4:
                anchor = {w for w, _, _ in words[max(0, i - 3) : i]} & name.prefix
            else:
                anchor = name.brand & title.vocabulary
            if not anchor:
                continue  # a bare "590" or "2000" means nothing without its "RX", "GeForce"
        after = [w for w, _, _ in words[i + 1 : i + 2 + len(name.suffix)]]
        if tuple(after[: len(name.suffix)]) != name.suffix:
            continue
        if after[len(name.suffix) :] and after[len(name.suffix)] in name.other_variants:
            continue  # "4070 Ti" when we want the 4070; "5080 Super" though the catalog lacks it
        spans.append((start, words[i + len(name.suffix)][2]))
    return spans


@dataclass(frozen=True)
class _Catalog:
    """The catalog read once per search: each card's facts, names and unique part numbers."""

    card: CardFacts
    facts: dict[str, CardFacts]
    names: dict[str, list[_Name]]
    codes: dict[str, str]  # normalised part number -> the one slug that has it
    mobile: bool  # our card is itself a laptop chip or module
    by_model: dict[str, frozenset[str]]  # model number -> slugs of the cards that have it
    code_words: dict[str, tuple[str, ...]]  # a part number's first word -> part numbers
    alias_codes: tuple[str, ...] = ()  # our aliases, normalised, to find as written
    machine: Machine | None = None  # a whole computer's configuration, screened on its own

    def codes_in(self, title: _Title) -> list[str]:
        """Part numbers in a title, in catalog order; a code starts at a word, its first word."""
        found = {
            code
            for w in (*title.vocabulary, "")  # "" holds codes that open with a symbol
            for code in self.code_words.get(w, ())
            if code in title.text
        }
        return sorted(found, key=self.code_rank.__getitem__)

    @cached_property
    def code_rank(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    @cached_property
    def slug_rank(self) -> dict[str, int]:
        return {slug: i for i, slug in enumerate(self.names)}

    @property
    def ours(self) -> list[_Name]:
        return self.names[self.card.slug]

    @cached_property
    def our_words(self) -> frozenset[str]:
        return frozenset(w for n in self.ours for w in n.all_words)

    @cached_property
    def _siblings(self) -> list[CardFacts]:
        keys = {(n.model, n.words) for n in self.ours}
        return [
            self.facts[slug]
            for slug, names in self.names.items()
            if slug != self.card.slug and any((n.model, n.words) in keys for n in names)
        ]

    def siblings(self) -> list[CardFacts]:
        """Cards with our number and variant words: they differ in memory or form factor only."""
        return self._siblings


@lru_cache(maxsize=8)
def _index(
    cards: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...],
) -> tuple[dict[str, list[_Name]], dict[str, str], dict[str, frozenset[str]], dict]:
    """Names, unique part numbers and look-ups of a catalog's (slug, label, aliases, part
    numbers); cached, as every listing needs them and prices do not change them."""
    names = {
        slug: [n for t in (label, *aliases) if (n := _parse_name(t))]
        for slug, label, aliases, _ in cards
    }
    common: dict[str, frozenset[str]] = {}  # prefix words every card with that number shares
    for name in (n for found in names.values() for n in found):
        common[name.model] = common.get(name.model, name.prefix) & name.prefix
    for slug, found in names.items():  # an alias shares its card's brand words
        brand = frozenset().union(*(n.brand for n in found))
        names[slug] = [replace(n, needed=n.prefix - common[n.model], brand=brand) for n in found]
    # Part numbers name one card; a board code ("PG142 SKU 10") is shared by its SKUs, and one
    # that normalises into words ("RX7600 8G-L/OC") is a name, not a code.
    owners: dict[str, set[str]] = {}
    for slug, _, _, part_numbers in cards:
        for code in (_normalize(p.split()[0]) for p in part_numbers if p.strip()):
            if re.fullmatch(r"(?=.*\d)(?=.*[a-z-])\S{5,}", code):
                owners.setdefault(code, set()).add(slug)
    codes = {code: slugs.pop() for code, slugs in owners.items() if len(slugs) == 1}
    by_model: dict[str, set[str]] = {}
    for slug, found in names.items():
        for name in found:
            by_model.setdefault(name.model, set()).add(slug)
    code_words: dict[str, list[str]] = {}
    for code in codes:
        code_words.setdefault(re.match(r"[a-z0-9]*", code).group(), []).append(code)
    return (
        names,
        codes,
        {model: frozenset(slugs) for model, slugs in by_model.items()},
        {word: tuple(found) for word, found in code_words.items()},
    )


def _read_catalog(card: CardFacts, catalog: Sequence[CardFacts]) -> _Catalog:
    # Whole computers are screened by their own rules and name no card.
    cards = [c for c in catalog if c.form_factor != SYSTEM]
    cards = cards if card in cards else [*cards, card]
    names, codes, by_model, code_words = _index(
        tuple((c.slug, c.label, tuple(c.aliases), tuple(c.part_numbers)) for c in cards)
    )
    texts = (card.label, *card.aliases, *card.part_numbers)
    mobile = card.form_factor in ("laptop", "mxm") or any(
        _LAPTOP.search(_normalize(t)) for t in texts
    )
    return _Catalog(
        card=card,
        facts={c.slug: c for c in cards},
        names=names,
        codes=codes,
        mobile=mobile,
        by_model=by_model,
        code_words=code_words,
        alias_codes=tuple(_normalize(a) for a in card.aliases),
        machine=read_machine(card.label, card.memory_gb) if card.form_factor == SYSTEM else None,
    )


def _overlaps(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


@lru_cache(maxsize=4096)
def _code_pattern(code: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(code)}(?![a-z0-9])")


def _code_spans(text: str, code: str) -> list[tuple[int, int]]:
    if code not in text:
        return []
    return [
        m.span() for m in _code_pattern(code).finditer(text) if not _CODE_TAIL.match(text, m.end())
    ]


def _identify(cat: _Catalog, text: str) -> tuple[Reason, str] | None:
    """Why the title does not plainly name our card, or None when it does."""
    card, ours, title = cat.card, cat.ours, _Title(text)
    spans = [span for name in ours for span in _find(name, title)]
    title_codes = cat.codes_in(title)
    own_codes = [code for code in title_codes if cat.codes[code] == card.slug]
    for code in own_codes + list(cat.alias_codes):  # names without a number
        spans += _code_spans(text, code)
    our_words = cat.our_words
    others = []  # (label, name, spans) of the other catalog cards the title names
    # Only cards whose model number is a word of the title can be named by it.
    candidates = set().union(*(cat.by_model.get(w, ()) for w in title.vocabulary)) - {card.slug}
    for slug in sorted(candidates, key=cat.slug_rank.__getitem__):
        found = [(n, s) for n in cat.names[slug] if (s := _find(n, title))]
        if found:
            others.append((cat.facts[slug].label, *found[0]))
    if not spans:
        named = [label for label, _, _ in others] + [m.group() for m in _ANY_GPU.finditer(text)]
        if named:
            return Reason.WRONG_MODEL, f"names {named[0]}, not the {card.label}"
        return Reason.OTHER, f"does not name the {card.label}"
    our_soft = frozenset(w for n in ours for w in n.soft)
    for label, name, _ in others:  # a sibling named more fully than ours (Max-Q, Server Edition)
        if any(name.model == n.model and name.words > n.words for n in ours):
            return Reason.WRONG_MODEL, f"that is the {label}"
        # A generation word only the sibling has: "RTX 6000 Ada" is not the Quadro RTX 6000.
        sibling = any(name.model == n.model and name.words == n.words for n in ours)
        if sibling and (name.soft - our_soft) & title.vocabulary:
            return Reason.WRONG_MODEL, f"that is the {label}"
    for code in title_codes:  # a part number of another card settles which card it is
        slug = cat.codes[code]
        if slug != card.slug and _code_spans(text, code):
            return Reason.WRONG_MODEL, f"part number {code} is the {cat.facts[slug].label}"
    if problem := _form_factor(cat, text) or _memory(cat, text):
        return Reason.WRONG_MODEL, problem
    for label, name, found in others:  # another card named beside ours: a choice or a mix of cards
        elsewhere = not all(_overlaps(span, spans) for span in found)
        if elsewhere and not name.words | {name.model} <= our_words:
            return Reason.WRONG_MODEL, f"also names the {label}"
    for match in _ANY_GPU.finditer(text):  # ... or a model the catalog does not carry
        said, end = set(match.group().split()), match.end()
        again = said <= our_words or _overlaps(match.span(), spans) or _CODE_TAIL.match(text, end)
        cut = end == len(text.rstrip()) and any(o.startswith(w) for w in said for o in our_words)
        if not (again or cut):  # eBay cuts long titles mid-word: "RTX 508" is our 5080
            return Reason.WRONG_MODEL, f"also names {match.group()}"
    return None


def _form_factor(cat: _Catalog, text: str) -> str:
    if cat.card.form_factor != "sxm":
        return "an SXM module, not the PCIe card" if _SXM.search(text) else ""
    if not _SXM.search(text) and any(s.form_factor != "sxm" for s in cat.siblings()):
        return "does not say SXM, so it is the PCIe card"  # the card's slug without "sxm"
    return ""


def _memory(cat: _Catalog, text: str) -> str:
    """Memory in the title that contradicts the card, where memory tells variants apart."""
    ours, said = cat.card.memory_gb, {int(m) for m in _MEMORY.findall(text)} - {0}
    if not ours or not said or said == {ours}:
        return ""
    for sibling in cat.siblings():  # V100 16GB vs 32GB, GH200 96GB vs 144GB
        if sibling.memory_gb in said - {ours}:
            return f"{sibling.memory_gb:g}GB is the {sibling.label}"
    sizes = "/".join(map(str, sorted(said)))
    if re.search(r"\d+gb", cat.card.slug):  # the slug pins the memory: other sizes are other cards
        return f"says {sizes}GB; the {cat.card.label} has {ours:g}GB"
    # Without its generation word ("Ada"), a wrong size or "Quadro" is the older card's number.
    soft = {w for n in cat.ours for w in n.soft}
    older = ours not in said or "quadro" in text
    if soft and older and not soft & set(re.findall(r"[a-z0-9]+", text)):
        return f"no {'/'.join(sorted(soft))} and {sizes}GB: an older card with that number"
    return ""


def _problem(cat: _Catalog, item: Mapping[str, Any], text: str) -> tuple[Reason, str] | None:
    """The first rule the listing breaks, as (reason, note), or None for a plain offer."""
    condition = f"{item.get('conditionId', '')} {item.get('condition', '')}".lower()
    if PARTS_CONDITION_ID in condition or "parts" in condition:
        return Reason.PARTS, "condition: for parts or not working"
    if cat.card.form_factor == SYSTEM:
        if cat.machine is None:
            return Reason.OTHER, f"no screen rules for the {cat.card.label}"
        found = machine_problem(cat.machine, text)
        return (Reason(found[0]), found[1]) if found else None
    if m := _PARTS.search(text):
        return Reason.PARTS, f"for parts: {m.group()}"
    for m in _ACCESSORY.finditer(text):
        if not _WITH_CARD.search(text, 0, m.start()) and not re.match(r"\W*incl", text[m.end() :]):
            return Reason.ACCESSORY, f"accessory: {m.group()}"
    if m := _SYSTEM.search(text):
        return Reason.SYSTEM, f"whole system: {m.group()}"
    if m := _BUNDLE.search(text):
        return Reason.BUNDLE, f"with other hardware: {m.group()}"
    if not cat.mobile and (m := _LAPTOP.search(text)):
        return Reason.WRONG_MODEL, f"laptop part: {m.group()}"
    return _identify(cat, text)


def _price(item: Mapping[str, Any]) -> tuple[Decimal | None, str]:
    price = item.get("price")
    if not isinstance(price, Mapping):
        return None, ""
    currency = price.get("currency")
    currency = currency.strip().upper() if isinstance(currency, str) else ""
    try:
        value = Decimal(str(price.get("value")).strip())
    except (InvalidOperation, ValueError):
        return None, currency
    return (value if value.is_finite() and 0 < value < MAX_PRICE else None), currency


def _flags(item: Mapping[str, Any], text: str) -> tuple[str, ...]:
    """The offer's flags: an engineering sample by its title or item specifics, a seller
    without a track record by its feedback."""
    texts = [text, *(_normalize(t) for t in aspect_texts(item))]
    sample = any(says_sample(t) for t in texts)
    return tuple(f for f in (ENGINEERING_SAMPLE if sample else "", seller_flag(item)) if f)


def _screen(cat: _Catalog, item: Mapping[str, Any], currency: str) -> Screened:
    item = item if isinstance(item, Mapping) else {}
    title = item.get("title") if isinstance(item.get("title"), str) else ""
    text = _normalize(title)
    quantity = lot_size(text)
    value, item_currency = _price(item)
    unit = (value / quantity).quantize(CENT, rounding=ROUND_HALF_UP) if value else None
    flags = _flags(item, text)

    def verdict(reason: Reason | None, note: str = "") -> Screened:
        text = str(reason) if reason else ""
        return Screened(DROP if reason else KEEP, text, quantity, unit, item_currency, note, flags)

    if unit is None:
        return verdict(Reason.CURRENCY, "missing or unreadable price")
    if item_currency != currency.upper():
        return verdict(Reason.CURRENCY, f"priced in {item_currency or '?'}, not {currency}")
    if not title.strip():
        return verdict(Reason.OTHER, "no title")
    if cat.card.form_factor == "laptop":  # the GPU is sold only inside laptops, never as a card
        return verdict(Reason.SYSTEM, f"the {cat.card.label} is a laptop GPU: no card to buy")
    if problem := _problem(cat, item, text):
        return verdict(*problem)
    notes = [f"lot of {quantity}"] if quantity > 1 else []
    notes += [f"engineering sample: {says_sample(text)}"] if says_sample(text) else []
    return verdict(None, "; ".join(notes))


def _check_price(screened: Screened, going: Decimal, low_ratio: Decimal) -> Screened:
    """Far under the going price is an accessory, a part or a scam; far over, not one card."""
    unit = screened.unit_price
    if screened.verdict != KEEP or unit is None:
        return screened
    if unit < going * low_ratio:
        note = f"{unit} each, far under the going {going}: not a working card"
    elif unit > going * HIGH_PRICE_RATIO:
        note = f"{unit} each, far over the going {going}: a system, a bundle or a typo"
    else:
        return screened
    return replace(screened, verdict=DROP, reason=str(Reason.PRICE_OUTLIER), note=note)


def screen_listing(
    *,
    card: CardFacts,
    catalog: Sequence[CardFacts],
    item: Mapping[str, Any],
    reference_price: Decimal | None = None,
    currency: str = "USD",
) -> Screened:
    """Screen one eBay itemSummary for one card; with a reference price, also check the price."""
    screened = _screen(_read_catalog(card, catalog), item, currency)
    if reference_price:
        return _check_price(screened, Decimal(reference_price), LOW_PRICE_RATIO)
    return screened


def screen_listings(
    *,
    card: CardFacts,
    catalog: Sequence[CardFacts],
    items: Sequence[Mapping[str, Any]],
    currency: str = "USD",
) -> list[Screened]:
    """Screen one search's items; derives a robust reference price from the batch (else
    card.typical_price, the catalog's typical used/new price) for price sanity."""
    cat = _read_catalog(card, catalog)
    screened = [_screen(cat, item, currency) for item in items]
    prices = [s.unit_price for s in screened if s.verdict == KEEP and s.unit_price]
    if len(prices) >= MIN_BATCH:  # the median of what passed resists a few wild prices
        going = Decimal(median(prices))
        return [_check_price(s, going, LOW_PRICE_RATIO) for s in screened]
    if card.typical_price:
        return [_check_price(s, Decimal(card.typical_price), LOW_TYPICAL_RATIO) for s in screened]
    return screened
