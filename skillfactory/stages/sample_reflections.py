"""Stage ``sample_reflections``: the base model verifies each of its own sampled answers.

For every sampled response the model gets the verification prompt ``reflections_per_answer`` times. A reflection
is *valid* when it holds exactly one verdict and that verdict equals the response's true correctness; junk (no
verdict or several) and wrong verdicts are counted and dropped. Output JSONL, one row per sampled response:
the sample's columns plus ``reflections`` (the list of valid reflection texts). A stats JSON counts every outcome.
"""

from __future__ import annotations

import logging
from collections import Counter

from skillfactory.cli import parse_stage_args
from skillfactory.generation import sample_with_stage_model
from skillfactory.io import read_jsonl, write_json, write_jsonl
from skillfactory.prompts import parse_verdict, verification_prompt
from skillfactory.tasks import get_task

log = logging.getLogger("sample_reflections")


def judge_reflections(samples: list[dict], reflections: list[list[str]]) -> tuple[list[dict], dict]:
    """Attach each sample's valid reflections; count valid, wrong-verdict and junk reflections by truth."""
    stats = Counter()
    rows = []
    for sample, texts in zip(samples, reflections):
        truth = "correct" if sample["correct"] else "incorrect"
        valid = []
        for text in texts:
            verdict = parse_verdict(text)
            if verdict is None:
                stats[f"junk_on_{truth}"] += 1
            elif verdict == sample["correct"]:
                stats[f"valid_on_{truth}"] += 1
                valid.append(text)
            else:
                stats[f"wrong_verdict_on_{truth}"] += 1
        rows.append({**sample, "reflections": valid})
    return rows, dict(stats)


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["samples", "output", "stats"], argv)
    p = args.params
    samples = read_jsonl(args.samples)
    prompts = [
        verification_prompt(get_task(s["task"]), s["example"], s["response"], p["verify_template"]) for s in samples
    ]
    texts = sample_with_stage_model(prompts, p, p["sampling"]["reflections_per_answer"])
    rows, stats = judge_reflections(samples, texts)
    log.info("reflection outcomes: %s", stats)
    write_jsonl(args.output, rows)
    write_json(args.stats, stats)


if __name__ == "__main__":
    main()
