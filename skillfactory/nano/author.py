"""The imperfect author of the nano corpus: one-shot Countdown attempts and verifications of given answers.

The author never writes a second attempt, never checks its own answer and never corrects itself: those are the
skills SkillFactory must teach later. Whether an attempt is correct is decided by the task's scorer, never assumed,
so every verdict in the corpus is the truth about the answer it judges.
"""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

from skillfactory.tasks.arithmetic import ArithmeticParseError, apply_operator, tokenize
from skillfactory.tasks.countdown import COUNTDOWN, extract_answer, random_route, strip_step_label


def format_answer(steps: list[str]) -> str:
    """Steps without ``Step k:`` labels: the scorer reads both, and the bare form is a third shorter for the model."""
    return "<answer>\n" + "\n".join(strip_step_label(step).strip() for step in steps) + "\n</answer>"


def write_attempt(rng: random.Random, example: dict, p_correct: float, max_intermediate: int) -> str:
    """One attempt: the known route with probability ``p_correct``, otherwise one of three typical mistakes.

    Mistakes: a random route that ends somewhere else; a route with an arithmetic slip carried forward; a route
    whose last step falsely claims the target. A mistake that happens to be right is still scored as right.
    """
    if rng.random() < p_correct:
        return format_answer(example["solution"].splitlines())
    numbers = example["numbers"]
    for _ in range(20):
        kind = rng.choice(("off_target", "slip", "false_claim"))
        slip_at = rng.randrange(len(numbers) - 1) if kind == "slip" else None
        found = random_route(rng, numbers, max_intermediate, slip_at=slip_at)
        if found is None:
            continue
        steps = found[1]
        if kind == "false_claim":
            head, _, _ = steps[-1].rpartition("=")
            steps[-1] = f"{head}= {example['target']}"
        return format_answer(steps)
    return format_answer(example["solution"].splitlines())


def _check_line(line: str, pool: Counter) -> tuple[str, bool]:
    """Recompute one step against the pool of available values; return the check line and whether it held."""
    body = strip_step_label(line)
    try:
        tokens = tokenize(body)
        left, op, right, _, claimed = tokens
        a, b, c = Fraction(int(left)), Fraction(int(right)), Fraction(int(claimed))
    except (ArithmeticParseError, ValueError):
        return f"{body.strip()} unreadable", False
    available = pool[a] > 0 and pool[b] > (1 if a == b else 0)
    if not available:
        return f"{left} {op} {right}: {left if pool[a] <= 0 else right} not available", False
    pool[a] -= 1
    pool[b] -= 1
    try:
        value = apply_operator(op, a, b)
    except ArithmeticParseError:
        return f"{left} {op} {right}: not allowed", False
    pool[c] += 1
    if value == c:
        return f"{left} {op} {right} = {claimed} ok", True
    return f"{left} {op} {right} = {value} not {claimed}", False


def write_verification(example: dict, response: str) -> str:
    """A recomputation of ``response`` ending in the true verdict.

    The cheap check comes first: an answer whose last value is not the target is refuted in one line, which is
    most wrong answers and the easiest pattern for a tiny model to learn. Only answers that claim the target get
    the step-by-step recomputation that catches slips, reused numbers and false claims.
    """
    lines = ["Let me check."]
    answer = extract_answer(response)
    steps = [line.strip() for line in (answer or "").splitlines() if line.strip()]
    if not steps:
        lines.append("No answer given.")
    else:
        final = steps[-1].rpartition("=")[2].strip()
        target = str(example["target"])
        lines.append(f"The answer ends at {final}, the target is {target}.")
        if final != target:
            lines.append(f"{final} != {target}")
        else:
            pool = Counter(Fraction(n) for n in example["numbers"])
            for step in steps:
                text, held = _check_line(step, pool)
                lines.append(text)
                if not held:
                    break
            else:
                lines.append("All numbers used once." if sum(pool.values()) == 1 else "Not all numbers used once.")
    correct = COUNTDOWN.score(response, example) == 1.0
    lines.append(f"<verdict>{'Correct' if correct else 'Incorrect'}</verdict>")
    return "\n".join(lines)
