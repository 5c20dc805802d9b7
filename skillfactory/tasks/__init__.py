"""Task registry: every stage looks a task up by name, so adding a task family is one entry here.

A task provides ``generate(n, seed, **params)``, ``key(example)``, ``describe(example)``, ``extract(response)`` and
``score(response, example) -> float`` in [0, 1]. The GRPO reward and the evaluator both call ``score``.
"""

from skillfactory.tasks.countdown import COUNTDOWN

_TASKS = {COUNTDOWN.name: COUNTDOWN}


def get_task(name: str):
    """The task family called ``name``; raises ``KeyError`` listing the known names."""
    try:
        return _TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known tasks: {sorted(_TASKS)}") from None
