"""Silver-trace invariants on generated sample/reflection rows."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.build_sft_data import build_datasets, dataset_stats, star_rows
from skillfactory.prompts import parse_verdict
from skillfactory.tasks.countdown import COUNTDOWN, extract_answer

MAIN = {
    "kind": "traces",
    "min_kept_answers": 2,
    "max_samples": 4,
    "reflections": True,
    "last_correct": True,
    "styles": None,
}


def make_rows(pattern: list[list[bool]]) -> list[dict]:
    """Sample rows for one question per entry; each bool says whether that response is correct."""
    rows = []
    for q, answers in enumerate(pattern):
        example = {"task": "countdown", "id": f"q{q}", "numbers": [2, 3 + q], "target": 5 + q}
        for i, correct in enumerate(answers):
            steps = f"Step 1: 2 + {3 + q} = {5 + q}" if correct else f"Step 1: 2 * {3 + q} = {6 + 2 * q}"
            response = f"<answer>\n{steps}\n</answer> q{q}s{i}"
            verdict = "Correct" if correct else "Incorrect"
            rows.append(
                {
                    "question_id": example["id"],
                    "example": example,
                    "style": "original",
                    "sample_index": i,
                    "prompt": [{"role": "user", "content": COUNTDOWN.describe(example)}],
                    "response": response,
                    "answer": extract_answer(response),
                    "correct": correct,
                    "reflections": [f"check q{q}s{i} <verdict>{verdict}</verdict>"],
                }
            )
    return rows


patterns = st.lists(st.lists(st.booleans(), min_size=1, max_size=7), min_size=1, max_size=6)


def blocks(trace: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>\n(.*?)\n</{tag}>", trace, flags=re.S)


@settings(max_examples=60, deadline=None)
@given(patterns, st.integers(0, 100))
def test_main_format_invariants(pattern, seed):
    rows = make_rows(pattern)
    data = build_datasets(rows, {"sf": MAIN}, "{question}", seed)["sf"]
    by_question = {}
    for r in rows:
        by_question.setdefault(r["question_id"], []).append(r)
    kept = {q for q, rs in by_question.items() if len(rs) >= 2 and any(r["correct"] for r in rs)}
    assert {r["question_id"] for r in data} == kept
    for row in data:
        trace = row["completion"][0]["content"]
        tags = re.findall(r"</?(?:think|sample|reflect|answer)>", trace)
        n = row["n_samples"]
        assert tags[0] == "<think>" and tags[-3:] == ["</think>", "<answer>", "</answer>"]
        stack = []
        for tag in tags:  # balanced and properly nested
            if tag.startswith("</"):
                assert stack.pop() == tag.replace("/", "")
            else:
                stack.append(tag)
        assert not stack
        assert trace.count("<sample>") == trace.count("</sample>") == n
        assert trace.count("<reflect>") == trace.count("</reflect>") == n
        assert trace.index("</think>") < trace.rindex("<answer>")
        samples, reflections = blocks(trace, "sample"), blocks(trace, "reflect")
        own = {r["response"].strip(): r for r in by_question[row["question_id"]]}
        assert all(s in own for s in samples), "a sample from another question"
        assert all(ref in own[s]["reflections"] for s, ref in zip(samples, reflections))
        assert len(set(samples)) == n
        last = own[samples[-1]]
        assert last["correct"] and parse_verdict(reflections[-1]) is True
        assert extract_answer(trace) == last["answer"]
        assert COUNTDOWN.score(trace, last["example"]) == 1.0


def test_ablation_switches():
    rows = make_rows([[True, False, False, False, False]] * 3)
    specs = {
        "noreflect": {**MAIN, "reflections": False},
        "anyorder": {**MAIN, "last_correct": False, "max_samples": 5},
    }
    data = build_datasets(rows, specs, "{question}", 0)
    assert all("<reflect>" not in r["completion"][0]["content"] for r in data["noreflect"])
    finals = {COUNTDOWN.score(r["completion"][0]["content"], rows[0]["example"]) for r in data["anyorder"]}
    assert finals == {0.0, 1.0}


def test_single_prompt_ablation_uses_only_its_style():
    rows = make_rows([[False, True, True, False, True, False]] * 3)
    for i, row in enumerate(rows):
        row["style"] = ("original", "plan")[i % 2]
    data = build_datasets(rows, {"single": {**MAIN, "styles": ["plan"]}}, "{question}", 0)["single"]
    plan = {r["response"].strip() for r in rows if r["style"] == "plan"}
    samples = [s for r in data for s in blocks(r["completion"][0]["content"], "sample")]
    assert samples and set(samples) <= plan


def test_star_matches_trace_rows_and_uses_only_correct_answers():
    rows = make_rows([[True, False, True], [False, True], [True, True, True, False]])
    data = build_datasets(rows, {"sf": MAIN, "star": {"kind": "star", "match_rows": "sf"}}, "{question}", 3)
    assert len(data["star"]) == len(data["sf"]) > 0
    correct = {r["response"] for r in rows if r["correct"]}
    assert all(r["completion"][0]["content"] in correct for r in data["star"])
    stats = dataset_stats(data["star"], words)
    assert stats["verdicts_correct"] == 0 and stats["rows"] == len(data["star"])
    lengths = [len(r["completion"][0]["content"].split()) for r in data["star"]]
    assert stats["completion_tokens_max"] == max(lengths) and stats["completion_tokens_mean"] == round(
        sum(lengths) / len(lengths), 1
    )


def words(text, add_special_tokens):
    """A whitespace tokenizer standing in for the model's, so token counts are known."""
    return {"input_ids": text.split()}


def test_same_seed_same_data():
    rows = make_rows([[True, False, True, False]] * 4)
    assert build_datasets(rows, {"sf": MAIN}, "{question}", 1) == build_datasets(rows, {"sf": MAIN}, "{question}", 1)
    assert star_rows(rows, 0, 0) == []
    with pytest.raises(KeyError):
        build_datasets(rows, {"star": {"kind": "star", "match_rows": "missing"}}, "{question}", 1)
