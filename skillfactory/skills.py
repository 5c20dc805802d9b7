"""Counting skill use in a response from its tags, which needs no judge model.

>>> count_attempts("<think><sample>a</sample><reflect>r</reflect><sample>b</sample></think>")
2
>>> count_attempts("plain answer <answer>1</answer>")
1
>>> count_verifications("plain answer")
0
>>> is_multi_attempt("<answer>1</answer> no wait <answer>2</answer>")
True
"""

from __future__ import annotations


def count_attempts(response: str) -> int:
    """Number of ``<sample>`` blocks; a response without any is one attempt."""
    return max(1, response.count("<sample>"))


def count_verifications(response: str) -> int:
    """Number of ``<reflect>`` blocks."""
    return response.count("<reflect>")


def is_multi_attempt(response: str) -> bool:
    """Whether a response tries more than once: several ``<sample>`` blocks or several final answers."""
    return count_attempts(response) > 1 or response.count("<answer>") > 1
