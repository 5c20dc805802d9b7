"""The English word list of the letter tasks (letter countdown, acronym), taken from the ``pyspellchecker`` package.

Why this list: it installs with pip into the project's virtual environment (no root, no download at run time),
is pure Python with no dependencies, and its English dictionary holds inflected forms (``notes``, ``walked``),
which a word game must accept and which classic headword lists such as ``web2`` lack. It also records how often
each word occurs, which separates the words a model can be expected to know from rare ones. Its one weakness is
that it is lower-cased, so some proper names (``katherine``) count as words; the scorer accepts them, which only
makes it more lenient.

Two views of the list:

* ``valid``: every lower-case ASCII word of 3 to 15 letters with a vowel (or ``y``) in it; an answer is a word if
  it is here. The filter drops abbreviations (``bk``, ``cb``) and very long compounds.
* ``common``: the :data:`N_COMMON` most frequent valid words; generators draw targets from here and compute the
  best possible answer over them, so the reference answer of every question is an everyday word.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

REQUIREMENT = "pyspellchecker==0.9.1"
N_COMMON = 20_000
MIN_LETTERS, MAX_LETTERS = 3, 15


class WordListMissing(RuntimeError):
    """The word-list package is not installed."""


@dataclass(frozen=True)
class WordList:
    valid: frozenset[str]
    common: tuple[str, ...]  # sorted alphabetically
    by_letters: dict[str, tuple[str, ...]]  # sorted letters -> common words that are anagrams of them
    by_initial: dict[str, tuple[str, ...]]  # first letter -> common words starting with it
    by_length: dict[int, tuple[str, ...]]  # length -> common words of that length
    letter_counts: dict[str, int]  # how often each letter occurs in the common words


def is_plain_word(word: str) -> bool:
    """Lower-case ASCII letters only, of a sensible length, with at least one vowel or ``y``.

    >>> [is_plain_word(w) for w in ("notes", "bk", "café", "Paris", "rhythm")]
    [True, False, False, False, True]
    """
    return (
        MIN_LETTERS <= len(word) <= MAX_LETTERS
        and word.isascii()
        and word.isalpha()
        and word.islower()
        and any(v in word for v in "aeiouy")
    )


def _frequencies() -> dict[str, int]:
    try:
        from spellchecker import SpellChecker
    except ImportError as err:
        raise WordListMissing(
            f"the letter tasks need an English word list: install it with `pip install {REQUIREMENT}` "
            "(it is pinned in requirements.txt)"
        ) from err
    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


@functools.cache
def english_words() -> WordList:
    """The word list, loaded once per process; raises :class:`WordListMissing` when the package is absent."""
    counts = {w: c for w, c in _frequencies().items() if is_plain_word(w)}
    common = tuple(sorted(sorted(counts, key=lambda w: (-counts[w], w))[:N_COMMON]))
    by_letters: dict[str, list[str]] = {}
    by_initial: dict[str, list[str]] = {}
    by_length: dict[int, list[str]] = {}
    for word in common:
        by_letters.setdefault("".join(sorted(word)), []).append(word)
        by_initial.setdefault(word[0], []).append(word)
        by_length.setdefault(len(word), []).append(word)
    return WordList(
        valid=frozenset(counts),
        common=common,
        by_letters={k: tuple(v) for k, v in by_letters.items()},
        by_initial={k: tuple(v) for k, v in by_initial.items()},
        by_length={k: tuple(v) for k, v in by_length.items()},
        letter_counts=dict(sorted(Counter("".join(common)).items())),
    )
