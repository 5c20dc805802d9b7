"""The nano pretraining corpus: chat documents of two kinds, never mixed in one document.

- attempt: a task prompt in one of the configured prompt styles, answered by one author attempt;
- verification: the verification prompt holding a question and an author attempt, answered by a recomputation and
  the true verdict. Attempts to verify are correct half of the time, so the verdicts are balanced.

Questions whose key is in ``exclude`` (the workflow's training and evaluation questions) never appear.
"""

from __future__ import annotations

import random

from skillfactory.nano.author import write_attempt, write_verification
from skillfactory.prompts import task_prompt, verification_prompt
from skillfactory.tasks.countdown import COUNTDOWN


def build_corpus(params: dict, countdown_params: dict, prompts: dict, seed: int, exclude: set) -> list[dict]:
    """``params["n_documents"]`` prompt/completion chat documents (TRL's conversational format)."""
    rng = random.Random(f"nano-corpus-{seed}")
    styles = sorted(prompts["styles"])
    sizes, weights = params["attempt_n_numbers"], params["p_correct"]
    documents = []
    while len(documents) < params["n_documents"]:
        k = rng.randrange(len(sizes))
        example = COUNTDOWN.random_question(rng, sizes[k], **countdown_params)
        if example is None or COUNTDOWN.key(example) in exclude:
            continue
        if rng.random() < params["verification_share"]:
            response = write_attempt(rng, example, 0.5, countdown_params["max_intermediate"])
            prompt = verification_prompt(COUNTDOWN, example, response, prompts["verify"])
            completion = write_verification(example, response)
        else:
            prompt = task_prompt(COUNTDOWN, example, prompts["styles"][rng.choice(styles)])
            completion = write_attempt(rng, example, weights[k], countdown_params["max_intermediate"])
        documents.append({"prompt": prompt, "completion": [{"role": "assistant", "content": completion}]})
    return documents
