"""Long multiplication: the product of two numbers of 2 to 5 digits each (an out-of-domain task).

An example is ``{"id", "a", "b", "answer"}`` with ``answer == a * b``. Both factors of a question have the same
number of digits, drawn from ``digits_min..digits_max``, so an evaluation set per size (2x2 up to 5x5 digits) is one
set with ``digits_min == digits_max``. The answer is one number, exact; thousands separators are accepted.

>>> ex = {"a": 1234, "b": 5678, "answer": 7006652}
>>> [MULTIPLICATION.score(f"<answer>{a}</answer>", ex) for a in ("7006652", "7,006,652", "7006653", "1234 * 5678")]
[1.0, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from skillfactory.tasks.common import NumericTask, draws, sample_distinct


@dataclass(frozen=True)
class Multiplication(NumericTask):
    """The long multiplication task family; see the module docstring."""

    name: str = "multiplication"

    def generate(
        self,
        n: int,
        seed: int | str,
        *,
        digits_min: int,
        digits_max: int,
        exclude: frozenset = frozenset(),
        id_prefix: str = "",
    ) -> list[dict]:
        """``n`` distinct products of two ``digits_min``- to ``digits_max``-digit numbers."""
        if not 1 <= digits_min <= digits_max:
            raise ValueError("need 1 <= digits_min <= digits_max")
        rng = random.Random(f"{self.name}-{digits_min}-{digits_max}-{seed}")

        def draw() -> dict:
            digits = rng.randint(digits_min, digits_max)
            a, b = (rng.randint(10 ** (digits - 1), 10**digits - 1) for _ in range(2))
            return {"a": a, "b": b, "answer": a * b}

        return sample_distinct(n, draws(draw, n), self.key, exclude, id_prefix, "multiplication")

    def key(self, example: dict) -> tuple:
        """Identity of a question: the unordered pair of factors."""
        return (self.name, min(example["a"], example["b"]), max(example["a"], example["b"]))

    @staticmethod
    def describe(example: dict) -> str:
        return f"What is {example['a']} * {example['b']}?"


MULTIPLICATION = Multiplication()
