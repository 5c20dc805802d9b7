"""What the SFT and GRPO stages (and nano pretraining) share: trainer arguments from a recipe, curves, saving.

A recipe is a config section with the keys below; the TRL config classes get them explicitly, because several
TRL defaults (gradient checkpointing on, bf16 on, GRPO's ``beta=0``) are not what the paper or a CPU run wants.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from pathlib import Path

import torch
from trl import SFTConfig, SFTTrainer

log = logging.getLogger(__name__)


def trainer_arguments(recipe: dict, seed: int, output_dir: str) -> dict:
    """Keyword arguments shared by ``SFTConfig`` and ``GRPOConfig``."""
    return {
        "output_dir": output_dir,
        "per_device_train_batch_size": recipe["batch_size"],
        "gradient_accumulation_steps": recipe["gradient_accumulation_steps"],
        "learning_rate": recipe["learning_rate"],
        "lr_scheduler_type": recipe["lr_scheduler"],
        "warmup_steps": recipe["warmup_ratio"],
        "weight_decay": recipe["weight_decay"],
        "adam_beta1": recipe["adam_betas"][0],
        "adam_beta2": recipe["adam_betas"][1],
        "bf16": recipe["bf16"],
        "use_cpu": not torch.cuda.is_available(),
        "gradient_checkpointing": recipe["gradient_checkpointing"],
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "seed": seed,
        "data_seed": seed,
        "disable_tqdm": True,
    }


def write_curves(log_history: list[dict], path) -> None:
    """The trainer's log history (loss, reward, learning rate... per step) as one CSV."""
    rows = [r for r in log_history if "step" in r]
    columns = sorted({k for r in rows for k in r})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def run_sft(model, tokenizer, dataset, recipe: dict, seed: int):
    """Supervised training on a conversational prompt-completion dataset, loss on the completions only.

    Returns ``(trainer, train_output)``; checkpoints go to a scratch folder that is removed afterwards.
    """
    with tempfile.TemporaryDirectory() as scratch:
        config = SFTConfig(
            **trainer_arguments(recipe, seed, scratch),
            num_train_epochs=recipe["epochs"],
            max_length=recipe["max_length"],
            completion_only_loss=True,
        )
        trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
        return trainer, trainer.train()


def save_run(trainer, tokenizer, output_dir: str) -> None:
    """Save the trained model and tokenizer as a plain ``save_pretrained`` folder, with ``curves.csv``."""
    trainer.model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    write_curves(trainer.state.log_history, f"{output_dir}/curves.csv")
    log.info("saved model to %s", output_dir)
