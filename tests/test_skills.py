"""Skill metrics: exact on generated traces, defined on untagged answers, and never crashing on junk."""

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.stages.evaluate import grade
from skillfactory.skills import answers, has_stray_answer_tag, is_multi_attempt, parse_attempts, skill_usage
from skillfactory.tasks.countdown import COUNTDOWN
from skillfactory.traces import render_trace

EXAMPLE = {"task": "countdown", "id": "q", "numbers": [2, 5], "target": 7}
ANSWERS = {True: ["2 + 5 = 7", "5 + 2 = 7"], False: ["2 * 5 = 10", "5 - 2 = 3"]}


def is_correct(text):
    return COUNTDOWN.score(text, EXAMPLE) == 1.0


# one attempt: (correct?, which answer of its kind, verdict shown: True/False, or None for a junk reflection)
attempt = st.tuples(st.booleans(), st.integers(0, 1), st.one_of(st.none(), st.booleans()))


def trace_of(attempts, seed):
    rows = []
    for correct, which, verdict in attempts:
        answer = ANSWERS[correct][which]
        shown = "" if verdict is None else f" <verdict>{'Correct' if verdict else 'Incorrect'}</verdict>"
        reflection = "Let me check." + shown
        rows.append({"response": f"<answer>\n{answer}\n</answer>", "answer": answer, "correct": correct,
                     "reflections": [reflection]})
    return render_trace(random.Random(seed), rows, with_reflections=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(attempt, min_size=1, max_size=6), st.integers(0, 1000))
def test_skill_counts_are_exact_on_generated_traces(attempts, seed):
    usage = skill_usage(trace_of(attempts, seed), is_correct)
    readable = [(correct, verdict) for correct, _, verdict in attempts if verdict is not None]
    sequence = [ANSWERS[c][w] for c, w, _ in attempts] + [ANSWERS[attempts[-1][0]][attempts[-1][1]]]
    assert usage == {
        "attempts": len(attempts),
        "verifications": len(attempts),
        "verdicts": len(readable),
        "verdicts_right": sum(correct == verdict for correct, verdict in readable),
        "verdicts_on_correct": sum(correct for correct, _ in readable),
        "verdicts_right_on_correct": sum(correct and verdict for correct, verdict in readable),
        "judged_incorrect": sum(v is False for _, _, v in attempts),
        "retries_after_incorrect": sum(v is False for _, _, v in attempts[:-1]),
        "judged_correct": sum(v is True for _, _, v in attempts),
        "retries_after_correct": sum(v is True for _, _, v in attempts[:-1]),
        "answer_changes": sum(a != b for a, b in zip(sequence, sequence[1:])),
        "repeated_answers": sum(a in sequence[:i] for i, a in enumerate(sequence[:-1])),
        "well_formed": 1,
        "final_is_last_sample": 1,
    }


def test_a_wrong_verdict_on_a_correct_attempt_counts_as_wrong():
    trace = "<think><sample><answer>2 + 5 = 7</answer></sample><reflect><verdict>Incorrect</verdict></reflect>"
    trace += "<sample><answer>2 * 5 = 10</answer></sample><reflect><verdict>Incorrect</verdict></reflect></think>"
    usage = skill_usage(trace + "<answer>2 * 5 = 10</answer>", is_correct)
    assert (usage["verdicts"], usage["verdicts_right"]) == (2, 1)
    assert (usage["judged_incorrect"], usage["retries_after_incorrect"], usage["answer_changes"]) == (2, 1, 1)


untagged = st.lists(
    st.sampled_from(list("ab <>/=+7\n") + ["<answer>", "</answer>", "<verdict>Correct</verdict>"]), max_size=40
).map("".join)


@settings(max_examples=150, deadline=None)
@given(untagged)
def test_untagged_response_is_one_attempt_without_verification(text):
    usage = skill_usage(text, is_correct)
    assert usage["attempts"] == 1
    assert usage["verifications"] == usage["verdicts"] == usage["judged_incorrect"] == 0


TAGS = ["<think>", "</think>", "<sample>", "</sample>", "<reflect>", "</reflect>", "<answer>", "</answer>",
        "<verdict>Correct</verdict>", "<verdict>Incorrect</verdict>", "<verdict>", "2 + 5 = 7", "junk", "\n"]
junk = st.lists(st.one_of(st.sampled_from(TAGS), st.text(max_size=5)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(junk)
def test_malformed_output_never_crashes_and_counts_stay_consistent(text):
    usage = skill_usage(text, is_correct)
    assert usage["attempts"] == max(1, text.count("<sample>")) >= len(parse_attempts(text))
    assert 0 <= usage["verdicts_right"] <= usage["verdicts"] <= usage["verifications"] == text.count("<reflect>")
    assert 0 <= usage["retries_after_incorrect"] <= usage["judged_incorrect"] <= usage["attempts"]
    judged_correct_at_most = usage["attempts"] - usage["judged_incorrect"]
    assert 0 <= usage["retries_after_correct"] <= usage["judged_correct"] <= judged_correct_at_most
    assert 0 <= usage["verdicts_right_on_correct"] <= usage["verdicts_on_correct"] <= usage["verdicts"]
    assert 0 <= usage["answer_changes"] <= max(0, text.count("<answer>") - 1)
    assert 0 <= usage["repeated_answers"] <= usage["attempts"] - 1
    assert 0 <= usage["final_is_last_sample"] <= usage["well_formed"] <= min(1, text.count("</think>"))
    graded = grade(EXAMPLE, text)
    assert graded["score"] in (0.0, 1.0)


@settings(max_examples=300, deadline=None)
@given(junk)
def test_answers_are_the_complete_answer_blocks(text):
    reference = re.findall(r"<answer>((?:(?!<answer>).)*?)</answer>", text, flags=re.S)
    assert answers(text) == [" ".join(a.split()) for a in reference]


@pytest.mark.parametrize(
    "response, multi, stray",
    [
        ("<answer>1</answer> no wait <answer>2</answer>", True, False),
        ("<sample>a</sample><sample>b</sample><answer>b</answer>", True, False),
        ("plain <answer>1</answer>", False, False),
        ("Spell: m i l<answer> f\n<answer> sas</answer>", False, True),  # run R's base card, letter countdown
        ("Need 4 from 10 7\n<answer>\n10 - 7 = 3\n<answer>\n8 + 3 = 11\n</answer>", False, True),  # and Countdown-4
        ("<answer>1", False, True),
    ],
)
def test_an_answer_tag_left_open_is_stray_and_not_a_second_try(response, multi, stray):
    assert is_multi_attempt(response) == multi and has_stray_answer_tag(response) == stray


@pytest.mark.parametrize(
    "response, form",
    [
        ("<think><sample><answer>1</answer></sample></think><answer>1</answer>", (1, 1)),
        ("<think><sample><answer>1</answer></sample><sample><answer>2</answer></sample></think><answer>1</answer>",
         (1, 0)),
        ("<think><sample><answer>1</answer></think><answer>1</answer>", (0, 0)),  # a sample left open
        ("<think><sample><answer>1</answer></sample></think>", (0, 0)),  # no final answer
        ("<think><sample><answer>1</answer></sample>", (0, 0)),  # out of budget while thinking
        ("<answer>1</answer>", (0, 0)),  # a plain answer
        ("<think><sample>no answer</sample></think><answer>1</answer>", (1, 0)),
    ],
)
def test_trace_form_needs_the_silver_traces_shape(response, form):
    usage = skill_usage(response, is_correct)
    assert (usage["well_formed"], usage["final_is_last_sample"]) == form


def test_answers_scan_is_linear_on_hostile_text():
    import time

    hostile = "<answer>" * 100_000 + "</answer>" * 100_000
    start = time.perf_counter()
    assert len(answers(hostile)) == 1
    skill_usage("<sample><reflect>" * 50_000, is_correct)
    skill_usage("<think>" + "<sample>" * 100_000 + "</think>", is_correct)
    assert time.perf_counter() - start < 10.0  # a quadratic scan would take minutes
