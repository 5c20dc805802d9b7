"""Silver traces: several of the model's own attempts and verifications rearranged into one long answer.

A trace for a question with N attempts is::

    <think>
    <sample>attempt 1</sample>
    <reflect>verification of attempt 1</reflect>
    glue phrase chosen by the verdict on attempt 1
    ...
    <sample>attempt N</sample>
    <reflect>verification of attempt N</reflect>
    </think>
    ending phrase
    <answer>final answer</answer>

In the main format attempt N is correct (so its valid reflection says Correct) and the N-1 earlier attempts are a
random draw from the question's other kept attempts, optionally one per distinct answer. The ablation switches drop
the reflections (generic glue only) or stop forcing the last attempt to be correct. Everything is drawn from a
``random.Random`` the caller seeds.
"""

from __future__ import annotations

import random
from collections import defaultdict

from skillfactory import phrases


TRACE_TAGS = ("<think>", "</think>", "<sample>", "</sample>", "<reflect>", "</reflect>")


def single_attempt(response: str) -> bool:
    """Whether a sampled response can sit inside a ``<sample>`` block as it is: exactly one answer block and none of
    the trace's own tags. A small model sometimes opens a second ``<answer>`` before closing the first; copied into
    a trace, that would teach unbalanced tags to every model trained on it."""
    opening, closing = response.find("<answer>"), response.find("</answer>")
    return (
        response.count("<answer>") == response.count("</answer>") == 1
        and opening < closing
        and not any(tag in response for tag in TRACE_TAGS)
    )


def kept_by_question(rows: list[dict], min_kept: int) -> dict[str, list[dict]]:
    """Questions with at least ``min_kept`` single-attempt responses that have a valid reflection, one of them
    correct."""
    groups = defaultdict(list)
    for row in rows:
        if row["reflections"] and single_attempt(row["response"]):
            groups[row["question_id"]].append(row)
    return {
        qid: group
        for qid, group in sorted(groups.items())
        if len(group) >= min_kept and any(r["correct"] for r in group)
    }


def one_per_answer(rng: random.Random, kept: list[dict]) -> list[dict]:
    """One attempt, drawn at random, for each distinct answer among ``kept`` (answers compared up to whitespace).

    A small model samples the same answer many times; a trace drawn from all of them mostly retries an answer it
    has just verified as wrong, and a model trained on it learns to repeat itself instead of searching."""
    chosen = {}
    for row in rng.sample(kept, len(kept)):
        chosen.setdefault(" ".join((row["answer"] or "").split()), row)
    return list(chosen.values())


def choose_attempts(
    rng: random.Random, kept: list[dict], n: int, last_correct: bool, distinct_answers: bool
) -> list[dict] | None:
    """``n`` distinct attempts in trace order (with ``distinct_answers``, no two with the same answer), or ``None``
    when the question has too few."""
    if distinct_answers:
        kept = one_per_answer(rng, kept)
    if len(kept) < n:
        return None
    if not last_correct:
        return rng.sample(kept, n)
    last = rng.choice([r for r in kept if r["correct"]])
    others = [r for r in kept if r is not last]
    return rng.sample(others, n - 1) + [last]


def glue(rng: random.Random, previous: dict, with_reflections: bool) -> str:
    """The phrase after an attempt: verdict-specific when the verdict is shown, generic otherwise."""
    if not with_reflections:
        return rng.choice(phrases.GENERIC)
    specific = phrases.AFTER_CORRECT if previous["correct"] else phrases.AFTER_INCORRECT
    return rng.choice(specific + phrases.GENERIC)


def render_trace(rng: random.Random, attempts: list[dict], with_reflections: bool) -> str:
    """The trace text for ``attempts`` (in order); the final answer is the last attempt's answer."""
    parts = ["<think>"]
    for i, row in enumerate(attempts):
        if i:
            parts.append(glue(rng, attempts[i - 1], with_reflections))
        parts.append(f"<sample>\n{row['response'].strip()}\n</sample>")
        if with_reflections:
            parts.append(f"<reflect>\n{rng.choice(row['reflections']).strip()}\n</reflect>")
    parts.append("</think>")
    parts.append(rng.choice(phrases.ENDINGS))
    parts.append(f"<answer>\n{attempts[-1]['answer'] or ''}\n</answer>")
    return "\n".join(parts)


def dataset_styles(fmt: dict, styles: list[str]) -> list[str]:
    """The prompt styles a traces dataset draws from: its own ``styles``, or all of ``styles``."""
    return fmt["styles"] or styles


def style_quota(fmt: dict, styles: list[str], samples_per_style: int) -> int:
    """Samples per prompt style a traces dataset draws from. Every dataset gets the same number of candidates per
    question, ``samples_per_style`` of each of ``styles``: one limited to fewer styles (the single-prompt ablation)
    takes proportionally more samples of each, so that it differs from the main dataset in prompt diversity only."""
    return -(-samples_per_style * len(styles) // len(dataset_styles(fmt, styles)))


def samples_needed(specs: dict, styles: list[str], samples_per_style: int) -> dict[str, int]:
    """Samples to draw per prompt style: the most that any traces dataset of ``specs`` takes of it."""
    need = dict.fromkeys(styles, samples_per_style)
    for fmt in specs.values():
        if fmt["kind"] == "traces":
            for style in dataset_styles(fmt, styles):
                need[style] = max(need[style], style_quota(fmt, styles, samples_per_style))
    return need


def build_traces(rows: list[dict], fmt: dict, seed: int, styles: list[str], samples_per_style: int) -> list[dict]:
    """One trace per kept question and per N in ``1..fmt["max_samples"]``, with provenance columns.

    The candidates are the first :func:`style_quota` samples of each of the dataset's styles (``fmt["styles"]``, or
    all ``styles``).
    """
    rng = random.Random(f"traces-{seed}")
    own, quota = dataset_styles(fmt, styles), style_quota(fmt, styles, samples_per_style)
    rows = [r for r in rows if r["style"] in own and r["sample_index"] < quota]
    out = []
    for qid, kept in kept_by_question(rows, fmt["min_kept_answers"]).items():
        for n in range(1, fmt["max_samples"] + 1):
            attempts = choose_attempts(rng, kept, n, fmt["last_correct"], fmt["distinct_answers"])
            if attempts is None:
                continue
            out.append(
                {
                    "question_id": qid,
                    "example": kept[0]["example"],
                    "n_samples": n,
                    "trace": render_trace(rng, attempts, fmt["reflections"]),
                    "sample_keys": [[a["style"], a["sample_index"]] for a in attempts],
                    "final_correct": attempts[-1]["correct"],
                }
            )
    return out
