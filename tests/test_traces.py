"""Silver-trace invariants, on generated sample/reflection rows and on the data the smoke workflow built."""

import random
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snakemake.utils import update_config
from support import load_script, load_yaml

from skillfactory import phrases
from skillfactory.stages.build_sft_data import build_datasets, dataset_stats, star_rows
from skillfactory.traces import render_trace, samples_needed, single_attempt, style_quota
from skillfactory.io import read_jsonl
from skillfactory.prompts import parse_verdict
from skillfactory.tasks.countdown import COUNTDOWN, extract_answer

CANDIDATES = {"styles": ["original", "plan"], "samples_per_style": 8}
MAIN = {
    "kind": "traces",
    "min_kept_answers": 2,
    "max_samples": 4,
    "reflections": True,
    "last_correct": True,
    "distinct_answers": False,
    "styles": None,
}


def make_rows(pattern: list[list[bool]], variants: int = 1) -> list[dict]:
    """Sample rows for one question per entry; each bool says whether that response is correct. Response ``i``
    writes answer variant ``i % variants`` (two of the correct answers, ``variants`` of the wrong ones)."""
    rows = []
    for q, answers in enumerate(pattern):
        example = {"task": "countdown", "id": f"q{q}", "numbers": [2, 3 + q], "target": 5 + q}
        for i, correct in enumerate(answers):
            v = i % variants
            if correct:
                steps = f"Step 1: {3 + q} + 2 = {5 + q}" if v % 2 else f"Step 1: 2 + {3 + q} = {5 + q}"
            else:
                steps = f"Step 1: 2 * {3 + q} = {6 + 2 * q + v}"
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


def check_trace(row: dict, own_rows: list[dict], fmt: dict) -> None:
    """Every invariant of one silver trace built in format ``fmt`` from ``own_rows``, its question's sampled rows:
    tags balanced and in order, each sample (and reflection) taken from those rows, the final answer equal to the
    last sample's; in the main format the last sample is correct and its reflection says Correct."""
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
    assert trace.count("<reflect>") == trace.count("</reflect>") == (n if fmt["reflections"] else 0)
    assert trace.index("</think>") < trace.rindex("<answer>")
    samples, reflections = blocks(trace, "sample"), blocks(trace, "reflect")
    own = grouped(own_rows, lambda r: r["response"].strip())  # a model may sample the same text twice
    assert all(s in own for s in samples), "a sample from another question"
    assert all(ref in [x for r in own[s] for x in r["reflections"]] for s, ref in zip(samples, reflections)), (
        "a reflection of another answer"
    )
    uses = Counter(samples)
    assert len(samples) == n and all(uses[s] <= len(own[s]) for s in samples), "a row used twice"
    last = own[samples[-1]][0]  # rows with the same text have the same answer and correctness
    if fmt["distinct_answers"]:
        assert len({own[s][0]["answer"] for s in samples}) == n, "an answer retried within a trace"
    assert extract_answer(trace) == last["answer"]
    if fmt["last_correct"]:
        assert last["correct"] and COUNTDOWN.score(trace, last["example"]) == 1.0
        assert not fmt["reflections"] or parse_verdict(reflections[-1]) is True


def grouped(rows: list[dict], key) -> dict[str, list[dict]]:
    """Rows by ``key(row)``, in order."""
    groups = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return groups


def by_question(rows: list[dict]) -> dict[str, list[dict]]:
    return grouped(rows, lambda r: r["question_id"])


@settings(max_examples=60, deadline=None)
@given(patterns, st.integers(0, 100))
def test_main_format_invariants(pattern, seed):
    rows = make_rows(pattern)
    data = build_datasets(rows, {"sf": MAIN}, "{question}", seed, CANDIDATES)["sf"]
    questions = by_question(rows)
    kept = {q for q, rs in questions.items() if len(rs) >= 2 and any(r["correct"] for r in rs)}
    assert {r["question_id"] for r in data} == kept
    for row in data:
        check_trace(row, questions[row["question_id"]], MAIN)


@settings(max_examples=60, deadline=None)
@given(patterns, st.integers(1, 4), st.integers(0, 100))
def test_distinct_answers_never_retry_an_answer_and_use_every_one(pattern, variants, seed):
    """With ``distinct_answers`` a question gets a trace of N attempts for every N up to its number of distinct
    answers (one of them correct), and none beyond."""
    rows = make_rows(pattern, variants)
    fmt = {**MAIN, "distinct_answers": True, "max_samples": 5}
    data = build_datasets(rows, {"sf": fmt}, "{question}", seed, CANDIDATES)["sf"]
    questions = by_question(rows)
    for qid, own in questions.items():
        if len(own) < fmt["min_kept_answers"] or not any(r["correct"] for r in own):
            continue
        distinct = len({r["answer"] for r in own})
        lengths = sorted(r["n_samples"] for r in data if r["question_id"] == qid)
        assert lengths == list(range(1, min(distinct, fmt["max_samples"]) + 1))
    for row in data:
        check_trace(row, questions[row["question_id"]], fmt)


@pytest.mark.workflow
def test_invariants_hold_on_the_data_the_workflow_built(smoke_run):
    """The same invariants on every trace dataset of the smoke run, built from the smoke model's own samples."""
    results = smoke_run / "results"
    questions = by_question(read_jsonl(results / "samples" / "reflections.jsonl"))
    formats = {name: fmt for name, fmt in load_yaml(smoke_run / "config" / "config.yaml")["sft_data"].items()
               if fmt["kind"] == "traces"}
    update_config(formats, {k: v for k, v in load_yaml(smoke_run / "config" / "smoke.yaml")["sft_data"].items()
                            if k in formats})
    checked = replayed = 0
    for name, fmt in formats.items():
        for row in read_jsonl(results / "sft_data" / f"{name}.jsonl"):
            if row["n_samples"] == 0:  # a replay document (the smoke config mixes some in)
                assert row["question_id"] is None and "<sample>" not in row["completion"][0]["content"]
                replayed += 1
                continue
            check_trace(row, questions[row["question_id"]], fmt)
            checked += 1
    assert checked > 0 and replayed > 0


def test_ablation_switches():
    rows = make_rows([[True, False, False, False, False]] * 3)
    specs = {
        "noreflect": {**MAIN, "reflections": False},
        "anyorder": {**MAIN, "last_correct": False, "max_samples": 5},
    }
    data = build_datasets(rows, specs, "{question}", 0, CANDIDATES)
    assert all("<reflect>" not in r["completion"][0]["content"] for r in data["noreflect"])
    finals = {COUNTDOWN.score(r["completion"][0]["content"], rows[0]["example"]) for r in data["anyorder"]}
    assert finals == {0.0, 1.0}


def test_single_prompt_ablation_uses_only_its_style():
    rows = make_rows([[False, True, True, False, True, False]] * 3)
    for i, row in enumerate(rows):
        row["style"] = ("original", "plan")[i % 2]
    data = build_datasets(rows, {"single": {**MAIN, "styles": ["plan"]}}, "{question}", 0, CANDIDATES)["single"]
    plan = {r["response"].strip() for r in rows if r["style"] == "plan"}
    samples = [s for r in data for s in blocks(r["completion"][0]["content"], "sample")]
    assert samples and set(samples) <= plan


def test_every_traces_dataset_draws_from_as_many_candidates_as_the_main_one():
    styles = ["alternatively", "original", "plan", "rephrase"]
    single = {**MAIN, "styles": ["original"]}
    assert style_quota(MAIN, styles, 4) == 4 and style_quota(single, styles, 4) == 16
    assert samples_needed({"sf": MAIN, "single": single, "star": {"kind": "star", "match_rows": "sf"}}, styles, 4) == {
        "alternatively": 4, "original": 16, "plan": 4, "rephrase": 4}
    rows = make_rows([[True] * 16])
    for row in rows[:8]:
        row["response"] += " early"
    candidates = {"styles": styles, "samples_per_style": 4}
    main = build_datasets(rows, {"sf": {**MAIN, "max_samples": 5}}, "{question}", 0, candidates)["sf"]
    used = {s for r in main for s in blocks(r["completion"][0]["content"], "sample")}
    assert used and all(s.endswith("early") and int(s.split("s")[-1].split()[0]) < 4 for s in used)
    ablation = build_datasets(rows, {"single": {**single, "max_samples": 5}}, "{question}", 0, candidates)["single"]
    assert {s for r in ablation for s in blocks(r["completion"][0]["content"], "sample")} - used


def test_star_rows_use_the_main_prompt_whatever_style_they_were_sampled_under():
    rows = make_rows([[True, True]])
    for row in rows:
        row["style"], row["prompt"] = "plan", [{"role": "user", "content": "Plan first."}]
    data = build_datasets(rows, {"sf": MAIN, "star": {"kind": "star", "match_rows": "sf"}}, "Main: {question}", 0,
                          CANDIDATES)
    assert data["star"] and all(r["prompt"][0]["content"].startswith("Main: ") for r in data["star"])


def test_star_matches_trace_rows_and_uses_only_correct_answers():
    rows = make_rows([[True, False, True], [False, True], [True, True, True, False]])
    specs = {"sf": MAIN, "star": {"kind": "star", "match_rows": "sf"}}
    data = build_datasets(rows, specs, "{question}", 3, CANDIDATES)
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
    once, again = (build_datasets(rows, {"sf": MAIN}, "{question}", 1, CANDIDATES) for _ in range(2))
    assert once == again
    assert star_rows(rows, 0, "{question}", 0) == []
    with pytest.raises(KeyError):
        build_datasets(rows, {"star": {"kind": "star", "match_rows": "missing"}}, "{question}", 1, CANDIDATES)


@pytest.mark.parametrize(
    "response, usable",
    [
        ("<answer>\n2 + 3 = 5\n</answer>", True),
        ("Let me see.\n<answer>\n2 + 3 = 5\n</answer>", True),
        ("<answer>\n2 + 3 = 5\n<answer>\n2 * 3 = 6\n</answer>", False),  # a second answer opened inside the first
        ("<answer>\n2 + 3 = 5\n</answer>\n<answer>\n2 * 3 = 6\n</answer>", False),
        ("</answer> 5 <answer>", False),
        ("2 + 3 = 5", False),
        ("<sample>\n<answer>\n5\n</answer>\n</sample>", False),
    ],
)
def test_only_single_attempts_enter_traces(response, usable):
    assert single_attempt(response) is usable
    rows = make_rows([[True, True, False]])
    rows[0]["response"] = response
    data = build_datasets(rows, {"sf": {**MAIN, "max_samples": 3}, "star": {"kind": "star", "match_rows": "sf"}},
                          "{question}", 0, CANDIDATES)
    used = [blocks(r["completion"][0]["content"], "sample") for r in data["sf"]]
    assert any(response.strip() in samples for samples in used) is usable
    assert (response in [r["completion"][0]["content"] for r in data["star"]]) <= usable


@given(
    word=st.sampled_from(["correct", "incorrect"]),
    casing=st.sampled_from([str.lower, str.upper, str.capitalize]),
    before=st.sampled_from(["", " ", "\n", "  \n"]),
    after=st.sampled_from(["", " ", "\n", "\n  "]),
    prefix=st.text(alphabet="abc 123=\n.", max_size=30),
)
def test_a_verdict_is_read_as_the_authors_read_it(word, casing, before, after, prefix):
    """The text between the tags, lower-cased and stripped: a real instruct model's spacing and case count."""
    text = f"{prefix}<verdict>{before}{casing(word)}{after}</verdict>"
    assert parse_verdict(text) is (word == "correct")
    assert parse_verdict(text + text) is None  # several verdicts decide nothing


@given(st.lists(st.sampled_from(["<verdict>", "</verdict>", "Correct", "in", " ", "x", "\n"]), max_size=12))
def test_parse_verdict_never_crashes_and_accepts_only_one_known_verdict(pieces):
    text = "".join(pieces)
    verdict = parse_verdict(text)
    bodies = re.findall(r"<verdict>(.*?)</verdict>", text, flags=re.S)
    if verdict is not None:
        assert len(bodies) == 1 and bodies[0].strip().lower() == ("correct" if verdict else "incorrect")


def test_phrase_lists_have_the_sizes_of_the_authors_lists():
    lists = (phrases.AFTER_CORRECT, phrases.AFTER_INCORRECT, phrases.GENERIC, phrases.ENDINGS)
    assert tuple(map(len, lists)) == (10, 13, 11, 7)
    assert len(load_script("trace_failures").CONNECTIVES) == sum(map(len, lists))  # no phrase twice


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=5), st.integers(0, 10**6), st.data())
def test_connective_counts_find_every_phrase_and_only_a_garbled_one(correct, seed, data):
    attempts = [{"response": f"{i} + 1 = {i + 1}\n<answer>\n{i} + 1 = {i + 1}\n</answer>", "answer": f"{i} + 1",
                 "correct": ok, "reflections": [f"Let me check.\n<verdict>{'Correct' if ok else 'Incorrect'}"
                                                "</verdict>"]} for i, ok in enumerate(correct)]
    trace = render_trace(random.Random(seed), attempts, with_reflections=True)
    counts = load_script("trace_failures").connective_counts
    assert counts(trace) == {"passages": len(attempts), "garbled": 0}  # one glue per pair and one ending
    lines = trace.split("\n")
    phrase_lines = [i for i, line in enumerate(lines)
                    if i and lines[i - 1] in ("</reflect>", "</think>") and not line.startswith("<")]
    broken = data.draw(st.sampled_from(phrase_lines))
    lines[broken] = lines[broken][: len(lines[broken]) // 2] + "so, again"
    assert counts("\n".join(lines)) == {"passages": len(attempts), "garbled": 1}
    assert counts(trace.rpartition("\n<answer>")[0])["passages"] == len(attempts) - 1  # the ending is unclosed
