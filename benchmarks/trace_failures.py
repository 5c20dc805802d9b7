"""Why a trace-trained model's responses miss the SFT targets: one row per evaluation set, from ``responses.jsonl``.

    python benchmarks/trace_failures.py results/eval/sft/skillfactory/seed0/responses.jsonl [--max-new-tokens 896]

Every response falls in exactly one class:

- ``final_is_last``: a well-formed trace whose final answer is its last sample's answer (what SFT should teach);
- ``copy_slip``: a well-formed trace whose final answer differs from its last sample's (``copy_slip_last_correct``:
  of those, the ones whose last sample was correct, i.e. lost by copying alone; ``copy_slip_earlier``: the ones
  whose final answer is an earlier sample's answer, i.e. copied from the wrong sample);
- ``out_of_tokens``: not well-formed and stopped at the token limit (``still_searching``: of those, the ones whose
  every readable verdict says Incorrect, i.e. the model was still looking for an answer it could verify);
- ``other_malformed``: the rest (``stopped_after_answer``: of those, the ones that end inside the ``<think>`` block
  right after an ``</answer>``, where a plain attempt ends).

Each class is a share of the set's responses. ``repeated_answers`` is the share of attempts that repeat an earlier
attempt's answer (as the evaluation counts it; recounted here, so that older evaluations can be read too). A second
table splits the well-formed traces by their number of samples (``size``) with the share whose final answer is the
last sample's (``mean``): if copying failed with distance or with the number of earlier answers, that share would
fall as traces grow. Nothing asserts: this explains numbers, it does not judge them.
"""

from __future__ import annotations

import argparse

import pandas as pd

from skillfactory.bootstrap import ratio
from skillfactory.io import read_jsonl
from skillfactory.skills import answers, parse_attempts, skill_usage
from skillfactory.tasks import get_task


def classify(row: dict, example: dict, max_new_tokens: int) -> dict[str, bool]:
    """The class of one graded response (see the module docstring) and its subclasses."""
    response, attempts = row["response"], parse_attempts(row["response"])
    verdicts = [v for a in attempts for v in a.verdicts if v is not None]
    copy_slip = bool(row["well_formed"] and not row["final_is_last_sample"])
    sample_answers = [found[-1] if found else None for found in (answers(a.text) for a in attempts)]
    final = answers(response.partition("</think>")[2])
    out_of_tokens = not row["well_formed"] and row["tokens"] >= max_new_tokens
    other_malformed = not row["well_formed"] and not out_of_tokens
    return {
        "final_is_last": bool(row["final_is_last_sample"]),
        "copy_slip": copy_slip,
        "copy_slip_last_correct": copy_slip and bool(get_task(row["task"]).score(attempts[-1].text, example)),
        "copy_slip_earlier": copy_slip and bool(final) and final[-1] in sample_answers[:-1],
        "out_of_tokens": out_of_tokens,
        "still_searching": out_of_tokens and bool(verdicts) and not any(verdicts),
        "other_malformed": other_malformed,
        "stopped_after_answer": other_malformed and "<think>" in response and "</think>" not in response
        and response.rstrip().endswith("</answer>"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("responses")
    parser.add_argument("--tasks", default="results/tasks", help="folder of the evaluation sets' task files")
    parser.add_argument("--max-new-tokens", type=int, default=896, help="the evaluation's evaluation.max_new_tokens")
    args = parser.parse_args()
    rows = [r for r in read_jsonl(args.responses) if r["task"] == "countdown"]
    examples = {e["id"]: e for s in {r["eval_set"] for r in rows} for e in read_jsonl(f"{args.tasks}/{s}.jsonl")}
    frame = pd.DataFrame([{"eval_set": r["eval_set"], "attempts": r["attempts"], "well_formed": bool(r["well_formed"]),
                           "repeated": skill_usage(r["response"], bool)["repeated_answers"],
                           **classify(r, examples[r["question_id"]], args.max_new_tokens)} for r in rows])
    groups = frame.groupby("eval_set", sort=False)
    table = groups.mean(numeric_only=True).drop(columns=["repeated", "attempts", "well_formed"])
    table["repeated_answers"] = groups.apply(lambda g: ratio(g["repeated"], g["attempts"]))
    print(table.round(2).to_string())
    traces = frame[frame["well_formed"]].groupby(["eval_set", "attempts"])["final_is_last"]
    print("\nwell-formed traces by number of samples\n" + traces.agg(["size", "mean"]).round(2).to_string())


if __name__ == "__main__":
    main()
