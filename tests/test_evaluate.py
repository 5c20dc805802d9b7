"""Evaluation metrics: accuracy and skill counts per evaluation set; budget forcing's rounds."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.stages.budget_forcing import force, kept_part
import pandas as pd

from skillfactory.stages.evaluate import (
    SCORE_COLUMNS, balanced_verdict_accuracy, score_responses, scores_frame, summarize,
)

MODEL = {"stage": "rl", "name": "x", "seed": 3}


def test_evaluation_metrics_count_skills_per_set():
    example = {"task": "countdown", "id": "q", "numbers": [3, 7, 12], "target": 33}
    trace = (
        "<think><sample><answer>3 + 7 + 12</answer></sample><reflect><verdict>Incorrect</verdict></reflect>"
        "<sample><answer>3 * 7 + 12</answer></sample><reflect><verdict>Incorrect</verdict></reflect></think>"
        "<answer>3 * 7 + 12</answer>"
    )
    rows = score_responses({"cd3": [example], "cd4": [example]}, [[trace, "no answer"], ["<answer>3+7</answer>"] * 2])
    for row in rows:
        row["tokens"] = len(row["response"])
    metrics = summarize(rows, MODEL).set_index("eval_set")
    assert list(metrics.columns[:4]) == ["model", "stage", "name", "seed"] and (metrics["model"] == "rl/x").all()
    assert (metrics["seed"] == 3).all()
    assert metrics.loc["cd3", "accuracy"] == 0.5 and metrics.loc["cd4", "accuracy"] == 0.0
    assert metrics.loc["cd3", "mean_attempts"] == 1.5 and metrics.loc["cd3", "mean_verifications"] == 1.0
    assert metrics.loc["cd3", "n_questions"] == 1 and metrics.loc["cd3", "n_responses"] == 2
    # the first verdict is right (3 + 7 + 12 is wrong), the second wrong; one retry after two Incorrect verdicts
    assert metrics.loc["cd3", "verdict_accuracy"] == 0.5 and metrics.loc["cd3", "retry_rate"] == 0.5
    # right on the incorrect attempt, wrong on the correct one: balanced (1 + 0) / 2; no Correct verdict to act on
    assert metrics.loc["cd3", "balanced_verdict_accuracy"] == 0.5
    assert math.isnan(metrics.loc["cd3", "retry_rate_after_correct"])
    assert metrics.loc["cd3", "mean_answer_changes"] == 0.5
    assert math.isnan(metrics.loc["cd4", "verdict_accuracy"]) and math.isnan(metrics.loc["cd4", "retry_rate"])
    scores = scores_frame(rows, MODEL)
    assert list(scores.columns) == ["model", "stage", "name", "seed", *SCORE_COLUMNS] and len(scores) == 4


def test_a_verdict_that_always_says_correct_is_at_chance_however_common_correct_attempts_are():
    # 9 correct attempts judged Correct, 1 incorrect attempt judged Correct: plain accuracy 0.9, balanced 0.5
    group = pd.DataFrame({"verdicts": [9, 1], "verdicts_right": [9, 0], "verdicts_on_correct": [9, 0],
                          "verdicts_right_on_correct": [9, 0]})
    assert balanced_verdict_accuracy(group) == 0.5
    assert balanced_verdict_accuracy(group.assign(verdicts_right=[9, 1])) == 1.0
    assert math.isnan(balanced_verdict_accuracy(group.iloc[:1]))  # no incorrect attempt judged


def test_budget_forcing_cuts_at_the_closed_thinking_and_appends_the_phrase():
    calls = []

    def generate(texts, round_):
        calls.append(list(texts))
        thinking, plain = f"<think>r{round_}</think> so <answer>{round_}</answer>", f"<answer>{round_}</answer>"
        return [thinking if "think" in t else plain for t in texts]

    first = ["<think>r0</think> so <answer>0</answer>", "<answer>0</answer>"]  # the evaluation's responses
    history = force(generate, ["P-think:", "P-plain:"], first, rounds=2, phrase="Wait.")
    assert len(calls) == 2  # round 0 is not generated again
    assert calls[0] == ["P-think:<think>r0\nWait.\n", "P-plain:<answer>0</answer>\nWait.\n"]
    assert calls[1][0] == "P-think:<think>r0\nWait.\n<think>r1\nWait.\n"
    assert history[0] == [
        "<think>r0</think> so <answer>0</answer>",
        "<think>r0\nWait.\n<think>r1</think> so <answer>1</answer>",
        "<think>r0\nWait.\n<think>r1\nWait.\n<think>r2</think> so <answer>2</answer>",
    ]
    assert history[1][2] == "<answer>0</answer>\nWait.\n<answer>1</answer>\nWait.\n<answer>2</answer>"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["a", " ", "\n", "</think>", "<think>", "<answer>1</answer>"]), max_size=8).map("".join),
    st.lists(st.text(max_size=20), min_size=1, max_size=4),
    st.integers(0, 3),
)
def test_each_round_keeps_the_text_before_the_model_closed_its_thinking(first, generations, rounds):
    def generate(texts, round_):
        assert round_ > 0
        return [generations[round_ % len(generations)] for _ in texts]

    (history,) = force(generate, ["prompt"], [first], rounds, "Wait.")
    assert len(history) == rounds + 1 and history[0] == first
    for before, after in zip(history, history[1:]):
        kept = kept_part(before).rstrip()
        assert after.startswith(kept) and after[len(kept):].lstrip().startswith("Wait.")


def test_base_card_metrics_separate_pass_rates_and_verdicts():
    from skillfactory.stages.base_card import attempt_metrics, verdict_metrics

    q = {"task": "countdown", "id": "a", "numbers": [3, 7, 12], "target": 33}
    right, wrong = "<answer>3 * 7 + 12</answer>", "<answer>3 + 7 + 12</answer><answer>12</answer>"
    stray = "<answer>3 +\n<answer>3 + 7 + 12</answer>"
    metrics, graded = attempt_metrics([q, q], [[right, wrong], [wrong, stray]])
    assert metrics == {
        "n_questions": 2, "pass@1": 0.25, "pass@k": 0.5, "multi_attempt_share": 0.5, "stray_answer_tag_share": 0.25
    }
    verdicts = verdict_metrics(graded, ["<verdict>Correct</verdict>", "<verdict>Incorrect</verdict>", "junk", ""])
    assert verdicts["verdict_accuracy"] == 0.5 and verdicts["junk_share"] == 0.5
    assert verdicts["verdict_accuracy_on_correct"] == 1.0 and verdicts["verdict_accuracy_on_incorrect"] == 1 / 3
