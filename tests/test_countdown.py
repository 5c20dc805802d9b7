"""Countdown generation and the scorer: known answers, properties over generated questions, hostile input."""

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.tasks import get_task
from skillfactory.tasks.countdown import COUNTDOWN

RANGES = dict(number_min=1, number_max=20, target_min=1, target_max=200, max_intermediate=500)
EXAMPLE = {"numbers": [3, 7, 12], "target": 33}


def wrap(answer: str) -> str:
    return f"some reasoning\n<answer>\n{answer}\n</answer>"


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Step 1: 3 * 7 = 21\nStep 2: 21 + 12 = 33", 1.0),
        ("3 * 7 = 21\n21 + 12 = 33", 1.0),
        ("(3 * 7) + 12", 1.0),
        ("3 * 7 + 12 = 33", 1.0),
        ("12 + 7 * 3", 1.0),
        ("Step 1: 3 * 7 = 21\nStep 2: 21 + 12 = 34", 0.0),  # wrong claimed result
        ("Step 1: 3 * 7 = 22\nStep 2: 22 + 11 = 33", 0.0),  # slip, then an unavailable number
        ("Step 1: 3 * 7 = 21", 0.0),  # 12 unused
        ("3 * 7 + 12 = 34", 0.0),  # claimed value is false
        ("3 * 7 + 12 + 0", 0.0),  # extra number
        ("21 + 12", 0.0),  # numbers not the given ones
        ("12 / (7 - 7) + 3", 0.0),  # division by zero
        ("3 ** 7", 0.0),
        ("__import__('os').system('true')", 0.0),
        ("３ * 7 + 12", 0.0),  # non-ASCII digit
        ("3 * 7 − 12", 0.0),  # non-ASCII minus
        ("", 0.0),
    ],
)
def test_known_answers(answer, expected):
    assert COUNTDOWN.score(wrap(answer), EXAMPLE) == expected


def test_last_answer_counts():
    good, bad = "<answer>(3 * 7) + 12</answer>", "<answer>3 + 7 + 12</answer>"
    assert COUNTDOWN.score(bad + good, EXAMPLE) == 1.0
    assert COUNTDOWN.score(good + bad, EXAMPLE) == 0.0
    assert COUNTDOWN.score("(3 * 7) + 12", EXAMPLE) == 0.0  # no tags, no answer


def test_fraction_route_is_exact():
    example = {"numbers": [1, 3, 4, 6], "target": 24}
    assert COUNTDOWN.score(wrap("6 / (1 - 3 / 4)"), example) == 1.0
    assert COUNTDOWN.score(wrap("Step 1: 1 / 3 = 0\nStep 2: 0 + 4 = 4\nStep 3: 4 * 6 = 24"), example) == 0.0


@pytest.mark.parametrize("n_numbers", [2, 3, 4, 5, 6])
def test_generated_questions_are_distinct_solvable_and_seeded(n_numbers):
    rows = COUNTDOWN.generate(60, 7, n_numbers=n_numbers, **RANGES)
    assert len({COUNTDOWN.key(r) for r in rows}) == 60
    assert all(len(r["numbers"]) == n_numbers and RANGES["target_min"] <= r["target"] <= 200 for r in rows)
    assert all(COUNTDOWN.score(wrap(r["solution"]), r) == 1.0 for r in rows)
    assert rows == COUNTDOWN.generate(60, 7, n_numbers=n_numbers, **RANGES)
    assert rows != COUNTDOWN.generate(60, 8, n_numbers=n_numbers, **RANGES)


def test_exclude_prevents_leakage():
    first = COUNTDOWN.generate(100, 0, n_numbers=2, **RANGES)
    second = COUNTDOWN.generate(100, 0, n_numbers=2, **RANGES, exclude=frozenset(map(COUNTDOWN.key, first)))
    assert not set(map(COUNTDOWN.key, first)) & set(map(COUNTDOWN.key, second))


def test_impossible_ranges_fail_clearly():
    with pytest.raises(RuntimeError, match="ranges too narrow"):
        COUNTDOWN.generate(50, 0, n_numbers=2, number_min=1, number_max=1, target_min=1, target_max=2,
                           max_intermediate=2)


def test_registry():
    assert get_task("countdown") is COUNTDOWN
    with pytest.raises(KeyError, match="known tasks"):
        get_task("chess")


questions = st.builds(
    lambda n, seed: COUNTDOWN.generate(1, seed, n_numbers=n, **RANGES)[0],
    st.integers(2, 6),
    st.integers(0, 10_000),
)


@settings(max_examples=60, deadline=None)
@given(questions, st.data())
def test_mutated_solutions_score_zero(example, data):
    lines = example["solution"].splitlines()
    assert COUNTDOWN.score(wrap("\n".join(lines)), example) == 1.0
    changed_target = {**example, "target": example["target"] + data.draw(st.integers(1, 50))}
    assert COUNTDOWN.score(wrap("\n".join(lines)), changed_target) == 0.0
    # reuse a given number: add a step that uses the first number again
    reused = lines + [f"Step {len(lines) + 1}: {example['target']} + {example['numbers'][0]} = "
                      f"{example['target'] + example['numbers'][0]}"]
    assert COUNTDOWN.score(wrap("\n".join(reused)), example) == 0.0
    # change one operator in one step (the claimed result no longer holds, or the route ends elsewhere)
    i = data.draw(st.integers(0, len(lines) - 1))
    label, _, body = lines[i].partition(": ")
    a, op, b, eq, c = body.split()
    new_op = data.draw(st.sampled_from([o for o in "+-*/" if o != op]))
    if not COUNTDOWN.score(wrap(f"{a} {new_op} {b}"), {"numbers": [int(a), int(b)], "target": int(c)}):
        mutated = lines[:i] + [f"{label}: {a} {new_op} {b} {eq} {c}"] + lines[i + 1 :]
        assert COUNTDOWN.score(wrap("\n".join(mutated)), example) == 0.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(alphabet="0123456789+-*/()= \nStep:<>answr", max_size=300))
def test_score_never_raises(junk, arithmetic_junk):
    for text in (junk, arithmetic_junk, f"<answer>{junk}</answer>", f"<answer>{arithmetic_junk}</answer>"):
        assert COUNTDOWN.score(text, EXAMPLE) in (0.0, 1.0)


def test_hostile_input_is_fast():
    rng = random.Random(0)
    hostile = [
        "<answer>" + "(" * 50_000 + "1" + ")" * 50_000 + "</answer>",
        "<answer>" + "9" * 100_000 + "</answer>",
        "<answer>" * 10_000 + "</answer>" * 2,
        "<answer>" + "99999999999 * " * 5_000 + "1</answer>",
        "".join(rng.choice("<>/answer0123456789+-*() \n") for _ in range(100_000)),
    ]
    for text in hostile:
        start = time.perf_counter()
        assert COUNTDOWN.score(text, EXAMPLE) == 0.0
        assert time.perf_counter() - start < 0.05
