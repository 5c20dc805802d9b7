"""The nano world's pieces: tokenizer round trip and chat template, the author's attempts and verifications."""

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.nano.author import write_attempt, write_verification
from skillfactory.nano.corpus import build_corpus
from skillfactory.nano.tokenizer import TAG_TOKENS, train_tokenizer
from skillfactory.prompts import parse_verdict
from skillfactory.tasks.countdown import COUNTDOWN

RANGES = dict(number_min=1, number_max=20, target_min=1, target_max=200, max_intermediate=500)
PROMPTS = {"styles": {"a": "Solve.\n{question}", "b": "Plan.\n{question}"}, "verify": "{question}\n{response}\nOK?"}
PARAMS = {
    "n_documents": 300,
    "verification_share": 0.5,
    "ood_share": 0.2,
    "ood_p_correct": 0.5,
    "attempt_n_numbers": [2, 3],
    "p_correct": [0.6, 0.4],
}
OOD_SETS = {
    "multiplication": {"params": {"digits_min": 2, "digits_max": 2}, "template": "{question}\nAnswer:"},
    "word_problems": {
        "params": {"steps_min": 1, "steps_max": 2, "number_max": 20, "value_max": 100},
        "template": "{question}\nAnswer:",
    },
}


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(PARAMS, RANGES, PROMPTS, seed=0, exclude=set(), ood_sets=OOD_SETS)


@pytest.fixture(scope="module")
def tokenizer(corpus):
    texts = [m["content"] for d in corpus for m in d["prompt"] + d["completion"]]
    return train_tokenizer(texts, vocab_size=300)


def test_round_trip_digits_and_tags(tokenizer):
    text = "<think>\n<sample>\n<answer>\nStep 1: 12 * 7 = 84\n</answer>\n</sample>\n</think> so 84 ünïcode"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    assert all(len(tokenizer(t, add_special_tokens=False)["input_ids"]) == 1 for t in TAG_TOKENS)
    assert len(tokenizer("1234", add_special_tokens=False)["input_ids"]) == 4


def test_chat_template_prompt_is_prefix_and_ends_with_eos(tokenizer):
    prompt = [{"role": "user", "content": "Numbers: 1 2\nTarget: 3"}]
    full = prompt + [{"role": "assistant", "content": "<answer>\n1 + 2\n</answer>"}]
    opened = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    whole = tokenizer.apply_chat_template(full, tokenize=False)
    assert whole.startswith(opened)
    assert whole.rstrip().endswith(tokenizer.eos_token)


def test_corpus_documents_are_single_attempts_or_verifications(corpus):
    kinds = {"attempt": 0, "verification": 0, "out_of_domain": 0}
    for doc in corpus:
        text = doc["completion"][0]["content"]
        if doc["prompt"][0]["content"].endswith("Answer:"):
            kinds["out_of_domain"] += 1
            assert text.count("<answer>") == 1 and "<sample>" not in text and "verdict" not in text
        elif parse_verdict(text) is None:
            kinds["attempt"] += 1
            assert text.count("<answer>") == 1 and "<sample>" not in text and "verdict" not in text
        else:
            kinds["verification"] += 1
            assert "<answer>" not in text
    assert len(corpus) == 300 and kinds["out_of_domain"] == 60 and min(kinds["attempt"], kinds["verification"]) > 90


def question_key(document) -> tuple:
    """The Countdown key of an attempt document, read back from its prompt."""
    numbers, target = re.search(r"Numbers: ([\d ]+)\nTarget: (\d+)", document["prompt"][0]["content"]).groups()
    return COUNTDOWN.key({"numbers": [int(n) for n in numbers.split()], "target": int(target)})


def test_corpus_respects_exclusion():
    attempts_only = {**PARAMS, "verification_share": 0.0}
    seen = {question_key(d) for d in build_corpus(attempts_only, RANGES, PROMPTS, seed=1, exclude=set(), ood_sets={})}
    again = {question_key(d) for d in build_corpus(attempts_only, RANGES, PROMPTS, seed=1, exclude=seen, ood_sets={})}
    assert seen and again and not seen & again


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 5), st.integers(0, 10_000), st.floats(0, 1))
def test_verification_verdict_is_the_truth(n_numbers, seed, p_correct):
    rng = random.Random(seed)
    example = COUNTDOWN.generate(1, seed, n_numbers=n_numbers, **RANGES)[0]
    attempt = write_attempt(rng, example, p_correct, RANGES["max_intermediate"])
    verdict = parse_verdict(write_verification(example, attempt))
    assert verdict == (COUNTDOWN.score(attempt, example) == 1.0)


def test_author_error_rate_follows_p_correct():
    rng = random.Random(0)
    examples = COUNTDOWN.generate(400, 0, n_numbers=3, **RANGES)
    rates = []
    for p in (0.2, 0.8):
        rates.append(sum(COUNTDOWN.score(write_attempt(rng, e, p, 500), e) for e in examples) / len(examples))
    assert 0.1 < rates[0] < 0.35 and 0.7 < rates[1] < 0.9


def test_verification_of_junk_never_crashes():
    example = {"numbers": [1, 2, 3], "target": 6}
    for junk in ["", "<answer></answer>", "<answer>\nStep 1: 1 + 9 = 10\n</answer>", "<answer>\n1 ++ 2\n</answer>"]:
        assert parse_verdict(write_verification(example, junk)) is False
