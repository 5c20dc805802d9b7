"""Benchmark of the Countdown task: generating questions with solutions, and scoring responses.

Run from the repository root:  python benchmarks/bench_tasks.py [--quick]

1. Generate 10,000 Countdown-4 questions (nano ranges) with their solutions, against a naive reference that draws
   the same way but solves each draw with the textbook brute force: take two values, try all six operations on
   Fractions, recurse, no memo, no sharing, stop at the first hit. The naive side is timed on a smaller batch and
   extrapolated to 10,000 (it says so in its line).
2. Score 100,000 responses (correct and wrong answers in step and equation form, junk, long reasoning before the
   answer) with ``COUNTDOWN.score``, against a naive reference scorer written here: regular expressions to find the
   answer and its tokens and a shunting-yard evaluator over Fractions (no ``eval``), with no size bounds.

It prints times and ratios only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from fractions import Fraction

from skillfactory.tasks.countdown import COUNTDOWN

RANGES = dict(number_min=1, number_max=20, target_min=1, target_max=200, max_intermediate=500)
N_QUESTIONS = 10_000
N_RESPONSES = 100_000


# --- naive references -----------------------------------------------------------------------------------------------


def naive_solve(values: list[tuple[Fraction, str]], target: Fraction) -> str | None:
    """First expression over all values that equals ``target``, by unmemoised recursion over all pairs and ops."""
    if len(values) == 1:
        return values[0][1] if values[0][0] == target else None
    for i in range(len(values)):
        for j in range(len(values)):
            if i == j:
                continue
            (a, ea), (b, eb) = values[i], values[j]
            rest = [v for k, v in enumerate(values) if k not in (i, j)]
            results = [(a + b, "+"), (a - b, "-"), (a * b, "*")] + ([(a / b, "/")] if b else [])
            for value, op in results:
                found = naive_solve(rest + [(value, f"({ea} {op} {eb})")], target)
                if found is not None:
                    return found
    return None


def naive_generate(n: int, seed: str) -> list[dict]:
    rng = random.Random(seed)
    rows, seen = [], set()
    while len(rows) < n:
        numbers = [rng.randint(RANGES["number_min"], RANGES["number_max"]) for _ in range(4)]
        target = rng.randint(RANGES["target_min"], RANGES["target_max"])
        key = (tuple(sorted(numbers)), target)
        if key in seen:
            continue
        solution = naive_solve([(Fraction(x), str(x)) for x in numbers], Fraction(target))
        if solution is not None:
            seen.add(key)
            rows.append({"numbers": numbers, "target": target, "solution": solution})
    return rows


_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_STEP = re.compile(r"(?:Step \d+:)?\s*(\d+)\s*([-+*/])\s*(\d+)\s*=\s*(\d+)\s*")
_TOKEN = re.compile(r"\s*(\d+|[-+*/()])")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _evaluate(text: str) -> tuple[Fraction, list[int]] | None:
    """Shunting-yard over Fractions; ``None`` for anything it cannot read."""
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if match is None:
            return None
        tokens.append(match.group(1))
        pos = match.end()
    output, ops, literals = [], [], []

    def reduce() -> None:
        op, right, left = ops.pop(), output.pop(), output.pop()
        output.append({"+": left + right, "-": left - right, "*": left * right}[op] if op != "/" else left / right)

    for token in tokens:
        if token.isdigit():
            output.append(Fraction(int(token)))
            literals.append(int(token))
        elif token == "(":
            ops.append(token)
        elif token == ")":
            while ops and ops[-1] != "(":
                reduce()
            if not ops:
                return None
            ops.pop()
        else:
            while ops and ops[-1] != "(" and _PRECEDENCE[ops[-1]] >= _PRECEDENCE[token]:
                reduce()
            ops.append(token)
    while ops:
        if ops[-1] == "(":
            return None
        reduce()
    return (output[0], literals) if len(output) == 1 else None


def naive_score(response: str, example: dict) -> float:
    try:
        answers = _ANSWER.findall(response)
        if not answers:
            return 0.0
        lines = [line for line in answers[-1].strip().splitlines() if line.strip()]
        if len(lines) == 1 and not lines[0].startswith("Step"):
            left, _, right = lines[0].partition("=")
            found = _evaluate(left)
            if found is None or (right.strip() and (_evaluate(right) or (None,))[0] != found[0]):
                return 0.0
            value, literals = found
            return float(Counter(literals) == Counter(example["numbers"]) and value == example["target"])
        pool, value = Counter(Fraction(x) for x in example["numbers"]), None
        for line in lines:
            match = _STEP.fullmatch(line)
            if match is None:
                return 0.0
            a, op, b, c = Fraction(int(match[1])), match[2], Fraction(int(match[3])), Fraction(int(match[4]))
            for operand in (a, b):
                if pool[operand] <= 0:
                    return 0.0
                pool[operand] -= 1
            value = {"+": a + b, "-": a - b, "*": a * b}[op] if op != "/" else a / b
            if value != c:
                return 0.0
            pool[value] += 1
        return float(sum(pool.values()) == 1 and value == example["target"])
    except (ZeroDivisionError, IndexError, KeyError):
        return 0.0


# --- the benchmark --------------------------------------------------------------------------------------------------


def responses(rows: list[dict], n: int, rng: random.Random) -> list[tuple[str, dict]]:
    """A mix of response kinds, each paired with its question."""
    filler = "Let me think about which numbers to combine first. " * 40  # about 2 KB of reasoning

    def one(row: dict) -> str:
        kind = rng.randrange(6)
        solution = row["solution"]
        if kind == 0:  # correct, step or equation form as stored
            return f"<answer>\n{solution}\n</answer>"
        if kind == 1:  # correct, after long reasoning and an earlier wrong answer
            return f"{filler}<answer>1 + 2</answer>\n{filler}<answer>\n{solution}\n</answer>"
        if kind == 2:  # wrong target claimed in the last step
            return f"<answer>\n{solution.rpartition('=')[0]}= {row['target'] + 1}\n</answer>"
        if kind == 3:  # numbers just added up
            return f"<answer>{' + '.join(map(str, row['numbers']))}</answer>"
        if kind == 4:  # no answer at all
            return filler
        return "<answer>" + "".join(rng.choice("0123456789+-*/() ") for _ in range(60)) + "</answer>"

    return [(one(row), row) for row in (rng.choice(rows) for _ in range(n))]


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, for a smoke run")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    n_questions, n_responses = N_QUESTIONS // scale, N_RESPONSES // scale
    n_naive = max(20, n_questions // 40)

    print(f"python {sys.version.split()[0]}; Countdown-4, numbers {RANGES['number_min']}..{RANGES['number_max']}, "
          f"targets {RANGES['target_min']}..{RANGES['target_max']}")
    rows, ours = timed(lambda: COUNTDOWN.generate(n_questions, "bench", n_numbers=4, **RANGES))
    _, naive = timed(naive_generate, n_naive, "bench")
    naive_full = naive * n_questions / n_naive
    each = ours / n_questions * 1e3
    print(f"generate {n_questions:>7,} questions with solutions: {ours:7.2f} s ({each:.3f} ms each)")
    print(f"  naive brute force, {n_naive} questions timed, extrapolated: {naive_full:7.2f} s "
          f"({naive / n_naive * 1e3:.3f} ms each); naive / ours = {naive_full / ours:.1f}x")

    batch = responses(rows, n_responses, random.Random(0))
    scores, ours = timed(lambda: [COUNTDOWN.score(text, row) for text, row in batch])
    naive_scores, naive = timed(lambda: [naive_score(text, row) for text, row in batch])
    agree = sum(a == b for a, b in zip(scores, naive_scores, strict=True)) / len(batch)
    print(f"score {n_responses:>10,} responses: {ours:7.2f} s ({ours / n_responses * 1e6:.1f} us each), "
          f"{sum(scores) / len(batch):.1%} correct")
    print(f"  naive regex + Fraction scorer: {naive:7.2f} s ({naive / n_responses * 1e6:.1f} us each); "
          f"naive / ours = {naive / ours:.2f}x; the two agree on {agree:.2%} of responses")


if __name__ == "__main__":
    main()
