"""Acronym: choose words from a list so that their first letters spell an English word (an out-of-domain task).

An example is ``{"id", "words", "length", "keep_order", "answer", "acronym"}``: ``words`` is the list to choose
from, ``length`` how many words to choose, ``keep_order`` whether the chosen words must keep their order in the list
(the paper's task), ``answer`` one correct choice (the chosen words in order, space-separated) and ``acronym`` the
word its first letters spell.

Generation draws a common word of ``length_min`` to ``length_max`` letters, takes for each of its letters a
different common word starting with that letter, adds ``n_distractors`` other common words and shuffles; with
``keep_order`` the chosen words stay in acronym order among the shuffled distractors.

Scoring is binary and accepts any correct choice, not only the stored one: exactly ``length`` words, each from
the list and used at most as often as listed (with ``keep_order``: in the list's order), separated by spaces or
commas, whose first letters, in the order given, spell a valid word (see :mod:`skillfactory.tasks.words`).

>>> ex = {"words": ["tiger", "apple", "olive", "echo", "cloud"], "length": 3}
>>> answers = ("cloud apple tiger", "Tiger, Olive, Echo", "cat", "apple tiger")
>>> [ACRONYM.score(f"<answer>{a}</answer>", ex) for a in answers]
[1.0, 1.0, 0.0, 0.0]
>>> [ACRONYM.score(f"<answer>{a}</answer>", {**ex, "keep_order": True}) for a in answers[:2]]
[0.0, 1.0]
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
        keep_order: bool = False,
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
            if keep_order:  # the chosen words, in acronym order, take the places the shuffle gave them
                places = iter(chosen)
                listed = [next(places) if word in chosen else word for word in listed]
            return {"words": listed, "length": len(acronym), "keep_order": keep_order, "answer": " ".join(chosen),
                    "acronym": acronym}

        return sample_distinct(n, draws(draw, n), self.key, exclude, id_prefix, "acronym")

    def key(self, example: dict) -> tuple:
        """Identity of a question: its set of words and the number to choose."""
        return (self.name, tuple(sorted(example["words"])), example["length"])

    @staticmethod
    def describe(example: dict) -> str:
        if example.get("keep_order"):
            rule = "keeping them in the order of the list, so that their first letters spell an English word"
        else:
            rule = "each at most once, and order them so that their first letters spell an English word"
        return (
            f"Words: {', '.join(example['words'])}\n"
            f"Choose {example['length']} of these words, {rule}. Give the chosen words in that order, separated by "
            f"spaces."
        )

    def is_correct(self, answer: str, example: dict) -> bool:
        chosen = answer.lower().replace(",", " ").split()
        listed = [w.lower() for w in example["words"]]
        return (
            len(chosen) == example["length"]
            and (in_order(chosen, listed) if example.get("keep_order") else not Counter(chosen) - Counter(listed))
            and "".join(w[0] for w in chosen) in english_words().valid
        )


def in_order(chosen: list[str], listed: list[str]) -> bool:
    """Whether ``chosen`` is a subsequence of ``listed``: each word a later entry of the list than the one before."""
    remaining = iter(listed)
    return all(word in remaining for word in chosen)


ACRONYM = Acronym()
