"""Benchmark of nano pretraining: tokens/s, and achieved FLOP/s against this machine's large-matmul FLOP/s.

Run from the repository root:  python benchmarks/bench_pretrain.py [--documents N] [--config config/config.yaml]

It pretrains the nano model of the given config on a small corpus with the pipeline's own code
(:func:`skillfactory.stages.pretrain_base.pretrain`), then times a large matrix product with the same thread count, in
float32 and, where the machine computes it natively, in bf16 (emulated bf16 runs at well under 1 GFLOP/s and would
take minutes). Training FLOPs use the usual estimate of 6 x parameters per token (forward and backward) plus the
attention scores, 12 x layers x hidden x mean document length per token (a packed document attends only to
itself). It prints ratios; nothing asserts on time.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
import yaml

from skillfactory.stages.pretrain_base import pretrain
from skillfactory.training import native_bf16, use_bf16


def matmul_flops(dtype: torch.dtype, size: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    torch.matmul(a, b)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        torch.matmul(a, b)
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--documents", type=int, default=4000)
    args = parser.parse_args()
    config = yaml.safe_load(open(args.config))
    params = {
        "seed": config["seed"],
        "threads": config["threads"],
        "pretrain": {**config["pretrain"], "n_documents": args.documents},
        "countdown": config["task_params"]["countdown"],
        "prompts": config["prompts"],
        "ood_sets": {},  # throughput only: Countdown documents are representative
    }
    with tempfile.TemporaryDirectory() as out:
        stats = pretrain(params, set(), f"{out}/model", f"{out}/checkpoints", [])
    arch = config["pretrain"]["model"]
    seq = stats["train_tokens"] / stats["documents"]
    flops_per_token = 6 * stats["parameters"] + 12 * arch["num_layers"] * arch["hidden_size"] * seq
    tokens_per_s = stats["train_tokens"] / stats["train_seconds"]
    achieved = tokens_per_s * flops_per_token
    dtypes = (("bf16", torch.bfloat16),) if native_bf16() else ()
    peak = {name: matmul_flops(dtype) for name, dtype in (*dtypes, ("float32", torch.float32))}
    trained_in = "bf16 autocast" if use_bf16(config["pretrain"]["train"]["bf16"]) else "float32"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {stats['parameters'] / 1e6:.2f}M parameters,"
          f" trained in {trained_in}, packing {config['pretrain']['train']['packing']}")
    print(f"pretraining: {stats['train_tokens']:,} tokens in {stats['train_seconds']:.1f} s"
          f" = {tokens_per_s:,.0f} tokens/s")
    print(f"achieved: {achieved / 1e9:.2f} GFLOP/s (estimate {flops_per_token / 1e6:.1f} MFLOP per token)")
    for name, value in peak.items():
        print(f"large matmul {name}: {value / 1e9:.1f} GFLOP/s; pretraining reaches {achieved / value:.1%} of it")


if __name__ == "__main__":
    main()
