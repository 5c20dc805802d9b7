"""Stage ``evaluate``: one model (one training seed) on every evaluation set, ``k`` samples per question.

Outputs:

- a responses JSONL: every sampled response with its grades (``eval_set``, ``task``, ``question_id``,
  ``sample_index``, ``response``, ``score``, ``tokens`` and the skill counts of
  :func:`skillfactory.skills.skill_usage`);
- a scores CSV: the same rows without the response text, labelled with the model (``model``, ``stage``, ``name``,
  ``seed``); the tables bootstrap over its questions and seeds, and it stays small where responses are long;
- a metrics CSV with one row per evaluation set: ``model`` (``base``, ``sft/<dataset>`` or ``rl/<arm>``), ``stage``,
  ``name``, ``seed``, ``eval_set``, ``task``, ``n_questions``, ``n_responses``, ``accuracy`` (mean score over all
  sampled responses), ``mean_attempts``, ``mean_verifications``, ``verdict_accuracy`` (readable verdicts equal to
  the judged attempt's correctness), ``balanced_verdict_accuracy`` (the mean of verdict accuracy on correct and on
  incorrect attempts: 0.5 for verdicts that ignore correctness, however unequal the two kinds are), ``retry_rate``
  and ``retry_rate_after_correct`` (attempts judged Incorrect, or Correct, that are followed by another attempt),
  ``mean_answer_changes`` and ``mean_tokens`` per response, ``repeated_answers`` (share of attempts that repeat an
  earlier attempt's answer), ``well_formed`` (share of responses shaped like a silver trace) and
  ``final_is_last_sample`` (share of those whose final answer is their last sample's answer).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from skillfactory.bootstrap import ratio
from skillfactory.cli import parse_stage_args
from skillfactory.generation import load_stage_model, sample
from skillfactory.io import read_jsonl, write_jsonl
from skillfactory.prompts import task_prompt
from skillfactory.skills import SKILL_COLUMNS, skill_usage
from skillfactory.tasks import get_task

log = logging.getLogger("evaluate")

MODEL_COLUMNS = ("model", "stage", "name", "seed")
SCORE_COLUMNS = ("eval_set", "task", "question_id", "sample_index", "score", *SKILL_COLUMNS, "tokens")


def grade(question: dict, response: str) -> dict:
    """The score of a response (its final answer) and its skill counts, each attempt judged by the same scorer."""
    task = get_task(question["task"])
    return {
        "score": task.score(response, question),
        **skill_usage(response, lambda text: task.score(text, question) == 1.0),
    }


def score_responses(sets: dict[str, list[dict]], outputs: list[list[str]]) -> list[dict]:
    """One row per sampled response, in the order the questions were prompted."""
    questions = [(name, q) for name, rows in sets.items() for q in rows]
    return [
        {
            "eval_set": name,
            "task": q["task"],
            "question_id": q["id"],
            "sample_index": i,
            "response": response,
            **grade(q, response),
        }
        for (name, q), responses in zip(questions, outputs)
        for i, response in enumerate(responses)
    ]


def count_tokens(tokenizer, rows: list[dict]) -> None:
    """Add each response's length in tokens of the evaluated model (the thinking budget it spent)."""
    for row in rows:
        row["tokens"] = len(tokenizer(row["response"], add_special_tokens=False)["input_ids"])


def model_label(model_id: dict) -> str:
    """``base``, ``sft/<dataset>`` or ``rl/<arm>``: a model across seeds."""
    return "base" if model_id["stage"] == "base" else f"{model_id['stage']}/{model_id['name']}"


def labelled(frame: pd.DataFrame, model_id: dict) -> pd.DataFrame:
    """``frame`` with the model's label, stage, name and training seed as its first columns."""
    labels = {"model": model_label(model_id), **{k: model_id[k] for k in ("stage", "name", "seed")}}
    return pd.concat([pd.DataFrame(labels, index=frame.index), frame], axis=1)


def balanced_verdict_accuracy(group: pd.DataFrame) -> float:
    """Mean of the verdict accuracies on correct and on incorrect attempts (NaN unless both kinds were judged)."""
    on_incorrect = group["verdicts"] - group["verdicts_on_correct"]
    right_on_incorrect = group["verdicts_right"] - group["verdicts_right_on_correct"]
    return (ratio(group["verdicts_right_on_correct"], group["verdicts_on_correct"])
            + ratio(right_on_incorrect, on_incorrect)) / 2


def summarize(rows: list[dict], model_id: dict) -> pd.DataFrame:
    """One metrics row per evaluation set, labelled with the model's stage, name and training seed."""
    frame = pd.DataFrame(rows)
    metrics = pd.DataFrame(
        [
            {
                "eval_set": eval_set,
                "task": task,
                "n_questions": group["question_id"].nunique(),
                "n_responses": len(group),
                "accuracy": group["score"].mean(),
                "mean_attempts": group["attempts"].mean(),
                "mean_verifications": group["verifications"].mean(),
                "verdict_accuracy": ratio(group["verdicts_right"], group["verdicts"]),
                "balanced_verdict_accuracy": balanced_verdict_accuracy(group),
                "retry_rate": ratio(group["retries_after_incorrect"], group["judged_incorrect"]),
                "retry_rate_after_correct": ratio(group["retries_after_correct"], group["judged_correct"]),
                "mean_answer_changes": group["answer_changes"].mean(),
                "repeated_answers": ratio(group["repeated_answers"], group["attempts"]),
                "mean_tokens": group["tokens"].mean(),
                "well_formed": group["well_formed"].mean(),
                "final_is_last_sample": ratio(group["final_is_last_sample"], group["well_formed"]),
            }
            for (eval_set, task), group in frame.groupby(["eval_set", "task"], sort=False)
        ]
    )
    return labelled(metrics, model_id)


def scores_frame(rows: list[dict], model_id: dict) -> pd.DataFrame:
    """The per-response grades without the response text, labelled with the model."""
    return labelled(pd.DataFrame(rows, columns=list(SCORE_COLUMNS)), model_id)


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["eval_sets", "responses", "scores", "metrics"], argv)
    p = args.params
    sets = {Path(path).stem: read_jsonl(path) for path in args.eval_sets.split(",")}
    prompts = [task_prompt(get_task(q["task"]), q, p["templates"][name]) for name, rows in sets.items() for q in rows]
    model, tokenizer = load_stage_model(p)
    rows = score_responses(sets, sample(model, tokenizer, prompts, p, p["sampling"], p["samples_per_question"]))
    count_tokens(tokenizer, rows)
    write_jsonl(args.responses, rows)
    scores_frame(rows, p["model_id"]).to_csv(args.scores, index=False)
    metrics = summarize(rows, p["model_id"])
    log.info("\n%s", metrics.to_string(index=False))
    metrics.to_csv(args.metrics, index=False)


if __name__ == "__main__":
    main()
