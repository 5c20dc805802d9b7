"""The real Snakemake workflow: lint, dry-runs of every shipped config, bad configs, and the smoke DAG end to end.

Each test runs in a copy of the workflow files under a temporary folder, so the checkout's results/ stay untouched.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from support import ROOT, load_yaml

pytestmark = pytest.mark.workflow

SMOKE = ["--configfile", "config/smoke.yaml"]


def copy_workflow(dest: Path) -> Path:
    for name in ("Snakefile", "workflow", "config", "envs", "skillfactory"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    return dest


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run Snakemake from this interpreter's environment (its ``python`` first on PATH, no hub access)."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def planned_jobs(result: subprocess.CompletedProcess) -> Counter:
    """Jobs a dry-run plans, by rule name."""
    assert result.returncode == 0, result.stdout + result.stderr
    return Counter(re.findall(r"^(?:local)?rule (\w+):$", result.stdout, flags=re.M))


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """The smoke workflow run once to completion, then the HTML report."""
    workdir = copy_workflow(tmp_path_factory.mktemp("smoke"))
    run = snakemake(workdir, *SMOKE)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    report = snakemake(workdir, *SMOKE, "--report", "results/report.html")
    assert report.returncode == 0, report.stderr[-3000:]
    return workdir


def test_lint_is_clean(tmp_path):
    result = snakemake(copy_workflow(tmp_path), "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


@pytest.mark.parametrize("configfile", [None, "config/smoke.yaml", "config/paper.yaml"])
def test_dry_run_plans_the_whole_dag(tmp_path, configfile):
    workdir = copy_workflow(tmp_path)
    jobs = planned_jobs(snakemake(workdir, "-n", *(["--configfile", configfile] if configfile else [])))
    config = load_yaml(workdir / "config" / "config.yaml")
    if configfile:
        config.update(load_yaml(workdir / configfile))
    assert jobs["train_grpo"] == len(config["arms"])
    assert jobs["evaluate"] == 1 + len(config["arms"]) + len({a["sft_data"] for a in config["arms"].values()} - {None})
    assert jobs["make_figures"] == jobs["make_tables"] == jobs["all"] == 1
    assert jobs["pretrain_base"] == (0 if configfile == "config/paper.yaml" else 1)


@pytest.mark.parametrize(
    "change, key",
    [
        ({"grpo": {"learning_rate": "fast"}}, "grpo.learning_rate"),
        ({"grpo": {"learning_rat": 0.1}}, "learning_rat"),
        ({"sampling": {"temperature": -1}}, "sampling.temperature"),
    ],
)
def test_bad_config_fails_before_any_job(tmp_path, change, key):
    workdir = copy_workflow(tmp_path)
    (workdir / "bad.yaml").write_text(yaml.safe_dump(change))
    result = snakemake(workdir, "--configfile", "bad.yaml")
    assert result.returncode != 0
    assert key in result.stderr
    assert not (workdir / "results").exists()


def test_missing_key_fails_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path)
    config = load_yaml(workdir / "config" / "config.yaml")
    del config["evaluation"]["top_p"]
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir)
    assert result.returncode != 0
    assert "evaluation" in result.stderr and "'top_p' is a required property" in result.stderr
    assert not (workdir / "results").exists()


def test_smoke_run_writes_table_figure_and_report(smoke_run):
    table = pd.read_csv(smoke_run / "results" / "tables" / "accuracy.csv")
    config = load_yaml(smoke_run / "config" / "config.yaml")
    models = {"base", "sft/skillfactory", "sft/star", "rl/rl_only", "rl/skillfactory", "rl/star"}
    assert set(table["model"]) == models
    assert len(table) == len(models) * len(config["eval_sets"])
    assert set(table["eval_set"]) == set(config["eval_sets"])
    assert table["accuracy"].between(0, 1).all()
    assert (table["mean_attempts"] >= 1).all()
    assert (smoke_run / "results" / "figures" / "accuracy.png").stat().st_size > 10_000
    assert "accuracy.png" in (smoke_run / "results" / "report.html").read_text(errors="replace")
    card = json.loads((smoke_run / "results" / "base_card.json").read_text())
    assert set(card["sets"]) == set(config["eval_sets"])
    assert 0 <= card["verification"]["verdict_accuracy"] <= 1
    for model in ("models/base", "models/sft/skillfactory", "models/rl/skillfactory"):
        assert (smoke_run / "results" / model / "model.safetensors").exists()
        assert (smoke_run / "results" / model / "chat_template.jinja").exists()


def test_completed_run_has_nothing_to_do(smoke_run):
    result = snakemake(smoke_run, *SMOKE, "-n")
    assert planned_jobs(result) == Counter(), result.stdout


def test_grpo_change_reruns_only_grpo_evaluation_and_figures(smoke_run, tmp_path):
    change = tmp_path / "grpo.yaml"
    change.write_text(yaml.safe_dump({"grpo": {"learning_rate": 0.123}}))
    # one --configfile flag with both files: a second flag would replace the first
    jobs = planned_jobs(snakemake(smoke_run, *SMOKE, str(change), "-n"))
    arms = len(load_yaml(smoke_run / "config" / "config.yaml")["arms"])
    assert jobs == Counter(train_grpo=arms, evaluate=arms, make_tables=1, make_figures=1, all=1)


def test_pretraining_is_bit_identical(smoke_run, tmp_path):
    """Same config and seed on the same kind of machine: the same weights and tokenizer, byte for byte."""
    workdir = copy_workflow(tmp_path)
    shutil.copytree(smoke_run / "results" / "tasks", workdir / "results" / "tasks")
    run = snakemake(workdir, "results/models/base", *SMOKE)  # targets before --configfile, which takes a list
    assert run.returncode == 0, run.stderr[-3000:]
    for name in ("model.safetensors", "tokenizer.json"):
        first, second = (hashlib.sha256((d / "results/models/base" / name).read_bytes()).hexdigest()
                         for d in (smoke_run, workdir))
        assert first == second, name
