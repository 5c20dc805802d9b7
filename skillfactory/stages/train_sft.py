"""Stage ``train_sft``: supervised fine-tuning of the base model on one SFT dataset with TRL's ``SFTTrainer``.

The dataset is conversational prompt-completion, so the loss covers the assistant turn only. Output: a
``save_pretrained`` folder with the model, its tokenizer and ``curves.csv`` (loss, learning rate... per step).
With ``recipe.lora`` set, LoRA adapters are trained and merged into the saved model. With ``replay_end_loss``
false, the replay rows' end-of-turn token carries no loss (``sft_replay.end_loss``). A killed run resumes from
its last checkpoint (see :mod:`skillfactory.training`).
"""

from __future__ import annotations

import logging

from datasets import load_dataset

from skillfactory.cli import parse_stage_args
from skillfactory.modeling import load_model, load_tokenizer, set_threads
from skillfactory.training import resumable, run_sft, save_run, tokenize_untrained_ends

log = logging.getLogger("train_sft")


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["data", "output", "checkpoints"], argv)
    p = args.params
    set_threads(p["threads"])
    name = p["model"]
    recipe = p["recipe"]
    tokenizer = load_tokenizer(name, padding_side="right")
    dataset = load_dataset("json", data_files=args.data, split="train")
    if p["replay_end_loss"]:
        dataset = dataset.select_columns(["prompt", "completion"])
    else:  # replay rows (n_samples 0) without the loss on their end
        dataset = dataset.map(lambda row: {"replay": row["n_samples"] == 0}).select_columns(
            ["prompt", "completion", "replay"])
        dataset = tokenize_untrained_ends(dataset, tokenizer, "replay")
    with resumable(args.checkpoints, p, [args.data, name]) as resume:
        model = load_model(name)
        trainer, _ = run_sft(model, tokenizer, dataset, recipe, p["seed"], args.checkpoints, resume)
        save_run(trainer, tokenizer, args.output)


if __name__ == "__main__":
    main()
