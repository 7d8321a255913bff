"""The listing screen for whole computers: does an eBay title sell the machine configuration we
searched for (chip, CPU and GPU cores, memory; storage does not matter), working and unlocked?

Pure functions over plain data, like listings.heuristics, which calls `machine_problem` for a
catalog entry of form factor "system" after its own checks of price, currency and condition.
A configuration is read from the entry's label ("Apple Mac Studio M2 Ultra 24-core CPU 76-core
GPU 192GB", "AMD Ryzen AI Max+ 395 128GB", "NVIDIA DGX Spark") and memory; a title must name the
product, the chip and the memory, and say the GPU cores wherever Apple sells that chip with that
memory and more than one GPU.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Reasons, as listings.heuristics.Reason spells them.
PARTS, ACCESSORY, WRONG_MODEL, BUNDLE = "parts", "accessory", "wrong_model", "bundle"
OTHER = "other"

# Apple's configurations, as ShopAgent knows Apple's tech specs (2026-12): the GPU each CPU core
# count comes with, and the memory sizes each GPU is sold with. A title that names neither core
# count is taken only where the memory size leaves one GPU.
APPLE_CHIPS: dict[str, tuple[dict[int, tuple[int, ...]], dict[int, tuple[int, ...]]]] = {
    "m1 max": ({10: (24, 32)}, {24: (32, 64), 32: (32, 64)}),
    "m1 ultra": ({20: (48, 64)}, {48: (64, 128), 64: (64, 128)}),
    "m2 max": ({12: (30, 38)}, {30: (32, 64, 96), 38: (32, 64, 96)}),
    "m2 ultra": ({24: (60, 76)}, {60: (64, 128, 192), 76: (64, 128, 192)}),
    "m3 max": ({14: (30,), 16: (40,)}, {30: (36, 96), 40: (48, 64, 128)}),
    "m3 ultra": ({28: (60,), 32: (80,)}, {60: (96, 256), 80: (96, 256, 512)}),
    "m4 pro": ({12: (16,), 14: (20,)}, {16: (24, 48, 64), 20: (24, 48, 64)}),
    "m4 max": ({14: (32,), 16: (40,)}, {32: (36,), 40: (48, 64, 128)}),
}
APPLE_PRODUCTS = ("mac studio", "macbook pro", "mac mini", "mac pro", "imac", "macbook air")
_PRODUCT = {p: re.compile(rf"\b{p.replace(' ', '[ ]?')}\b") for p in APPLE_PRODUCTS}
LAPTOP_PRODUCTS = frozenset({"macbook pro", "macbook air"})
STRIX_MEMORY = (32, 64, 96, 128)  # the Ryzen AI Max 300 machines' memory sizes
# NVIDIA's and the OEMs' GB10 machines, and what shares a word with them but is not one.
GB10_NAMES = re.compile(
    r"\bdgx\s*spark\b|\bgb\s?10\b|\bascent\s*gx\s?10\b|\bzgx\s*nano\b|\bthinkstation\s*pgx\b|"
    r"\bedge\s?xpert\b|\bveriton\s*gn\s?100\b|\bai\s*top\s*atom\b"
)
NOT_GB10 = re.compile(r"\bdgx\s*station\b|\bjetson\b|\bgb\s?[23]00\b|\bgh\s?200\b|\bthor\b")

_CHIP = re.compile(r"\bm([1-5])\s*(pro|max|ultra)?\b")
_STRIX = re.compile(r"\bai\s*max\s*\+?\s*(?:plus\s*)?(?:pro\s*)?(3[89]\d)\b")
_OTHER_CPU = re.compile(
    r"\bryzen\s+(?:ai\s+)?[3579]\b|\b\d{3,5}(?:hx|hs|h|u|x3d)\b|\b(?:hx|hs|h)\s?\d{3}\b|"
    r"\bcore\s+(?:ultra\s+)?i?[3579]\b|\bi[3579]-\d{4,5}"
)
_GPU_CORES = re.compile(
    r"(\d{2})[\s-]*(?:core|c)?\s*(?:gpu|graphics)\b|\bgpu\s*(?:with\s*)?(\d{2})[\s-]*(?:core|c)\b"
)
_CPU_CORES = re.compile(r"(\d{1,2})[\s-]*(?:core|c)\s*cpu\b|\bcpu\s*(\d{1,2})[\s-]*(?:core|c)\b")
_PAIR = re.compile(r"\b(\d{1,2})\s*c(?:ore)?\s*/\s*(\d{2})\s*c(?:ore)?\b")  # "16C/40C"
_BARE_CORES = re.compile(r"\b(\d{1,2})[\s-]*core\b(?!\s*(?:cpu|gpu|graphics|neural))")
# A size read as storage: before or after SSD, storage, flash and the like, or in TB.
_GB = re.compile(r"(?<![\w.])(\d{2,3})\s*gb\b")
_STORAGE_AFTER = re.compile(r"\W{0,3}(?:ssd|storage|flash|nvme|hdd|hd|drive|disk|rom)\b")
_STORAGE_BEFORE = re.compile(r"\b(?:ssd|storage|flash|nvme|hdd|drive|disk)\W{0,3}$")
_MEMORY_AFTER = re.compile(r"\W{0,3}(?:ram|memory|unified|lpddr\w*)\b")

_PARTS = re.compile(
    r"\bfor\s+parts\b|\bparts\s+only\b|\bparts\s*/\s*repair\b|\bnot\s+working\b|"
    r"\bnon[\s-]?working\b|\bdoes\s?n[o']?t\s+(?:work|boot|power|turn)\b|"
    r"\bwon'?t\s+(?:boot|power|turn|start)\b|\bno\s+power\b|\bbroken\b|\bfaulty\b|\bdefective\b|"
    r"\bdamaged?\b(?!\s+(?:box|packag))|\b(?:water|liquid)\s+damage|\bas[\s-]is\b|\buntested\b|"
    r"\b(?:needs?|for)\s+repair\b|\b(?:logic\s*board|mother\s*board|main\s*board)\b|"
    r"\bno\s+(?:ssd|storage|hard\s+drive)\b"
)
# iCloud, activation, MDM and firmware locks make a machine unusable by its buyer; "unlocked",
# "not locked", "lock removed" and "MDM free" say the opposite.
_LOCK = re.compile(
    r"(?<!not\s)(?<!no\s)(?<!without\s)\b(?:icloud|activation|mdm|bios|firmware|efi)[\s-]*"
    r"(?:lock(?:ed)?|enrolled|profile|managed|password)\b"
    r"(?!\W*(?:free|removed|off|disabled|clean|cleared|unlocked))|"
    r"(?<!not\s)(?<!no\s)\bmdm\b(?!\W*(?:free|removed|off|disabled|clean|unlocked|lock\s+free))|"
    r"\bbypass(?:ed)?\b|\bblack\s?list(?:ed)?\b|\b(?:account|password)\s+locked\b"
)
_EMPTY_BOX = re.compile(
    r"\bempty\s+box\b|\bbox\s+only\b|\bonly\s+(?:the\s+)?(?:original\s+)?box\b|"
    r"\bpackaging\s+only\b|\bno\s+(?:computer|mac|machine|unit)\s+included\b"
)
_ACCESSORY = re.compile(
    r"\b(?:case|sleeve|stand|mount|bracket|dust\s+cover|skin|decal|charger|"
    r"power\s+(?:adapter|cable|cord|supply|brick)|adapter|cables?|dock(?:ing\s+station)?|"
    r"screen\s+protector|replacement\s+(?:fan|ssd|battery|screen|display|keyboard)|"
    r"heat\s*sink|fan|ssd\s+module|rack\s+(?:mount|shelf|tray|kit)|qsfp)\b"
)
# An accessory word inside the machine's own description: "with charger", "incl. power cable",
# "case included".
_INCLUDED = re.compile(
    r"(?:\bwith|\bw/|\bincl\w*|\band|\bplus|\bcomes|&|\+)\W*(?:[a-z0-9]+\W+){0,3}$"
)
_INCLUDED_AFTER = re.compile(r"\W*(?:incl\w*|included)\b")
# A monitor sold with the machine: the price buys more than the machine.
_BUNDLE = re.compile(r"\bstudio\s+display\b|\bpro\s+display\b|\bmonitors?\b")
_SCREEN = re.compile(
    r"\b(?:broken|cracked|damaged|bad|dead|faulty|shattered)\s+(?:screen|display|lcd|glass)\b|"
    r"\b(?:screen|display|lcd)\s+(?:damage|damaged|broken|cracked|crack|issues?|problems?|"
    r"lines?|spots?|burn|flicker\w*)\b|\bdead\s+pixels?\b|\bstain\s?gate\b|\bdelamination\b|"
    r"\bno\s+(?:screen|display|lcd)\b"
)
_LAPTOP = re.compile(r"\b(?:laptop|notebook|tablet|flow\s*z13|zbook)\b")


@dataclass(frozen=True)
class Machine:
    """One catalog configuration as the screen reads it from its label and memory."""

    kind: str  # "apple", "strix" or "gb10"
    product: str  # Apple's product name ("mac studio"); "" for the others
    chip: str  # "m2 ultra", "395", "gb10"
    cpu_cores: int | None
    gpu_cores: int | None
    memory_gb: int | None

    @property
    def laptop(self) -> bool:
        return self.product in LAPTOP_PRODUCTS


@lru_cache(maxsize=256)
def read_machine(label: str, memory_gb: float | None) -> Machine | None:
    """The configuration a catalog label names; None for a label of no known kind."""
    text = label.lower()
    memory = int(memory_gb) if memory_gb else None
    if text.startswith("apple "):
        chip = _CHIP.search(text)
        product = next((p for p in APPLE_PRODUCTS if p in text), "")
        cpu, gpu = _CPU_CORES.search(text), _GPU_CORES.search(text)
        if not chip or not product:
            return None
        return Machine(
            "apple",
            product,
            _chip_name(chip),
            int(next(g for g in cpu.groups() if g)) if cpu else None,
            int(next(g for g in gpu.groups() if g)) if gpu else None,
            memory,
        )
    if strix := _STRIX.search(text):
        return Machine("strix", "", strix.group(1), None, None, memory)
    if GB10_NAMES.search(text):
        return Machine("gb10", "", "gb10", None, None, memory)
    return None


def machine_problem(machine: Machine, text: str) -> tuple[str, str] | None:
    """The first rule a normalised title breaks for this machine, as (reason, note); None for a
    working, unlocked offer of this very configuration."""
    if m := _PARTS.search(text):
        return PARTS, f"for parts: {m.group()}"
    if m := _LOCK.search(text):
        return PARTS, f"locked: {m.group()}"
    if m := _EMPTY_BOX.search(text):
        return ACCESSORY, f"no machine: {m.group()}"
    if m := _accessory(machine, text):
        return ACCESSORY, f"accessory: {m.group()}"
    if m := _BUNDLE.search(text):
        return BUNDLE, f"with a monitor: {m.group()}"
    laptop = machine.laptop or (machine.kind == "strix" and _LAPTOP.search(text))
    if laptop and (m := _SCREEN.search(text)):
        return PARTS, f"screen: {m.group()}"
    if machine.kind == "apple":
        return _apple(machine, text)
    if machine.kind == "strix":
        return _strix(machine, text)
    return _gb10(text)


def _accessory(machine: Machine, text: str) -> re.Match | None:
    """An accessory sold for the machine ("Stand for Mac Studio", "Charger for MacBook Pro ...
    only"), not one listed with it ("... with charger", "case included"); a cable or charger
    after the machine's name is left to the price check, which a $20 part fails."""
    name = _name_at(machine, text)
    for m in _ACCESSORY.finditer(text):
        if _INCLUDED.search(text, 0, m.start()) or _INCLUDED_AFTER.match(text, m.end()):
            continue
        if m.start() < name or re.search(r"\bfor\b", text[m.end() :]) or "only" in text:
            return m
    return None


def _name_at(machine: Machine, text: str) -> int:
    """Where the title first names the machine (its product, chip or GB10 name); its end when
    it never does."""
    if machine.kind == "apple":
        patterns = [_PRODUCT[machine.product], _CHIP]
    elif machine.kind == "strix":
        patterns = [_STRIX]
    else:
        patterns = [GB10_NAMES]
    found = [m.start() for p in patterns if (m := p.search(text))]
    return min(found, default=len(text))


def _chip_name(match: re.Match) -> str:
    return f"m{match.group(1)}" + (f" {match.group(2)}" if match.group(2) else "")


def _numbers(pattern: re.Pattern, text: str) -> set[int]:
    return {int(next(g for g in m.groups() if g)) for m in pattern.finditer(text)}


def _memory(text: str, sizes) -> set[int]:
    """Memory sizes a title states: its GB figures that are sizes the chip is sold with and
    not storage (storage never matters)."""
    found = set()
    for m in _GB.finditer(text):
        size = int(m.group(1))
        storage = _STORAGE_AFTER.match(text, m.end()) or _STORAGE_BEFORE.search(text, 0, m.start())
        if size in sizes and (not storage or _MEMORY_AFTER.match(text, m.end())):
            found.add(size)
    return found


def _apple(machine: Machine, text: str) -> tuple[str, str] | None:
    named = [p for p in APPLE_PRODUCTS if _PRODUCT[p].search(text)]
    if other := [p for p in named if p != machine.product]:
        return WRONG_MODEL, f"names a {other[0].title()}, not a {machine.product.title()}"
    if not named:
        return OTHER, f"does not say {machine.product.title()}"
    chips = {_chip_name(m) for m in _CHIP.finditer(text)}
    if machine.chip not in chips:
        said = sorted(chips)[0].upper() if chips else "no chip"
        return WRONG_MODEL, f"names {said}, not the {machine.chip.upper()}"
    if other := sorted(chips - {machine.chip}):
        return WRONG_MODEL, f"also names the {other[0].upper()}"
    if problem := _apple_cores(machine, text):
        return problem
    sizes = {s for sizes in APPLE_CHIPS[machine.chip][1].values() for s in sizes}
    return _memory_problem(machine, text, sizes)


def _apple_cores(machine: Machine, text: str) -> tuple[str, str] | None:
    """The GPU cores the title says, or its CPU cores where they pin the GPU, or a memory size
    sold with one GPU only; otherwise it does not say which configuration it is."""
    by_cpu, by_gpu = APPLE_CHIPS[machine.chip]
    gpus, cpus = _numbers(_GPU_CORES, text), _numbers(_CPU_CORES, text)
    for pair in _PAIR.finditer(text):  # "16C/40C": CPU cores, then GPU cores
        cpus.add(int(pair.group(1)))
        gpus.add(int(pair.group(2)))
    for bare in _numbers(_BARE_CORES, text):  # "28-Core 60-Core GPU": an untagged count
        (cpus if bare in by_cpu else gpus if bare in by_gpu else set()).add(bare)
    if gpus - {machine.gpu_cores}:
        return WRONG_MODEL, f"{max(gpus)}-core GPU, not the {machine.gpu_cores}-core"
    if machine.cpu_cores and cpus - {machine.cpu_cores}:
        return WRONG_MODEL, f"{max(cpus)}-core CPU, not the {machine.cpu_cores}-core"
    if gpus or any(by_cpu.get(cpu) == (machine.gpu_cores,) for cpu in cpus):
        return None
    with_memory = [gpu for gpu, sizes in by_gpu.items() if machine.memory_gb in sizes]
    if with_memory == [machine.gpu_cores]:
        return None
    options = " or ".join(str(gpu) for gpu in sorted(by_gpu))
    return OTHER, f"does not say its GPU cores ({machine.chip.upper()}: {options})"


def _memory_problem(machine: Machine, text: str, sizes) -> tuple[str, str] | None:
    said = _memory(text, sizes)
    if not said:
        return OTHER, "does not say its memory"
    if said != {machine.memory_gb}:
        other = max(said - {machine.memory_gb})
        return WRONG_MODEL, f"{other}GB of memory, not {machine.memory_gb}GB"
    return None


def _strix(machine: Machine, text: str) -> tuple[str, str] | None:
    chips = {m.group(1) for m in _STRIX.finditer(text)}
    if other := sorted(chips - {machine.chip}):
        return WRONG_MODEL, f"names the Ryzen AI Max {other[0]}, not the {machine.chip}"
    if not chips:
        if m := _OTHER_CPU.search(text):
            return WRONG_MODEL, f"names {m.group()}, not the Ryzen AI Max+ {machine.chip}"
        return OTHER, f"does not name the Ryzen AI Max+ {machine.chip}"
    return _memory_problem(machine, text, STRIX_MEMORY)


def _gb10(text: str) -> tuple[str, str] | None:
    if m := NOT_GB10.search(text):
        return WRONG_MODEL, f"names {m.group()}, not a GB10 machine"
    if not GB10_NAMES.search(text):
        return OTHER, "does not name a DGX Spark or GB10 machine"
    return None
