"""Stage ``train_sft``: supervised fine-tuning of the base model on one SFT dataset with TRL's ``SFTTrainer``.

The dataset is conversational prompt-completion, so the loss covers the assistant turn only. Output: a
``save_pretrained`` folder with the model, its tokenizer and ``curves.csv`` (loss, learning rate... per step).
With ``recipe.lora`` set, LoRA adapters are trained and merged into the saved model. Replay rows of the kinds in
``replay_untrained_ends`` carry no loss on their end-of-turn token (``sft_replay.untrained_ends``). A killed run
resumes from its last checkpoint (see :mod:`skillfactory.training`).
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
    untrained = p["replay_untrained_ends"]
    dataset = dataset.map(lambda row: {"untrained_end": row.get("replay") in untrained}).select_columns(
        ["prompt", "completion", "untrained_end"])
    if any(dataset["untrained_end"]):
        dataset = tokenize_untrained_ends(dataset, tokenizer, "untrained_end")
    else:  # TRL tokenizes it
        dataset = dataset.select_columns(["prompt", "completion"])
    with resumable(args.checkpoints, p, [args.data, name]) as resume:
        model = load_model(name)
        trainer, _ = run_sft(model, tokenizer, dataset, recipe, p["seed"], args.checkpoints, resume)
        save_run(trainer, tokenizer, args.output)


if __name__ == "__main__":
    main()
