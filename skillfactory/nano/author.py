"""The imperfect author of the nano corpus: one-shot Countdown attempts and verifications of given answers.

An attempt follows one fixed, learnable heuristic that works backwards from the target: while more than two
numbers are left it takes one number off the goal (the largest one that divides it, else the largest one below it,
else the smallest one above it) and writes that step as a plan line; then it combines the last two numbers with the
operation whose result comes closest to what is left, and writes the route forwards in the ``<answer>``. The
heuristic solves about half of the Countdown-3 questions and fewer of the larger ones, so wrong attempts come from
the method itself and grow with difficulty, as a weak model's would; a tiny model can imitate it because every
choice depends on a few visible numbers, where imitating a solver's known route would need a search it cannot do.

On top of that the author is careless with probability ``1 - p_careful``: one arithmetic slip carried forward, a
last step that falsely claims the target, or a number used twice. It never writes a second attempt, never checks
its own answer and never corrects itself: those are the skills SkillFactory must teach later. Whether an attempt
is correct is decided by the task's scorer, never assumed, so every verdict in the corpus is the truth about the
answer it judges.
"""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction
from itertools import zip_longest

from skillfactory.tasks.arithmetic import ArithmeticParseError, apply_operator, tokenize
from skillfactory.tasks.countdown import COUNTDOWN, extract_answer, strip_step_label

MISTAKES = ("slip", "false_claim", "reuse")


def format_answer(steps: list[str]) -> str:
    """Steps without ``Step k:`` labels: the scorer reads both, and the bare form is a third shorter for the model."""
    return "<answer>\n" + "\n".join(strip_step_label(step).strip() for step in steps) + "\n</answer>"


def plan_backwards(numbers: list[int], target: int) -> tuple[list[str], list[tuple[int, str]], int, list[int]]:
    """Take numbers off the goal until two are left: ``(plan lines, [(number, how)], goal left, last two)``.

    The rule, in order: the largest number above 1 that divides the goal (``goal / n``, how ``"/"``); else the
    largest number below the goal (``goal - n``, how ``"-"``); else the smallest number, which is then at least
    the goal (``n - goal``, how ``"n-"``).
    """
    pool, goal, lines, taken = list(numbers), target, [], []
    while len(pool) > 2:
        divisors = [n for n in pool if n > 1 and goal % n == 0]
        below = [n for n in pool if n < goal]
        if divisors:
            n = max(divisors)
            how, left, line = "/", goal // n, f"{goal} / {n}"
        elif below:
            n = max(below)
            how, left, line = "-", goal - n, f"{goal} - {n}"
        else:
            n = min(pool)
            how, left, line = "n-", n - goal, f"{n} - {goal}"
        lines.append(f"{line} = {left}")
        pool.remove(n)
        taken.append((n, how))
        goal = left
    lines.append(f"Need {goal} from {' '.join(map(str, pool))}")
    return lines, taken, goal, pool


def _value(left: int, op: str, right: int) -> int:
    return int(apply_operator(op, Fraction(left), Fraction(right)))


def closest_pair_step(a: int, b: int, goal: int) -> tuple[int, str, int]:
    """``(left, op, right)`` for the last two numbers: the operation that hits ``goal``, else the one closest to it
    (ties: + before * before - before /). Only exact integer results, so the route stays in whole numbers."""
    high, low = max(a, b), min(a, b)
    options = [(a, "+", b), (a, "*", b), (high, "-", low)]
    if low > 0 and high % low == 0:
        options.append((high, "/", low))
    return min(options, key=lambda option: abs(_value(*option) - goal))


def _undo(value: int, n: int, how: str) -> tuple[int, str, int]:
    """The forward step that puts ``n`` back: ``*`` undoes a division, ``+`` a subtraction, ``n - x`` itself."""
    if how == "/":
        return value, "*", n
    if how == "-":
        return value, "+", n
    return (n, "-", value) if n >= value else (value, "-", n)


def forward_steps(rng: random.Random, taken: list[tuple[int, str]], goal: int, pair: list[int],
                  mistake: str | None) -> list[str]:
    """The route forwards: the pair step, then each taken number put back in reverse order.

    ``mistake``: ``"slip"`` miscomputes one step by one or two and the later steps build on it; ``"reuse"``
    combines the first of the last two numbers with itself.
    """
    a, b = (pair[0], pair[0]) if mistake == "reuse" else pair
    slip_at = rng.randrange(len(taken) + 1) if mistake == "slip" else None
    steps, value = [], None
    for index, (n, how) in enumerate([(None, None), *reversed(taken)]):
        left, op, right = closest_pair_step(a, b, goal) if n is None else _undo(value, n, how)
        value = _value(left, op, right)
        if index == slip_at:
            value = max(0, value + rng.choice((-2, -1, 1, 2)))
        steps.append(f"{left} {op} {right} = {value}")
    return steps


def write_attempt(rng: random.Random, example: dict, p_careful: float) -> str:
    """One attempt: the backwards plan, then the route forwards in ``<answer>``; careless with probability
    ``1 - p_careful`` (a slip, a number used twice, or a last step that falsely claims the target; a route that
    already ends on the target gets a slip instead of a false claim). A careless attempt that happens to be right
    (a slip that lands on the target) is still scored as right."""
    mistake = None if rng.random() < p_careful else rng.choice(MISTAKES)
    plan, taken, goal, pair = plan_backwards(list(example["numbers"]), example["target"])
    steps = forward_steps(rng, taken, goal, pair, mistake)
    if mistake == "false_claim" and steps[-1].endswith(f"= {example['target']}"):
        steps = forward_steps(rng, taken, goal, pair, "slip")
    elif mistake == "false_claim":
        head, _, _ = steps[-1].rpartition("=")
        steps[-1] = f"{head}= {example['target']}"
    return "\n".join(plan) + "\n" + format_answer(steps)


def answer_to_verify(rng: random.Random, example: dict) -> str:
    """An answer for a verification document, correct half of the time so that the verdicts are balanced.

    Correct: a careful attempt when the heuristic solves the question, else the known solution. Wrong: an attempt
    as the author writes them, half careful, so that honest misses of the heuristic (ending anywhere) are as common
    as careless ones (ending near the target). A base model that learnt to verify careless answers alone judged its
    own answers, which are mostly honest misses, no better than chance (see docs/nano-world.md).
    """
    if rng.random() < 0.5:
        careful = write_attempt(rng, example, 1.0)
        if COUNTDOWN.score(careful, example) == 1.0:
            return careful
        return format_answer(example["solution"].splitlines())
    attempt = write_attempt(rng, example, 0.5)
    return attempt if COUNTDOWN.score(attempt, example) == 0.0 else write_attempt(rng, example, 0.0)


def _check_line(line: str, pool: Counter) -> tuple[str, bool]:
    """Recompute one step against the pool of available values; return the check line and whether it held."""
    body = strip_step_label(line)
    try:
        tokens = tokenize(body)
        left, op, right, _, claimed = tokens
        a, b, c = Fraction(int(left)), Fraction(int(right)), Fraction(int(claimed))
    except (ArithmeticParseError, ValueError):
        return f"{body.strip()} unreadable", False
    available = pool[a] > 0 and pool[b] > (1 if a == b else 0)
    if not available:
        return f"{left} {op} {right}: {left if pool[a] <= 0 else right} not available", False
    pool[a] -= 1
    pool[b] -= 1
    try:
        value = apply_operator(op, a, b)
    except ArithmeticParseError:
        return f"{left} {op} {right}: not allowed", False
    pool[c] += 1
    if value == c:
        return f"{left} {op} {right} = {claimed} ok", True
    return f"{left} {op} {right} = {value} not {claimed}", False


def compare_digits(final: str, target: str) -> str:
    """``final`` against ``target`` one digit at a time from the left, up to the first digit that differs
    (``_`` where a number has run out): ``"1 1 same, 6 4 differ."``.

    A nano model asked to tell in one step whether two numbers it has just written are equal often takes the wrong
    branch. Written as pairs, each decision compares the two tokens just copied, and the branch follows from the
    last word, which a tiny model gets right almost always (see docs/nano-world.md).
    """
    pairs = []
    for mine, theirs in zip_longest(final, target, fillvalue="_"):
        pairs.append(f"{mine} {theirs} {'same' if mine == theirs else 'differ'}")
        if mine != theirs:
            break
    return ", ".join(pairs) + "."


def write_verification(example: dict, response: str) -> str:
    """A recomputation of ``response`` ending in the true verdict.

    The cheap check comes first: the answer's last value is compared with the target digit by digit, which
    refutes most wrong answers and is the easiest pattern for a tiny model to learn. Only answers that reach the
    target get the step-by-step recomputation that catches slips, reused numbers and false claims.
    """
    lines = ["Let me check."]
    answer = extract_answer(response)
    steps = [line.strip() for line in (answer or "").splitlines() if line.strip()]
    if not steps:
        lines.append("No answer given.")
    else:
        final = steps[-1].rpartition("=")[2].strip()
        target = str(example["target"])
        lines.append(f"The answer ends at {final}, the target is {target}.")
        lines.append(compare_digits(final, target))
        if final == target:
            pool = Counter(Fraction(n) for n in example["numbers"])
            for step in steps:
                text, held = _check_line(step, pool)
                lines.append(text)
                if not held:
                    break
            else:
                lines.append("All numbers used once." if sum(pool.values()) == 1 else "Not all numbers used once.")
    correct = COUNTDOWN.score(response, example) == 1.0
    lines.append(f"<verdict>{'Correct' if correct else 'Incorrect'}</verdict>")
    return "\n".join(lines)
