"""Measuring skill use in a response from its tags and the task's scorer, which needs no judge model.

A SkillFactory trace is a sequence of attempts (``<sample>`` blocks), each optionally followed by a verification
(``<reflect>`` block ending in a ``<verdict>``), then a final answer. Model output is untrusted and often malformed
(unclosed, nested or stray tags), so the parser never requires well-formed XML: a block runs from its opening tag to
the next structural tag of any kind, and a verification judges the latest attempt opened before it. Only tag
positions are scanned (linear time); nothing is evaluated.

>>> count_attempts("<think><sample>a</sample><reflect>r</reflect><sample>b</sample></think>")
2
>>> count_attempts("plain answer <answer>1</answer>")
1
>>> count_verifications("plain answer")
0
>>> is_multi_attempt("<answer>1</answer> no wait <answer>2</answer>")
True
>>> is_multi_attempt("<answer>1 + <answer>2</answer>"), has_stray_answer_tag("<answer>1 + <answer>2</answer>")
(False, True)
>>> answers("<answer>1</answer> <answer> 2 </answer><answer>unclosed")
['1', '2']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from skillfactory.prompts import parse_verdict

_STRUCTURE = re.compile(r"</?(?:sample|reflect|think)>")

SKILL_COLUMNS = (
    "attempts",
    "verifications",
    "verdicts",
    "verdicts_right",
    "verdicts_on_correct",
    "verdicts_right_on_correct",
    "judged_incorrect",
    "retries_after_incorrect",
    "judged_correct",
    "retries_after_correct",
    "answer_changes",
    "repeated_answers",
    "well_formed",
    "final_is_last_sample",
)
VERDICT_COLUMNS = SKILL_COLUMNS[2:10]


def count_attempts(response: str) -> int:
    """Number of ``<sample>`` blocks; a response without any is one attempt."""
    return max(1, response.count("<sample>"))


def count_verifications(response: str) -> int:
    """Number of ``<reflect>`` blocks."""
    return response.count("<reflect>")


def is_multi_attempt(response: str) -> bool:
    """Whether a response tries more than once: several ``<sample>`` blocks or several complete final answers.

    An ``<answer>`` tag left open when the next one opens is counted as :func:`answers` counts it, as no answer:
    a small model sampled at temperature 1.0 sometimes opens the tag too early, writes on and opens it again before
    its one answer. That is malformed output, not a second try; :func:`has_stray_answer_tag` reports it apart.
    """
    return count_attempts(response) > 1 or len(answers(response)) > 1


def has_stray_answer_tag(response: str) -> bool:
    """Whether some ``<answer>`` tag of a response opens no complete answer (left open, see :func:`answers`)."""
    return response.count("<answer>") > len(answers(response))


@dataclass
class Attempt:
    """One ``<sample>`` block and the verdicts of the ``<reflect>`` blocks that judge it (``None``: no verdict)."""

    text: str
    verdicts: list[bool | None] = field(default_factory=list)


def parse_attempts(response: str) -> list[Attempt]:
    """The ``<sample>`` blocks of a response in order, each with the verdicts of the reflections after it.

    A reflection before any attempt judges nothing and is dropped (it still counts as a verification).

    >>> [(a.text, a.verdicts) for a in parse_attempts("<sample>x<reflect><verdict>Incorrect</verdict><sample>y")]
    [('x', [False]), ('y', [])]
    """
    tags = list(_STRUCTURE.finditer(response))
    attempts: list[Attempt] = []
    for i, tag in enumerate(tags):
        end = tags[i + 1].start() if i + 1 < len(tags) else len(response)
        body = response[tag.end() : end]
        if tag.group() == "<sample>":
            attempts.append(Attempt(body))
        elif tag.group() == "<reflect>" and attempts:
            attempts[-1].verdicts.append(parse_verdict(body))
    return attempts


def answers(response: str) -> list[str]:
    """Every complete ``<answer>...</answer>`` in order, whitespace-normalised; an opening tag without its closing
    tag before the next opening tag is no answer."""
    found, start, close = [], response.find("<answer>"), -1
    while start >= 0:
        body_start = start + len("<answer>")
        if close < body_start:  # each closing tag is searched for once: linear time on any text
            close = response.find("</answer>", body_start)
            if close < 0:
                break
        following = response.find("<answer>", body_start)
        if following < 0 or following > close:
            found.append(" ".join(response[body_start:close].split()))
        start = following
    return found


def skill_usage(response: str, is_correct) -> dict[str, int]:
    """Skill counts of one response; ``is_correct(text)`` tells whether an attempt's text answers correctly.

    - ``attempts``, ``verifications``: ``<sample>`` and ``<reflect>`` blocks (an untagged response is one attempt
      and no verification);
    - ``verdicts`` / ``verdicts_right``: readable verdicts on an attempt, and those equal to that attempt's true
      correctness; ``verdicts_on_correct`` / ``verdicts_right_on_correct``: the same on correct attempts only (the
      rest are on incorrect ones), from which balanced verdict accuracy follows;
    - ``judged_incorrect`` / ``retries_after_incorrect``: attempts whose last readable verdict is Incorrect, and
      those followed by another attempt; ``judged_correct`` / ``retries_after_correct``: the same after Correct. A
      model that acts on its verdicts retries more often after Incorrect than after Correct;
    - ``answer_changes``: consecutive complete answers that differ (a trace's attempts' answers, then its final
      answer), i.e. how often the model changes its answer;
    - ``repeated_answers``: attempts whose answer is that of an earlier attempt, i.e. retries that search nothing new;
    - ``well_formed`` / ``final_is_last_sample``: see :func:`trace_form`.
    """
    attempts = parse_attempts(response)
    counts = dict.fromkeys(VERDICT_COLUMNS, 0)
    for i, attempt in enumerate(attempts):
        readable = [v for v in attempt.verdicts if v is not None]
        if not readable:
            continue
        truth = bool(is_correct(attempt.text))
        right = sum(v == truth for v in readable)
        counts["verdicts"] += len(readable)
        counts["verdicts_right"] += right
        if truth:
            counts["verdicts_on_correct"] += len(readable)
            counts["verdicts_right_on_correct"] += right
        judged = "correct" if readable[-1] else "incorrect"
        counts[f"judged_{judged}"] += 1
        counts[f"retries_after_{judged}"] += i + 1 < len(attempts)
    given = answers(response)
    tried = [found[-1] for found in (answers(a.text) for a in attempts) if found]
    return {
        "attempts": count_attempts(response),
        "verifications": count_verifications(response),
        **counts,
        "answer_changes": sum(a != b for a, b in zip(given, given[1:])),
        "repeated_answers": sum(answer in tried[:i] for i, answer in enumerate(tried)),
        **trace_form(response),
    }


def trace_form(response: str) -> dict[str, int]:
    """Whether a response has the silver traces' shape, and whether it ends as they do.

    ``well_formed`` (0/1): one ``<think>`` block, closed, holding at least one ``<sample>`` block, every
    ``<sample>`` closed before the next opens, then exactly one complete answer after ``</think>``.
    ``final_is_last_sample`` (0/1, only for a well-formed trace): its final answer equals the answer of its last
    ``<sample>`` block, as in every trace it was trained on.

    >>> trace_form("<think><sample>x <answer>1</answer></sample></think> so <answer>1</answer>")
    {'well_formed': 1, 'final_is_last_sample': 1}
    >>> trace_form("<think><sample>x <answer>1</answer></sample></think> so <answer>2</answer>")
    {'well_formed': 1, 'final_is_last_sample': 0}
    >>> trace_form("<think><sample>x <answer>1</answer>")
    {'well_formed': 0, 'final_is_last_sample': 0}
    """
    head, closing, tail = response.partition("</think>")
    samples = head.split("<sample>")[1:]  # each block's text up to the next opening tag
    well_formed = (
        bool(closing)
        and response.count("<think>") == 1 == response.count("</think>")
        and head.lstrip().startswith("<think>")
        and len(samples) >= 1
        and all(block.count("</sample>") == 1 for block in samples)
        and "<sample>" not in tail
        and len(answers(tail)) == 1
    )
    if not well_formed:
        return {"well_formed": 0, "final_is_last_sample": 0}
    last = answers(samples[-1].partition("</sample>")[0])
    return {"well_formed": 1, "final_is_last_sample": int(bool(last) and last[-1] == answers(tail)[0])}
