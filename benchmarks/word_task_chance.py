"""What a guesser scores on the word tasks: the chance level to read the nano model's out-of-domain accuracy against.

Run from the repository root:  python benchmarks/word_task_chance.py [--config config/config.yaml] [--guesses 10]

For each question of the configured letter countdown and acronym sets (the same generator and parameters as the
workflow's evaluation sets), the guesser answers with randomly chosen given items in random order: for letter
countdown, ``best_length`` of the given letters; for acronym, ``length`` of the listed words. It knows the format
and copies perfectly, but knows no English. A model below this level has not learned to copy from the question.
"""

from __future__ import annotations

import argparse
import random

import yaml

from skillfactory.tasks import get_task


def guess(rng: random.Random, family: str, question: dict) -> str:
    if family == "letter_countdown":
        return "".join(rng.sample(question["letters"], question["best_length"]))
    return " ".join(rng.sample(question["words"], question["length"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--guesses", type=int, default=10)
    args = parser.parse_args()
    config = yaml.safe_load(open(args.config))
    rng = random.Random(0)
    for family in ("letter_countdown", "acronym"):
        task = get_task(family)
        questions = task.generate(args.questions, "chance", **config["task_params"][family])
        guesses = [(q, guess(rng, family, q)) for q in questions for _ in range(args.guesses)]
        scores = [task.score(f"<answer>{answer}</answer>", q) for q, answer in guesses]
        print(f"{family} {config['task_params'][family]}: random guess accuracy {sum(scores) / len(scores):.3f}")


if __name__ == "__main__":
    main()
