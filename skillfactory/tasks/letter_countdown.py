"""Letter countdown: make the longest English word from a handful of letters (an out-of-domain task).

An example is ``{"id", "letters", "best_length", "answer"}``: ``letters`` is the shuffled letters as one string,
``best_length`` the length of the longest common word they make, ``answer`` one such word. The question states
``best_length``, so, as in Countdown, the model knows the goal and can check its own answer against it.

Generation picks a common word of ``min_length`` to ``n_letters`` letters, adds random letters (weighted by how
often letters occur in English words) up to ``n_letters``, shuffles, and then finds the longest common words the
letters make by looking up every sub-multiset of the letters in an anagram index.

Scoring is binary: 1.0 for a valid word (any word of the full list, see :mod:`skillfactory.tasks.words`) that uses
each letter at most as often as it is given and has at least ``best_length`` letters; 0.0 otherwise. No partial
credit for shorter words: the question asks for the longest, and a reward for any short word would be earned
without the search the task is meant to exercise.

>>> ex = {"letters": "tnoes", "best_length": 5, "answer": "notes"}
>>> [LETTER_COUNTDOWN.score(f"<answer>{w}</answer>", ex) for w in ("stone", "Onset", "note", "tones!", "nooks")]
[1.0, 1.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from skillfactory.tasks.common import Task, draws, sample_distinct
from skillfactory.tasks.words import MAX_LETTERS, MIN_LETTERS, WordList, english_words


def longest_words(letters: str, words: WordList) -> list[str]:
    """The longest common words made from ``letters`` (each letter at most as often as given), sorted.

    >>> longest_words("tnoesx", english_words())
    ['notes', 'onset', 'stone', 'tones']
    """
    ordered = sorted(letters)
    for size in range(len(ordered), MIN_LETTERS - 1, -1):
        keys = {"".join(c) for c in combinations(ordered, size)}
        found = sorted(w for key in keys for w in words.by_letters.get(key, ()))
        if found:
            return found
    return []


@dataclass(frozen=True)
class LetterCountdown(Task):
    """The letter countdown task family; see the module docstring."""

    name: str = "letter_countdown"

    def generate(
        self,
        n: int,
        seed: int | str,
        *,
        n_letters: int,
        min_length: int,
        exclude: frozenset = frozenset(),
        id_prefix: str = "",
    ) -> list[dict]:
        """``n`` distinct questions of ``n_letters`` letters whose longest common word has at least ``min_length``."""
        if not MIN_LETTERS <= min_length <= n_letters <= MAX_LETTERS:
            raise ValueError(f"need {MIN_LETTERS} <= min_length <= n_letters <= {MAX_LETTERS}")
        words = english_words()
        rng = random.Random(f"{self.name}-{n_letters}-{seed}")
        alphabet, weights = list(words.letter_counts), list(words.letter_counts.values())

        def draw() -> dict:
            length = rng.randint(min_length, n_letters)
            seed_word = rng.choice(words.by_length[length])
            letters = list(seed_word) + rng.choices(alphabet, weights, k=n_letters - length)
            rng.shuffle(letters)
            best = longest_words("".join(letters), words)
            return {"letters": "".join(letters), "best_length": len(best[0]), "answer": best[0]}

        return sample_distinct(n, draws(draw, n), self.key, exclude, id_prefix, f"letter countdown ({n_letters})")

    def key(self, example: dict) -> tuple:
        """Identity of a question: its multiset of letters."""
        return (self.name, "".join(sorted(example["letters"])))

    @staticmethod
    def describe(example: dict) -> str:
        return (
            f"Letters: {' '.join(example['letters'])}\n"
            f"Make the longest English word you can from these letters, using each letter at most as many times as "
            f"it appears. The longest possible word has {example['best_length']} letters."
        )

    def is_correct(self, answer: str, example: dict) -> bool:
        word = answer.strip().lower()
        return (
            len(word) >= example["best_length"]
            and word in english_words().valid
            and not Counter(word) - Counter(example["letters"])
        )


LETTER_COUNTDOWN = LetterCountdown()
