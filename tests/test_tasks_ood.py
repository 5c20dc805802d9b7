"""The out-of-domain task families and what every registered task shares: round trips, safe scorers, doctests."""

import doctest
import functools
import importlib
import json
import re
import subprocess
import sys
import time
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import ROOT

from skillfactory.tasks import _TASKS, get_task, hub_datasets
from skillfactory.tasks.common import parse_number
from skillfactory.tasks.hub_datasets import choice_label, commonsense_qa_example, gsm8k_example
from skillfactory.tasks.letter_countdown import longest_words
from skillfactory.tasks.words import WordListMissing, english_words

DATA = ROOT / "tests" / "data"
SAMPLES = {
    ("openai/gsm8k", "main"): DATA / "gsm8k_sample.jsonl",
    ("tau/commonsense_qa", None): DATA / "commonsense_qa_sample.jsonl",
}

# Parameters per family at the two scales (the hub tasks have no nano setting: word_problems stands in for GSM8K).
NANO = {
    "countdown": dict(n_numbers=4, number_min=1, number_max=20, target_min=1, target_max=200, max_intermediate=500),
    "multiplication": dict(digits_min=2, digits_max=3),
    "letter_countdown": dict(n_letters=6, min_length=4),
    "acronym": dict(length_min=3, length_max=4, n_distractors=2),
    "word_problems": dict(steps_min=1, steps_max=3, number_max=20, value_max=100),
    "gsm8k": dict(split="test"),
    "commonsense_qa": dict(split="validation"),
}
PAPER = {
    "countdown": dict(n_numbers=6, number_min=1, number_max=100, target_min=1, target_max=1000,
                      max_intermediate=100_000),
    "multiplication": dict(digits_min=2, digits_max=5),
    "letter_countdown": dict(n_letters=9, min_length=5),
    "acronym": dict(length_min=4, length_max=6, n_distractors=4, keep_order=True),
    "word_problems": dict(steps_min=2, steps_max=5, number_max=100, value_max=1000),
}
JUNK = ["", "no tags at all", "<answer></answer>", "<answer>zzzz</answer>", "<answer>-1</answer>",
        "<answer>" + "a" * 5000 + "</answer>", "<answer>__import__('os')</answer>"]


def sample_records(path, name) -> list[dict]:
    return [json.loads(line) for line in SAMPLES[path, name].read_text().splitlines()]


@pytest.fixture
def offline_hub(monkeypatch):
    """The hub tasks read the in-repo samples instead of the network."""

    monkeypatch.setattr(hub_datasets, "load_records", lambda path, name, split, revision: sample_records(path, name))


def reference_answer(row: dict) -> str:
    """A correct answer text built from what the generator stored."""
    return str(row["solution"] if "solution" in row else row["answer"])


def generate(name, n, seed=0, params=NANO, **extra):
    return get_task(name).generate(n, seed, **params[name], **extra)


@functools.cache
def one_row(name: str) -> dict:
    """One example of a family; for a hub task, the first sample record (no loader needed)."""
    task = get_task(name)
    if hasattr(task, "path"):
        return {"id": "0", **task.example(sample_records(task.path, task.config_name)[0])}
    return generate(name, 1)[0]


@pytest.mark.parametrize("name", sorted(_TASKS))
def test_every_task_round_trips(name, offline_hub):
    task = get_task(name)
    n = 3 if name in ("gsm8k", "commonsense_qa") else 20
    rows = generate(name, n, id_prefix="set-")
    assert [r["id"] for r in rows] == [f"set-{i}" for i in range(n)]
    assert len({task.key(r) for r in rows}) == n
    for row in rows:
        json.dumps(row)
        assert isinstance(task.describe(row), str) and task.describe(row)
        assert task.extract(f"<answer> {reference_answer(row)} </answer>") == reference_answer(row)
        assert task.score(f"thinking...\n<answer>\n{reference_answer(row)}\n</answer>", row) == 1.0
        assert all(task.score(junk, row) == 0.0 for junk in JUNK)
    assert rows == generate(name, n, id_prefix="set-")  # seeded


@pytest.mark.parametrize("name", sorted(_TASKS))
def test_every_generator_excludes_and_varies_with_seed(name, offline_hub):
    if name in ("gsm8k", "commonsense_qa"):  # three sample records: exclude two, one remains
        first = generate(name, 2)
        rest = generate(name, 1, exclude=frozenset(map(get_task(name).key, first)))
        assert rest[0]["question"] not in {r["question"] for r in first}
        return
    task = get_task(name)
    first = generate(name, 30)
    second = generate(name, 30, exclude=frozenset(map(task.key, first)))
    assert not {task.key(r) for r in first} & {task.key(r) for r in second}
    assert generate(name, 30, seed=1) != first


@pytest.mark.parametrize("name", sorted(PAPER))
def test_paper_settings_generate(name):
    task = get_task(name)
    rows = generate(name, 5, params=PAPER)
    assert all(task.score(f"<answer>{reference_answer(r)}</answer>", r) == 1.0 for r in rows)


@pytest.mark.parametrize("name", sorted(_TASKS))
@settings(max_examples=60, deadline=None)
@given(junk=st.text(max_size=200))
def test_score_never_raises(name, junk):
    task, row = get_task(name), one_row(name)
    for text in (junk, f"<answer>{junk}</answer>", f"<answer>{reference_answer(row)}{junk}</answer>"):
        assert task.score(text, row) in (0.0, 1.0)
    assert task.score(None, row) == 0.0
    assert task.score(f"<answer>{reference_answer(row)}</answer>", {}) == 0.0


@pytest.mark.parametrize("name", sorted(_TASKS))
def test_hostile_input_is_fast(name):
    task, row = get_task(name), one_row(name)
    for text in ("<answer>" * 12_000 + "</answer>", "<answer>" + "9," * 50_000 + "</answer>",
                 "<answer>" + "(A) " * 25_000 + "</answer>", "x" * 100_000):
        start = time.perf_counter()
        assert task.score(text, row) == 0.0
        assert time.perf_counter() - start < 0.05


def test_scorer_doctests_run():
    """The examples in the scorer modules' docstrings hold (also collected by ``pytest --doctest-modules``)."""
    for module in ("common", "arithmetic", "countdown", "multiplication", "letter_countdown", "acronym",
                   "word_problems", "hub_datasets", "words"):
        result = doctest.testmod(importlib.import_module(f"skillfactory.tasks.{module}"))
        assert result.attempted > 0 and result.failed == 0, module


# --- shared number parsing ------------------------------------------------------------------------------------------


@given(st.integers(-(10**15), 10**15))
def test_parse_number_reads_plain_and_grouped_integers(value):
    assert parse_number(str(value)) == value
    assert parse_number(f"{value:,}") == value
    assert parse_number(f" {value}. ") == value


@pytest.mark.parametrize("text", ["１２", "١٢", "12²", "−12", "1 2", "12 apples", "1e5", "0x1F", "12,34", "", "$", "-",
                                  "1" * 50, "12/3", "½"])
def test_parse_number_rejects_other_text(text):
    assert parse_number(text) is None


# --- multiplication -------------------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 10**6))
def test_multiplication_rows_and_wrong_products(seed, delta):
    task = get_task("multiplication")
    row = task.generate(1, seed, digits_min=2, digits_max=5)[0]
    digits = len(str(row["a"]))
    assert 2 <= digits <= 5 and len(str(row["b"])) == digits and row["answer"] == row["a"] * row["b"]
    assert task.score(f"<answer>{row['answer'] + delta}</answer>", row) == 0.0
    assert task.score(f"<answer>{row['answer']:,}</answer>", row) == 1.0


# --- word list and letter tasks -------------------------------------------------------------------------------------


def test_word_list_is_plain_lowercase_words():
    words = english_words()
    assert 50_000 < len(words.valid) < 200_000 and len(words.common) == 20_000
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words.valid)
    assert set(words.common) <= words.valid
    assert {"notes", "walked", "stone"} <= words.valid and "bk" not in words.valid


def test_missing_word_list_fails_clearly(monkeypatch):
    english_words.cache_clear()
    monkeypatch.setitem(sys.modules, "spellchecker", None)  # makes the import fail
    try:
        with pytest.raises(WordListMissing, match=r"pip install pyspellchecker=="):
            get_task("letter_countdown").generate(1, 0, n_letters=6, min_length=4)
    finally:
        monkeypatch.undo()
        english_words.cache_clear()


def test_letter_countdown_best_length_is_the_longest_common_word():
    words = english_words()
    for row in generate("letter_countdown", 10, params=PAPER):
        letters = Counter(row["letters"])
        best = max(len(w) for w in words.common if not Counter(w) - letters)
        assert row["best_length"] == best >= 5 and len(row["letters"]) == 9
        assert longest_words(row["letters"], words)[0] == row["answer"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 1000), st.data())
def test_letter_countdown_rejects_short_foreign_and_overused_letters(seed, data):
    task = get_task("letter_countdown")
    row = task.generate(1, seed, n_letters=7, min_length=4)[0]
    word = row["answer"]
    assert task.score(f"<answer>{word.upper()}</answer>", row) == 1.0
    assert task.score(f"<answer>{word[:-1]}</answer>", row) == 0.0  # too short (whatever it spells)
    missing = data.draw(st.sampled_from([c for c in "abcdefghijklmnopqrstuvwxyz" if c not in row["letters"]]))
    i = data.draw(st.integers(0, len(word) - 1))
    assert task.score(f"<answer>{word[:i] + missing + word[i + 1:]}</answer>", row) == 0.0  # a letter not given
    assert task.score(f"<answer>{word}{missing}</answer>", row) == 0.0
    given_letters, used = Counter(row["letters"]), Counter(word)
    exhausted = [c for c in used if used[c] == given_letters[c]]
    if exhausted:  # one letter used once more than given
        assert task.score(f"<answer>{word}{exhausted[0]}</answer>", row) == 0.0


def test_acronym_rows_and_checks():
    task = get_task("acronym")
    for row in generate("acronym", 10, params=PAPER):
        chosen = row["answer"].split()
        assert len(row["words"]) == len(set(row["words"])) == row["length"] + 4
        assert set(chosen) <= set(row["words"]) and "".join(w[0] for w in chosen) == row["acronym"]
        assert task.score(f"<answer>{', '.join(chosen)}</answer>", row) == 1.0
        assert task.score(f"<answer>{' '.join(chosen[:-1])}</answer>", row) == 0.0  # too few words
        assert task.score(f"<answer>{' '.join(chosen[:-1] + [chosen[0]])}</answer>", row) == 0.0  # reused word
        assert task.score(f"<answer>{row['acronym']}</answer>", row) == 0.0  # the word itself is not a choice
        # the paper's task: the chosen words appear in the list in acronym order, and no other order is accepted
        assert [w for w in row["words"] if w in chosen] == chosen and "in the order of the list" in task.describe(row)
        assert task.score(f"<answer>{' '.join(chosen[::-1])}</answer>", row) == 0.0


def test_acronym_without_kept_order_accepts_any_order():
    task = get_task("acronym")
    row = {"words": ["tiger", "apple", "olive", "echo", "cloud"], "length": 3, "keep_order": False}
    assert task.score("<answer>cloud apple tiger</answer>", row) == 1.0
    assert task.score("<answer>cloud apple tiger</answer>", {**row, "keep_order": True}) == 0.0


# --- word problems --------------------------------------------------------------------------------------------------

_SENTENCES = [  # (pattern, update); losses before gains, since "gives away 3" also reads as "gives <name> 3"
    (r"(?:gives away|loses|uses up) (\d+) \w+\.", lambda x, k: x - k),
    (r"has (\d+) times as many", lambda x, k: x * k),
    (r"into (\d+) equal piles", lambda x, k: x // k),
    (r"(?:buys (\d+) more|gives \w+ (\d+)|finds (\d+)) \w+\.", lambda x, k: x + k),
    (r"has (\d+) \w+\.", lambda x, k: k),
]


def recompute(question: str) -> int:
    """The answer of a generated story, read back from its text alone."""
    value = None
    for sentence in re.findall(r"[^.?]+\.", question):
        for pattern, update in _SENTENCES:
            match = re.search(pattern, sentence)
            if match:
                value = update(value, int(next(g for g in match.groups() if g)))
                break
        else:
            raise AssertionError(f"unknown sentence {sentence!r}")
    return value


def test_word_problem_text_determines_its_answer():
    for params in (NANO, PAPER):
        for row in generate("word_problems", 50, params=params):
            assert row["question"].endswith("have now?")
            assert recompute(row["question"]) == row["answer"]
            assert 0 <= row["answer"] <= params["word_problems"]["value_max"]


# --- hub datasets ---------------------------------------------------------------------------------------------------


def test_gsm8k_mapping_on_the_sample():
    rows = [gsm8k_example(r) for r in sample_records("openai/gsm8k", "main")]
    assert [r["answer"] for r in rows] == ["18", "1000", "32"]
    assert rows[0]["question"].startswith("A baker")
    with pytest.raises(ValueError, match="final numeric answer"):
        gsm8k_example({"question": "q", "answer": "no final line"})
    task = get_task("gsm8k")
    assert [task.score(f"<answer>{a}</answer>", rows[1]) for a in ("1000", "$1,000", "1000.00", "100")] == [
        1.0, 1.0, 1.0, 0.0]


def test_commonsense_qa_mapping_on_the_sample():
    records = sample_records("tau/commonsense_qa", None)
    rows = [commonsense_qa_example(r) for r in records]
    assert rows[0] == {
        "source_id": "sample-0001",
        "question": "Where would you keep milk so that it stays cold?",
        "choices": {"A": "cupboard", "B": "refrigerator", "C": "oven", "D": "mailbox", "E": "garden"},
        "answer": "B",
    }
    assert get_task("commonsense_qa").describe(rows[0]).splitlines()[1:3] == ["A. cupboard", "B. refrigerator"]
    with pytest.raises(ValueError, match="no labelled answer"):
        commonsense_qa_example({**records[0], "answerKey": ""})


@pytest.mark.parametrize("answer, label", [("B", "B"), ("b", "B"), ("(B)", "B"), ("B) refrigerator", "B"),
                                           ("B. refrigerator", "B"), ("Refrigerator", "B"), ("F", None),
                                           ("BA", None), ("a fridge", None), ("", None)])
def test_choice_label(answer, label):
    choices = {"A": "cupboard", "B": "refrigerator", "C": "oven", "D": "mailbox", "E": "garden"}
    assert choice_label(answer, choices) == label


def test_hub_generate_asks_for_too_many_fails_clearly(offline_hub):
    with pytest.raises(RuntimeError, match="could not generate 5 distinct gsm8k"):
        get_task("gsm8k").generate(5, 0, split="test")


def test_importing_the_tasks_loads_neither_datasets_nor_the_word_list():
    code = "import sys, skillfactory.tasks; print('datasets' in sys.modules, 'spellchecker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]


def test_numbers_compare_exactly():
    task = get_task("word_problems")
    row = {"question": "q", "answer": 3}
    assert task.score("<answer>3.0</answer>", row) == 1.0
    assert task.score("<answer>3.0000000000000001</answer>", row) == 0.0  # no float rounding
    assert parse_number("3.0000000000000001") == Fraction(30000000000000001, 10**16)
