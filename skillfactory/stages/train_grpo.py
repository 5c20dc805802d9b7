"""Stage ``train_grpo``: reinforcement learning with TRL's ``GRPOTrainer`` on the training questions.

The reward is the task's own ``score()`` of the completion's final answer, the same function evaluation uses.
Output: a ``save_pretrained`` folder with the model, its tokenizer and ``curves.csv`` (reward, completion length,
KL... per step). With ``recipe.lora`` set, LoRA adapters are trained and merged into the saved model. A killed run
resumes from its last checkpoint (see :mod:`skillfactory.training`).
"""

from __future__ import annotations

import json
import logging
from itertools import chain

import torch
import torch.nn.functional as F
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from skillfactory.cli import parse_stage_args
from skillfactory.ctranslate2_engine import rollout_function
from skillfactory.io import read_jsonl
from skillfactory.modeling import load_tokenizer, set_threads
from skillfactory.paged_cache import paged_cache
from skillfactory.prompts import task_prompt
from skillfactory.skills import count_attempts
from skillfactory.tasks import get_task
from skillfactory.training import lora_config, resumable, save_run, trainer_arguments

log = logging.getLogger("train_grpo")

# token slots (rows x width) per forward pass of the loss: a step's rows go through the model longest completion
# first, as many to a pass as fit, each pass cut where its longest completion ends (measured in docs/performance.md)
LOSS_TOKENS_PER_PASS = 2048


def correctness_reward(completions, example, **_) -> list[float]:
    """GRPO reward: 1 when the completion's last answer is correct for its question, else 0."""
    rewards = []
    for completion, row in zip(completions, example):
        text = completion[-1]["content"] if isinstance(completion, list) else completion
        question = json.loads(row)
        rewards.append(get_task(question["task"]).score(text, question))
    return rewards


def attempts_logged(completions, **_) -> list[float]:
    """Attempts (``<sample>`` blocks) per completion: a reward of weight 0, so that TRL logs it per step in the
    training curves (``rewards/attempts_logged/mean``) without changing the advantages."""
    return [float(count_attempts(c[-1]["content"] if isinstance(c, list) else c)) for c in completions]


def rollout_arguments(recipe: dict, longest_prompt: int) -> dict:
    """``GRPOConfig`` keywords of the recipe's ``backend``: TRL's plain ``generate``, transformers' continuous
    batching with a paged cache sized for one rollout's completions, or vLLM colocated with the trainer. CTranslate2
    needs none: it comes in as the trainer's ``rollout_func``."""
    if recipe["backend"] == "vllm":
        return {"use_vllm": True, "vllm_mode": "colocate"}
    if recipe["backend"] in ("transformers", "ctranslate2"):
        return {}
    # a process generates its share of a rollout at once; the whole rollout bounds it on any number of processes
    sequences = recipe["generation_batch_size"] or recipe["batch_size"] * recipe["gradient_accumulation_steps"]
    cache = paged_cache(sequences, longest_prompt + recipe["max_completion_length"])
    return {"use_transformers_continuous_batching": True, "transformers_continuous_batching_config": cache}


class MasterWeightsGRPOTrainer(GRPOTrainer):
    """TRL's ``GRPOTrainer``, except that a continuous-batching rollout in bf16 keeps the float32 master weights.

    With ``bf16`` on, TRL casts the whole policy to bfloat16 for such a rollout (the model's forward runs under
    autocast, and its paged cache must match) and leaves it there. That turns mixed-precision training into pure-bf16
    training, whose weights cannot take updates below bf16's resolution, and a resumed run then meets float32
    optimizer state with bf16 weights and stops at its first step. Here every parameter and buffer gets its float32
    value back once the rollout is done, so training and resuming see what the other backends see.
    """

    def _generate_single_turn(self, *args, **kwargs):
        if not (self.use_transformers_continuous_batching and self.args.bf16):
            return super()._generate_single_turn(*args, **kwargs)
        model = self.accelerator.unwrap_model(self.model)
        saved = {name: t.detach().clone() for name, t in chain(model.named_parameters(), model.named_buffers())}
        try:
            return super()._generate_single_turn(*args, **kwargs)
        finally:
            for name, tensor in chain(model.named_parameters(), model.named_buffers()):
                tensor.data = saved[name]  # parameters keep their identity, which the optimizer holds


class LengthGroupedGRPOTrainer(MasterWeightsGRPOTrainer):
    """The trainer of this stage: its loss's forward passes skip most of the padding of a step's completions.

    TRL pads every completion of a step to the longest one, and a model fine-tuned on traces often runs one to the
    length limit, so about half of such a step's token slots were padding. Here the rows are sorted by where their
    completion ends and go through the model in passes of at most ``LOSS_TOKENS_PER_PASS`` token slots, each cut
    after its longest completion; a causal model's log-probabilities of the kept positions do not depend on the
    padding after them. The cut positions come back as zeros, which the completion mask leaves out of the loss.
    Training in several processes keeps TRL's single pass.
    """

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None,
                                           compute_entropy=False, **extra):
        distributed = self.accelerator.num_processes > 1  # DDP allows one forward per backward
        if distributed or any(value is not None and value is not False for value in extra.values()):  # images, MoE
            return super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy, **extra)
        prompt_width = input_ids.size(1) - logits_to_keep
        positions = torch.arange(1, logits_to_keep + 1, device=input_ids.device)
        ends = (attention_mask[:, prompt_width:] * positions).amax(dim=1)
        order = torch.argsort(ends, descending=True, stable=True)
        logps, entropies = [], []
        widths = (prompt_width + ends[order].clamp(min=1)).tolist()
        for members in token_passes(widths, LOSS_TOKENS_PER_PASS):
            rows, width = order[members], widths[members[0]]  # a pass's first row is its longest
            keep = width - prompt_width
            row_logps, row_entropies, _ = super()._get_per_token_logps_and_entropies(
                model, input_ids[rows, :width], attention_mask[rows, :width], keep, compute_entropy=compute_entropy)
            logps.append(F.pad(row_logps, (0, logits_to_keep - keep)))
            if compute_entropy:
                entropies.append(F.pad(row_entropies, (0, logits_to_keep - keep)))
        restore = torch.argsort(order)
        return torch.cat(logps)[restore], torch.cat(entropies)[restore] if compute_entropy else None, None


def token_passes(widths: list[int], budget: int) -> list[list[int]]:
    """Consecutive runs of the indices of ``widths`` (sorted widest first), each as long as its rows, padded to its
    first one's width, fit in ``budget`` token slots (and at least one row).

    >>> token_passes([900, 880, 300, 60, 60], 2048)
    [[0, 1], [2, 3, 4]]
    """
    passes: list[list[int]] = []
    for i in range(len(widths)):
        if passes and (len(passes[-1]) + 1) * widths[passes[-1][0]] <= budget:
            passes[-1].append(i)
        else:
            passes.append([i])
    return passes


def rl_dataset(questions: list[dict], template: str) -> Dataset:
    """Conversational prompts plus the question as a JSON string (a column TRL hands to the reward function)."""
    return Dataset.from_list(
        [{"prompt": task_prompt(get_task(q["task"]), q, template), "example": json.dumps(q)} for q in questions]
    )


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["questions", "output", "checkpoints"], argv)
    p = args.params
    set_threads(p["threads"])
    name = p["model"]
    recipe = p["recipe"]
    tokenizer = load_tokenizer(name)
    dataset = rl_dataset(read_jsonl(args.questions), p["prompt_template"])
    longest_prompt = max(
        len(tokenizer.apply_chat_template(row, add_generation_prompt=True, tokenize=True, return_dict=False))
        for row in dataset["prompt"]
    )
    config = GRPOConfig(
        **trainer_arguments(recipe, p["seed"], args.checkpoints),
        max_steps=recipe["max_steps"],
        num_generations=recipe["num_generations"],
        generation_batch_size=recipe["generation_batch_size"],
        max_completion_length=recipe["max_completion_length"],
        temperature=recipe["temperature"],
        beta=recipe["beta"],
        loss_type=recipe["loss_type"],
        scale_rewards=recipe["scale_rewards"],
        reward_weights=[1.0, 0.0],
        **rollout_arguments(recipe, longest_prompt),
    )
    rollout = rollout_function(recipe, p["threads"], p["seed"]) if recipe["backend"] == "ctranslate2" else None
    with resumable(args.checkpoints, p, [args.questions, name]) as resume:
        trainer = LengthGroupedGRPOTrainer(
            model=name,
            reward_funcs=[correctness_reward, attempts_logged],
            args=config,
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=lora_config(recipe),
            rollout_func=rollout,
        )
        trainer.train(resume_from_checkpoint=resume)
        save_run(trainer, tokenizer, args.output)


if __name__ == "__main__":
    main()
