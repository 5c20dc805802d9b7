"""CTranslate2 generation on CPU: a transformers checkpoint converted once per job, sampled in batches.

CTranslate2 decodes with its own fused CPU kernels and a preallocated KV cache, which on the nano models writes
several times the tokens per second of transformers' continuous batching (measured: see docs/performance.md). Its
converter reads the ``save_pretrained`` folder every stage already uses, so the engine is a drop-in backend of
:func:`skillfactory.generation.continue_text`, with the same sampling (temperature, top-p, no top-k cut, a seed per
call) and the same tokenizer: prompts go in as the tokenizer's token strings and completions come back as its ids.
GRPO uses it through :func:`rollout_function`, which converts the policy's current weights before every rollout.
"""

from __future__ import annotations

import gc
import json
import logging
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def convert(model_dir: str, output_dir: str) -> None:
    """Convert a ``save_pretrained`` folder to a CTranslate2 model in ``output_dir`` (float32 weights).

    The converter copies the tokenizer's special tokens into the model's config; a tokenizer without a
    beginning-of-sequence token (the nano models' has none) leaves it null, which the generator rejects, so it is
    set to the end-of-sequence token, which a generator given explicit start tokens never inserts. The converter
    collects garbage after every layer; the objects alive before the conversion are frozen out of those collections,
    which in a process holding a trainer otherwise take most of the conversion's time (docs/performance.md).
    """
    from ctranslate2.converters import TransformersConverter

    gc.freeze()
    try:
        TransformersConverter(model_dir).convert(output_dir, force=True)
    finally:
        gc.unfreeze()
    config_path = Path(output_dir) / "config.json"
    config = json.loads(config_path.read_text())
    if config.get("bos_token") is None:
        config["bos_token"] = config["eos_token"]
        config_path.write_text(json.dumps(config))


class CTranslate2Engine:
    """A model converted to CTranslate2, generating from raw prompt texts like
    :func:`skillfactory.generation.continue_text`; ``batch_size`` sequences are decoded together."""

    def __init__(self, model_dir: str, tokenizer, threads: int):
        self.tokenizer, self.threads = tokenizer, max(threads, 1)
        self._folder = tempfile.TemporaryDirectory(prefix="ct2-")
        convert(model_dir, self._folder.name)

    def generate_ids(self, prompts: list[list[int]], *, n, temperature, top_p, max_new_tokens, seed, batch_size,
                     **_) -> list[list[list[int]]]:
        """``n`` completions per prompt of token ids, as token ids ending in the end token where the model stopped."""
        import ctranslate2

        greedy = temperature == 0
        per_prompt = 1 if greedy else n
        tokens = [self.tokenizer.convert_ids_to_tokens(ids) for ids in prompts]
        # a worker thread seeds its sampler from the global seed when it first samples, and then keeps its stream:
        # a generator of its own per call (loading takes milliseconds) makes each call depend on its seed alone
        ctranslate2.set_random_seed(seed)
        generator = ctranslate2.Generator(
            self._folder.name, device="cpu", compute_type="float32", intra_threads=self.threads
        )
        results = generator.generate_batch(
            [t for t in tokens for _ in range(per_prompt)],
            max_batch_size=batch_size,
            max_length=max_new_tokens,
            include_prompt_in_result=False,
            return_end_token=True,
            end_token=self.tokenizer.eos_token,
            sampling_topk=1 if greedy else 0,  # 0: no top-k cut
            sampling_topp=top_p,
            sampling_temperature=1.0 if greedy else temperature,
        )
        ids = [r.sequences_ids[0] for r in results]
        return [ids[i * per_prompt : (i + 1) * per_prompt] * (n // per_prompt) for i in range(len(prompts))]

    def generate(self, texts, **settings) -> list[list[str]]:
        prompts = [self.tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
        return [self.tokenizer.batch_decode(ids, skip_special_tokens=True)
                for ids in self.generate_ids(prompts, **settings)]


def rollout_function(recipe: dict, threads: int, seed: int):
    """A TRL ``rollout_func`` that generates GRPO's completions with CTranslate2 from the policy's weights as they are
    at that step: the unwrapped policy is saved and converted before each rollout (cheap at nano scale), so no
    rollout comes from stale weights. TRL passes each prompt once per completion it wants (``num_generations``
    copies), so every prompt gets one completion; the seed moves on with the trainer's step."""

    def rollout(prompts: list, trainer) -> dict:
        tokenizer = trainer.processing_class
        prompt_ids = [
            tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=True, return_dict=False)
            for p in prompts
        ]
        with tempfile.TemporaryDirectory(prefix="policy-") as folder:
            trainer.accelerator.unwrap_model(trainer.model).save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            engine = CTranslate2Engine(folder, tokenizer, threads)
        completions = engine.generate_ids(
            prompt_ids,
            n=1,
            temperature=recipe["temperature"],
            top_p=1.0,
            max_new_tokens=recipe["max_completion_length"],
            seed=seed * 1_000_003 + trainer.state.global_step,
            batch_size=len(prompt_ids),
        )
        return {"prompt_ids": prompt_ids, "completion_ids": [c[0] for c in completions], "logprobs": None}

    return rollout
