"""Turning task examples into chat messages with the prompt templates from the config.

Templates are configuration (each scale has its own wording); they contain ``{question}`` and, for verification,
``{response}``. Every prompt is a list of chat messages so that the tokenizer's chat template does the formatting,
for the nano model and for a hub model alike.
"""

from __future__ import annotations

import re


def user_message(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def task_prompt(task, example: dict, template: str) -> list[dict]:
    """The chat prompt asking the model to solve ``example`` in the style of ``template``."""
    return user_message(template.format(question=task.describe(example)))


def verification_prompt(task, example: dict, response: str, template: str) -> list[dict]:
    """The chat prompt asking the model to check ``response`` as an answer to ``example``."""
    return user_message(template.format(question=task.describe(example), response=response.strip()))


VERDICT = re.compile(r"<verdict>(.*?)</verdict>", re.DOTALL)


def parse_verdict(reflection: str) -> bool | None:
    """True/False for exactly one ``<verdict>...</verdict>`` whose text, lower-cased and stripped, is ``correct`` or
    ``incorrect`` (as the authors' trace builder reads verdicts, so ``<verdict> correct </verdict>`` counts);
    ``None`` for none, several, or any other text.

    >>> parse_verdict("recheck... <verdict>Incorrect</verdict>")
    False
    >>> parse_verdict("<verdict>\\nCorrect\\n</verdict>")
    True
    >>> parse_verdict("<verdict>Correct</verdict><verdict>Correct</verdict>") is None
    True
    >>> parse_verdict("<verdict>probably correct</verdict>") is None
    True
    """
    verdicts = VERDICT.findall(reflection)
    if len(verdicts) != 1:
        return None
    return {"correct": True, "incorrect": False}.get(verdicts[0].strip().lower())
