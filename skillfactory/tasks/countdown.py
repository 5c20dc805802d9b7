"""Countdown: reach a target from N given numbers with + - * /, each number used exactly once.

An example is a dict ``{"id", "numbers", "target", "solution"}``. ``solution`` is one valid answer in step form,
kept so that tests and the nano author always have a known-good answer.

Accepted answers (the text inside the last ``<answer>...</answer>``):

* step form, one step a line: ``Step 1: 3 * 7 = 21`` (the ``Step k:`` label is optional); operands are given
  numbers or results of earlier steps, every claimed result must be exact, and the last result must be the target;
* equation form: ``(3 * 7) + 12`` or ``(3 * 7) + 12 = 33``, using the given numbers exactly once.

>>> ex = {"numbers": [3, 7, 12], "target": 33}
>>> COUNTDOWN.score("<answer>Step 1: 3 * 7 = 21\\nStep 2: 21 + 12 = 33</answer>", ex)
1.0
>>> COUNTDOWN.score("<answer>3 * 7 + 12</answer>", ex)
1.0
>>> COUNTDOWN.score("<answer>3 * 7 + 12 + 12 - 12</answer>", ex)
0.0
>>> COUNTDOWN.score("<answer>__import__('os')</answer>", ex)
0.0
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from skillfactory.tasks.arithmetic import ArithmeticParseError, apply_operator, evaluate_tokens, tokenize

MAX_ANSWER_CHARS = 2000
MAX_STEPS = 12


def extract_answer(response: str) -> str | None:
    """Content of the last complete ``<answer>...</answer>``; ``None`` when there is none.

    Uses ``rfind`` rather than a regex so that time stays linear on adversarial text.

    >>> extract_answer("<answer>1</answer> text <answer> 2 </answer>")
    '2'
    >>> extract_answer("<answer>unterminated") is None
    True
    """
    end = response.rfind("</answer>")
    if end < 0:
        return None
    start = response.rfind("<answer>", 0, end)
    if start < 0:
        return None
    return response[start + len("<answer>") : end].strip()


def _strip_step_label(line: str) -> str:
    """``Step 3: 4 + 5 = 9`` -> ``4 + 5 = 9``; lines without a label are returned unchanged."""
    head, sep, tail = line.partition(":")
    if sep and head.strip().lower().startswith("step"):
        return tail
    return line


def check_steps(lines: list[str], numbers: list[int]) -> Fraction:
    """Validate a step list against the numbers; return the final value or raise :class:`ArithmeticParseError`.

    The pool starts as the given numbers; each step takes its two operands out of the pool and puts its result in.
    A correct answer leaves exactly one value in the pool, so every number was used exactly once.
    """
    if len(lines) > MAX_STEPS:
        raise ArithmeticParseError("too many steps")
    pool = Counter(Fraction(n) for n in numbers)
    value = None
    for line in lines:
        tokens = tokenize(_strip_step_label(line))
        if len(tokens) != 5 or tokens[1] not in "+-*/" or tokens[3] != "=":
            raise ArithmeticParseError(f"not a step: {line!r}")
        if not (tokens[0].isdigit() and tokens[2].isdigit() and tokens[4].isdigit()):
            raise ArithmeticParseError(f"operands must be numbers: {line!r}")
        left, right, claimed = (Fraction(int(tokens[i])) for i in (0, 2, 4))
        for operand in (left, right):
            if pool[operand] <= 0:
                raise ArithmeticParseError(f"{operand} is not available")
            pool[operand] -= 1
        value = apply_operator(tokens[1], left, right)
        if value != claimed:
            raise ArithmeticParseError(f"wrong arithmetic: {line!r}")
        pool[value] += 1
    if value is None or sum(pool.values()) != 1:
        raise ArithmeticParseError("not every number was used")
    return value


def check_equation(text: str, numbers: list[int]) -> Fraction:
    """Validate a single equation (optionally ``= result``); return its value or raise."""
    tokens = tokenize(text)
    if "=" in tokens:
        eq = tokens.index("=")
        claimed, _ = evaluate_tokens(tokens[eq + 1 :])
        tokens = tokens[:eq]
    else:
        claimed = None
    value, literals = evaluate_tokens(tokens)
    if claimed is not None and claimed != value:
        raise ArithmeticParseError("claimed result differs from the value")
    if Counter(literals) != Counter(numbers):
        raise ArithmeticParseError("numbers not used exactly once")
    return value


def answer_value(answer: str, numbers: list[int]) -> Fraction:
    """Value of an answer in step or equation form; raise :class:`ArithmeticParseError` when invalid."""
    if len(answer) > MAX_ANSWER_CHARS:
        raise ArithmeticParseError("answer too long")
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    if not lines:
        raise ArithmeticParseError("empty answer")
    if len(lines) == 1 and not lines[0].lower().startswith("step"):
        return check_equation(lines[0], numbers)
    return check_steps(lines, numbers)


def random_route(
    rng: random.Random, numbers: list[int], max_intermediate: int, slip_at: int | None = None
) -> tuple[int, list[str]] | None:
    """Combine all numbers step by step with random operations: ``(final value, step lines)``.

    Returns ``None`` when a value leaves ``0..max_intermediate``. Only integer intermediate values are produced,
    which keeps nano-scale arithmetic learnable (the scorer itself accepts any exact rational route). With
    ``slip_at=k`` step ``k`` writes a result that is off by one or two and later steps build on it: the kind of
    arithmetic slip an imperfect author makes.
    """
    pool = list(numbers)
    steps = []
    while len(pool) > 1:
        a, b = (pool.pop(rng.randrange(len(pool))) for _ in range(2))
        op = rng.choice("+-*/")
        if op == "-" and a < b:
            a, b = b, a
        if op == "/":
            if b == 0 or a % b:
                a, b = b, a
            if b == 0 or a % b:
                op = "+"
        value = int(apply_operator(op, Fraction(a), Fraction(b)))
        if slip_at == len(steps):
            value += rng.choice((-2, -1, 1, 2))
        if value < 0 or value > max_intermediate:
            return None
        steps.append(f"Step {len(steps) + 1}: {a} {op} {b} = {value}")
        pool.append(value)
    return pool[0], steps


@dataclass(frozen=True)
class Countdown:
    """The Countdown task family; see the module docstring for the answer format."""

    name: str = "countdown"

    def generate(
        self,
        n: int,
        seed: int | str,
        *,
        n_numbers: int,
        number_min: int,
        number_max: int,
        target_min: int,
        target_max: int,
        max_intermediate: int,
        exclude: frozenset = frozenset(),
        id_prefix: str = "",
    ) -> list[dict]:
        """``n`` distinct solvable questions; none has a :meth:`key` in ``exclude`` (no train/eval leakage)."""
        rng = random.Random(f"countdown-{n_numbers}-{seed}")
        examples, seen = [], set(exclude)
        for _ in range(1000 * n + 10000):
            if len(examples) == n:
                break
            example = self.random_question(
                rng, n_numbers, number_min, number_max, target_min, target_max, max_intermediate
            )
            if example is None or self.key(example) in seen:
                continue
            seen.add(self.key(example))
            examples.append({"id": f"{id_prefix}{len(examples)}", **example})
        if len(examples) < n:
            raise RuntimeError(f"could not generate {n} distinct Countdown-{n_numbers} questions: ranges too narrow")
        return examples

    @staticmethod
    def random_question(
        rng: random.Random,
        n_numbers: int,
        number_min: int,
        number_max: int,
        target_min: int,
        target_max: int,
        max_intermediate: int,
    ) -> dict | None:
        """One random solvable question, built backwards from a random route; ``None`` if out of range."""
        numbers = [rng.randint(number_min, number_max) for _ in range(n_numbers)]
        found = random_route(rng, numbers, max_intermediate)
        if found is None or not target_min <= found[0] <= target_max:
            return None
        return {"numbers": numbers, "target": found[0], "solution": "\n".join(found[1])}

    @staticmethod
    def key(example: dict) -> tuple:
        """Identity of a question: the multiset of numbers and the target."""
        return (tuple(sorted(example["numbers"])), example["target"])

    @staticmethod
    def describe(example: dict) -> str:
        """The question itself, inserted into a prompt template as ``{question}``."""
        return f"Numbers: {' '.join(map(str, example['numbers']))}\nTarget: {example['target']}"

    @staticmethod
    def extract(response: str) -> str | None:
        return extract_answer(response)

    def score(self, response: str, example: dict) -> float:
        """1.0 when the last answer reaches the target with every number used once, else 0.0; never raises."""
        answer = extract_answer(response) if isinstance(response, str) else None
        if answer is None:
            return 0.0
        try:
            value = answer_value(answer, list(example["numbers"]))
        except (ArithmeticParseError, ValueError, TypeError, KeyError):
            return 0.0
        return 1.0 if value == example["target"] else 0.0


COUNTDOWN = Countdown()
