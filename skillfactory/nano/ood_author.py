"""The imperfect author's single attempts at the out-of-domain task families of the nano corpus.

The nano base model sees a little of every evaluation family during pretraining, so that the out-of-domain
evaluations measure something other than "never saw this format". Like the Countdown author in
:mod:`skillfactory.nano.author`, this author writes exactly one attempt per document: right with probability
``p_correct``, otherwise one typical slip, and never a second try, a check or a correction (those skills are what
SkillFactory has to teach later). Whether an attempt is right is decided by the task's scorer, never assumed; a
mistake that happens to be right is scored as right.

Attempts are kept as short as the task allows: the nano model has a tiny vocabulary with one token per digit, and
every token of the corpus costs training time. Every random choice goes through the given ``rng`` (and never
iterates an unordered set), so an attempt is a pure function of the rng state and the example.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from itertools import combinations, islice, permutations
from string import Formatter

from skillfactory.tasks.word_problems import GAIN, LOSS, SPLIT, TIMES
from skillfactory.tasks.words import MIN_LETTERS, english_words


def _answer(lines: list[str], answer: str) -> str:
    """Working lines (possibly none) followed by the single final answer block."""
    return "\n".join([*lines, f"<answer>{answer}</answer>"])


def _word_answer(words: str, spell: bool = False) -> str:
    """An answer of words, each after a space as in the question, so that the byte-level tokenizer cuts it into the
    same tokens there and here and the model can copy them (written flush after ``<answer>``, a nano model produced
    letter salad). ``spell`` first writes the word letter by letter, as the question gives its letters, so that
    choosing letters and joining them into a word are two steps a tiny model can learn."""
    return _answer([f"Spell: {' '.join(words)}"] if spell else [], f" {words}")


def _slip(rng: random.Random, value: int, lowest_place: int = 0) -> int:
    """``value`` with one digit off by one, as a dropped or doubled carry would leave it; never negative.

    ``lowest_place`` keeps the slip off the low digits that cannot go wrong (a carry never lands in the units).
    """
    places = list(range(min(lowest_place, len(str(value)) - 1), len(str(value))))
    for _ in range(10):
        step = rng.choice((-1, 1)) * 10 ** rng.choice(places)
        if value + step > 0:
            return value + step
    return value + 10 ** rng.choice(places)


# --- multiplication -------------------------------------------------------------------------------------------


def _multiplication(rng: random.Random, example: dict, correct: bool) -> str:
    """Long multiplication in its most compact form: one partial product per nonzero digit of the second factor
    (place value written into the multiplier, ``34 * 10 = 340``), then one line adding them up.

    Mistakes, carried through to the answer: a slipped digit in one partial product, a partial product whose place
    shift is forgotten (``34 * 10 = 34``), or a carry slip in the final sum.
    """
    a, b = int(example["a"]), int(example["b"])
    multipliers = [int(d) * 10**i for i, d in enumerate(reversed(str(b))) if d != "0"] or [0]
    partials = [a * m for m in multipliers]
    kind = None if correct else rng.choice(("partial", "shift", "sum") if len(partials) > 1 else ("partial", "shift"))
    if kind == "shift" and not any(m >= 10 for m in multipliers):
        kind = "partial"
    if kind == "partial":
        i = rng.randrange(len(partials))
        place = len(str(multipliers[i])) - 1
        partials[i] = _slip(rng, a * (multipliers[i] // 10**place)) * 10**place
    elif kind == "shift":
        i = rng.choice([j for j, m in enumerate(multipliers) if m >= 10])
        partials[i] = a * int(str(multipliers[i]).rstrip("0"))
    lines = [f"{a} * {m} = {p}" for m, p in zip(multipliers, partials)]
    total = sum(partials)
    if kind == "sum":
        total = _slip(rng, total, lowest_place=1)
    if len(partials) > 1:
        lines.append(" + ".join(map(str, partials)) + f" = {total}")
    return _answer(lines, str(total))


# --- word problems --------------------------------------------------------------------------------------------


def _pattern(template: str) -> re.Pattern:
    """A regex for one story template: the name and item as words, the number ``k`` as a captured integer."""
    parts = []
    for literal, field, _, _ in Formatter().parse(template):
        parts.append(re.escape(literal))
        if field == "k":
            parts.append(r"([0-9]+)")
        elif field is not None:
            parts.append(r"\w+")
    return re.compile("".join(parts))


# The story templates of :mod:`skillfactory.tasks.word_problems`, imported rather than copied, so that a changed
# template changes the parser with it; a sentence matching none of them makes the author write the answer alone.
_OPERATIONS = [(_pattern(t), op) for group, op in ((GAIN, "+"), (LOSS, "-"), (TIMES, "*"), (SPLIT, "/")) for t in group]
_START = _pattern("{name} has {k} {item}.")
_SENTENCE_END = re.compile(r"(?<=[.?])\s+")


def _parse_story(question: str) -> tuple[int, list[tuple[str, int]]] | None:
    """Starting count and ``(operator, number)`` steps of a generated story; ``None`` if any sentence is unknown."""
    sentences = _SENTENCE_END.split(question.strip())
    if len(sentences) < 2:
        return None
    start = _START.fullmatch(sentences[0])
    if start is None:
        return None
    steps = []
    for sentence in sentences[1:-1]:
        found = next(((op, m) for pattern, op in _OPERATIONS if (m := pattern.fullmatch(sentence))), None)
        if found is None:
            return None
        steps.append((found[0], int(found[1].group(1))))
    return int(start.group(1)), steps


def _apply(op: str, value: int, k: int) -> int | None:
    """One story step on whole counts; ``None`` where the result is not a whole, non-negative count."""
    if op == "+":
        return value + k
    if op == "-":
        return value - k if value >= k else None
    if op == "*":
        return value * k
    return value // k if value % k == 0 else None


def _run(start: int, steps: list[tuple[str, int]], change: tuple[int, Callable] | None = None):
    """Lines and final count of a story's computation, or ``None`` if some step leaves no whole count.

    ``change = (i, write)`` replaces step ``i`` by ``write(op, value, k) -> (op, result)``, and the changed result
    is carried on through the later steps.
    """
    value, lines = start, []
    for i, (op, k) in enumerate(steps):
        op, result = change[1](op, value, k) if change is not None and change[0] == i else (op, _apply(op, value, k))
        if result is None or result < 0:
            return None
        lines.append(f"{value} {op} {k} = {result}")
        value = result
    return lines, value


def _off_by(delta: int) -> Callable:
    """A step written with the right operation and a result ``delta`` away from the true one."""
    return lambda op, value, k: (op, None if (r := _apply(op, value, k)) is None else r + delta)


def _operation(wrong: str) -> Callable:
    """A step written, and computed correctly, with the operation ``wrong`` instead of the story's."""
    return lambda op, value, k: (wrong, _apply(wrong, value, k))


# What a misreading of each step plausibly turns it into: a gain taken as a loss and back, "times" read as "more",
# splitting into piles taken as doubling up or as giving away one item per pile.
_WRONG_OPERATION = {"+": ("-",), "-": ("+",), "*": ("+",), "/": ("*", "-")}


def _word_problems(rng: random.Random, example: dict, correct: bool) -> str:
    """One line per step of the story (``12 + 5 = 17``), then the answer; the answer alone when the question is not
    one of the generator's stories (or its steps do not reproduce the row's answer).

    Mistakes, carried through to the answer: one step off by one or two, or one step done with the wrong operation
    (subtracting what was gained, adding instead of multiplying...). A mistake that would leave a later step without
    a whole count is not chosen; the last step can always be off by one. Without steps, the answer is off by a
    little.
    """
    answer = int(example["answer"])
    parsed = _parse_story(example["question"])
    run = _run(*parsed) if parsed is not None and parsed[1] else None
    if run is None or run[1] != answer:
        if correct:
            return _answer([], str(answer))
        return _answer([], str(answer + rng.choice((-2, -1, 1, 2)) if answer >= 2 else answer + rng.choice((1, 2))))
    if correct:
        return _answer(run[0], str(answer))
    start, steps = parsed
    slips = [(i, _off_by(d)) for i in range(len(steps)) for d in (-2, -1, 1, 2)]
    wrongs = [(i, _operation(w)) for i, (op, _) in enumerate(steps) for w in _WRONG_OPERATION[op]]
    first, second = (wrongs, slips) if rng.random() < 0.5 else (slips, wrongs)
    for candidates in (first, second, [(len(steps) - 1, _off_by(1))]):
        for change in rng.sample(candidates, len(candidates)):
            written = _run(start, steps, change)
            if written is not None and written[1] != answer:
                return _answer(written[0], str(written[1]))
    raise AssertionError("an off-by-one last step is always possible")


# --- letter countdown -----------------------------------------------------------------------------------------


def _shorter_words(letters: str, best_length: int) -> list[str]:
    """Common words from ``letters`` one size below the best (or the next size that has any), sorted."""
    words, ordered = english_words(), sorted(letters.lower())
    for size in range(min(best_length, len(ordered) + 1) - 1, MIN_LETTERS - 1, -1):
        keys = {"".join(c) for c in combinations(ordered, size)}
        found = sorted({w for key in keys for w in words.by_letters.get(key, ())})
        if found:
            return found
    return []


def _misspellings(word: str) -> list[str]:
    """``word`` with two neighbouring letters swapped, keeping only swaps that are not words themselves."""
    valid = english_words().valid
    swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1) if word[i] != word[i + 1]}
    return sorted(s for s in swaps if s not in valid)


def _letter_countdown(rng: random.Random, example: dict, correct: bool) -> str:
    """The answer word, spelled out first: the row's best word, or a plausible miss.

    Misses: settling for a shorter word the letters make (scored wrong, since the longest is asked for), or the best
    word with two neighbouring letters swapped into a non-word. The fallback, the best word less its last letter,
    is too short and so wrong.
    """
    best = str(example["answer"]).lower()
    if correct:
        return _word_answer(best, spell=True)
    shorter, misspelt = _shorter_words(example["letters"], int(example["best_length"])), _misspellings(best)
    options = [o for o in (shorter, misspelt) if o]
    if not options:
        return _word_answer(best[:-1], spell=True)
    return _word_answer(rng.choice(rng.choice(options)), spell=True)


# --- acronym --------------------------------------------------------------------------------------------------


def _acronym(rng: random.Random, example: dict, correct: bool) -> str:
    """The chosen words in order, space-separated: the row's answer, or a plausible wrong choice.

    Mistakes: the right words in an order whose initials spell no word, or one right word swapped for a listed
    distractor so that the initials spell no word. If neither exists, one word is left out (too few words).
    """
    chosen = str(example["answer"]).split()
    if correct:
        return _word_answer(" ".join(chosen))
    valid = english_words().valid

    def spells(words: tuple[str, ...] | list[str]) -> bool:
        return "".join(w[0] for w in words).lower() in valid

    orders = [list(p) for p in islice((p for p in permutations(chosen) if not spells(p)), 200)]
    remaining = list(example["words"])
    for word in chosen:
        if word in remaining:
            remaining.remove(word)
    swaps = [
        chosen[:i] + [d] + chosen[i + 1 :]
        for i in range(len(chosen))
        for d in sorted(set(remaining))
        if not spells(chosen[:i] + [d] + chosen[i + 1 :])
    ]
    options = [o for o in (orders, swaps) if o]
    if not options:
        return _word_answer(" ".join(chosen[:-1]))
    return _word_answer(" ".join(rng.choice(rng.choice(options))))


_WRITERS: dict[str, Callable[[random.Random, dict, bool], str]] = {
    "multiplication": _multiplication,
    "letter_countdown": _letter_countdown,
    "acronym": _acronym,
    "word_problems": _word_problems,
}


def write_ood_attempt(rng: random.Random, task_name: str, example: dict, p_correct: float) -> str:
    """One attempt at ``example`` of family ``task_name``, ending in exactly one ``<answer>...</answer>``.

    With probability ``p_correct`` the attempt is right; otherwise it holds one typical mistake. Raises
    ``KeyError`` naming the known families for any other family (Countdown has its own author).
    """
    try:
        writer = _WRITERS[task_name]
    except KeyError:
        raise KeyError(f"no out-of-domain author for task {task_name!r}; known families: {sorted(_WRITERS)}") from None
    return writer(rng, example, rng.random() < p_correct)
