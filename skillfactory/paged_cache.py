"""Sizing transformers' paged KV cache for continuous batching (``generate_batch``), shared by the evaluation
engine (:mod:`skillfactory.generation`) and GRPO's rollouts (:mod:`skillfactory.stages.train_grpo`).

The cache is sized from the work itself because transformers would otherwise size it from free memory, which on a
CPU means more than half of the RAM and a much slower decode (measured: see docs/performance.md). Kept apart from
the generation module, which reaches for vLLM, so that the training environment does not need vLLM to import it.
"""

from __future__ import annotations

import math

PAGE_SIZE = 256  # tokens per page (transformers' default)
PREFILL_TOKENS = 512  # most tokens through one forward pass (the value docs/performance.md's CPU timings use)


def paged_cache(sequences: int, longest_sequence: int) -> dict:
    """``ContinuousBatchingConfig`` keywords for ``sequences`` decoded at once, each up to ``longest_sequence``
    tokens (prompt and generation), with one sequence to spare.

    >>> paged_cache(16, 660)["num_blocks"]  # 17 sequences of 3 pages
    51
    """
    return {
        "page_size": PAGE_SIZE,
        "num_blocks": (sequences + 1) * math.ceil(longest_sequence / PAGE_SIZE),
        "max_batch_tokens": PREFILL_TOKENS,
        "max_requests_per_batch": sequences,
        "allow_block_sharing": False,
    }
