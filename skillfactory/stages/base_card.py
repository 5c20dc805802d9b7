"""Stage ``base_card``: the capability card of the base model, measured on held-out evaluation questions.

SkillFactory needs a base model that attempts tasks with moderate success, judges answers well when asked, and
never retries on its own; the card measures exactly that, with the pipeline's own sampling settings:

- per evaluation set: ``pass@1`` (mean score of the ``k`` samples), ``pass@k`` (share of questions with at least
  one correct sample), ``multi_attempt_share`` (responses with several attempts or complete final answers) and
  ``stray_answer_tag_share`` (responses with an ``<answer>`` tag left open: malformed, reported apart);
- on the set named ``verify_set``: the model verifies each of its own samples once (reflection settings);
  ``verdict_accuracy`` overall and separately on correct and on incorrect answers, and the share of junk
  reflections (no verdict or several).
"""

from __future__ import annotations

import logging
from pathlib import Path
from statistics import fmean

from skillfactory.cli import parse_stage_args
from skillfactory.generation import load_stage_model, sample
from skillfactory.io import read_jsonl, write_json
from skillfactory.prompts import parse_verdict, task_prompt, verification_prompt
from skillfactory.skills import has_stray_answer_tag, is_multi_attempt
from skillfactory.tasks import get_task

log = logging.getLogger("base_card")


def attempt_metrics(questions: list[dict], responses: list[list[str]]) -> tuple[dict, list[tuple[dict, str, bool]]]:
    """Card entries of one set, and every (question, response, correct) for the verification part."""
    per_question = [[get_task(q["task"]).score(r, q) == 1.0 for r in rs] for q, rs in zip(questions, responses)]
    graded = [(q, r, c) for q, rs, cs in zip(questions, responses, per_question) for r, c in zip(rs, cs)]
    metrics = {
        "n_questions": len(questions),
        "pass@1": fmean(c for _, _, c in graded),
        "pass@k": fmean(any(cs) for cs in per_question),
        "multi_attempt_share": fmean(is_multi_attempt(r) for _, r, _ in graded),
        "stray_answer_tag_share": fmean(has_stray_answer_tag(r) for _, r, _ in graded),
    }
    return metrics, graded


def verdict_metrics(graded: list[tuple[dict, str, bool]], reflections: list[str]) -> dict:
    verdicts = [parse_verdict(text) for text in reflections]

    def accuracy(rows):
        return fmean(v == c for (_, _, c), v in rows) if rows else None

    pairs = list(zip(graded, verdicts))
    return {
        "n_answers": len(pairs),
        "verdict_accuracy": accuracy(pairs),
        "verdict_accuracy_on_correct": accuracy([p for p in pairs if p[0][2]]),
        "verdict_accuracy_on_incorrect": accuracy([p for p in pairs if not p[0][2]]),
        "junk_share": fmean(v is None for v in verdicts) if verdicts else None,
    }


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["eval_sets", "output"], argv)
    p = args.params
    model, tokenizer = load_stage_model(p)
    k, limit = p["samples_per_question"], p["questions_per_set"]
    card = {"model": p["model"], "samples_per_question": k, "sampling": p["sampling"], "sets": {}}
    for path in args.eval_sets.split(","):
        name = Path(path).stem
        questions = read_jsonl(path)[:limit]
        prompts = [task_prompt(get_task(q["task"]), q, p["templates"][name]) for q in questions]
        card["sets"][name], graded = attempt_metrics(questions, sample(model, tokenizer, prompts, p, p["sampling"], k))
        log.info("%s: %s", name, card["sets"][name])
        if name == p["verify_set"]:
            checks = [verification_prompt(get_task(q["task"]), q, r, p["verify_template"]) for q, r, _ in graded]
            reflections = [texts[0] for texts in sample(model, tokenizer, checks, p, p["reflection"], 1)]
            card["verification"] = {"set": name, **verdict_metrics(graded, reflections)}
            log.info("verification: %s", card["verification"])
    write_json(args.output, card)


if __name__ == "__main__":
    main()
