"""Benchmark of the generation engines against each other and against the machine's arithmetic limit.

Run from the repository root:  python benchmarks/bench_sampling.py [--model results/models/base] [--prompts 64]

Every engine generates from the same Countdown prompts with the same model, in the same run: a naive
one-prompt-at-a-time loop, the batched sampler (backend ``transformers``), continuous batching
(``continuous_batching``), CTranslate2 (``ctranslate2``) and, where vLLM is installed, vLLM. The script prints each
engine's generated tokens per second, its ratio to continuous batching, and its share of the limit: the model's
forward FLOPs per generated token (matrix multiplies plus attention at the mean context the outputs reached) times
tokens per second, over the FLOP/s this machine reaches on a large float32 matrix multiply with the same threads.

Two workloads matter for the nano default: short self-samples (the base model, ``--max-new-tokens 96``) and long
traces (an SFT model such as ``results/models/sft/skillfactory/seed0`` with ``--max-new-tokens 896 --samples 1
--batch-size 16 --threads 1 --temperature 0.7``, the evaluation's settings). Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import time

import torch
from bench_pretrain import matmul_flops  # this folder is on the path of a script run from it

from skillfactory.ctranslate2_engine import CTranslate2Engine
from skillfactory.generation import ContinuousBatchingEngine, VllmEngine, continue_text, render_chat
from skillfactory.modeling import load_model, load_tokenizer, set_threads
from skillfactory.prompts import task_prompt
from skillfactory.tasks.countdown import COUNTDOWN


def flops_per_token(config, context: float) -> float:
    """Forward FLOPs of one generated token at a mean attention context of ``context`` tokens: two per weight of
    the attention projections, the MLP and the output layer, plus attention's scores and weighted sum."""
    hidden, inter = config.hidden_size, config.intermediate_size
    kv = config.num_key_value_heads * (hidden // config.num_attention_heads)
    per_layer = 2 * (2 * hidden * hidden + 2 * hidden * kv + 3 * hidden * inter) + 4 * context * hidden
    return config.num_hidden_layers * per_layer + 2 * hidden * config.vocab_size


def token_counts(tokenizer, texts: list[str], outputs: list[list[str]]) -> tuple[int, float]:
    """Generated tokens, and the mean context (prompt plus tokens before it) at which they were generated."""
    generated = positions = 0
    for text, completions in zip(texts, outputs):
        prompt = len(tokenizer(text, add_special_tokens=False)["input_ids"])
        for completion in completions:
            g = len(tokenizer(completion, add_special_tokens=False)["input_ids"])
            generated += g
            positions += g * prompt + g * (g - 1) / 2
    return generated, positions / max(generated, 1)


@torch.inference_mode()
def naive(model, tokenizer, texts: list[str], n: int, max_new_tokens: int, temperature: float) -> list[list[str]]:
    """One ``generate`` call per prompt: the loop a first version of a sampler would write."""
    outputs = []
    for text in texts:
        batch = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        generated = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=True, num_return_sequences=n,
                                   temperature=temperature, pad_token_id=tokenizer.pad_token_id)
        outputs.append(tokenizer.batch_decode(generated[:, batch["input_ids"].shape[1]:], skip_special_tokens=True))
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="results/models/base")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--skip-naive", action="store_true", help="leave out the slow one-prompt loop")
    args = parser.parse_args()
    set_threads(args.threads)
    model, tokenizer = load_model(args.model), load_tokenizer(args.model)
    questions = COUNTDOWN.generate(args.prompts, "bench", n_numbers=3, number_min=1, number_max=10, target_min=1,
                                   target_max=100, max_intermediate=100)
    texts = [render_chat(tokenizer, task_prompt(COUNTDOWN, q, "{question}")) for q in questions]
    settings = {"n": args.samples, "temperature": args.temperature, "top_p": 1.0,
                "max_new_tokens": args.max_new_tokens, "seed": 0, "batch_size": args.batch_size}
    limit = matmul_flops(torch.float32)
    print(f"machine: {limit / 1e9:.1f} GFLOP/s on a 2048 x 2048 float32 matrix multiply with {args.threads} thread(s)")

    engines = {}
    if not args.skip_naive:
        engines["naive loop"] = lambda: naive(model, tokenizer, texts, args.samples, args.max_new_tokens,
                                              args.temperature)
    engines["batched transformers"] = lambda: continue_text(model, tokenizer, texts, **settings)
    paged = ContinuousBatchingEngine(model, tokenizer)
    engines["continuous batching"] = lambda: paged.generate(texts, **settings)
    ct2 = CTranslate2Engine(args.model, tokenizer, args.threads)
    engines["ctranslate2"] = lambda: ct2.generate(texts, **settings)
    try:
        vllm = VllmEngine(args.model, seed=0)
        engines["vllm"] = lambda: vllm.generate(texts, **settings)
    except RuntimeError as error:
        print(f"vLLM not measured: {error}")

    rates = {}
    for label, run in engines.items():
        start = time.perf_counter()
        outputs = run()
        seconds = time.perf_counter() - start
        generated, context = token_counts(tokenizer, texts, outputs)
        rates[label] = generated / seconds
        share = rates[label] * flops_per_token(model.config, context) / limit
        print(f"{label}: {rates[label]:,.0f} generated tokens/s ({generated:,} tokens in {seconds:.1f} s, mean "
              f"context {context:.0f}), {share:.1%} of the machine's FLOP/s")
    for label, rate in rates.items():
        print(f"{label} / continuous batching: {rate / rates['continuous batching']:.2f}x")


if __name__ == "__main__":
    main()
