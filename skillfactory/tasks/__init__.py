"""Task registry: every stage looks a task up by name, so adding a task family is one entry here.

A task provides ``generate(n, seed, **params, exclude=..., id_prefix=...)`` (keyword parameters only, so that they
come straight from the config), ``key(example)`` (a question's identity, for leakage checks), ``describe(example)``
(the question text a prompt template inserts as ``{question}``), ``extract(response)`` and
``score(response, example) -> float`` in [0, 1], which never raises. The GRPO reward and the evaluator both call
``score``. Every generated row is JSON-serialisable.

Families: Countdown (in domain) and the out-of-domain tasks of the paper: long multiplication, letter countdown,
acronym, GSM8K and CommonsenseQA (read from the hub at paper scale), and word problems as GSM8K's nano stand-in.
"""

from skillfactory.io import read_jsonl
from skillfactory.tasks.acronym import ACRONYM
from skillfactory.tasks.countdown import COUNTDOWN
from skillfactory.tasks.hub_datasets import COMMONSENSE_QA, GSM8K_TASK
from skillfactory.tasks.letter_countdown import LETTER_COUNTDOWN
from skillfactory.tasks.multiplication import MULTIPLICATION
from skillfactory.tasks.word_problems import WORD_PROBLEMS

_TASKS = {
    task.name: task
    for task in (COUNTDOWN, MULTIPLICATION, LETTER_COUNTDOWN, ACRONYM, WORD_PROBLEMS, GSM8K_TASK, COMMONSENSE_QA)
}


def get_task(name: str):
    """The task family called ``name``; raises ``KeyError`` listing the known names."""
    try:
        return _TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known tasks: {sorted(_TASKS)}") from None


def question_keys(paths: list[str]) -> set:
    """The task keys of every question in the given task JSONL files: what generated documents must leave out."""
    return {get_task(row["task"]).key(row) for path in paths for row in read_jsonl(path)}
