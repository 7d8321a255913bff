"""MLPerf Inference result records for the catalog fixtures, from the shared reference CSV's rows
and the hand-read rows of fixtures/mlperf_extra_results.json (catalog/build.py runs them)."""

from __future__ import annotations

# Hand-read MLPerf results the reference CSV lacks, in its columns (each cites its log).
EXTRA_RESULTS_FILE = "mlperf_extra_results.json"


def number(text: str) -> float | None:
    """A CSV cell as a float; blank stays None, never 0."""
    text = (text or "").strip()
    return float(text) if text else None


# MLPerf converts GPT-J samples/s to tokens/s at a fixed 69 tokens per sample: every official
# v4.1+ GPT-J result is exactly 69.000 x the log's samples/s. Older rounds published samples/s only.
GPTJ_TOKENS_PER_SAMPLE = 69
GPTJ_DERIVED_NOTE = "tokens/s derived: 69 tokens per sample, MLPerf's GPT-J conversion"


def build_result(row: dict) -> dict:
    tokens = number(row["tokens_per_s"])
    notes = row["notes"]
    if tokens is None and row["official_units"] == "Tokens/s":
        # MLPerf reports GPT-J in tokens/s from v4.1; the log summary only has samples/s.
        tokens = number(row["official_result"])
        notes = "; ".join(filter(None, [notes, "tokens/s is the official result"]))
    if tokens is None and row["benchmark"].startswith("gptj-"):
        # Derived the way MLPerf derives it, so a pre-v4.1 run ranks on the official LLM metric.
        tokens = round(float(row["samples_per_s"]) * GPTJ_TOKENS_PER_SAMPLE, 3)
        notes = "; ".join(filter(None, [notes, GPTJ_DERIVED_NOTE]))
    return {
        "gpu": row["gpu_slug"],
        "model": row["benchmark"],
        "round": f"MLPerf Inference {row['version']}",
        "division": "Closed",
        "scenario": row["scenario"],
        "accelerator_count": int(row["accelerator_count"]),
        "samples_per_s": float(row["samples_per_s"]),
        "tokens_per_s": tokens,
        "system_id": row["system_id"],
        "system_name": row["system_name"],
        "submitter": row["submitter"],
        "availability": row["availability"],
        "framework": row["framework"],
        "notes": notes,
        "source_url": row["source"],
    }


def build_results(result_rows: list[dict], slugs: set[str]) -> tuple[list[dict], list[str]]:
    """The result records of catalog cards, and a line for each row naming no catalog card
    (reported, not hidden)."""
    unmatched = [row for row in result_rows if row["gpu_slug"] not in slugs]
    skipped = [
        f"no catalog card for {row['version']} {row['benchmark']} "
        f"{row['accelerator']!r} (gpu_slug {row['gpu_slug']!r}): {row['source']}"
        for row in unmatched
    ]
    records = [build_result(row) for row in result_rows if row["gpu_slug"] in slugs]
    return records, skipped


def extra_results(extra: list[dict], result_rows: list[dict]) -> list[dict]:
    """The hand-read result rows, checked: the reference CSV's columns exactly, a published log as
    source, and no run the CSV already has (same round, system and benchmark)."""
    columns = set(result_rows[0]) if result_rows else set()
    have = {(r["version"], r["system_id"], r["benchmark"]) for r in result_rows}
    problems = []
    for row in extra:
        key = (row.get("version"), row.get("system_id"), row.get("benchmark"))
        if columns and set(row) != columns:
            problems.append(f"{key}: columns differ from the CSV's by {sorted(set(row) ^ columns)}")
        if key in have:
            problems.append(f"{key}: already in the reference CSV")
        if not str(row.get("source", "")).startswith("https://github.com/mlcommons/"):
            problems.append(f"{key}: source must be the run's published log")
        have.add(key)
    if problems:
        raise ValueError(f"{EXTRA_RESULTS_FILE}: " + "; ".join(problems))
    return extra
