"""Stage ``build_sft_data``: the SFT datasets of every arm, from the model's own samples and reflections.

Each dataset named in the config's ``sft_data`` is one of two kinds:

- ``traces``: SkillFactory silver traces (see :mod:`skillfactory.traces`), with the format switches
  ``reflections`` and ``last_correct`` for the ablations;
- ``star``: the STaR baseline, the model's own correct single responses under the main prompt style, as many rows as
  the dataset named by ``match_rows`` (drawn with replacement only if there are fewer correct responses).

With ``replay.share`` above 0, every dataset is mixed with that share of replay documents (the same documents for
every dataset, as many as its size needs; see :mod:`skillfactory.nano.replay`), marked by ``n_samples`` 0, no
``question_id`` and their kind in ``replay`` (null on a dataset's own rows).

Output per dataset: a JSONL in TRL's conversational prompt-completion format (``prompt``: the user message,
``completion``: the assistant message) plus ``question_id``, ``n_samples`` and ``replay``; and a stats JSON (rows,
questions, traces per number of samples, verdict balance, token lengths with the model's tokenizer, all of the
dataset's own rows, and ``replay_rows``). ``summary.csv`` holds every dataset's stats, one row each, for the report.
"""

from __future__ import annotations

import logging
import random
from collections import Counter

import pandas as pd

from skillfactory.cli import parse_stage_args
from skillfactory.io import read_jsonl, write_json, write_jsonl
from skillfactory.modeling import load_tokenizer
from skillfactory.nano.replay import replay_count, replay_documents
from skillfactory.prompts import task_prompt
from skillfactory.tasks import get_task, question_keys
from skillfactory.traces import build_traces, single_attempt

log = logging.getLogger("build_sft_data")


def chat_row(
    prompt: list[dict], completion: str, question_id: str, n_samples: int, replay: str | None = None
) -> dict:
    return {
        "prompt": prompt,
        "completion": [{"role": "assistant", "content": completion}],
        "question_id": question_id,
        "n_samples": n_samples,
        "replay": replay,
    }


def trace_rows(rows: list[dict], fmt: dict, template: str, seed: int, candidates: dict) -> list[dict]:
    rows_out = []
    for t in build_traces(rows, fmt, seed, candidates["styles"], candidates["samples_per_style"]):
        prompt = task_prompt(get_task(t["example"]["task"]), t["example"], template)
        rows_out.append(chat_row(prompt, t["trace"], t["question_id"], t["n_samples"]))
    return rows_out


def star_rows(rows: list[dict], n_rows: int, template: str, seed: int) -> list[dict]:
    """``n_rows`` of the model's own correct single-attempt responses, each under the main prompt style, as the
    traces, RL and evaluation prompt it, whichever style it was sampled under."""
    rng = random.Random(f"star-{seed}")
    correct = [r for r in rows if r["correct"] and single_attempt(r["response"])]
    if not correct:
        return []
    chosen = rng.sample(correct, n_rows) if n_rows <= len(correct) else rng.choices(correct, k=n_rows)
    return [
        chat_row(task_prompt(get_task(r["example"]["task"]), r["example"], template), r["response"],
                 r["question_id"], 1)
        for r in chosen
    ]


def dataset_stats(rows: list[dict], tokenizer) -> dict:
    """What a reader needs to judge a dataset: size, trace lengths in samples and tokens, verdict balance."""
    texts = [r["completion"][0]["content"] for r in rows]
    tokens = pd.Series([len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts], dtype=float)
    return {
        "rows": len(rows),
        "questions": len({r["question_id"] for r in rows}),
        "rows_per_n_samples": {str(k): v for k, v in sorted(Counter(r["n_samples"] for r in rows).items())},
        "verdicts_correct": sum(t.count("<verdict>Correct</verdict>") for t in texts),
        "verdicts_incorrect": sum(t.count("<verdict>Incorrect</verdict>") for t in texts),
        "completion_tokens_mean": round(float(tokens.mean()), 1) if len(tokens) else 0.0,
        "completion_tokens_p95": float(tokens.quantile(0.95)) if len(tokens) else 0.0,
        "completion_tokens_max": int(tokens.max()) if len(tokens) else 0,
    }


def build_datasets(rows: list[dict], specs: dict, template: str, seed: int, candidates: dict) -> dict[str, list[dict]]:
    """Trace datasets first, so that a ``star`` dataset can match the size of the one it names. ``candidates``
    holds the prompt ``styles`` and ``samples_per_style`` of self-sampling (see
    :func:`skillfactory.traces.style_quota`)."""
    out = {}
    for name, spec in sorted(specs.items(), key=lambda kv: kv[1]["kind"] == "star"):
        if spec["kind"] == "traces":
            out[name] = trace_rows(rows, spec, template, seed, candidates)
        else:
            out[name] = star_rows(rows, len(out[spec["match_rows"]]), template, seed)
    return out


def replay_rows(datasets: dict[str, list[dict]], replay: dict, seed: int, exclude: set) -> list[dict]:
    """Enough replay rows for the largest dataset; each dataset takes the first ones it needs."""
    n = max((replay_count(len(rows), replay["share"]) for rows in datasets.values()), default=0)
    return [chat_row(d["prompt"], d["completion"][0]["content"], None, 0, d["kind"])
            for d in replay_documents(n, replay, seed, exclude)]


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["reflections", "tasks", "outdir"], argv)
    p = args.params
    tokenizer = load_tokenizer(p["model"])
    rows = read_jsonl(args.reflections)
    exclude = question_keys(args.tasks.split(","))
    datasets = build_datasets(rows, p["sft_data"], p["prompt_template"], p["seed"], p["candidates"])
    replay = replay_rows(datasets, p["replay"], p["seed"], exclude)
    summary = []
    for name, data in datasets.items():
        if not data:
            raise SystemExit(f"dataset {name!r} is empty: no question kept enough correctly verified answers")
        n_replay = replay_count(len(data), p["replay"]["share"])
        write_jsonl(f"{args.outdir}/{name}.jsonl", data + replay[:n_replay])
        stats = {**dataset_stats(data, tokenizer), "replay_rows": n_replay}
        write_json(f"{args.outdir}/{name}.stats.json", stats)
        log.info("%s: %s", name, stats)
        summary.append({"dataset": name, **{k: v for k, v in stats.items() if k != "rows_per_n_samples"},
                        **{f"rows_with_{k}_samples": v for k, v in stats["rows_per_n_samples"].items()}})
    pd.DataFrame(summary).to_csv(f"{args.outdir}/summary.csv", index=False)


if __name__ == "__main__":
    main()
