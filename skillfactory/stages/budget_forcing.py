"""Stage ``budget_forcing``: does thinking longer help? One model on a subset of the evaluation questions.

Round 0 is the model's evaluation response to the question, complete under the evaluation's token budget (read from
``evaluate``'s responses, so it is the very sample the accuracy tables score). In each extra round, the latest
generation is cut where the model first closed its thinking (``</think>``; a response that never opens a thinking
block is kept whole, since its end is where it stopped), a continuation phrase is appended, and the model continues
from there with the prompt in front. The response after round ``r`` is everything kept so far plus the newest
generation, so every round ends with whatever final answer the model gives last, and is scored like an evaluation
response. This is budget forcing as in s1, done
on text rather than inside the decoder, so it works with any backend that continues a prompt.

Outputs a responses JSONL and a scores CSV (as ``evaluate``'s, with a ``round`` column, 0 to ``rounds``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from skillfactory.cli import parse_stage_args
from skillfactory.stages.evaluate import SCORE_COLUMNS, count_tokens, grade, labelled
from skillfactory.generation import continue_text, load_stage_model, render_chat
from skillfactory.io import read_jsonl, write_jsonl
from skillfactory.prompts import task_prompt
from skillfactory.tasks import get_task

log = logging.getLogger("budget_forcing")

CLOSE = "</think>"


def kept_part(generation: str) -> str:
    """What a round keeps of its generation: the text before the first ``</think>``, or all of it.

    >>> kept_part("<think>a</think> so: <answer>1</answer>"), kept_part("<answer>1</answer>")
    ('<think>a', '<answer>1</answer>')
    """
    return generation.split(CLOSE, 1)[0]


def extend(kept: str, generation: str, phrase: str) -> str:
    """The forced prefix of the next round: what was kept, this round's kept part, then the continuation phrase."""
    part = kept_part(generation).rstrip()
    return kept + part + ("\n" if part else "") + phrase + "\n"


def force(
    generate: Callable[[list[str], int], list[str]], prompts: list[str], first: list[str], rounds: int, phrase: str
) -> list[list[str]]:
    """The response of each prompt after rounds 0..``rounds``, from its round-0 response ``first``;
    ``generate(texts, round)`` continues raw texts."""
    kept = [""] * len(prompts)
    latest = list(first)
    history = [list(latest)]
    for r in range(1, rounds + 1):
        kept = [extend(k, g, phrase) for k, g in zip(kept, latest)]
        latest = generate([p + k for p, k in zip(prompts, kept)], r)
        history.append([k + g for k, g in zip(kept, latest)])
    return [list(responses) for responses in zip(*history)]


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["eval_sets", "evaluation", "responses", "scores"], argv)
    p = args.params
    budget = p["budget_forcing"]
    sets = {Path(path).stem: read_jsonl(path)[: budget["n_questions"]] for path in args.eval_sets.split(",")}
    items = [(name, q, i) for name, rows in sets.items() for q in rows for i in range(p["samples_per_question"])]
    evaluated = {
        (r["eval_set"], r["question_id"], r["sample_index"]): r["response"] for r in read_jsonl(args.evaluation)
    }
    first = [evaluated[name, q["id"], i] for name, q, i in items]
    model, tokenizer = load_stage_model(p)
    prompts = [
        render_chat(tokenizer, task_prompt(get_task(q["task"]), q, p["templates"][name])) for name, q, _ in items
    ]

    def generate(texts: list[str], round_: int) -> list[str]:
        settings = {**p["sampling"], "max_new_tokens": budget["max_new_tokens"]}
        seed = p["seed"] * (budget["rounds"] + 1) + round_  # a fresh draw each round, distinct across seeds
        outputs = continue_text(model, tokenizer, texts, n=1, batch_size=p["batch_size"], seed=seed, **settings)
        return [o[0] for o in outputs]

    histories = force(generate, prompts, first, budget["rounds"], budget["phrase"])
    rows = [
        {
            "eval_set": name,
            "task": q["task"],
            "question_id": q["id"],
            "sample_index": i,
            "round": round_,
            "response": response,
            **grade(q, response),
        }
        for (name, q, i), history in zip(items, histories)
        for round_, response in enumerate(history)
    ]
    count_tokens(tokenizer, rows)
    write_jsonl(args.responses, rows)
    scores = labelled(pd.DataFrame(rows, columns=["round", *SCORE_COLUMNS]), p["model_id"])
    scores.to_csv(args.scores, index=False)
    log.info("\n%s", scores.groupby("round")[["score", "attempts", "tokens"]].mean().to_string())


if __name__ == "__main__":
    main()
