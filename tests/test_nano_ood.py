"""The imperfect author's out-of-domain attempts: right exactly when meant to be, short, one answer, no checking."""

import functools
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.nano.ood_author import write_ood_attempt
from skillfactory.tasks import get_task

# Nano-sized parameters of each family (the keyword names of each ``generate``).
PARAMS = {
    "multiplication": dict(digits_min=2, digits_max=3),
    "letter_countdown": dict(n_letters=6, min_length=4),
    "acronym": dict(length_min=3, length_max=4, n_distractors=2),
    "word_problems": dict(steps_min=1, steps_max=3, number_max=20, value_max=100),
}
FAMILIES = sorted(PARAMS)
N = 100
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
# One written computation line, as the multiplication and word-problem attempts write them (a sum may be longer).
LINE = re.compile(r"\d+(?: [-+*/] \d+)+ = \d+")


@functools.cache
def examples(family: str) -> tuple[dict, ...]:
    return tuple(get_task(family).generate(N, 0, **PARAMS[family]))


def attempts(family: str, seed: int, p_correct: float) -> list[str]:
    rng = random.Random(seed)
    return [write_ood_attempt(rng, family, ex, p_correct) for ex in examples(family)]


def scores(family: str, seed: int, p_correct: float) -> list[float]:
    task = get_task(family)
    return [task.score(a, ex) for a, ex in zip(attempts(family, seed, p_correct), examples(family))]


def holds(line: str) -> bool:
    """Whether a line ``x op k = y`` (or a sum ``x + y + ... = z``) is true arithmetic."""
    left, _, right = line.partition(" = ")
    if " * " in left:
        x, k = map(int, left.split(" * "))
        return x * k == int(right)
    if " / " in left:
        x, k = map(int, left.split(" / "))
        return x == int(right) * k
    if " - " in left:
        x, k = map(int, left.split(" - "))
        return x - k == int(right)
    return sum(map(int, left.split(" + "))) == int(right)


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_correct_attempts_always_score_one(family, seed):
    assert scores(family, seed, 1.0) == [1.0] * N


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_mistakes_almost_never_score(family, seed):
    assert sum(scores(family, seed, 0.0)) <= 0.1 * N


@pytest.mark.parametrize("family", FAMILIES)
def test_correct_rate_follows_p_correct(family):
    rate = sum(s for seed in range(3) for s in scores(family, seed, 0.5)) / (3 * N)
    assert 0.4 <= rate <= 0.6  # 300 attempts: the band is about 3.5 standard deviations wide


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=3, deadline=None)
@given(seed=SEEDS, p_correct=st.sampled_from([0.0, 0.5, 1.0]))
def test_one_short_answer_and_no_checking(family, seed, p_correct):
    for text in attempts(family, seed, p_correct):
        assert text.count("<answer>") == 1 and text.count("</answer>") == 1 and text.endswith("</answer>")
        assert "<sample>" not in text and "verdict" not in text and "<reflect>" not in text
        assert len(text) < 200


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_deterministic_given_the_rng(family, seed):
    assert attempts(family, seed, 0.5) == attempts(family, seed, 0.5)


@pytest.mark.parametrize("family", ["multiplication", "word_problems"])
def test_worked_lines_hold_when_correct_and_mistakes_carry_to_the_answer(family):
    task = get_task(family)
    wrong_lines = 0
    for ex, right, wrong in zip(examples(family), attempts(family, 0, 1.0), attempts(family, 1, 0.0)):
        lines = right.splitlines()[:-1]
        assert lines and all(LINE.fullmatch(line) and holds(line) for line in lines)
        assert task.extract(right) == lines[-1].rpartition(" = ")[2]
        if task.score(wrong, ex) == 0.0:
            body = wrong.splitlines()[:-1]
            assert task.extract(wrong) == body[-1].rpartition(" = ")[2]  # the slip reaches the answer
            wrong_lines += sum(not holds(line) for line in body)
    assert wrong_lines > 0  # some mistakes are arithmetic slips (others are misread operations or place values)


def test_multiplication_writes_one_partial_per_nonzero_digit():
    ex = {"a": 34, "b": 102, "answer": 3468}
    text = write_ood_attempt(random.Random(0), "multiplication", ex, 1.0)
    assert text == "34 * 2 = 68\n34 * 100 = 3400\n68 + 3400 = 3468\n<answer>3468</answer>"


def test_word_problem_outside_the_templates_gets_the_answer_alone():
    ex = {"question": "Ada has 3 apples and eats one. How many are left?", "answer": 2}
    assert write_ood_attempt(random.Random(0), "word_problems", ex, 1.0) == "<answer>2</answer>"
    wrong = write_ood_attempt(random.Random(0), "word_problems", ex, 0.0)
    assert get_task("word_problems").score(wrong, ex) == 0.0


def test_letter_mistakes_are_shorter_words_or_non_words():
    ex = {"letters": "tnoesx", "best_length": 5, "answer": "notes"}
    seen = {get_task("letter_countdown").extract(write_ood_attempt(random.Random(s), "letter_countdown", ex, 0.0))
            for s in range(40)}
    assert any(len(w) < 5 for w in seen) and any(len(w) == 5 for w in seen)
    assert "notes" not in seen


@pytest.mark.parametrize("family", ["letter_countdown", "acronym"])
def test_word_answers_follow_a_space_as_in_the_question_and_letters_are_spelled_first(family):
    for text in attempts(family, 0, 0.5):
        *lines, answer = text.splitlines()
        words = answer.removeprefix("<answer>").removesuffix("</answer>")
        assert words.startswith(" ") and not words.startswith("  ")
        if family == "letter_countdown":
            assert lines == [f"Spell: {' '.join(words.strip())}"]
        else:
            assert lines == []


@pytest.mark.parametrize("family", ["countdown", "gsm8k", "nonsense"])
def test_unknown_family_raises_key_error_naming_the_known_ones(family):
    with pytest.raises(KeyError, match="multiplication"):
        write_ood_attempt(random.Random(0), family, {}, 1.0)
