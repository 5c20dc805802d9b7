"""Benchmark of GRPO's rollout backends: seconds per training step of the pipeline's own GRPO stage, per backend.

Run from the repository root after a nano run:
    python benchmarks/bench_grpo.py [--model results/models/sft/skillfactory/seed0] [--steps 4] [--recipe JSON]

Each backend of ``grpo.backend`` trains the same model on the same questions with the nano default's recipe (from
``config/config.yaml``) for ``--steps`` steps in a temporary folder; the script prints seconds per step and each
backend's speed relative to continuous batching. ``--recipe`` overrides keys of the recipe, e.g.
``'{"batch_size": 128, "num_generations": 16, "max_completion_length": 40}'`` for steps shaped like `rl_only`'s of
the learning budget (docs/history.md). Rollouts dominate a step when completions are long, as they are for
models fine-tuned on traces. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import yaml

from skillfactory.stages import train_grpo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="results/models/sft/skillfactory/seed0")
    parser.add_argument("--questions", default="results/tasks/train.jsonl")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--backends", nargs="+", default=["continuous_batching", "ctranslate2"])
    parser.add_argument("--recipe", type=json.loads, default={}, help="JSON object of grpo keys to override")
    args = parser.parse_args()
    config = yaml.safe_load(Path("config/config.yaml").read_text())
    seconds = {}
    for backend in args.backends:
        recipe = {**config["grpo"], **args.recipe, "max_steps": args.steps, "save_steps": args.steps,
                  "backend": backend}
        params = {"seed": 0, "threads": config["threads"], "model": args.model, "recipe": recipe,
                  "prompt_template": config["prompts"]["styles"][config["prompts"]["main_style"]]}
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            train_grpo.main(["--questions", args.questions, "--output", f"{out}/model", "--checkpoints",
                             f"{out}/checkpoints", "--params", json.dumps(params)])
            seconds[backend] = (time.perf_counter() - start) / args.steps
    for backend, per_step in seconds.items():
        ratio = seconds.get("continuous_batching", per_step) / per_step
        print(f"{backend}: {per_step:.1f} s per step, {ratio:.2f}x continuous batching's speed")


if __name__ == "__main__":
    main()
