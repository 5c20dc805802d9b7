"""How faithfully verifications copy the steps they check: the share of step checks whose steps are exactly the
answer's steps, in the base model's reflections, in the SFT traces built from them, and in a trace model's responses.

    python benchmarks/step_copies.py results/samples/reflections.jsonl results/sft_data/skillfactory.jsonl \\
        results/eval/sft/skillfactory/seed0/responses.jsonl

A Countdown verification that reaches its step check rewrites each step of the answer (``8 + 2 = 10 ok``); a model
that rewrites them wrongly checks steps that are not the answer's, and a trace's final answer, written after the
verification, can take the miswritten steps instead of the sample's. Per file: the pairs of an answer and a
verification with a step check, and the share whose steps equal the answer's. A trace's final answer is counted
as the evaluation counts it: the share of well-formed traces whose final answer is their last sample's
(``final_copies``). Only Countdown-3 rows are read (the training questions' size); nothing asserts.
"""

from __future__ import annotations

import argparse
import re

import pandas as pd

from skillfactory.io import read_jsonl
from skillfactory.prompts import parse_verdict
from skillfactory.skills import answers, trace_form

STEP = re.compile(r"\d+ [-+*/] \d+ = \d+")
PAIR = re.compile(r"<sample>(.*?)</sample>\s*<reflect>(.*?)</reflect>", re.S)


def steps(text: str) -> list[str]:
    """The arithmetic steps written in a text, in order."""
    return STEP.findall(text)


def pairs(row: dict) -> list[tuple[str, str]]:
    """(answer, verification) pairs of one row: a sampled answer with its kept reflections, or the samples of a
    trace (an SFT completion or a response) with the reflection that follows each."""
    if "reflections" in row:
        kept = [r for r in row["reflections"] if parse_verdict(r) == row["correct"]]
        return [(row["answer"], r) for r in kept]
    return [(found[-1], reflection) for sample, reflection in PAIR.findall(text_of(row)) if (found := answers(sample))]


def text_of(row: dict) -> str:
    """The model-written text of a row: an SFT completion or an evaluated response."""
    return row["completion"][0]["content"] if "completion" in row else row.get("response", "")


def summary(path: str) -> dict:
    rows = [r for r in read_jsonl(path) if r.get("task", "countdown") == "countdown"
            and r.get("eval_set", "countdown3") == "countdown3"]
    checks = [steps(answer) == steps(v) for row in rows for answer, v in pairs(row) if steps(v)]
    forms = [trace_form(text_of(row)) for row in rows]
    finals = [form["final_is_last_sample"] for form in forms if form["well_formed"]]
    return {"file": path, "step_checks": len(checks), "exact": sum(checks) / max(len(checks), 1),
            "final_answers": len(finals), "final_copies": sum(finals) / max(len(finals), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="reflections.jsonl, SFT data or responses.jsonl files")
    args = parser.parse_args()
    print(pd.DataFrame([summary(f) for f in args.files]).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
