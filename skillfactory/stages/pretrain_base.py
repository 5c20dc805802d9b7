"""Stage ``pretrain_base``: build the nano base model from scratch (corpus, tokenizer, weights).

Runs only when the config names no hub model. The output folder holds a Llama-architecture causal LM, its fast
tokenizer with a chat template, ``corpus_stats.json`` and ``curves.csv``.
"""

from __future__ import annotations

import logging
from collections import Counter

import torch
from datasets import Dataset
from transformers import LlamaConfig, LlamaForCausalLM

from skillfactory.cli import parse_stage_args
from skillfactory.io import write_json
from skillfactory.modeling import set_threads
from skillfactory.prompts import parse_verdict
from skillfactory.nano.corpus import build_corpus
from skillfactory.nano.tokenizer import train_tokenizer
from skillfactory.tasks import question_keys
from skillfactory.training import resumable, run_sft, save_run

log = logging.getLogger("pretrain_base")


def build_model(arch: dict, tokenizer) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=arch["hidden_size"],
        intermediate_size=arch["intermediate_size"],
        num_hidden_layers=arch["num_layers"],
        num_attention_heads=arch["num_heads"],
        num_key_value_heads=arch["num_heads"],
        max_position_embeddings=arch["max_positions"],
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config)


def corpus_text(document: dict) -> str:
    return "\n".join(m["content"] for m in document["prompt"] + document["completion"])


def pretrain(p: dict, exclude: set, output: str, checkpoints: str, inputs: list[str]) -> dict:
    """Build corpus, tokenizer and model from the stage params, train, save to ``output``; return the stats.

    ``checkpoints`` is the folder for resumable checkpoints, and ``inputs`` are the files ``exclude`` came from
    (part of the checkpoints' fingerprint).

    The stats are written as ``corpus_stats.json``; the returned dict adds ``train_seconds`` (kept out of the file,
    whose bytes must not depend on the machine's speed), so that the throughput benchmark measures exactly this
    code.
    """
    set_threads(p["threads"])
    torch.manual_seed(p["seed"])
    documents = build_corpus(p["pretrain"], p["countdown"], p["prompts"], p["seed"], exclude, p["ood_sets"])
    verdicts = Counter(parse_verdict(d["completion"][0]["content"]) for d in documents)
    tokenizer = train_tokenizer((corpus_text(d) for d in documents), p["pretrain"]["vocab_size"])
    model = build_model(p["pretrain"]["model"], tokenizer)
    log.info("nano model: %.2fM parameters, vocabulary %d", model.num_parameters() / 1e6, len(tokenizer))
    with resumable(checkpoints, p, inputs) as resume:
        trainer, result = run_sft(
            model, tokenizer, Dataset.from_list(documents), p["pretrain"]["train"], p["seed"], checkpoints, resume
        )
        save_run(trainer, tokenizer, output)
    stats = {
        "documents": len(documents),
        "attempt_documents": verdicts[None],
        "verifications_correct": verdicts[True],
        "verifications_incorrect": verdicts[False],
        "parameters": model.num_parameters(),
        "vocabulary": len(tokenizer),
        "train_tokens": round(sum(map(len, trainer.train_dataset["input_ids"])) * p["pretrain"]["train"]["epochs"]),
    }
    write_json(f"{output}/corpus_stats.json", stats)
    return {**stats, "train_seconds": result.metrics["train_runtime"]}


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["tasks", "output", "checkpoints"], argv)
    paths = args.tasks.split(",")
    pretrain(args.params, question_keys(paths), args.output, args.checkpoints, paths)


if __name__ == "__main__":
    main()
