"""Connective phrases of the silver traces, written for this project.

The paper picks the phrase between two attempts according to the verdict on the previous attempt, and closes the
thinking with an ending phrase before the final answer. The structure and the size of each list follow the
authors' released trace builder (about 10 phrases after a correct attempt, 13 after an incorrect one, 11 generic,
7 endings); the wording is ours.
"""

AFTER_CORRECT = [
    "That checks out, but a second route would make me surer.",
    "This seems right. Let me solve it once more another way.",
    "Looks good. I will confirm it with a fresh attempt.",
    "The check passed, yet one more try cannot hurt.",
    "That works. Let me see whether another path agrees.",
    "The numbers add up. I will redo it independently to be safe.",
    "This one holds. A second solution would settle it.",
    "Right so far. Let me derive it again from scratch.",
    "The answer passes the check. One more attempt to be certain.",
    "That looks correct, but I want a second confirmation.",
]

AFTER_INCORRECT = [
    "That does not work. Let me try again.",
    "The check failed, so I need a different approach.",
    "This answer is wrong. Another attempt:",
    "That was a mistake. Let me start over.",
    "That misses the target. Let me rethink it.",
    "The result is off, so I will try other steps.",
    "This does not reach the goal. A new attempt:",
    "Wrong result. Let me go about it differently.",
    "That fails the check. I will begin again.",
    "Not right. Let me look for another combination.",
    "The check shows an error. Trying once more:",
    "That attempt does not hold up. Let me redo it.",
    "This is incorrect, so a different route is needed.",
]

GENERIC = [
    "Let me look at this again.",
    "Hold on, let me work through it once more.",
    "Let me try another attempt.",
    "Wait, let me check this another way.",
    "Let me go over the problem again.",
    "One more attempt, to be careful.",
    "Let me approach it from a different angle.",
    "I will work it out again.",
    "Let me reconsider the numbers.",
    "Another try, step by step.",
    "Let me solve it afresh.",
]

ENDINGS = [
    "So the final answer is:",
    "Putting it together, my answer is:",
    "Therefore the answer is:",
    "In conclusion, the answer is:",
    "That gives the final answer:",
    "Hence my answer is:",
    "All in all, the answer is:",
]
