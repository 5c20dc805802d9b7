"""Stage ``generate_tasks``: the training questions and every evaluation set, seeded and leakage-free.

Writes one JSONL per set (``rl``: GRPO's own questions, when the config has an ``rl_set``); each row is a task
example (for Countdown: ``id``, ``numbers``, ``target``, ``solution``) plus ``task`` (the task family's name).
Evaluation sets are generated first and their keys excluded from training, and each later set excludes every earlier
one, so no question appears twice.
"""

from __future__ import annotations

import logging

from skillfactory.cli import parse_stage_args
from skillfactory.io import write_jsonl
from skillfactory.tasks import get_task

log = logging.getLogger("generate_tasks")


def generate_sets(sets: dict, task_params: dict, seed: int) -> dict[str, list[dict]]:
    """Generate ``{name: spec}`` sets in the given order, each excluding the questions of the ones before."""
    out, seen = {}, set()
    for name, spec in sets.items():
        task = get_task(spec["task"])
        params = {**task_params[spec["task"]], **spec["params"]}
        rows = task.generate(
            spec["n_questions"], f"{seed}-{name}", **params, exclude=frozenset(seen), id_prefix=f"{name}-"
        )
        seen |= {task.key(r) for r in rows}
        out[name] = [{"task": spec["task"], **r} for r in rows]
        log.info("%s: %d questions", name, len(rows))
    return out


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["outdir"], argv)
    p = args.params
    sets = {**p["eval_sets"], "train": p["train_set"], **({"rl": p["rl_set"]} if p["rl_set"] else {})}
    for name, rows in generate_sets(sets, p["task_params"], p["seed"]).items():
        write_jsonl(f"{args.outdir}/{name}.jsonl", rows)


if __name__ == "__main__":
    main()
