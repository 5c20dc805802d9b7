"""Stage ``sample_solutions``: the base model answers every training question under every prompt style, as many
times per style as the SFT datasets need (see :func:`skillfactory.traces.samples_needed`).

Output JSONL, one row per sampled response, with columns: ``question_id``, ``task``, ``example`` (the question
row), ``style``, ``sample_index``, ``prompt`` (chat messages), ``response``, ``answer`` (the extracted final
answer or null), ``correct`` (the task scorer's verdict), and the provenance ``model``, ``seed`` and ``sampling``
(temperature, top_p, max_new_tokens).
"""

from __future__ import annotations

import logging

from skillfactory.cli import parse_stage_args
from skillfactory.generation import load_stage_model, sample
from skillfactory.io import read_jsonl, write_jsonl
from skillfactory.prompts import task_prompt
from skillfactory.tasks import get_task

log = logging.getLogger("sample_solutions")


def sample_rows(questions: list[dict], p: dict) -> list[dict]:
    """Sample ``samples[style]`` responses per question and style, scored by the question's task."""
    jobs = [(q, style) for q in questions for style in sorted(p["styles"])]
    prompts = [task_prompt(get_task(q["task"]), q, p["styles"][style]) for q, style in jobs]
    outputs = [None] * len(jobs)
    model, tokenizer = load_stage_model(p)
    for count in sorted(set(p["samples"].values())):  # one call per sample count, most often a single one
        index = [i for i, (_, style) in enumerate(jobs) if p["samples"][style] == count]
        for i, responses in zip(index, sample(model, tokenizer, [prompts[i] for i in index], p, p["sampling"], count)):
            outputs[i] = responses
    rows = []
    for (q, style), prompt, responses in zip(jobs, prompts, outputs):
        task = get_task(q["task"])
        for i, response in enumerate(responses):
            rows.append(
                {
                    "question_id": q["id"],
                    "task": q["task"],
                    "example": q,
                    "style": style,
                    "sample_index": i,
                    "prompt": prompt,
                    "response": response,
                    "answer": task.extract(response),
                    "correct": task.score(response, q) == 1.0,
                    "model": p["model"],
                    "seed": p["seed"],
                    "sampling": p["sampling"],
                }
            )
    return rows


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["questions", "output"], argv)
    p = args.params
    rows = sample_rows(read_jsonl(args.questions), p)
    log.info("%d responses, %.1f%% correct", len(rows), 100 * sum(r["correct"] for r in rows) / max(1, len(rows)))
    write_jsonl(args.output, rows)


if __name__ == "__main__":
    main()
