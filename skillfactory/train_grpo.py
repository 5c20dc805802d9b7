"""Stage ``train_grpo``: reinforcement learning with TRL's ``GRPOTrainer`` on the training questions.

The reward is the task's own ``score()`` of the completion's final answer, the same function evaluation uses.
Output: a ``save_pretrained`` folder with the model, its tokenizer and ``curves.csv`` (reward, completion length,
KL... per step).
"""

from __future__ import annotations

import json
import logging
import tempfile

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from skillfactory.cli import parse_stage_args
from skillfactory.io import read_jsonl
from skillfactory.modeling import load_tokenizer, model_ref, set_threads
from skillfactory.prompts import task_prompt
from skillfactory.tasks import get_task
from skillfactory.training import save_run, trainer_arguments

log = logging.getLogger("train_grpo")


def correctness_reward(completions, example, **_) -> list[float]:
    """GRPO reward: 1 when the completion's last answer is correct for its question, else 0."""
    rewards = []
    for completion, row in zip(completions, example):
        text = completion[-1]["content"] if isinstance(completion, list) else completion
        question = json.loads(row)
        rewards.append(get_task(question["task"]).score(text, question))
    return rewards


def rl_dataset(questions: list[dict], template: str) -> Dataset:
    """Conversational prompts plus the question as a JSON string (a column TRL hands to the reward function)."""
    return Dataset.from_list(
        [{"prompt": task_prompt(get_task(q["task"]), q, template), "example": json.dumps(q)} for q in questions]
    )


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["questions", "output"], argv)
    p = args.params
    set_threads(p["threads"])
    name, revision = model_ref(p)
    recipe = p["recipe"]
    tokenizer = load_tokenizer(name, revision)
    with tempfile.TemporaryDirectory() as scratch:
        config = GRPOConfig(
            **trainer_arguments(recipe, p["seed"], scratch),
            max_steps=recipe["max_steps"],
            num_generations=recipe["num_generations"],
            max_completion_length=recipe["max_completion_length"],
            temperature=recipe["temperature"],
            beta=recipe["beta"],
            loss_type=recipe["loss_type"],
            scale_rewards=recipe["scale_rewards"],
            model_init_kwargs={"revision": revision},
        )
        trainer = GRPOTrainer(
            model=name,
            reward_funcs=correctness_reward,
            args=config,
            train_dataset=rl_dataset(read_jsonl(args.questions), p["prompt_template"]),
            processing_class=tokenizer,
        )
        trainer.train()
    save_run(trainer, tokenizer, args.output)


if __name__ == "__main__":
    main()
