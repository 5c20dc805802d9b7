"""What every task family shares: reading the final answer, reading a number, scoring safely, drawing questions.

Model output is untrusted text and the GRPO reward calls ``score`` on every sampled completion, so a scorer must
never raise and must stay fast on hostile input. :class:`Task` gives each family the same guarded ``score``: it
takes the last ``<answer>...</answer>``, refuses anything longer than :data:`MAX_ANSWER_CHARS`, and turns every
parse failure into 0.0; a family only says whether a (bounded) answer text is correct.

>>> extract_answer("<answer>1</answer> text <answer> 2 </answer>")
'2'
>>> parse_number("$1,234.50")
Fraction(2469, 2)
>>> parse_number("１２") is None  # full-width digits are not ASCII digits
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from fractions import Fraction

MAX_ANSWER_CHARS = 2000
MAX_NUMBER_CHARS = 40

# ASCII digits only ([0-9], never \d, which also matches other scripts' digits); thousands separators must be
# well-formed; an optional sign, currency sign, decimal part and sentence-final period.
_NUMBER = re.compile(r"([-+]?)\$?((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?)\.?")


def extract_answer(response: str) -> str | None:
    """Content of the last complete ``<answer>...</answer>``, stripped; ``None`` when there is none.

    Uses ``rfind`` rather than a regex so that time stays linear on adversarial text.

    >>> extract_answer("<answer>unterminated") is None
    True
    """
    end = response.rfind("</answer>")
    if end < 0:
        return None
    start = response.rfind("<answer>", 0, end)
    if start < 0:
        return None
    return response[start + len("<answer>") : end].strip()


def parse_number(text: str) -> Fraction | None:
    """The exact value of a plain written number such as ``72``, ``-3``, ``1,000``, ``$12.50``; else ``None``.

    Only a number is accepted, not a sentence containing one: the answer tags are for the final answer alone, and
    picking "the last number" out of free text would reward answers that list several candidates.

    >>> parse_number(" 42. "), parse_number("1,00"), parse_number("42 apples"), parse_number("4e5")
    (Fraction(42, 1), None, None, None)
    """
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS:
        return None
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    value = Fraction(match.group(2).replace(",", ""))
    return -value if match.group(1) == "-" else value


def sample_distinct(
    n: int,
    candidates: Iterable[dict | None],
    key: Callable[[dict], Hashable],
    exclude: frozenset,
    id_prefix: str,
    what: str,
) -> list[dict]:
    """The first ``n`` candidates with pairwise distinct keys, none in ``exclude``; ids are ``id_prefix`` plus a
    running index. A candidate may be ``None`` (a rejected random draw). Raises ``RuntimeError`` when the
    candidates run out first, which means the parameters allow too few distinct questions."""
    examples, seen = [], set(exclude)
    for example in candidates:
        if len(examples) == n:
            break
        if example is None or key(example) in seen:
            continue
        seen.add(key(example))
        examples.append({"id": f"{id_prefix}{len(examples)}", **example})
    if len(examples) < n:
        raise RuntimeError(
            f"could not generate {n} distinct {what} questions (found {len(examples)}): the parameters allow too few "
            "distinct questions, or too many are excluded"
        )
    return examples


def draws(draw: Callable[[], dict | None], n: int) -> Iterator[dict | None]:
    """Enough random draws for :func:`sample_distinct` to find ``n`` questions unless the ranges are too narrow."""
    return (draw() for _ in range(1000 * n + 10_000))


class Task:
    """Base of every task family: ``extract`` and a ``score`` that never raises; subclasses define ``name``,
    ``generate``, ``key``, ``describe`` and ``is_correct``."""

    name: str

    @staticmethod
    def extract(response: str) -> str | None:
        """The final answer text of a response (the last ``<answer>`` block), or ``None``."""
        return extract_answer(response) if isinstance(response, str) else None

    def score(self, response: str, example: dict) -> float:
        """1.0 when the last answer is correct for ``example``, else 0.0; never raises, whatever the response.

        (A broken installation, such as a missing word list, still raises: it must not pass for a wrong answer.)
        """
        answer = self.extract(response)
        if answer is None or len(answer) > MAX_ANSWER_CHARS:
            return 0.0
        try:
            return 1.0 if self.is_correct(answer, example) else 0.0
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError):
            return 0.0

    def is_correct(self, answer: str, example: dict) -> bool:
        """Whether a bounded answer text solves ``example``; may raise ``ValueError`` for unreadable answers."""
        raise NotImplementedError


class NumericTask(Task):
    """A task whose answer is one number, stored in the example as ``answer`` (a number or its text)."""

    def is_correct(self, answer: str, example: dict) -> bool:
        value = parse_number(answer)
        return value is not None and value == parse_number(str(example["answer"]))
