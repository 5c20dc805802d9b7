"""GSM8K and CommonsenseQA, the paper-scale out-of-domain tasks, read from the Hugging Face hub with ``datasets``.

Loading happens inside ``generate`` (never at import), so the nano workflow and the tests run without network.
Each dataset record is turned into a task example by a pure function (:func:`gsm8k_example`,
:func:`commonsense_qa_example`), unit-tested on tiny samples in ``tests/data``; ``generate`` then picks ``n``
records in a seeded random order, skipping excluded ones.

* GSM8K (``openai/gsm8k``, config ``main``): ``{"id", "question", "answer"}``; ``answer`` is the number after
  ``####`` in the reference solution, and a response is correct when its answer is that number.
* CommonsenseQA (``tau/commonsense_qa``; its test split has no labels, use ``validation``):
  ``{"id", "source_id", "question", "choices", "answer"}``; ``choices`` maps a letter to its text, ``answer`` is
  the correct letter; a response may answer with the letter (``B``, ``(B)``, ``B. text``) or the choice's text.

>>> ex = {"question": "Where do fish live?", "choices": {"A": "tree", "B": "river"}, "answer": "B"}
>>> [COMMONSENSE_QA.score(f"<answer>{a}</answer>", ex) for a in ("B", "(b)", "B. river", "River", "A", "BA")]
[1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from skillfactory.tasks.common import NumericTask, Task, parse_number, sample_distinct

_CHOICE = re.compile(r"\(?([A-Za-z])\)?(?:[.:)]\s*.*)?", re.DOTALL)
MAX_CHOICE_CHARS = 300


def load_records(path: str, name: str | None, split: str, revision: str | None) -> list[dict]:
    """All records of one split of a hub dataset (downloaded once, then read from the ``datasets`` cache)."""
    from datasets import load_dataset

    return list(load_dataset(path, name, split=split, revision=revision))


def gsm8k_example(record: dict) -> dict:
    """A GSM8K record ``{"question", "answer": "<worked solution> #### 72"}`` as a task example.

    >>> gsm8k_example({"question": " How many? ", "answer": "2 * 3 = <<2*3=6>>6\\n#### 1,006"})
    {'question': 'How many?', 'answer': '1006'}
    """
    _, sep, final = record["answer"].rpartition("####")
    final = final.strip().replace(",", "")
    if not sep or parse_number(final) is None:
        raise ValueError(f"GSM8K record without a final numeric answer: {record['answer'][-80:]!r}")
    return {"question": record["question"].strip(), "answer": final}


def commonsense_qa_example(record: dict) -> dict:
    """A CommonsenseQA record (``id``, ``question``, ``choices`` with parallel ``label``/``text`` lists,
    ``answerKey``) as a task example."""
    choices = dict(zip(record["choices"]["label"], record["choices"]["text"], strict=True))
    if record["answerKey"] not in choices:
        raise ValueError(f"CommonsenseQA record {record['id']!r} has no labelled answer")
    return {
        "source_id": record["id"],
        "question": record["question"].strip(),
        "choices": choices,
        "answer": record["answerKey"],
    }


def choice_label(answer: str, choices: dict[str, str]) -> str | None:
    """The choice an answer names, by its letter or by its exact text (case-insensitive); ``None`` otherwise."""
    text = answer.strip()
    if len(text) > MAX_CHOICE_CHARS:
        return None
    for label, choice in choices.items():
        if text.casefold() == choice.strip().casefold():
            return label
    match = _CHOICE.fullmatch(text)
    if match is None:
        return None
    label = match.group(1).upper()
    return label if label in choices else None


@dataclass(frozen=True)
class HubTask(Task):
    """A task over the records of a hub dataset: ``generate`` takes ``split`` and an optional pinned ``revision``."""

    path: str = ""
    config_name: str | None = None

    def example(self, record: dict) -> dict:
        raise NotImplementedError

    def generate(
        self,
        n: int,
        seed: int | str,
        *,
        split: str,
        revision: str | None = None,
        exclude: frozenset = frozenset(),
        id_prefix: str = "",
    ) -> list[dict]:
        """``n`` distinct records of ``split`` in a seeded random order, none with a key in ``exclude``."""
        records = load_records(self.path, self.config_name, split, revision)
        random.Random(f"{self.name}-{split}-{seed}").shuffle(records)
        examples = (self.example(r) for r in records)
        return sample_distinct(n, examples, self.key, exclude, id_prefix, f"{self.name} ({split})")

    def key(self, example: dict) -> tuple:
        return (self.name, example["question"])

    @staticmethod
    def describe(example: dict) -> str:
        return example["question"]


@dataclass(frozen=True)
class GSM8K(HubTask, NumericTask):
    name: str = "gsm8k"
    path: str = "openai/gsm8k"
    config_name: str | None = "main"

    def example(self, record: dict) -> dict:
        return gsm8k_example(record)


@dataclass(frozen=True)
class CommonsenseQA(HubTask):
    name: str = "commonsense_qa"
    path: str = "tau/commonsense_qa"

    def example(self, record: dict) -> dict:
        return commonsense_qa_example(record)

    def key(self, example: dict) -> tuple:
        return (self.name, example["question"], tuple(example["choices"].values()))

    @staticmethod
    def describe(example: dict) -> str:
        lines = [example["question"], *(f"{label}. {text}" for label, text in example["choices"].items())]
        return "\n".join(lines)

    def is_correct(self, answer: str, example: dict) -> bool:
        return choice_label(answer, example["choices"]) == example["answer"]


GSM8K_TASK = GSM8K()
COMMONSENSE_QA = CommonsenseQA()
