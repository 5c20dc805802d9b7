"""Benchmark of the sampler: batched, length-bucketed generation against a naive one-prompt-at-a-time loop.

Run from the repository root:  python benchmarks/bench_sampling.py [--model results/models/base] [--prompts 64]

Every path generates from the same Countdown prompts with the same model, in the same run; the script prints
tokens per second of each and their ratios: the naive loop, the batched sampler (backend ``transformers``),
continuous batching (backend ``continuous_batching``) and, where vLLM is installed, the vLLM backend. Continuous
batching gains where response lengths vary, so point ``--model`` at an SFT model, whose traces run from 50 to 900
tokens, with ``--max-new-tokens 896 --batch-size 16 --threads 1`` (the evaluation's settings) to measure the
evaluation workload. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import time

import torch

from skillfactory.generation import ContinuousBatchingEngine, VllmEngine, continue_text, render_chat
from skillfactory.modeling import load_model, load_tokenizer, set_threads
from skillfactory.prompts import task_prompt
from skillfactory.tasks.countdown import COUNTDOWN


def new_tokens(tokenizer, outputs: list[list[str]]) -> int:
    return sum(len(tokenizer(text, add_special_tokens=False)["input_ids"]) for texts in outputs for text in texts)


@torch.inference_mode()
def naive(model, tokenizer, texts: list[str], n: int, max_new_tokens: int) -> list[list[str]]:
    """One ``generate`` call per prompt: the loop a first version of a sampler would write."""
    outputs = []
    for text in texts:
        batch = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        generated = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=True, num_return_sequences=n,
                                   pad_token_id=tokenizer.pad_token_id)
        outputs.append(tokenizer.batch_decode(generated[:, batch["input_ids"].shape[1]:], skip_special_tokens=True))
    return outputs


def timed(label: str, tokenizer, run) -> float:
    start = time.perf_counter()
    outputs = run()
    seconds = time.perf_counter() - start
    rate = new_tokens(tokenizer, outputs) / seconds
    print(f"{label}: {rate:,.0f} generated tokens/s ({seconds:.1f} s)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="results/models/base")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    set_threads(args.threads)
    model, tokenizer = load_model(args.model), load_tokenizer(args.model)
    questions = COUNTDOWN.generate(args.prompts, "bench", n_numbers=3, number_min=1, number_max=10, target_min=1,
                                   target_max=100, max_intermediate=100)
    texts = [render_chat(tokenizer, task_prompt(COUNTDOWN, q, "{question}")) for q in questions]
    settings = {"n": args.samples, "temperature": 1.0, "top_p": 1.0, "max_new_tokens": args.max_new_tokens, "seed": 0}
    torch.manual_seed(0)
    slow = timed("naive loop", tokenizer, lambda: naive(model, tokenizer, texts, args.samples, args.max_new_tokens))
    fast = timed("batched sampler", tokenizer,
                 lambda: continue_text(model, tokenizer, texts, batch_size=args.batch_size, **settings))
    print(f"batched / naive: {fast / slow:.1f}x")
    engine = ContinuousBatchingEngine(model, tokenizer)
    paged = timed("continuous batching", tokenizer,
                  lambda: engine.generate(texts, batch_size=args.batch_size, **settings))
    print(f"continuous batching / batched: {paged / fast:.1f}x")
    try:
        engine = VllmEngine(args.model, None, seed=0)
    except RuntimeError as error:
        print(f"vLLM not measured: {error}")
        return
    rate = timed("vLLM backend", tokenizer, lambda: engine.generate(texts, **settings))
    print(f"vLLM / batched transformers: {rate / fast:.1f}x")


if __name__ == "__main__":
    main()
