"""What the SFT and GRPO stages (and nano pretraining) share: trainer arguments from a recipe, checkpoints and
resuming, LoRA, curves, saving.

A recipe is a config section with the keys below; the TRL config classes get them explicitly, because several
TRL defaults (gradient checkpointing on, bf16 on, GRPO's ``beta=0``) are not what the paper or a CPU run wants.

Checkpoints go to a folder outside the rule's declared outputs (Snakemake deletes the outputs of a failed job),
stamped with a fingerprint of the job's params and input files: a job killed mid-run and started again resumes
from its last checkpoint, while a job whose settings or inputs changed starts from scratch. The folder is removed
once the model is saved.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel
from transformers import Trainer
from transformers.trainer_utils import get_last_checkpoint
from trl import SFTConfig, SFTTrainer
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

log = logging.getLogger(__name__)


def native_bf16() -> bool:
    """Whether this machine computes bfloat16 natively: a CUDA GPU that supports it, or a CPU whose oneDNN has bf16
    kernels (AVX-512 or AMX). Elsewhere bf16 matrix products are emulated and far slower than float32, which is why
    ``bf16: auto`` falls back to float32 there (measured: see docs/performance.md)."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def use_bf16(setting: bool | str) -> bool:
    """The recipe's ``bf16`` switch: ``true``/``false`` as given, ``"auto"`` where the hardware does it natively."""
    return native_bf16() if setting == "auto" else bool(setting)


def trainer_arguments(recipe: dict, seed: int, checkpoint_dir: str) -> dict:
    """Keyword arguments shared by ``SFTConfig`` and ``GRPOConfig``; checkpoints every ``save_steps`` steps."""
    return {
        "output_dir": checkpoint_dir,
        "per_device_train_batch_size": recipe["batch_size"],
        "gradient_accumulation_steps": recipe["gradient_accumulation_steps"],
        "learning_rate": recipe["learning_rate"],
        "lr_scheduler_type": recipe["lr_scheduler"],
        "warmup_steps": recipe["warmup_ratio"],
        "weight_decay": recipe["weight_decay"],
        "adam_beta1": recipe["adam_betas"][0],
        "adam_beta2": recipe["adam_betas"][1],
        "bf16": use_bf16(recipe["bf16"]),
        "use_cpu": not torch.cuda.is_available(),
        "gradient_checkpointing": recipe["gradient_checkpointing"],
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": recipe["save_steps"],
        "save_total_limit": 1,
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


def lora_config(recipe: dict, tokenizer=None) -> LoraConfig | None:
    """The recipe's LoRA adapters on every linear layer, or ``None`` for full fine-tuning.

    Given the ``tokenizer`` (SFT), the embedding rows of its added tokens train too (``embedding_rows: added``), or
    every row (``all``): the nano base model never saw the trace tags (``<sample>``...), which only the traces hold,
    and adapters on the linear layers cannot teach a model to read or write a token whose embedding is untrained."""
    lora = recipe.get("lora")
    if lora is None:
        return None
    rows = []
    if tokenizer is not None:
        every_row = lora["embedding_rows"] == "all"
        rows = list(range(len(tokenizer))) if every_row else sorted(tokenizer.added_tokens_decoder)
    return LoraConfig(
        r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"], target_modules="all-linear",
        task_type="CAUSAL_LM", trainable_token_indices=rows or None,
    )


def fingerprint(params: dict, inputs: list[str]) -> str:
    """Hash of a job's params and the bytes of its input files (folders: every file in them)."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    for path in map(Path, inputs):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
            with open(file, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def is_main_process() -> bool:
    """Whether this is rank 0 of a multi-process launch (``accelerate``/``torchrun`` set ``RANK``), or the only
    process. Read from the environment because the process group does not exist yet when a job starts."""
    return os.environ.get("RANK", "0") == "0"


@contextmanager
def resumable(checkpoint_dir: str, params: dict, inputs: list[str]):
    """Yield the checkpoint to resume from (``None`` for a fresh start); remove the folder when the body succeeds.

    A body that fails after resuming logs the checkpoint and how to start fresh before the error propagates.
    Only the main process deletes or writes the folder; the others only read it. Every rank sees the same answer:
    with a matching fingerprint nothing is touched, and otherwise a rank reads either the stale fingerprint or none.
    """
    folder = Path(checkpoint_dir)
    stamp = folder / "fingerprint.txt"
    key = fingerprint(params, [p for p in inputs if Path(p).exists()])
    main = is_main_process()
    resume = None
    if stamp.exists() and stamp.read_text() == key:
        resume = get_last_checkpoint(str(folder))
    elif main:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        stamp.write_text(key)
    log.info("resuming from %s" if resume else "no checkpoint to resume from in %s", resume or folder)
    try:
        yield resume
    except BaseException:
        if resume:
            log.error("this job resumed from %s and then failed; if the checkpoint is the cause, delete %s "
                      "(rm -r %s) and the job starts fresh", resume, folder, folder)
        raise
    if main:
        shutil.rmtree(folder, ignore_errors=True)


# Tokenizing a dataset in one worker process per thread pays off only for large datasets such as the nano corpus;
# for a few hundred SFT traces, starting the workers costs more than it saves.
PARALLEL_PREPARATION = 10_000


def tokenize_untrained_ends(dataset, tokenizer, column: str):
    """Conversational prompt-completion rows as TRL's ``SFTTrainer`` tokenizes them (``input_ids`` and a
    ``completion_mask`` over the assistant turn), except that in the rows where ``column`` is true the end-of-turn
    token and what follows it carry no loss. Such a row teaches its content but not where a response ends; TRL
    trains on a dataset that already holds ``input_ids`` as it is.
    """
    end = tokenizer.eos_token_id

    def ids(messages: list[dict], **kwargs) -> list[int]:
        return tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, **kwargs)["input_ids"]

    def encode(row: dict) -> dict:
        prompt, full = ids(row["prompt"], add_generation_prompt=True), ids(row["prompt"] + row["completion"])
        if full[: len(prompt)] != prompt:
            raise ValueError("the chat template renders the prompt differently without the completion")
        trained = len(full)
        if row[column] and end in full[len(prompt):]:
            trained = len(full) - 1 - full[::-1].index(end)
        return {"input_ids": full, "completion_mask": [0] * len(prompt) + [1] * (trained - len(prompt))
                + [0] * (len(full) - trained)}

    return dataset.map(encode, remove_columns=dataset.column_names)


class PackedRowsCollator(DataCollatorForLanguageModeling):
    """Batches of packed rows (several whole documents per row) in which each document attends only to itself.

    TRL's own packing flattens a whole batch into one sequence for FlashAttention's variable-length kernels; with
    SDPA (the CPU path) that would be one attention over every token of the batch. Here rows stay rows, positions
    restart at 0 with each document, and no attention mask is passed, so transformers builds a block-diagonal causal
    mask per row from the positions (``masking_utils.find_packed_sequence_indices``): every document is trained
    exactly as it would be alone. The padding at a row's end has position 0 throughout, so each padding token is a
    block of its own and carries no loss.
    """

    def __init__(self, pad_token_id: int):
        super().__init__(pad_token_id=pad_token_id, padding_free=False, return_position_ids=True)

    def torch_call(self, examples):
        batch = super().torch_call(examples)
        del batch["attention_mask"]
        return batch


class CrossEntropySFTTrainer(SFTTrainer):
    """TRL's SFT trainer with the model's own cross-entropy over the full logits as the loss.

    TRL computes the loss with a chunked LM head that never holds the ``[tokens, vocabulary]`` logits, and takes the
    entropy and token accuracy it logs from the same pass: what a 150k vocabulary needs on a GPU. With the nano
    model's 522-entry vocabulary the full logits are small, and the chunked head only slows a CPU step down
    (measured: see docs/performance.md). Same loss, the same average over the completion tokens; the two logged
    metrics are gone. Like TRL, it asks the model for no KV cache: a training forward never reuses one.
    """

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        return Trainer.compute_loss(self, model, {**inputs, "use_cache": False}, return_outputs=return_outputs,
                                    num_items_in_batch=num_items_in_batch)


def run_sft(model, tokenizer, dataset, recipe: dict, seed: int, checkpoint_dir: str, resume: str | None):
    """Supervised training on a conversational prompt-completion dataset, loss on the completions only.

    Without ``packing`` a batch holds ``batch_size`` documents drawn at random, padded to the longest. With
    ``packing`` the documents are first packed whole into rows of ``max_length`` tokens (TRL's best-fit-decreasing
    packing), a batch holds ``batch_size`` rows drawn at random, and :class:`PackedRowsCollator` keeps the documents
    of a row apart. Packing removes the padding that random batches of documents of uneven length carry, and so
    trains faster where lengths vary, as in the nano corpus (measured: see docs/performance.md).

    Grouping documents of similar length instead would also cut the padding, but it hurts learning, because
    documents of one length are mostly of one kind (see docs/nano-world.md). Packed rows are drawn at random and
    mix kinds as random batches do. Returns ``(trainer, train_output)``.
    """
    config = SFTConfig(
        **trainer_arguments(recipe, seed, checkpoint_dir),
        num_train_epochs=recipe["epochs"],
        max_length=recipe["max_length"],
        completion_only_loss=True,
        packing=recipe["packing"],
        packing_strategy="bfd",
        dataset_num_proc=torch.get_num_threads() if len(dataset) >= PARALLEL_PREPARATION else None,
    )
    peft_config = lora_config(recipe, tokenizer)
    if recipe["chunked_loss"] and peft_config is not None and peft_config.trainable_token_indices:
        raise ValueError("LoRA trains the embedding rows of the tokenizer's added tokens, which TRL's chunked LM head "
                         "cannot read: set chunked_loss: false in a recipe with lora")
    trainer_class = SFTTrainer if recipe["chunked_loss"] else CrossEntropySFTTrainer
    trainer = trainer_class(
        model=model, args=config, train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config
    )
    if recipe["packing"]:  # set after construction: TRL refuses a custom collator together with its own packing
        trainer.data_collator = PackedRowsCollator(tokenizer.pad_token_id)
    return trainer, trainer.train(resume_from_checkpoint=resume)


def save_run(trainer, tokenizer, output_dir: str) -> None:
    """Save the trained model and tokenizer as a plain ``save_pretrained`` folder, with ``curves.csv``.

    LoRA adapters are merged first, so every later stage loads an ordinary checkpoint. Under a multi-GPU launch
    only the main process writes.
    """
    if not trainer.accelerator.is_main_process:
        return
    model = trainer.model
    if isinstance(model, PeftModel):
        model = model.merge_and_unload()
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    write_curves(trainer.state.log_history, f"{output_dir}/curves.csv")
    log.info("saved model to %s", output_dir)
