"""Batched sampling of chat completions with ``transformers``: the default backend of every sampling stage.

Prompts are sorted by length and cut into batches (bucketing keeps left padding small), each batch is generated
with the KV cache, and results are returned in the caller's order. The seed is set once per call, so the same
prompts, settings and seed give the same texts.
"""

from __future__ import annotations

import logging

import torch
from tqdm import tqdm

from skillfactory.modeling import load_model, load_tokenizer, model_ref, set_threads

log = logging.getLogger(__name__)


def render_chat(tokenizer, messages: list[dict]) -> str:
    """The prompt text for ``messages`` with the assistant turn opened."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


@torch.inference_mode()
def generate_chat(
    model,
    tokenizer,
    prompts: list[list[dict]],
    *,
    n: int,
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    batch_size: int,
    seed: int,
) -> list[list[str]]:
    """``n`` sampled completions for each chat prompt.

    With ``temperature`` 0 decoding is greedy: the single completion is repeated ``n`` times, so callers see the
    same shape either way.
    """
    torch.manual_seed(seed)
    texts = [render_chat(tokenizer, p) for p in prompts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    outputs: list[list[str]] = [[] for _ in texts]
    prompts_per_batch = max(1, batch_size // n)
    greedy = temperature == 0
    sampling = {"do_sample": False} if greedy else {"do_sample": True, "temperature": temperature, "top_p": top_p}
    per_prompt = 1 if greedy else n
    model.eval()
    for start in tqdm(range(0, len(order), prompts_per_batch), desc="generate", mininterval=10):
        idx = order[start : start + prompts_per_batch]
        batch = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False)
        generated = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            num_return_sequences=per_prompt,
            pad_token_id=tokenizer.pad_token_id,
            **sampling,
        )
        completions = tokenizer.batch_decode(generated[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
        for j, i in enumerate(idx):
            outputs[i] = completions[j * per_prompt : (j + 1) * per_prompt] * (n // per_prompt)
    return outputs


def load_stage_model(p: dict):
    """``(model, tokenizer)`` named by a stage's params (``model``, ``revision``), after fixing ``threads``."""
    set_threads(p["threads"])
    name, revision = model_ref(p)
    return load_model(name, revision), load_tokenizer(name, revision)


def sample(model, tokenizer, prompts: list[list[dict]], p: dict, sampling: dict, n: int) -> list[list[str]]:
    """``n`` completions per prompt with ``sampling`` (temperature, top_p, max_new_tokens) and the stage's
    ``batch_size`` and ``seed``."""
    return generate_chat(
        model,
        tokenizer,
        prompts,
        n=n,
        temperature=sampling["temperature"],
        top_p=sampling["top_p"],
        max_new_tokens=sampling["max_new_tokens"],
        batch_size=p["batch_size"],
        seed=p["seed"],
    )


def sample_with_stage_model(prompts: list[list[dict]], p: dict, n: int) -> list[list[str]]:
    """Load the stage's model and sample ``n`` completions per prompt with ``p["sampling"]``."""
    return sample(*load_stage_model(p), prompts, p, p["sampling"], n)
