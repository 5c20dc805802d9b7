"""Training helpers: rewards, checkpoint fingerprints and resuming, LoRA merged into the saved model, packed rows,
the bf16 switch."""

import json

import pytest
import torch
from datasets import Dataset
from support import tiny_model_and_tokenizer
from transformers import AutoModelForCausalLM
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from skillfactory import training
from skillfactory.stages import train_grpo
from skillfactory.stages.train_grpo import (
    LengthGroupedGRPOTrainer,
    attempts_logged,
    correctness_reward,
    rollout_arguments,
)
from skillfactory.training import (
    CrossEntropySFTTrainer,
    PackedRowsCollator,
    fingerprint,
    lora_config,
    resumable,
    run_sft,
    save_run,
    tokenize_untrained_ends,
    use_bf16,
)

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


def chat_row(numbers: list[int], target: int, answer: str) -> dict:
    return {"prompt": [{"role": "user", "content": f"Numbers: {' '.join(map(str, numbers))}\nTarget: {target}"}],
            "completion": [{"role": "assistant", "content": f"<answer>\n{answer}\n</answer>"}]}


ROWS = [chat_row([3, 7, 12], 33, "3 * 7 = 21\n21 + 12 = 33"), chat_row([3, 7], 21, "3 * 7 = 21"),
        chat_row([7, 12, 3, 3], 66, "7 + 12 = 19\n19 + 3 = 22\n22 * 3 = 66"), chat_row([12, 3], 4, "12 / 3 = 4")]
PACKED = {"batch_size": 2, "gradient_accumulation_steps": 1, "learning_rate": 0.01, "lr_scheduler": "constant",
          "warmup_ratio": 0.0, "weight_decay": 0.0, "adam_betas": [0.9, 0.95], "bf16": False,
          "gradient_checkpointing": False, "save_steps": 100, "epochs": 1, "max_length": 96, "packing": True,
          "chunked_loss": True, "lora": None}


def test_lora_adapters_and_added_tokens_are_merged_into_a_plain_checkpoint(tmp_path):
    """LoRA's update is merged, and the embedding rows of the tokenizer's added tokens (the trace tags, which a
    nano base model never saw) train with it while every other row stays as it was."""
    model, tokenizer = tiny_model_and_tokenizer()
    tokenizer.padding_side = "right"
    before = {k: v.clone() for k, v in model.state_dict().items()}
    row = {"prompt": ROWS[0]["prompt"], "completion": [{"role": "assistant", "content": "<think>\n<sample>\n3 * 7"}]}
    recipe = {**PACKED, "learning_rate": 0.05, "epochs": 2, "max_length": 64, "packing": False,
              "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "embedding_rows": "added"},
              "chunked_loss": False}
    with pytest.raises(ValueError, match="chunked_loss"):
        run_sft(model, tokenizer, Dataset.from_list([row]), {**recipe, "chunked_loss": True}, 0, str(tmp_path), None)
    assert lora_config(recipe, tokenizer).r == 4 and lora_config({**recipe, "lora": None}, tokenizer) is None
    every_row = {**recipe, "lora": {**recipe["lora"], "embedding_rows": "all"}}
    assert lora_config(every_row, tokenizer).trainable_token_indices == list(range(len(tokenizer)))
    trainer, _ = run_sft(model, tokenizer, Dataset.from_list([row] * 4), recipe, 0, str(tmp_path / "ck"), None)
    save_run(trainer, tokenizer, str(tmp_path / "out"))
    assert not (tmp_path / "out" / "adapter_config.json").exists()
    saved = AutoModelForCausalLM.from_pretrained(tmp_path / "out").state_dict()
    assert set(saved) == set(before)
    assert any(not saved[k].equal(before[k]) for k in before if "proj" in k)  # the adapters' update is merged
    changed = (saved["model.embed_tokens.weight"] != before["model.embed_tokens.weight"]).any(dim=1)
    vocabulary_rows = torch.ones_like(changed)
    vocabulary_rows[sorted(tokenizer.added_tokens_decoder)] = False  # every row but the added tokens'
    assert changed[tokenizer.convert_tokens_to_ids("<sample>")] and not changed[vocabulary_rows].any()


def test_packed_rows_give_each_document_the_loss_and_gradient_it_has_alone(tmp_path):
    """A batch of packed rows is the same computation as the padded batch of its documents: no document sees
    another, positions restart, padding carries no loss."""
    model, tokenizer = tiny_model_and_tokenizer()
    trainer, _ = run_sft(model, tokenizer, Dataset.from_list(ROWS * 3), {**PACKED, "learning_rate": 0.0}, 0,
                         str(tmp_path / "ck"), None)
    rows = [trainer.train_dataset[i] for i in range(len(trainer.train_dataset))]
    assert len(rows) < len(ROWS) * 3 and max(len(r["input_ids"]) for r in rows) <= PACKED["max_length"]
    documents = []
    for row in rows:
        starts = [0, *torch.tensor(row["seq_lengths"]).cumsum(0).tolist()]
        documents += [{"input_ids": row["input_ids"][a:b], "labels": row["labels"][a:b]}
                      for a, b in zip(starts, starts[1:])]
    padded = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id)(documents)
    packed = PackedRowsCollator(tokenizer.pad_token_id)(rows)
    assert "attention_mask" not in packed and packed["input_ids"].shape[0] == len(rows)

    def loss_and_gradient(batch):
        model.zero_grad()
        loss = model(**batch).loss
        loss.backward()
        return loss.detach(), torch.cat([p.grad.flatten() for p in model.parameters()])

    (loss, gradient), (packed_loss, packed_gradient) = loss_and_gradient(padded), loss_and_gradient(packed)
    torch.testing.assert_close(packed_loss, loss)
    torch.testing.assert_close(packed_gradient, gradient)


@pytest.mark.parametrize("packing", [True, False])
def test_the_models_own_cross_entropy_is_trls_chunked_loss(tmp_path, packing):
    """``chunked_loss: false`` changes how the loss is computed, not what it is: the mean over completion tokens."""
    losses = []
    for chunked in (True, False):
        torch.manual_seed(0)
        model, tokenizer = tiny_model_and_tokenizer()
        tokenizer.padding_side = "right"
        recipe = {**PACKED, "learning_rate": 0.0, "packing": packing, "chunked_loss": chunked}
        trainer, _ = run_sft(model, tokenizer, Dataset.from_list(ROWS * 3), recipe, 0, str(tmp_path / "ck"), None)
        assert isinstance(trainer, CrossEntropySFTTrainer) != chunked
        batch = trainer.data_collator([trainer.train_dataset[i] for i in range(len(trainer.train_dataset))])
        losses.append(trainer.compute_loss(trainer.model, batch).detach())
    assert (batch["labels"] == -100).any()  # prompt tokens carry no loss, in both
    torch.testing.assert_close(losses[0], losses[1])


def test_packed_training_is_deterministic(tmp_path):
    weights = []
    for run in range(2):
        model, tokenizer = tiny_model_and_tokenizer()
        torch.manual_seed(0)
        model.apply(model._init_weights)
        trainer, result = run_sft(model, tokenizer, Dataset.from_list(ROWS * 4), PACKED, 0, str(tmp_path / f"{run}"),
                                  None)
        assert result.training_loss > 0
        weights.append(torch.cat([p.detach().flatten() for p in trainer.model.parameters()]))
    assert torch.equal(*weights)


def test_marked_rows_leave_their_end_out_of_the_loss(tmp_path):
    """Rows tokenized here train as TRL's own tokenization trains them, except that a marked row's end-of-turn
    token (and what follows it) carries no loss."""
    model, tokenizer = tiny_model_and_tokenizer()
    tokenizer.padding_side = "right"
    recipe = {**PACKED, "learning_rate": 0.0, "packing": False}
    marks = [False, True, False, True]
    marked = Dataset.from_list([{**row, "replay": mark} for row, mark in zip(ROWS, marks)])
    trls, _ = run_sft(model, tokenizer, Dataset.from_list(ROWS), recipe, 0, str(tmp_path / "a"), None)
    ours, _ = run_sft(model, tokenizer, tokenize_untrained_ends(marked, tokenizer, "replay"), recipe, 0,
                      str(tmp_path / "b"), None)
    for i, mark in enumerate(marks):
        theirs, mine = trls.train_dataset[i], ours.train_dataset[i]
        assert mine["input_ids"] == theirs["input_ids"]
        end = len(theirs["input_ids"]) - 1 - theirs["input_ids"][::-1].index(tokenizer.eos_token_id)
        assert theirs["labels"][end] == tokenizer.eos_token_id  # TRL trains on the end
        untrained = [*theirs["labels"][:end], *[-100] * (len(theirs["labels"]) - end)]
        assert mine["labels"] == (untrained if mark else theirs["labels"])


@pytest.mark.parametrize("budget", [1, 40])
def test_length_grouped_grpo_loss_gives_trls_log_probabilities_and_gradient(tmp_path, monkeypatch, budget):
    """The GRPO loss's forward passes in length-sorted groups cut after their longest completion (one row a pass,
    or several): on every completion position the mask keeps, log-probabilities and entropies are TRL's own, and so
    is the gradient of a masked sum; the positions cut away come back as zeros."""
    monkeypatch.setattr(train_grpo, "LOSS_TOKENS_PER_PASS", budget)
    torch.manual_seed(0)
    model, tokenizer = tiny_model_and_tokenizer()
    args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, per_device_train_batch_size=4, num_generations=2,
                      report_to="none", max_completion_length=12)
    trainer = LengthGroupedGRPOTrainer(model=model, reward_funcs=[correctness_reward], args=args,
                                       train_dataset=Dataset.from_list([{"prompt": "Numbers: 3 7 12"}] * 4),
                                       processing_class=tokenizer)
    generator = torch.Generator().manual_seed(0)
    rows, prompt_width, completion_width = 11, 5, 12
    input_ids = torch.randint(6, len(tokenizer), (rows, prompt_width + completion_width), generator=generator)
    prompt_mask = torch.ones(rows, prompt_width, dtype=torch.long)
    prompt_mask[::3, :2] = 0  # left padding
    ends = torch.randint(0, completion_width + 1, (rows,), generator=generator)
    ends[0], ends[1] = completion_width, 0
    completion_mask = (torch.arange(completion_width) < ends[:, None]).long()
    attention_mask = torch.cat([prompt_mask, completion_mask], dim=1)

    def computed(method):
        model.zero_grad()
        logps, entropies, _ = method(trainer, model, input_ids, attention_mask, completion_width,
                                     compute_entropy=True)
        (logps * completion_mask).sum().backward()
        return logps, entropies, torch.cat([p.grad.flatten() for p in model.parameters()])

    grouped = computed(LengthGroupedGRPOTrainer._get_per_token_logps_and_entropies)
    trls = computed(GRPOTrainer._get_per_token_logps_and_entropies)
    kept = completion_mask.bool()
    # TRL's fused LM head differs slightly with the batch's make-up (up to about 2e-3 in a log-probability, and 1e-3
    # of the gradient's norm, between a batch and its rows one by one); a misplaced row or position differs by far more
    close = {"rtol": 1e-3, "atol": 5e-3}
    torch.testing.assert_close(grouped[0][kept], trls[0][kept], **close)
    torch.testing.assert_close(grouped[1][kept], trls[1][kept], **close)
    assert (grouped[2] - trls[2]).norm() < 1e-2 * trls[2].norm()
    assert not grouped[0][~kept].any()


def test_bf16_auto_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert use_bf16(True) and not use_bf16(False)
    for native in (True, False):
        monkeypatch.setattr(training, "native_bf16", lambda native=native: native)
        assert use_bf16("auto") is native
    monkeypatch.undo()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    assert training.native_bf16() is False


RECIPE = {"batch_size": 8, "gradient_accumulation_steps": 2, "max_completion_length": 600,
          "generation_batch_size": None}


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
    rollout = rollout_arguments({**RECIPE, "backend": "continuous_batching", "generation_batch_size": 64}, 60)
    assert rollout["transformers_continuous_batching_config"]["max_requests_per_batch"] == 64
    assert GRPOConfig(output_dir="unused", use_cpu=True, **arguments).use_transformers_continuous_batching
