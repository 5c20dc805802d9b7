"""Acronym: choose words from a list so that their first letters spell an English word (an out-of-domain task).

An example is ``{"id", "words", "length", "answer", "acronym"}``: ``words`` is the list to choose from, ``length``
how many words to choose, ``answer`` one correct choice (the chosen words in order, space-separated) and
``acronym`` the word its first letters spell.

Generation draws a common word of ``length_min`` to ``length_max`` letters, takes for each of its letters a
different common word starting with that letter, adds ``n_distractors`` other common words and shuffles.

Scoring is binary and accepts any correct choice, not only the stored one: exactly ``length`` words, each from
the list and used at most as often as listed, separated by spaces or commas, whose first letters, in the order
given, spell a valid word (see :mod:`skillfactory.tasks.words`).

>>> ex = {"words": ["tiger", "apple", "olive", "echo", "cloud"], "length": 3}
>>> answers = ("cloud apple tiger", "Tiger, Olive, Echo", "cat", "apple tiger")
>>> [ACRONYM.score(f"<answer>{a}</answer>", ex) for a in answers]
[1.0, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from skillfactory.tasks.common import Task, draws, sample_distinct
from skillfactory.tasks.words import MAX_LETTERS, MIN_LETTERS, english_words


@dataclass(frozen=True)
class Acronym(Task):
    """The acronym task family; see the module docstring."""

    name: str = "acronym"

    def generate(
        self,
        n: int,
        seed: int | str,
        *,
        length_min: int,
        length_max: int,
        n_distractors: int,
        exclude: frozenset = frozenset(),
        id_prefix: str = "",
    ) -> list[dict]:
        """``n`` distinct questions whose acronym has ``length_min`` to ``length_max`` letters."""
        if not MIN_LETTERS <= length_min <= length_max <= MAX_LETTERS or n_distractors < 0:
            raise ValueError(f"need {MIN_LETTERS} <= length_min <= length_max <= {MAX_LETTERS}, n_distractors >= 0")
        words = english_words()
        rng = random.Random(f"{self.name}-{length_min}-{length_max}-{seed}")

        def draw() -> dict | None:
            acronym = rng.choice(words.by_length[rng.randint(length_min, length_max)])
            chosen: list[str] = []
            for letter in acronym:
                options = [w for w in words.by_initial.get(letter, ()) if w not in chosen and w != acronym]
                if not options:
                    return None
                chosen.append(rng.choice(options))
            listed = list(chosen)
            while len(listed) < len(chosen) + n_distractors:
                word = rng.choice(words.common)
                if word not in listed and word != acronym:
                    listed.append(word)
            rng.shuffle(listed)
            return {"words": listed, "length": len(acronym), "answer": " ".join(chosen), "acronym": acronym}

        return sample_distinct(n, draws(draw, n), self.key, exclude, id_prefix, "acronym")

    def key(self, example: dict) -> tuple:
        """Identity of a question: its set of words and the number to choose."""
        return (self.name, tuple(sorted(example["words"])), example["length"])

    @staticmethod
    def describe(example: dict) -> str:
        return (
            f"Words: {', '.join(example['words'])}\n"
            f"Choose {example['length']} of these words, each at most once, and order them so that their first "
            f"letters spell an English word. Give the chosen words in that order, separated by spaces."
        )

    def is_correct(self, answer: str, example: dict) -> bool:
        chosen = answer.lower().replace(",", " ").split()
        return (
            len(chosen) == example["length"]
            and not Counter(chosen) - Counter(w.lower() for w in example["words"])
            and "".join(w[0] for w in chosen) in english_words().valid
        )


ACRONYM = Acronym()
