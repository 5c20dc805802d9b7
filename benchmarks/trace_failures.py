"""Why a trace-trained model's responses miss the SFT targets: one row per evaluation set, from ``responses.jsonl``.

    python benchmarks/trace_failures.py results/eval/sft/skillfactory/seed0/responses.jsonl [--max-new-tokens 896]
        [--base-model results/models/base [--base-samples 16]]

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
attempt's answer (as the evaluation counts it; recounted here, so that older evaluations can be read too).
``garbled_connectives`` is the share of the complete passages after a reflection or after ``</think>``, up to the
next tag, that are none of the traces' connective phrases (``skillfactory/phrases.py``), as where a model blends
two phrases or writes broken words instead of copying one.
``all_numbers`` is the share of all answers (the samples' and the final one) with one step fewer than the question
has numbers, as a complete Countdown answer has: a trace model that learnt from Countdown-3 traces alone and plans
with three numbers on bigger questions writes two-step answers there. A second
table splits the well-formed traces by their number of samples (``size``) with the share whose final answer is the
last sample's (``mean``): if copying failed with distance or with the number of earlier answers, that share would
fall as traces grow. With ``--base-model``, a third table splits the classes by whether that model (the base model
the traces came from) solves the question in ``--base-samples`` plain attempts at temperature 1.0, as in
self-sampling: a trace ends only on a correct attempt, so a question the base model cannot solve leaves its trace
model searching until the token limit unless a verdict is wrong. Nothing asserts: this explains numbers, it does not
judge them.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd
import yaml

from skillfactory import phrases
from skillfactory.bootstrap import ratio
from skillfactory.generation import sample_with_stage_model
from skillfactory.io import read_jsonl
from skillfactory.prompts import task_prompt
from skillfactory.skills import answers, parse_attempts, skill_usage
from skillfactory.tasks import get_task

ROOT = Path(__file__).resolve().parents[1]
CONNECTIVES = {*phrases.AFTER_CORRECT, *phrases.AFTER_INCORRECT, *phrases.GENERIC, *phrases.ENDINGS}
PASSAGE = re.compile(r"</(?:reflect|think)>\n(?!<)(.*?)\n(?=<)", re.S)  # up to the next line opening a tag
# per-response columns that are no class
COUNTS = ["repeated", "attempts", "well_formed", "answers", "full", "passages", "garbled"]


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


def connective_counts(response: str) -> dict[str, int]:
    """How many complete connective passages a response holds, and how many of them are none of the phrases."""
    found = [p.strip() for p in PASSAGE.findall(response)]
    return {"passages": len(found), "garbled": sum(p not in CONNECTIVES for p in found)}


def answer_lengths(response: str, example: dict) -> dict[str, int]:
    """How many complete answers a response holds, and how many of them have a step for every number but one."""
    found = answers(response)
    return {"answers": len(found), "full": sum(a.count("=") == len(example["numbers"]) - 1 for a in found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("responses")
    parser.add_argument("--tasks", default="results/tasks", help="folder of the evaluation sets' task files")
    parser.add_argument("--max-new-tokens", type=int, default=896, help="the evaluation's evaluation.max_new_tokens")
    parser.add_argument("--base-model", help="split the classes by whether this model solves the question")
    parser.add_argument("--base-samples", type=int, default=16)
    parser.add_argument("--config", default=str(ROOT / "config/config.yaml"), help="prompt style and engine")
    args = parser.parse_args()
    rows = [r for r in read_jsonl(args.responses) if r["task"] == "countdown"]
    examples = {e["id"]: e for s in {r["eval_set"] for r in rows} for e in read_jsonl(f"{args.tasks}/{s}.jsonl")}
    frame = pd.DataFrame([{"eval_set": r["eval_set"], "attempts": r["attempts"], "well_formed": bool(r["well_formed"]),
                           "repeated": skill_usage(r["response"], bool)["repeated_answers"],
                           **answer_lengths(r["response"], examples[r["question_id"]]),
                           **connective_counts(r["response"]),
                           **classify(r, examples[r["question_id"]], args.max_new_tokens)} for r in rows])
    groups = frame.groupby("eval_set", sort=False)
    table = groups.mean(numeric_only=True).drop(columns=COUNTS)
    table["repeated_answers"] = groups.apply(lambda g: ratio(g["repeated"], g["attempts"]))
    table["all_numbers"] = groups.apply(lambda g: ratio(g["full"], g["answers"]))
    table["garbled_connectives"] = groups.apply(lambda g: ratio(g["garbled"], g["passages"]))
    print(table.round(2).to_string())
    traces = frame[frame["well_formed"]].groupby(["eval_set", "attempts"])["final_is_last"]
    print("\nwell-formed traces by number of samples\n" + traces.agg(["size", "mean"]).round(2).to_string())
    if args.base_model:
        frame["base_solves"] = base_solves(args, [examples[r["question_id"]] for r in rows])
        split = frame.groupby(["eval_set", "base_solves"], sort=False)
        table = split.mean(numeric_only=True).drop(columns=COUNTS)
        table.insert(0, "questions", split.size())
        print(f"\nby whether the base model solves the question in {args.base_samples} attempts\n"
              + table.round(2).to_string())


def base_solves(args, examples: list[dict]) -> list[bool]:
    """Whether any of ``--base-samples`` attempts of the base model at temperature 1.0 is right, per question."""
    config = yaml.safe_load(Path(args.config).read_text())
    template = config["prompts"]["styles"][config["prompts"]["main_style"]]
    prompts = [task_prompt(get_task(e["task"]), e, template) for e in examples]
    params = {"model": args.base_model, "backend": config["generation"]["backend"], "threads": 1,
              "batch_size": config["generation"]["batch_size"], "seed": 0,
              "sampling": {"temperature": 1.0, "top_p": 1.0, "max_new_tokens": config["sampling"]["max_new_tokens"]}}
    samples = sample_with_stage_model(prompts, params, args.base_samples)
    return [any(get_task(e["task"]).score(t, e) for t in texts) for e, texts in zip(examples, samples)]


if __name__ == "__main__":
    main()
