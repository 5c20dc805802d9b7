"""Loading a causal LM and its tokenizer from a local ``save_pretrained`` folder or a hub id.

Every stage loads models through here, so the nano model and a hub model take exactly the same path.
"""

from __future__ import annotations

import logging

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

log = logging.getLogger(__name__)


def load_tokenizer(path: str, padding_side: str = "left"):
    """The model's tokenizer, with a pad token (some instruct models ship none) and the wanted padding side."""
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.padding_side = padding_side
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: str, dtype: str = "float32"):
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
    log.info("loaded %s (%.2fM parameters)", path, model.num_parameters() / 1e6)
    return model


def set_threads(n_threads: int) -> None:
    """Fix the intra-op thread count: results and speed on CPU depend on it, so it comes from the config."""
    if n_threads > 0:
        torch.set_num_threads(n_threads)
