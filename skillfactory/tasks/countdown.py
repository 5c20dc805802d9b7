"""Countdown: reach a target from N given numbers (N from 2 to 6) with + - * /, each number used exactly once.

An example is a dict ``{"id", "numbers", "target", "solution"}``. Questions are drawn uniformly (numbers and target
in their configured ranges) and kept only when the exact solver below finds a solution, which is stored: so every
question is solvable, and tests and the nano author always have a known-good answer.

Accepted answers (the text inside the last ``<answer>...</answer>``):

* step form, one step a line: ``Step 1: 3 * 7 = 21`` (the ``Step k:`` label is optional); operands are given
  numbers or results of earlier steps, every claimed result must be exact, and the last result must be the target;
* equation form: ``(3 * 7) + 12`` or ``(3 * 7) + 12 = 33``, using the given numbers exactly once.

Arithmetic is exact (``Fraction``), so ``6 / (1 - 3 / 4)`` reaches 24; only ASCII digits, ``+ - * /``, parentheses
and ``=`` are read, with bounded length, nesting and number size (see :mod:`skillfactory.tasks.arithmetic`).

>>> ex = {"numbers": [3, 7, 12], "target": 33}
>>> COUNTDOWN.score("<answer>Step 1: 3 * 7 = 21\\nStep 2: 21 + 12 = 33</answer>", ex)
1.0
>>> COUNTDOWN.score("<answer>3 * 7 + 12</answer>", ex)
1.0
>>> COUNTDOWN.score("<answer>3 * 7 + 12 + 12 - 12</answer>", ex)
0.0
>>> COUNTDOWN.score("<answer>__import__('os')</answer>", ex)
0.0
>>> COUNTDOWN.score("<answer>3 ** 7 + 12</answer>", ex)
0.0
>>> solve([1, 3, 4, 6], 24, max_intermediate=100)
'6 / (1 - (3 / 4))'
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from skillfactory.tasks.arithmetic import (
    MAX_LITERAL_DIGITS,
    MAX_VALUE_BITS,
    ArithmeticParseError,
    apply_operator,
    evaluate_tokens,
    tokenize,
)
from skillfactory.tasks.common import Task, draws, extract_answer, sample_distinct

__all__ = [
    "COUNTDOWN", "Countdown", "answer_value", "extract_answer", "find_steps", "solve",
    "strip_step_label",
]

MAX_STEPS = 12
MIN_NUMBERS, MAX_NUMBERS = 2, 6

Value = int | Fraction
Move = tuple[str, Value, Value, Value]  # (operator, left operand, right operand, result)


def strip_step_label(line: str) -> str:
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
        tokens = tokenize(strip_step_label(line))
        if len(tokens) != 5 or tokens[1] not in ("+", "-", "*", "/") or tokens[3] != "=":
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
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    if not lines:
        raise ArithmeticParseError("empty answer")
    if len(lines) == 1 and not lines[0].lower().startswith("step"):
        return check_equation(lines[0], numbers)
    return check_steps(lines, numbers)


# --- the exact solver ---------------------------------------------------------------------------------------------
# An expression tree over the numbers splits them into two groups at its root, and so on down. The solver works on
# groups of numbers (bit masks over their positions): it lists every value of each small group once, by combining
# the values of its two parts in every way, and asks whether a large group can reach a given value by running the
# root's operation backwards (a + b = t means b = t - a, and so on) into a lookup in the smaller part's list and a
# recursive question to the larger part. Small groups are shared by all trees, so no sub-expression is evaluated
# twice; the first tree found is returned.
#
# Values never go below zero: replacing every value by its absolute value turns any tree into one whose
# subtractions are "larger minus smaller" and whose magnitudes are unchanged, so for a positive target nothing is
# lost, and half of the values are never listed.

def _exact_quotient(a: Value, b: Value) -> Value:
    """``a / b`` exactly, as an ``int`` when it is whole (ints keep the common case fast)."""
    if type(a) is int and type(b) is int and a % b == 0:
        return a // b
    q = Fraction(a) / b
    return q.numerator if q.denominator == 1 else q


def _fits(value: Value) -> bool:
    """The scorer's bound on intermediate values, so that a found solution is always one the scorer accepts."""
    return value.numerator.bit_length() <= MAX_VALUE_BITS and value.denominator.bit_length() <= MAX_VALUE_BITS


_ANY = None  # the larger part of a "0 * anything" step: any value will do


class _Solver:
    """All expression trees over ``numbers`` with exact arithmetic, in one of two domains.

    ``bound`` set: integer values in ``0..bound`` with exact divisions only (what step form can write down).
    ``bound`` None: non-negative rationals within the scorer's size limit (what an equation can write down).
    """

    def __init__(self, numbers: list[int], bound: int | None):
        self.numbers, self.bound = numbers, bound
        n = len(numbers)
        self.values: dict[int, dict[Value, tuple | None]] = {1 << i: {x: None} for i, x in enumerate(numbers)}
        self.how: dict[tuple[int, Value], tuple | None] = {}
        for mask in sorted(range(1, 1 << n), key=int.bit_count):
            if 2 <= mask.bit_count() <= n - 2:
                self.values[mask] = self._all_values(mask)

    def ok(self, value: Value) -> bool:
        """Whether ``value`` belongs to this solver's domain."""
        if self.bound is not None:
            return (type(value) is int or value.denominator == 1) and 0 <= value <= self.bound
        return value >= 0 and _fits(value)

    def _forward(self, a: Value, b: Value) -> list[tuple[str, bool, Value]]:
        """``(op, a_is_left, result)`` for every way to combine ``a`` and ``b`` within the domain."""
        a_big = a >= b
        hi, lo = (a, b) if a_big else (b, a)
        moves = [("+", a_big, hi + lo), ("*", a_big, hi * lo), ("-", a_big, hi - lo)]
        if lo and (self.bound is None or hi % lo == 0):
            moves.append(("/", a_big, _exact_quotient(hi, lo)))
        if self.bound is None and hi and lo != hi:
            moves.append(("/", not a_big, _exact_quotient(lo, hi)))
        return [m for m in moves if self.ok(m[2])]

    def _backward(self, a: Value, t: Value) -> list[tuple[str, bool, Value]]:
        """``(op, a_is_left, b)`` for every ``b`` in the domain with ``a op b = t`` or ``b op a = t``."""
        whole_only = self.bound is not None  # then skip quotients that are not whole before building them
        moves = [("+", True, t - a), ("-", True, a - t), ("-", False, a + t)]
        if a:
            if not whole_only or t % a == 0:
                moves.append(("*", True, _exact_quotient(t, a)))
            moves.append(("/", False, t * a))
            if t and (not whole_only or a % t == 0):
                moves.append(("/", True, _exact_quotient(a, t)))
        return [m for m in moves if self.ok(m[2])]

    @staticmethod
    def _splits(mask: int):
        """Every split of ``mask`` into two non-empty parts, each unordered split once."""
        lowest = mask & -mask
        part = (mask - 1) & mask
        while part:
            if part & lowest:
                yield part, mask ^ part
            part = (part - 1) & mask

    def _all_values(self, mask: int) -> dict[Value, tuple]:
        found: dict[Value, tuple] = {}
        for left, right in self._splits(mask):
            for a in self.values[left]:
                for b in self.values[right]:
                    for op, a_left, c in self._forward(a, b):
                        if c not in found:
                            found[c] = (op, left, a, right, b) if a_left else (op, right, b, left, a)
        return found

    def reach(self, mask: int, t: Value) -> bool:
        """Whether the numbers in ``mask`` make ``t``; remembers how in ``self.how``."""
        if mask in self.values:
            return t in self.values[mask]
        if (mask, t) in self.how:
            return self.how[mask, t] is not None
        self.how[mask, t] = None
        for left, right in self._splits(mask):
            small, big = (left, right) if left.bit_count() <= right.bit_count() else (right, left)
            for a in self.values[small]:
                if a == 0 and t == 0:
                    self.how[mask, t] = ("*", small, a, big, _ANY)
                    return True
                for op, a_left, b in self._backward(a, t):
                    if self.reach(big, b):
                        self.how[mask, t] = (op, small, a, big, b) if a_left else (op, big, b, small, a)
                        return True
        return False

    def path(self, mask: int, value: Value) -> list[Move]:
        """The moves, in an order that can be carried out, that make ``value`` from the numbers in ``mask``."""
        how = self.values[mask][value] if mask in self.values else self.how[mask, value]
        if how is None:  # a single given number
            return []
        op, left, a, right, b = how
        if b is _ANY:
            right_moves, b = self._difference_chain(right)
        else:
            right_moves = self.path(right, b)
        moves = [*self.path(left, a), *right_moves]
        if op in "+*" and a < b:  # larger operand first, as people write it
            a, b = b, a
        return [*moves, (op, a, b, value)]

    def _difference_chain(self, mask: int) -> tuple[list[Move], int]:
        """Some value of ``mask``'s numbers that stays in every domain, by repeated larger-minus-smaller."""
        values = [x for i, x in enumerate(self.numbers) if mask >> i & 1]
        moves, v = [], values[0]
        for x in values[1:]:
            hi, lo = max(v, x), min(v, x)
            v = hi - lo
            moves.append(("-", hi, lo, v))
        return moves, v


def _solution_path(numbers: list[int], target: int, bound: int | None) -> list[Move] | None:
    _check_size(len(numbers))
    solver = _Solver(numbers, bound)
    full = (1 << len(numbers)) - 1
    if not solver.ok(target) or not solver.reach(full, target):
        return None
    return solver.path(full, target)


def _check_size(count: int) -> None:
    """The solver's cost grows steeply with the count, and the paper stops at six."""
    if not MIN_NUMBERS <= count <= MAX_NUMBERS:
        raise ValueError(f"Countdown uses {MIN_NUMBERS} to {MAX_NUMBERS} numbers, got {count}")


def find_steps(numbers: list[int], target: int, max_intermediate: int) -> list[str] | None:
    """Step lines ``Step k: a op b = c`` reaching ``target`` with integer values in ``0..max_intermediate``.

    ``None`` when no such route exists (the question may still be solvable through fractions, see :func:`solve`).

    >>> find_steps([3, 7, 12], 33, max_intermediate=100)
    ['Step 1: 7 * 3 = 21', 'Step 2: 21 + 12 = 33']
    """
    path = _solution_path(numbers, target, max_intermediate)
    if path is None:
        return None
    return [f"Step {k}: {a} {op} {b} = {c}" for k, (op, a, b, c) in enumerate(path, 1)]


def _equation(numbers: list[int], path: list[Move]) -> str:
    """Replay ``path`` on the numbers, building one fully parenthesised expression."""
    pool = [(Fraction(n), str(n)) for n in numbers]

    def take(value: Value) -> str:
        index = next(i for i, (v, _) in enumerate(pool) if v == value)
        return pool.pop(index)[1]

    for op, a, b, c in path:
        left, right = take(a), take(b)
        pool.append((Fraction(c), f"({left} {op} {right})"))
    return pool[0][1][1:-1]


def solve(numbers: list[int], target: int, max_intermediate: int) -> str | None:
    """One solution over all expression trees with exact rational arithmetic, or ``None`` when there is none.

    Integer routes within ``0..max_intermediate`` are preferred and returned as step lines; a question that needs
    a fraction or a larger intermediate value gets a single equation instead, since step form cannot write those.
    """
    steps = find_steps(numbers, target, max_intermediate)
    if steps is not None:
        return "\n".join(steps)
    path = _solution_path(numbers, target, None)
    return None if path is None else _equation(numbers, path)


def _draw_numbers(rng: random.Random, n_numbers: int, number_min: int, number_max: int, target_min: int,
                  target_max: int) -> tuple[list[int], int]:
    numbers = [rng.randint(number_min, number_max) for _ in range(n_numbers)]
    return numbers, rng.randint(target_min, target_max)


@dataclass(frozen=True)
class Countdown(Task):
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
        """``n`` distinct solvable questions; none has a :meth:`key` in ``exclude`` (no train/eval leakage).

        ``max_intermediate`` bounds the values of a stored step-form solution; questions solvable only beyond it
        (or only through fractions) are kept too, with an equation as their solution.
        """
        _check_size(n_numbers)
        if max(number_max, target_max) >= 10**MAX_LITERAL_DIGITS or min(number_min, target_min) < 0:
            raise ValueError(f"numbers and targets must be in 0..{10**MAX_LITERAL_DIGITS - 1} to be readable")
        if number_max > max_intermediate:
            raise ValueError("max_intermediate must be at least number_max")
        rng = random.Random(f"countdown-{n_numbers}-{seed}")

        def draw() -> dict | None:
            numbers, target = _draw_numbers(rng, n_numbers, number_min, number_max, target_min, target_max)
            solution = solve(numbers, target, max_intermediate)
            return None if solution is None else {"numbers": numbers, "target": target, "solution": solution}

        return sample_distinct(n, draws(draw, n), self.key, exclude, id_prefix, f"Countdown-{n_numbers}")

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
        """One random question with an integer step-form solution, drawn like :meth:`generate` draws; ``None``
        when the draw has no such solution (the caller draws again). Used where a step-form solution is needed."""
        numbers, target = _draw_numbers(rng, n_numbers, number_min, number_max, target_min, target_max)
        steps = find_steps(numbers, target, max_intermediate)
        return None if steps is None else {"numbers": numbers, "target": target, "solution": "\n".join(steps)}

    @staticmethod
    def key(example: dict) -> tuple:
        """Identity of a question: the multiset of numbers and the target."""
        return (tuple(sorted(example["numbers"])), example["target"])

    @staticmethod
    def describe(example: dict) -> str:
        """The question itself, inserted into a prompt template as ``{question}``."""
        return f"Numbers: {' '.join(map(str, example['numbers']))}\nTarget: {example['target']}"

    def is_correct(self, answer: str, example: dict) -> bool:
        """Every number used once, every step true, and the exact final value equal to the target."""
        return answer_value(answer, list(example["numbers"])) == example["target"]


COUNTDOWN = Countdown()
