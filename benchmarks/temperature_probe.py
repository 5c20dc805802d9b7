"""How much of what GRPO gains is a lower temperature: two or more models on one set at several sampling temperatures.

    python benchmarks/temperature_probe.py --models base=results/models/base rl=results/models/rl/rl_only/seed0 \\
        [--set results/tasks/countdown3.jsonl] [--temperatures 1.0 0.7 0.3] [--samples 4] [--out results/probes]

GRPO samples its rollouts at ``grpo.temperature`` (1.0), while the evaluation samples at 0.7. A policy-gradient step
can raise the reward by making the model surer of the answers it already prefers, which a lower temperature gives the
starting model too; it learns something new only where its gain outlasts that. Per temperature, each model's
accuracy, its change against the first model (with the paired bootstrap interval over questions the tables use),
and, on Countdown, its accuracy on the questions that the nano corpus's heuristic solves and on the others: what
the author's heuristic cannot reach, imitating it better cannot reach either.
Prompts use the config's main prompt style; sampling uses the evaluation's engine and settings otherwise. The
per-response scores are kept under ``--out``; nothing asserts.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

from skillfactory.generation import sample_with_stage_model
from skillfactory.io import read_jsonl
from skillfactory.nano.author import write_attempt
from skillfactory.prompts import task_prompt
from skillfactory.stages.evaluate import score_responses, scores_frame
from skillfactory.stages.make_tables import Analysis, load_scores
from skillfactory.tasks import get_task
from skillfactory.tasks.countdown import COUNTDOWN

ROOT = Path(__file__).resolve().parents[1]


def heuristic_solves(question: dict) -> bool:
    """Whether a careful attempt of the nano corpus's author is right on this Countdown question."""
    return COUNTDOWN.score(write_attempt(random.Random(0), question, 1.0), question) == 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", required=True, help="LABEL=PATH; the first is the reference")
    parser.add_argument("--set", default="results/tasks/countdown3.jsonl")
    parser.add_argument("--temperatures", nargs="+", type=float, default=[1.0, 0.7, 0.3])
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--out", default="results/probes/temperature")
    parser.add_argument("--config", default=str(ROOT / "config/config.yaml"))
    args = parser.parse_args()

    config = yaml.safe_load(Path(args.config).read_text())
    evaluation = config["evaluation"]
    template = config["prompts"]["styles"][config["prompts"]["main_style"]]
    name = Path(args.set).stem
    questions = read_jsonl(args.set)
    prompts = [task_prompt(get_task(q["task"]), q, template) for q in questions]
    solved = {q["id"] for q in questions if q["task"] == "countdown" and heuristic_solves(q)}
    models = dict(label.split("=", 1) for label in args.models)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    for temperature in args.temperatures:
        paths = []
        for label, path in models.items():
            params = {"model": path, "backend": evaluation["backend"] or config["generation"]["backend"],
                      "batch_size": evaluation["batch_size"],
                      "seed": config["seed"], "threads": config["threads"],
                      "sampling": {"temperature": temperature, "top_p": evaluation["top_p"],
                                   "max_new_tokens": evaluation["max_new_tokens"]}}
            rows = score_responses({name: questions}, sample_with_stage_model(prompts, params, args.samples))
            paths.append(out / f"{label}_t{temperature}.csv")
            scores_frame(rows, {"stage": "probe", "name": label, "seed": config["seed"]}).to_csv(paths[-1], index=False)
        analysis = Analysis(load_scores(paths), config)
        reference = f"probe/{next(iter(models))}"
        for model in (f"probe/{label}" for label in models):
            frame = analysis.rows(model, [name])
            row = f"T={temperature}  {model}  accuracy {frame['score'].mean():.3f}"
            if solved:
                by_heuristic = frame.groupby(frame["question_id"].isin(solved))["score"].mean()
                row += f" (heuristic solves: {by_heuristic.get(True, float('nan')):.3f}, "
                row += f"not: {by_heuristic.get(False, float('nan')):.3f})"
            if model != reference:
                change = analysis.difference("accuracy", (model, None), (reference, None), [name])
                row += f"  change {change.estimate:+.3f} [{change.low:+.3f}, {change.high:+.3f}]"
            print(row, flush=True)


if __name__ == "__main__":
    main()
