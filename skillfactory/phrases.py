"""Connective phrases of the silver traces, written for this project.

The paper picks the phrase between two attempts according to the verdict on the previous attempt, and closes the
thinking with an ending phrase before the final answer; the structure is theirs, the wording here is ours.
"""

AFTER_CORRECT = [
    "That checks out, but a second route would make me surer.",
    "This seems right. Let me solve it once more another way.",
    "Looks good. I will confirm it with a fresh attempt.",
    "The check passed, yet one more try cannot hurt.",
]

AFTER_INCORRECT = [
    "That does not work. Let me try again.",
    "The check failed, so I need a different approach.",
    "This answer is wrong. Another attempt:",
    "That was a mistake. Let me start over.",
]

GENERIC = [
    "Let me look at this again.",
    "Hold on, let me work through it once more.",
    "Let me try another attempt.",
]

ENDINGS = [
    "So the final answer is:",
    "Putting it together, my answer is:",
    "Therefore the answer is:",
]
