"""Arithmetic word problems: the nano-scale stand-in for GSM8K (an out-of-domain task).

GSM8K cannot be downloaded at nano scale, and a nano model could not read it; this family keeps what GSM8K
measures, carrying a quantity through a short story of operations, in a vocabulary a nano model can handle. An
example is ``{"id", "question", "answer"}`` with an integer ``answer``.

A story starts with someone holding some items and applies ``steps_min`` to ``steps_max`` operations, each chosen
among those that keep the count a whole number in ``0..value_max``: gaining or losing up to ``number_max`` items,
multiplying the count by 2 to 5, or splitting it into 2 to 5 equal parts and keeping one.

>>> ex = WORD_PROBLEMS.generate(1, 0, steps_min=2, steps_max=2, number_max=20, value_max=100)[0]
>>> WORD_PROBLEMS.score(f"<answer>{ex['answer']}</answer>", ex), WORD_PROBLEMS.score("<answer>-1</answer>", ex)
(1.0, 0.0)
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from skillfactory.tasks.common import NumericTask, draws, sample_distinct

NAMES = ("Ada", "Ben", "Cora", "Dev", "Eli", "Fern", "Gus", "Hana", "Ivo", "Jun", "Kira", "Leo", "Mia", "Noor")
ITEMS = ("apples", "marbles", "stickers", "pencils", "shells", "coins", "stamps", "cookies", "beads", "cards")
GAIN = ("{name} buys {k} more {item}.", "A friend gives {name} {k} {item}.", "{name} finds {k} {item}.")
LOSS = ("{name} gives away {k} {item}.", "{name} loses {k} {item}.", "{name} uses up {k} {item}.")
TIMES = ("After a trade, {name} has {k} times as many {item} as before.",)
SPLIT = ("{name} splits the {item} into {k} equal piles and keeps one pile.",)


def _story(rng: random.Random, steps: int, number_max: int, value_max: int) -> tuple[str, int]:
    """Question text and answer of one random story."""
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    count = rng.randint(1, min(number_max, value_max))
    sentences = [f"{name} has {count} {item}."]
    for _ in range(steps):
        options = []
        if count < value_max:
            k = rng.randint(1, min(number_max, value_max - count))
            options.append((GAIN, k, count + k))
        if count > 0:
            k = rng.randint(1, min(number_max, count))
            options.append((LOSS, k, count - k))
        k = rng.randint(2, 5)
        if 0 < count * k <= value_max:
            options.append((TIMES, k, count * k))
        divisors = [d for d in range(2, 6) if count % d == 0 and count > 0]
        if divisors:
            d = rng.choice(divisors)
            options.append((SPLIT, d, count // d))
        templates, k, count = rng.choice(options)
        sentences.append(rng.choice(templates).format(name=name, item=item, k=k))
    sentences.append(f"How many {item} does {name} have now?")
    return " ".join(sentences), count


@dataclass(frozen=True)
class WordProblems(NumericTask):
    """The word-problem task family; see the module docstring."""

    name: str = "word_problems"

    def generate(
        self,
        n: int,
        seed: int | str,
        *,
        steps_min: int,
        steps_max: int,
        number_max: int,
        value_max: int,
        exclude: frozenset = frozenset(),
        id_prefix: str = "",
    ) -> list[dict]:
        """``n`` distinct stories of ``steps_min`` to ``steps_max`` operations."""
        if not 1 <= steps_min <= steps_max or not 1 <= number_max <= value_max:
            raise ValueError("need 1 <= steps_min <= steps_max and 1 <= number_max <= value_max")
        rng = random.Random(f"{self.name}-{seed}")

        def draw() -> dict:
            question, answer = _story(rng, rng.randint(steps_min, steps_max), number_max, value_max)
            return {"question": question, "answer": answer}

        return sample_distinct(n, draws(draw, n), self.key, exclude, id_prefix, "word problem")

    def key(self, example: dict) -> tuple:
        return (self.name, example["question"])

    @staticmethod
    def describe(example: dict) -> str:
        return example["question"]


WORD_PROBLEMS = WordProblems()
