"""Training helpers: rewards, checkpoint fingerprints and resuming, LoRA merged into the saved model."""

import json

import pytest
from datasets import Dataset
from support import tiny_model_and_tokenizer
from transformers import AutoModelForCausalLM

from skillfactory.train_grpo import attempts_logged, correctness_reward, rollout_arguments
from skillfactory.training import fingerprint, lora_config, resumable, run_sft, save_run

QUESTION = {"task": "countdown", "id": "q", "numbers": [3, 7, 12], "target": 33}


def test_rewards_score_the_final_answer_and_log_attempts():
    right = [{"role": "assistant", "content": "<answer>3 * 7 + 12</answer>"}]
    trace = [{"role": "assistant", "content": "<sample>a</sample><sample>b</sample><answer>3 + 7 + 12</answer>"}]
    rows = [json.dumps(QUESTION)] * 2
    assert correctness_reward([right, trace], rows) == [1.0, 0.0]
    assert attempts_logged([right, trace]) == [1.0, 2.0]


def test_fingerprint_follows_params_and_input_bytes(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("a")
    first = fingerprint({"lr": 1}, [str(data)])
    assert fingerprint({"lr": 1}, [str(data)]) == first
    assert fingerprint({"lr": 2}, [str(data)]) != first
    data.write_text("b")
    assert fingerprint({"lr": 1}, [str(data)]) != first


def killed_run(folder, params, step):
    """A run that dies after writing checkpoint ``step``."""
    with pytest.raises(RuntimeError):
        with resumable(str(folder), params, []):
            (folder / f"checkpoint-{step}").mkdir()
            raise RuntimeError("killed")


def test_resumable_resumes_only_a_matching_run(tmp_path):
    folder = tmp_path / "ck"
    killed_run(folder, {"lr": 1}, 4)
    with resumable(str(folder), {"lr": 2}, []) as resume:  # other settings: start again
        assert resume is None and not (folder / "checkpoint-4").exists()
    assert not folder.exists()  # removed after success
    killed_run(folder, {"lr": 1}, 6)
    with resumable(str(folder), {"lr": 1}, []) as resume:
        assert resume == str(folder / "checkpoint-6")


def test_only_the_main_process_deletes_checkpoints(tmp_path, monkeypatch):
    """Under a multi-GPU launch every rank enters ``resumable``: the others must not remove what rank 0 uses."""
    folder = tmp_path / "ck"
    killed_run(folder, {"lr": 1}, 4)
    monkeypatch.setenv("RANK", "1")
    with resumable(str(folder), {"lr": 2}, []) as resume:  # a stale run: rank 0 starts again, rank 1 only reads
        assert resume is None and (folder / "checkpoint-4").exists()
    with resumable(str(folder), {"lr": 1}, []) as resume:
        assert resume == str(folder / "checkpoint-4")
    assert (folder / "checkpoint-4").exists()
    monkeypatch.setenv("RANK", "0")
    with resumable(str(folder), {"lr": 1}, []) as resume:
        assert resume == str(folder / "checkpoint-4")
    assert not folder.exists()


def test_lora_adapters_are_merged_into_a_plain_checkpoint(tmp_path):
    model, tokenizer = tiny_model_and_tokenizer()
    tokenizer.padding_side = "right"
    before = {k: v.clone() for k, v in model.state_dict().items()}
    row = {"prompt": [{"role": "user", "content": "Numbers: 3 7 12\nTarget: 33"}],
           "completion": [{"role": "assistant", "content": "<answer>\n3 * 7 = 21\n21 + 12 = 33\n</answer>"}]}
    recipe = {"batch_size": 2, "gradient_accumulation_steps": 1, "learning_rate": 0.05, "lr_scheduler": "constant",
              "warmup_ratio": 0.0, "weight_decay": 0.0, "adam_betas": [0.9, 0.95], "bf16": False,
              "gradient_checkpointing": False, "save_steps": 100, "epochs": 2, "max_length": 64,
              "lora": {"r": 4, "alpha": 8, "dropout": 0.0}}
    assert lora_config(recipe).r == 4 and lora_config({**recipe, "lora": None}) is None
    trainer, _ = run_sft(model, tokenizer, Dataset.from_list([row] * 4), recipe, 0, str(tmp_path / "ck"), None)
    save_run(trainer, tokenizer, str(tmp_path / "out"))
    assert not (tmp_path / "out" / "adapter_config.json").exists()
    saved = AutoModelForCausalLM.from_pretrained(tmp_path / "out").state_dict()
    assert set(saved) == set(before)
    assert any(not saved[k].equal(before[k]) for k in before if "proj" in k)  # the adapters' update is merged


RECIPE = {"batch_size": 8, "gradient_accumulation_steps": 2, "max_completion_length": 600}


def test_rollout_backends_map_to_trl_switches():
    assert rollout_arguments({**RECIPE, "backend": "transformers"}, 50) == {}
    assert rollout_arguments({**RECIPE, "backend": "vllm"}, 50) == {"use_vllm": True, "vllm_mode": "colocate"}


def test_continuous_batching_rollouts_get_a_cache_for_one_steps_completions():
    from transformers.generation.configuration_utils import ContinuousBatchingConfig
    from trl import GRPOConfig

    arguments = rollout_arguments({**RECIPE, "backend": "continuous_batching"}, 60)
    cache = arguments["transformers_continuous_batching_config"]
    # 16 completions of up to 60 + 600 tokens, 256-token pages: 3 pages each, and one sequence spare
    assert cache["max_requests_per_batch"] == 16 and cache["num_blocks"] == 17 * 3
    ContinuousBatchingConfig(**cache)  # every key is one transformers knows
    assert GRPOConfig(output_dir="unused", use_cpu=True, **arguments).use_transformers_continuous_batching
