"""The nano pretraining corpus: chat documents of three kinds, never mixed in one document.

- attempt: a Countdown prompt in one of the configured prompt styles, answered by one author attempt, opened by
  that style's line from ``style_openings`` (so that the styles draw differently worded samples from the model,
  as the paper's multiprompt sampling does from an instruct model);
- verification: the verification prompt holding a question and an author attempt, answered by a recomputation and
  the true verdict. Answers to verify are correct half of the time, so the verdicts are balanced, and open with a
  random style's line, as the model's own samples from each prompt style do when the pipeline asks it to verify
  them;
- out-of-domain attempt: a question of another task family, in the prompt template of its evaluation set, answered
  by one author attempt (so that out-of-domain regression after RL can be measured from a non-zero start).

Questions whose key is in ``exclude`` (the workflow's training and evaluation questions) never appear.
"""

from __future__ import annotations

import random

from skillfactory.nano.author import answer_to_verify, write_attempt, write_verification
from skillfactory.nano.ood_author import write_ood_attempt
from skillfactory.prompts import task_prompt, verification_prompt
from skillfactory.tasks import get_task
from skillfactory.tasks.countdown import COUNTDOWN


def chat_document(prompt: list[dict], completion: str) -> dict:
    return {"prompt": prompt, "completion": [{"role": "assistant", "content": completion}]}


def ood_documents(params: dict, ood_sets: dict, seed: int, exclude: set) -> list[dict]:
    """``ood_share`` of the documents, spread evenly over the out-of-domain families in ``ood_sets``.

    ``ood_sets`` maps a task family to the ``params`` and ``template`` of its evaluation set, so the corpus shows
    the same kind of question in the same prompt the evaluation will use.
    """
    rng = random.Random(f"nano-ood-{seed}")
    per_family = round(params["n_documents"] * params["ood_share"] / max(1, len(ood_sets)))
    documents = []
    for family, spec in sorted(ood_sets.items()):
        task = get_task(family)
        for example in task.generate(per_family, f"corpus-{seed}", **spec["params"], exclude=frozenset(exclude)):
            attempt = write_ood_attempt(rng, family, example, params["ood_p_correct"])
            documents.append(chat_document(task_prompt(task, example, spec["template"]), attempt))
    return documents


def opening(template: str, example: dict) -> str:
    """A style's first line, with ``{target}`` and ``{numbers}`` filled in; empty for no opening."""
    if not template:
        return ""
    return template.format(target=example["target"], numbers=" ".join(map(str, example["numbers"]))) + "\n"


def build_corpus(
    params: dict, countdown_params: dict, prompts: dict, seed: int, exclude: set, ood_sets: dict
) -> list[dict]:
    """``params["n_documents"]`` prompt/completion chat documents (TRL's conversational format), shuffled."""
    ood = ood_documents(params, ood_sets, seed, exclude)
    rng = random.Random(f"nano-corpus-{seed}")
    styles = sorted(prompts["styles"])
    sizes, weights = params["attempt_n_numbers"], params["p_careful"]
    documents = []
    while len(documents) < params["n_documents"] - len(ood):
        k = rng.randrange(len(sizes))
        example = COUNTDOWN.random_question(rng, sizes[k], **countdown_params)
        if example is None or COUNTDOWN.key(example) in exclude:
            continue
        style = rng.choice(styles)
        first_line = opening(params["style_openings"].get(style, ""), example)
        if rng.random() < params["verification_share"]:
            response = first_line + answer_to_verify(rng, example)
            prompt = verification_prompt(COUNTDOWN, example, response, prompts["verify"])
            completion = write_verification(example, response)
        else:
            prompt = task_prompt(COUNTDOWN, example, prompts["styles"][style])
            completion = first_line + write_attempt(rng, example, weights[k])
        documents.append(chat_document(prompt, completion))
    documents += ood
    rng.shuffle(documents)
    return documents
