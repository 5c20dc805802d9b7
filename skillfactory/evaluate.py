"""Stage ``evaluate``: one model on every evaluation set.

Outputs a responses JSONL (``eval_set``, ``task``, ``question_id``, ``sample_index``, ``response``, ``score``,
``attempts``, ``verifications``) and a metrics CSV with one row per evaluation set: ``model``, ``eval_set``, ``task``,
``n_questions``,
``n_responses``, ``accuracy`` (mean score over all sampled responses), ``mean_attempts`` and
``mean_verifications`` per response.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from skillfactory.cli import parse_stage_args
from skillfactory.generation import sample_with_stage_model
from skillfactory.io import read_jsonl, write_jsonl
from skillfactory.prompts import task_prompt
from skillfactory.skills import count_attempts, count_verifications
from skillfactory.tasks import get_task

log = logging.getLogger("evaluate")


def score_responses(sets: dict[str, list[dict]], outputs: list[list[str]]) -> list[dict]:
    """One row per sampled response, in the order the questions were prompted."""
    questions = [(name, q) for name, rows in sets.items() for q in rows]
    rows = []
    for (name, q), responses in zip(questions, outputs):
        task = get_task(q["task"])
        for i, response in enumerate(responses):
            rows.append(
                {
                    "eval_set": name,
                    "task": q["task"],
                    "question_id": q["id"],
                    "sample_index": i,
                    "response": response,
                    "score": task.score(response, q),
                    "attempts": count_attempts(response),
                    "verifications": count_verifications(response),
                }
            )
    return rows


def summarize(rows: list[dict], model: str) -> pd.DataFrame:
    """One metrics row per evaluation set, labelled with ``model``."""
    metrics = (
        pd.DataFrame(rows)
        .groupby(["eval_set", "task"], sort=False)
        .agg(
            n_questions=("question_id", "nunique"),
            n_responses=("score", "size"),
            accuracy=("score", "mean"),
            mean_attempts=("attempts", "mean"),
            mean_verifications=("verifications", "mean"),
        )
        .reset_index()
    )
    metrics.insert(0, "model", model)
    return metrics


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["eval_sets", "responses", "metrics"], argv)
    p = args.params
    sets = {Path(path).stem: read_jsonl(path) for path in args.eval_sets.split(",")}
    prompts = [task_prompt(get_task(q["task"]), q, p["templates"][name]) for name, rows in sets.items() for q in rows]
    outputs = sample_with_stage_model(prompts, p, p["samples_per_question"])
    rows = score_responses(sets, outputs)
    write_jsonl(args.responses, rows)
    metrics = summarize(rows, p["label"])
    log.info("\n%s", metrics.to_string(index=False))
    metrics.to_csv(args.metrics, index=False)


if __name__ == "__main__":
    main()
