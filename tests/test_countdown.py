"""Countdown: the exact solver, generation, and the scorer on known answers, mutated solutions and hostile input."""

import functools
import random
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.tasks import get_task
from skillfactory.tasks.arithmetic import evaluate_expression
from skillfactory.tasks.countdown import COUNTDOWN, find_steps, solve

RANGES = dict(number_min=1, number_max=20, target_min=1, target_max=200, max_intermediate=500)
PAPER_RANGES = dict(number_min=1, number_max=100, target_min=1, target_max=1000, max_intermediate=100_000)
EXAMPLE = {"numbers": [3, 7, 12], "target": 33}


def wrap(answer: str) -> str:
    return f"some reasoning\n<answer>\n{answer}\n</answer>"


@functools.cache
def reachable(numbers: tuple, bound: int | None) -> frozenset:
    """Every value of every expression tree, by plain recursion: the reference the solver must agree with.

    ``bound`` None: all exact rationals, negative ones included. Otherwise: integers in ``0..bound`` throughout.
    """
    if len(numbers) == 1:
        return frozenset(numbers)
    values = set()
    for i in range(len(numbers)):
        for j in range(i + 1, len(numbers)):
            a, b = numbers[i], numbers[j]
            rest = numbers[:i] + numbers[i + 1 : j] + numbers[j + 1 :]
            results = {a + b, a * b, a - b, b - a} | ({a / b} if b else set()) | ({b / a} if a else set())
            if bound is not None:
                results = {v for v in results if v.denominator == 1 and 0 <= v <= bound}
            for v in results:
                values |= reachable(tuple(sorted(rest + (v,))), bound)
    return frozenset(values)


# --- the solver -----------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=2, max_size=4), st.integers(1, 80), st.sampled_from([20, 100]))
def test_solver_agrees_with_plain_enumeration(numbers, target, bound):
    key = tuple(sorted(Fraction(n) for n in numbers))
    steps, solution = find_steps(numbers, target, bound), solve(numbers, target, bound)
    assert (steps is not None) == (target in reachable(key, bound))
    assert (solution is not None) == (target in reachable(key, None))
    example = {"numbers": numbers, "target": target}
    if steps is not None:
        assert COUNTDOWN.score(wrap("\n".join(steps)), example) == 1.0
        assert all(0 <= int(line.rpartition("=")[2]) <= bound for line in steps)
    if solution is not None:
        assert COUNTDOWN.score(wrap(solution), example) == 1.0


@pytest.mark.parametrize(
    "numbers, target, expected",
    [
        ([3, 7, 12], 33, "Step 1: 7 * 3 = 21\nStep 2: 21 + 12 = 33"),
        ([1, 3, 4, 6], 24, "6 / (1 - (3 / 4))"),  # only through a fraction: equation form
        ([1, 5, 5, 5], 24, "5 * (5 - (1 / 5))"),
        ([2, 3], 7, None),
    ],
)
def test_solver_known_questions(numbers, target, expected):
    assert solve(numbers, target, max_intermediate=1000) == expected


def test_large_intermediate_falls_back_to_an_equation():
    # 20 * 19 + 1 needs 380 > 100 on the way: no step route within the bound, but an equation exists
    assert find_steps([20, 19, 1], 381, max_intermediate=100) is None
    solution = solve([20, 19, 1], 381, max_intermediate=100)
    assert "Step" not in solution and COUNTDOWN.score(wrap(solution), {"numbers": [20, 19, 1], "target": 381}) == 1.0


def test_solver_is_fast_at_six_numbers():
    rng = random.Random(0)
    worst = 0.0
    for _ in range(20):
        numbers, target = [rng.randint(1, 100) for _ in range(6)], rng.randint(1, 1000)
        start = time.perf_counter()
        solve(numbers, target, max_intermediate=100_000)
        worst = max(worst, time.perf_counter() - start)
    assert worst < 2.0  # typically well under 0.1 s; the bound only catches an exponential regression


def test_solver_rejects_bad_sizes():
    for numbers in ([5], [1] * 7):
        with pytest.raises(ValueError, match="2 to 6 numbers"):
            solve(numbers, 5, max_intermediate=100)


# --- generation -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_numbers", [2, 3, 4, 5, 6])
def test_generated_questions_are_distinct_solvable_and_seeded(n_numbers):
    rows = COUNTDOWN.generate(60, 7, n_numbers=n_numbers, **RANGES)
    assert len({COUNTDOWN.key(r) for r in rows}) == 60
    assert all(len(r["numbers"]) == n_numbers and RANGES["target_min"] <= r["target"] <= 200 for r in rows)
    assert all(RANGES["number_min"] <= x <= RANGES["number_max"] for r in rows for x in r["numbers"])
    assert all(COUNTDOWN.score(wrap(r["solution"]), r) == 1.0 for r in rows)
    assert rows == COUNTDOWN.generate(60, 7, n_numbers=n_numbers, **RANGES)
    assert rows != COUNTDOWN.generate(60, 8, n_numbers=n_numbers, **RANGES)


def test_stored_solution_prefers_steps_within_the_bound():
    rows = COUNTDOWN.generate(150, 1, n_numbers=4, **RANGES)
    for row in rows:
        lines = row["solution"].splitlines()
        if lines[0].startswith("Step"):
            assert len(lines) == 3 and all(0 <= int(line.rpartition("=")[2]) <= 500 for line in lines)
        else:  # an equation only when no integer route within the bound exists
            assert len(lines) == 1 and find_steps(row["numbers"], row["target"], 500) is None


def test_paper_ranges_generate():
    for n_numbers in (3, 6):
        rows = COUNTDOWN.generate(5, "paper", n_numbers=n_numbers, **PAPER_RANGES)
        assert all(COUNTDOWN.score(wrap(r["solution"]), r) == 1.0 for r in rows)


def test_random_question_has_integer_steps():
    rng = random.Random(3)
    found = [q for q in (COUNTDOWN.random_question(rng, 4, **RANGES) for _ in range(200)) if q is not None]
    assert len(found) > 20
    for q in found:
        assert all(line.startswith("Step") for line in q["solution"].splitlines())
        assert COUNTDOWN.score(wrap(q["solution"]), q) == 1.0


def test_exclude_prevents_leakage():
    first = COUNTDOWN.generate(100, 0, n_numbers=3, **RANGES)
    second = COUNTDOWN.generate(100, 0, n_numbers=3, **RANGES, exclude=frozenset(map(COUNTDOWN.key, first)))
    assert not set(map(COUNTDOWN.key, first)) & set(map(COUNTDOWN.key, second))


def test_impossible_ranges_fail_clearly():
    with pytest.raises(RuntimeError, match="could not generate 50 distinct Countdown-2"):
        COUNTDOWN.generate(50, 0, n_numbers=2, number_min=1, number_max=1, target_min=1, target_max=2,
                           max_intermediate=2)
    with pytest.raises(ValueError, match="max_intermediate"):
        COUNTDOWN.generate(5, 0, n_numbers=3, **{**RANGES, "max_intermediate": 10})
    with pytest.raises(ValueError, match="2 to 6"):
        COUNTDOWN.generate(5, 0, n_numbers=7, **RANGES)


def test_registry():
    assert get_task("countdown") is COUNTDOWN
    with pytest.raises(KeyError, match="known tasks"):
        get_task("chess")


# --- the scorer -----------------------------------------------------------------------------------------------------


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
        ("3 ** 7", 0.0),  # power
        ("3 ^ 7 + 12", 0.0),
        ("__import__('os').system('true')", 0.0),  # names and calls
        ("abs(3) * 7 + 12", 0.0),
        ("(3).real * 7 + 12", 0.0),  # attribute
        ("x = 3 * 7 + 12", 0.0),
        ("３ * 7 + 12", 0.0),  # full-width digit
        ("٣ * 7 + 12", 0.0),  # Arabic-Indic digit
        ("3² * 7 + 12", 0.0),  # superscript digit (str.isdigit() says True)
        ("3 * 7 − 12", 0.0),  # Unicode minus
        ("3 × 7 + 12", 0.0),  # multiplication sign
        ("3.0 * 7 + 12", 0.0),  # decimal point
        ("1e3", 0.0),
        ("", 0.0),
    ],
)
def test_known_answers(answer, expected):
    assert COUNTDOWN.score(wrap(answer), EXAMPLE) == expected


def test_enormous_numbers_score_zero():
    example = {"numbers": [10**11, 10**11, 10**11, 10**11, 10**11, 10**11], "target": 10**11}
    product = " * ".join(["100000000000"] * 6)
    assert COUNTDOWN.score(wrap(f"{product} / {product}"), example) == 0.0  # 2**218 on the way: over the bound
    assert COUNTDOWN.score(wrap("1234567890123 - 1234567890122"), {"numbers": [1234567890123, 1234567890122],
                                                                      "target": 1}) == 0.0  # literal too long


def test_last_answer_counts():
    good, bad = "<answer>(3 * 7) + 12</answer>", "<answer>3 + 7 + 12</answer>"
    assert COUNTDOWN.score(bad + good, EXAMPLE) == 1.0
    assert COUNTDOWN.score(good + bad, EXAMPLE) == 0.0
    assert COUNTDOWN.score("(3 * 7) + 12", EXAMPLE) == 0.0  # no tags, no answer


def test_fraction_route_is_exact():
    example = {"numbers": [1, 3, 4, 6], "target": 24}
    assert COUNTDOWN.score(wrap("6 / (1 - 3 / 4)"), example) == 1.0
    assert COUNTDOWN.score(wrap("Step 1: 1 / 3 = 0\nStep 2: 0 + 4 = 4\nStep 3: 4 * 6 = 24"), example) == 0.0


def test_malformed_inputs_score_zero():
    assert COUNTDOWN.score(None, EXAMPLE) == 0.0
    assert COUNTDOWN.score(b"<answer>3 * 7 + 12</answer>", EXAMPLE) == 0.0
    assert COUNTDOWN.score(wrap("3 * 7 + 12"), {"numbers": [3, 7, 12]}) == 0.0
    assert COUNTDOWN.score(wrap("3 * 7 + 12"), {"numbers": ["a"], "target": 33}) == 0.0


questions = st.builds(
    lambda n, seed: COUNTDOWN.generate(1, seed, n_numbers=n, **RANGES)[0],
    st.integers(2, 6),
    st.integers(0, 10_000),
)


def mutate_operator(solution: str, example: dict, data) -> str | None:
    """The solution with one operator changed, or ``None`` when that change happens to keep the answer right."""
    lines = solution.splitlines()
    if len(lines) == 1 and not lines[0].startswith("Step"):  # equation form
        positions = [i for i, ch in enumerate(solution) if ch in "+-*/"]
        i = data.draw(st.sampled_from(positions))
        mutated = solution[:i] + data.draw(st.sampled_from([o for o in "+-*/" if o != solution[i]])) + solution[i + 1 :]
        try:
            still_right = evaluate_expression(mutated)[0] == example["target"]
        except ValueError:
            still_right = False
        return None if still_right else mutated
    i = data.draw(st.integers(0, len(lines) - 1))
    label, _, body = lines[i].partition(": ")
    a, op, b, eq, c = body.split()
    new_op = data.draw(st.sampled_from([o for o in "+-*/" if o != op]))
    if COUNTDOWN.score(wrap(f"{a} {new_op} {b}"), {"numbers": [int(a), int(b)], "target": int(c)}):
        return None  # e.g. 2 + 2 and 2 * 2: the step is still true
    return "\n".join(lines[:i] + [f"{label}: {a} {new_op} {b} {eq} {c}"] + lines[i + 1 :])


@settings(max_examples=60, deadline=None)
@given(questions, st.data())
def test_mutated_solutions_score_zero(example, data):
    solution = example["solution"]
    assert COUNTDOWN.score(wrap(solution), example) == 1.0
    changed_target = {**example, "target": example["target"] + data.draw(st.integers(1, 50))}
    assert COUNTDOWN.score(wrap(solution), changed_target) == 0.0
    # reuse a given number
    first = example["numbers"][0]
    if solution.startswith("Step"):
        k = len(solution.splitlines()) + 1
        reused = f"{solution}\nStep {k}: {example['target']} + {first} = {example['target'] + first}"
    else:
        reused = f"({solution}) * {first} / {first}"
    assert COUNTDOWN.score(wrap(reused), example) == 0.0
    mutated = mutate_operator(solution, example, data)
    if mutated is not None:
        assert COUNTDOWN.score(wrap(mutated), example) == 0.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(alphabet="0123456789+-*/()= \nStep:<>answr", max_size=300))
def test_score_never_raises(junk, arithmetic_junk):
    for text in (junk, arithmetic_junk, f"<answer>{junk}</answer>", f"<answer>{arithmetic_junk}</answer>"):
        assert COUNTDOWN.score(text, EXAMPLE) in (0.0, 1.0)


def hostile_responses() -> list[str]:
    """Responses of about 100 KB built to be slow or to break a parser."""
    rng = random.Random(0)
    return [
        "<answer>" + "(" * 50_000 + "1" + ")" * 50_000 + "</answer>",
        "<answer>" + "9" * 100_000 + "</answer>",
        "<answer>" * 10_000 + "</answer>" * 2,
        "<answer>" + "99999999999 * " * 7_000 + "1</answer>",
        "<answer>" + "Step 1: 3 * 7 = 21\n" * 5_000 + "</answer>",
        "<answer>" + "(3 * 7) + 12 " * 8_000 + "</answer>",
        "<answer>" + "٣" * 50_000 + "</answer>",
        "x" * 100_000 + "<answer>3 * 7 + 12</answer>",
        "".join(rng.choice("<>/answer0123456789+-*() \n") for _ in range(100_000)),
    ]


def test_hostile_input_is_fast():
    """Under 10 ms per response of up to 100 KB (best of three runs, to ignore a busy machine's hiccups)."""
    for text in hostile_responses():
        assert len(text) <= 110_000
        times = []
        for _ in range(3):
            start = time.perf_counter()
            score = COUNTDOWN.score(text, EXAMPLE)
            times.append(time.perf_counter() - start)
        assert score == (1.0 if text.startswith("x") else 0.0)
        assert min(times) < 0.010, (text[:40], min(times))
