"""The nano world's pieces: tokenizer round trip and chat template, the author's attempts and verifications."""

import os
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.nano.author import (
    answer_to_verify,
    compare_digits,
    plan_backwards,
    write_attempt,
    write_verification,
)
from skillfactory.nano.corpus import build_corpus
from skillfactory.nano.replay import replay_count, replay_documents
from skillfactory.nano.tokenizer import TAG_TOKENS, train_tokenizer
from skillfactory.prompts import parse_verdict
from skillfactory.stages.build_sft_data import replay_rows
from skillfactory.tasks.countdown import COUNTDOWN

RANGES = dict(number_min=1, number_max=20, target_min=1, target_max=200, max_intermediate=500)
PROMPTS = {"styles": {"a": "Solve.\n{question}", "b": "Plan.\n{question}"}, "verify": "{question}\n{response}\nOK?"}
PARAMS = {
    "n_documents": 300,
    "verification_share": 0.5,
    "ood_share": 0.2,
    "ood_p_correct": 0.5,
    "attempt_n_numbers": [2, 3],
    "p_careful": [0.9, 0.8],
    "style_openings": {"a": "", "b": "Back from {target} with {numbers}."},
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
    opened = []
    for doc in corpus:
        text = doc["completion"][0]["content"]
        if doc["prompt"][0]["content"].endswith("Answer:"):
            kinds["out_of_domain"] += 1
            assert text.count("<answer>") == 1 and "<sample>" not in text and "verdict" not in text
        elif parse_verdict(text) is None:
            kinds["attempt"] += 1
            assert text.count("<answer>") == 1 and "<sample>" not in text and "verdict" not in text
            key = question_key(doc)
            opening = f"Back from {key[1]} with "
            assert text.startswith(opening) == doc["prompt"][0]["content"].startswith("Plan."), text
        else:
            kinds["verification"] += 1
            assert "<answer>" not in text
            opened.append("\nBack from " in doc["prompt"][0]["content"])
    assert len(corpus) == 300 and kinds["out_of_domain"] == 60 and min(kinds["attempt"], kinds["verification"]) > 90
    # answers to verify open like the model's own samples of a random style: style b's line in about half of them
    assert 0.3 < sum(opened) / len(opened) < 0.7


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
@given(st.integers(2, 5), st.integers(0, 10_000), st.floats(0, 1), st.booleans())
def test_verification_verdict_is_the_truth(n_numbers, seed, p_careful, to_verify):
    rng = random.Random(seed)
    example = COUNTDOWN.generate(1, seed, n_numbers=n_numbers, **RANGES)[0]
    attempt = answer_to_verify(rng, example) if to_verify else write_attempt(rng, example, p_careful)
    verdict = parse_verdict(write_verification(example, attempt))
    assert verdict == (COUNTDOWN.score(attempt, example) == 1.0)


@given(st.integers(0, 2000), st.integers(0, 2000))
def test_digit_comparison_stops_at_the_first_difference_and_ends_on_the_truth(final, target):
    text = compare_digits(str(final), str(target))
    pairs = text.removesuffix(".").split(", ")
    prefix = len(os.path.commonprefix([str(final), str(target)]))
    assert text.endswith("same.") == (final == target)
    assert len(pairs) == (len(str(final)) if final == target else prefix + 1)
    assert all(pair.endswith("same") for pair in pairs[:-1])
    assert "".join(pair.split()[0] for pair in pairs).rstrip("_") == str(final)[: len(pairs)]


def value_of(line: str) -> int:
    """``a op b = c`` -> ``c``, after checking that the line's arithmetic is true."""
    left, op, right, _, claimed = line.split()
    assert {"+": int.__add__, "-": int.__sub__, "*": int.__mul__, "/": int.__floordiv__}[op](int(left), int(right)) \
        == int(claimed) and (op != "/" or int(left) % int(right) == 0), line
    return int(claimed)


@settings(max_examples=80, deadline=None)
@given(st.integers(3, 6), st.integers(0, 10_000))
def test_plan_is_true_arithmetic_and_a_careful_attempt_follows_it(n_numbers, seed):
    example = COUNTDOWN.generate(1, seed, n_numbers=n_numbers, **RANGES)[0]
    plan, taken, goal, pair = plan_backwards(example["numbers"], example["target"])
    assert sorted([n for n, _ in taken] + pair) == sorted(example["numbers"])
    assert len(plan) == n_numbers - 1 and plan[-1] == f"Need {goal} from {pair[0]} {pair[1]}"
    assert [value_of(line) for line in plan[:-1]][-1:] in ([goal], [])
    text = write_attempt(random.Random(seed), example, 1.0)
    head, _, answer = text.partition("<answer>\n")
    assert head.splitlines() == plan
    steps = answer.removesuffix("\n</answer>").splitlines()
    values = [value_of(step) for step in steps]
    assert len(steps) == n_numbers - 1
    if values[0] == goal:  # the plan worked out (a miss can still land on the target by luck)
        assert COUNTDOWN.score(text, example) == 1.0


def success_rate(examples: list[dict], p_careful: float) -> float:
    rng = random.Random(0)
    return sum(COUNTDOWN.score(write_attempt(rng, e, p_careful), e) for e in examples) / len(examples)


def test_author_is_right_less_often_when_careless_and_on_harder_questions():
    three, five = (COUNTDOWN.generate(300, 0, n_numbers=n, **RANGES) for n in (3, 5))
    careful, careless = success_rate(three, 1.0), success_rate(three, 0.0)
    assert 0.3 < careful < 0.8 and careless < 0.05
    assert 0.6 * careful < success_rate(three, 0.7) < 0.8 * careful
    assert success_rate(five, 1.0) < careful


def test_answers_to_verify_are_balanced():
    examples = COUNTDOWN.generate(300, 1, n_numbers=3, **RANGES)
    rng = random.Random(0)
    share = sum(COUNTDOWN.score(answer_to_verify(rng, e), e) for e in examples) / len(examples)
    assert 0.4 < share < 0.6


def test_verification_of_junk_never_crashes():
    example = {"numbers": [1, 2, 3], "target": 6}
    for junk in ["", "<answer></answer>", "<answer>\nStep 1: 1 + 9 = 10\n</answer>", "<answer>\n1 ++ 2\n</answer>"]:
        assert parse_verdict(write_verification(example, junk)) is False


def test_packed_pretraining_trains_every_document_token_once(tmp_path):
    """The nano default packs its corpus: every token of every chat document is in exactly one packed row, no row
    is longer than ``max_length``, and ``train_tokens`` counts the documents' tokens, not the padding."""
    from skillfactory.stages.pretrain_base import corpus_text, pretrain

    train = {"epochs": 1, "batch_size": 4, "gradient_accumulation_steps": 1, "learning_rate": 0.003,
             "lr_scheduler": "constant", "warmup_ratio": 0.0, "weight_decay": 0.0, "adam_betas": [0.9, 0.95],
             "bf16": False, "gradient_checkpointing": False, "save_steps": 100, "lora": None, "max_length": 256,
             "packing": True, "chunked_loss": False}
    pretrain_params = {**PARAMS, "n_documents": 120, "vocab_size": 300, "train": train,
                       "model": {"hidden_size": 64, "intermediate_size": 64, "num_layers": 1, "num_heads": 2,
                                 "max_positions": 256}}
    params = {"seed": 0, "threads": 1, "pretrain": pretrain_params, "countdown": RANGES, "prompts": PROMPTS,
              "ood_sets": {}}
    stats = pretrain(params, set(), str(tmp_path / "model"), str(tmp_path / "ck"), [])
    documents = build_corpus(pretrain_params, RANGES, PROMPTS, 0, set(), {})
    tokenizer = train_tokenizer((corpus_text(d) for d in documents), 300)
    texts = [tokenizer.apply_chat_template(d["prompt"] + d["completion"], tokenize=False) for d in documents]
    lengths = [len(tokenizer(text, add_special_tokens=False)["input_ids"]) for text in texts]
    assert max(lengths) <= train["max_length"]
    assert stats["documents"] == 120 and stats["train_tokens"] == sum(lengths)


def test_replay_leaves_out_excluded_questions_and_unlisted_styles():
    spec = {"pretrain": {**PARAMS, "verification_share": 0.0}, "countdown": RANGES, "prompts": PROMPTS,
            "styles": ["b"], "ood_share": 0.0, "ood_sets": {}}
    first = replay_documents(120, spec, seed=0, exclude=set())
    assert len(first) == 120
    assert all(d["prompt"][0]["content"].startswith("Plan.") for d in first)  # style "a" is left out
    again = replay_documents(120, spec, seed=0, exclude={question_key(d) for d in first})
    assert not {question_key(d) for d in first} & {question_key(d) for d in again}
    assert replay_documents(120, spec, seed=0, exclude=set()) == first  # seeded
    assert replay_documents(0, spec, seed=0, exclude=set()) == []


def test_replay_mixes_in_the_configured_shares_and_keeps_a_datasets_own_rows_first():
    spec = {"pretrain": PARAMS, "countdown": RANGES, "prompts": PROMPTS, "styles": None, "ood_sets": OOD_SETS,
            "share": 0.6, "ood_share": 0.5}
    datasets = {"small": [{"prompt": [], "completion": []}] * 20, "large": [{"prompt": [], "completion": []}] * 40}
    replay = replay_rows(datasets, spec, seed=0, exclude=set())
    assert len(replay) == replay_count(40, 0.6) == 60
    assert {r["n_samples"] for r in replay} == {0} and {r["question_id"] for r in replay} == {None}
    out_of_domain = [r["prompt"][0]["content"].endswith("Answer:") for r in replay]
    assert sum(out_of_domain) == 30  # replay's own out-of-domain share, not the corpus's (PARAMS: 0.2)
    assert [r["replay"] for r in replay] == ["other" if ood else "countdown" for ood in out_of_domain]
