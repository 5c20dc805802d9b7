"""The real Snakemake workflow: lint, dry-runs of every shipped config, bad configs, and the smoke DAG end to end.

Each test runs in a copy of the workflow files under a temporary folder, so the checkout's results/ stay untouched.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import update_config

from skillfactory.io import read_jsonl
from support import SMOKE, copy_workflow, load_yaml, snakemake

pytestmark = pytest.mark.workflow


def job_blocks(result: subprocess.CompletedProcess) -> list[tuple[str, str]]:
    """Each job a dry-run plans: its rule name and the text printed for it up to the next job."""
    assert result.returncode == 0, result.stdout + result.stderr
    return re.findall(r"^(?:local)?rule (\w+):$(.*?)(?=^(?:local)?rule |\Z)", result.stdout, flags=re.M | re.S)


def planned_jobs(result: subprocess.CompletedProcess) -> Counter:
    """Jobs a dry-run plans, by rule name."""
    return Counter(rule for rule, _ in job_blocks(result))


def test_lint_is_clean(tmp_path):
    result = snakemake(copy_workflow(tmp_path), "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "configfile", [None, "config/smoke.yaml", "config/paper.yaml", "config/smollm.yaml", "config/long_rl.yaml"]
)
def test_dry_run_plans_the_whole_dag(tmp_path, configfile):
    workdir = copy_workflow(tmp_path)
    jobs = planned_jobs(snakemake(workdir, "-n", *(["--configfile", configfile] if configfile else [])))
    config = load_yaml(workdir / "config" / "config.yaml")
    if configfile:
        update_config(config, load_yaml(workdir / configfile))
    seeds = len(config["seeds"])
    datasets = {a["sft_data"] for a in config["arms"].values()} - {None}
    assert jobs["train_grpo"] == len(config["arms"]) * seeds
    assert jobs["train_sft"] == len(datasets) * seeds
    assert jobs["evaluate"] == (1 + len(config["arms"]) + len(datasets)) * seeds
    assert jobs["make_figures"] == jobs["make_tables"] == jobs["all"] == 1
    assert jobs["pretrain_base"] == (1 if configfile in (None, "config/smoke.yaml", "config/long_rl.yaml") else 0)
    assert jobs["convert_gguf"] == (1 if configfile == "config/smollm.yaml" else 0)


def test_fine_tuning_jobs_take_their_own_threads(tmp_path):
    result = snakemake(copy_workflow(tmp_path), "-n", "-p", "--config", "threads=5", "fine_tuning_threads=3")
    threads = {}
    for rule, block in job_blocks(result):
        threads.setdefault(rule, set()).update(re.findall(r'"threads": (\d+)', block))
    assert threads["train_sft"] == threads["train_grpo"] == {"3"}
    assert threads["pretrain_base"] == {"5"}


def test_config_values_on_the_command_line_are_typed(tmp_path):
    """``--config seeds=[0,1,2]`` trains every model with three seeds and a nested number stays a number, beside a
    ``--configfile`` whose own values (the smoke config's empty style openings among them) stay as written."""
    workdir = copy_workflow(tmp_path)
    result = snakemake(workdir, "-n", "-p", *SMOKE, "--config", "seeds=[0,1,2]", "grpo={max_steps: 3}")
    config = load_yaml(workdir / "config" / "config.yaml")
    update_config(config, load_yaml(workdir / SMOKE[1]))
    assert planned_jobs(result)["train_grpo"] == 3 * len(config["arms"])
    assert set(re.findall(r'"max_steps": (\w+)', result.stdout)) == {"3"}


def test_null_arms_are_left_out(tmp_path):
    """An arm set to null trains nothing: neither its GRPO nor an SFT model that only it starts from."""
    result = snakemake(copy_workflow(tmp_path), "-n", "-p", "--config",
                       "arms={star: null, no_reflection: null, random_order: null, single_prompt: null}")
    assert result.returncode == 0, result.stderr
    trained = {"train_sft": set(), "train_grpo": set()}
    for rule, block in job_blocks(result):
        if rule in trained:
            trained[rule].update(re.findall(r"output: results/models/\w+/(\w+)/seed0", block))
    assert trained == {"train_sft": {"skillfactory"}, "train_grpo": {"rl_only", "skillfactory"}}


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
    datasets = {a["sft_data"] for a in config["arms"].values()} - {None}
    models = {"base"} | {f"sft/{d}" for d in datasets} | {f"rl/{arm}" for arm in config["arms"]}
    assert {"rl/rl_only", "rl/skillfactory", "rl/star", "rl/no_reflection", "rl/random_order"} <= models
    assert set(table["model"]) == models
    assert len(table) == len(models) * len(config["eval_sets"])
    assert set(table["eval_set"]) == set(config["eval_sets"])
    assert table["accuracy"].between(0, 1).all()
    assert (table["mean_attempts"] >= 1).all()
    report = (smoke_run / "results" / "report.html").read_text(errors="replace")
    for figure in ("generalisation", "skills", "ood_change", "budget_forcing", "training_curves"):
        assert (smoke_run / "results" / "figures" / f"{figure}.png").stat().st_size > 10_000
        assert f"{figure}.png" in report
    card = json.loads((smoke_run / "results" / "base_card.json").read_text())
    assert set(card["sets"]) == set(config["eval_sets"])
    assert 0 <= card["verification"]["verdict_accuracy"] <= 1
    for model in ("models/base", "models/sft/skillfactory/seed0", "models/rl/skillfactory/seed0"):
        assert (smoke_run / "results" / model / "model.safetensors").exists()
        assert (smoke_run / "results" / model / "chat_template.jinja").exists()


def test_budget_forcing_starts_from_the_evaluation_responses(smoke_run):
    model = smoke_run / "results" / "{}" / "rl" / "skillfactory" / "seed0" / "responses.jsonl"
    key = ("eval_set", "question_id", "sample_index")
    evaluated = {tuple(r[k] for k in key): r["response"] for r in read_jsonl(str(model).format("eval"))}
    forced = [r for r in read_jsonl(str(model).format("budget_forcing")) if r["round"] == 0]
    assert forced and all(r["response"] == evaluated[tuple(r[k] for k in key)] for r in forced)


def test_completed_run_has_nothing_to_do(smoke_run):
    result = snakemake(smoke_run, *SMOKE, "-n")
    assert planned_jobs(result) == Counter(), result.stdout


def test_grpo_change_reruns_only_grpo_evaluation_and_figures(smoke_run, tmp_path):
    change = tmp_path / "grpo.yaml"
    change.write_text(yaml.safe_dump({"grpo": {"learning_rate": 0.123}}))
    # one --configfile flag with both files: a second flag would replace the first
    jobs = planned_jobs(snakemake(smoke_run, *SMOKE, str(change), "-n"))
    config = load_yaml(smoke_run / "config" / "config.yaml")
    runs = len(config["arms"]) * len(config["seeds"])
    forced = runs if "rl" in config["evaluation"]["budget_forcing"]["stages"] else 0
    assert jobs == Counter(
        train_grpo=runs, evaluate=runs, budget_forcing=forced, make_tables=1, make_figures=1, findings=1, all=1
    )


def test_evaluation_batch_size_reruns_only_the_evaluation_jobs(smoke_run, tmp_path):
    """``evaluation.batch_size`` reaches evaluation and budget forcing, not self-sampling or the base card."""
    change = tmp_path / "batch.yaml"
    change.write_text(yaml.safe_dump({"evaluation": {"batch_size": 3}}))
    jobs = planned_jobs(snakemake(smoke_run, *SMOKE, str(change), "-n"))
    config = load_yaml(smoke_run / "config" / "config.yaml")
    update_config(config, load_yaml(smoke_run / "config" / "smoke.yaml"))
    datasets = {a["sft_data"] for a in config["arms"].values()} - {None}
    models = (1 + len(config["arms"]) + len(datasets)) * len(config["seeds"])
    forced = (1 + len(config["arms"])) * len(config["seeds"])
    assert jobs == Counter(
        evaluate=models, budget_forcing=forced, make_tables=1, make_figures=1, findings=1, all=1
    )


def edited_run(smoke_run, tmp_path, module, old, new):
    """A copy of the finished smoke run in which ``old`` in package module ``module`` reads ``new``."""
    workdir = tmp_path / "run"
    shutil.copytree(smoke_run, workdir)
    path = workdir / "skillfactory" / module
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return workdir


BEHAVIOUR_CHANGE = "\nCHANGED_BEHAVIOUR = True\n"  # a new statement: a different syntax tree


def test_figure_code_change_reruns_only_the_figures(smoke_run, tmp_path):
    workdir = edited_run(smoke_run, tmp_path, "stages/make_figures.py", "\n\n\ndef ", BEHAVIOUR_CHANGE + "\n\ndef ")
    assert planned_jobs(snakemake(workdir, *SMOKE, "-n")) == Counter(make_figures=1, all=1)


def test_evaluation_code_change_reruns_evaluations_and_what_follows_not_training(smoke_run, tmp_path):
    workdir = edited_run(smoke_run, tmp_path, "stages/evaluate.py", "\n\n\ndef ", BEHAVIOUR_CHANGE + "\n\ndef ")
    jobs = planned_jobs(snakemake(workdir, *SMOKE, "-n"))
    config = load_yaml(workdir / "config" / "config.yaml")
    update_config(config, load_yaml(workdir / "config" / "smoke.yaml"))
    datasets = {a["sft_data"] for a in config["arms"].values()} - {None}
    models = (1 + len(config["arms"]) + len(datasets)) * len(config["seeds"])
    forced = (1 + len(config["arms"])) * len(config["seeds"])  # budget forcing imports the evaluation stage
    assert jobs == Counter(
        evaluate=models, budget_forcing=forced, make_tables=1, make_figures=1, findings=1, all=1
    )
    changes = snakemake(workdir, *SMOKE, "--list-changes", "code")
    assert changes.returncode == 0, changes.stderr
    stale = set(changes.stdout.split())
    assert "results/eval/base/base/seed0/scores.csv" in stale
    assert not any("/models/" in path or "sft_data" in path for path in stale)


def test_countdown_task_change_reruns_every_stage_that_imports_it(smoke_run, tmp_path):
    workdir = edited_run(smoke_run, tmp_path, "tasks/countdown.py", "\n\n\ndef ", BEHAVIOUR_CHANGE + "\n\ndef ")
    jobs = planned_jobs(snakemake(workdir, *SMOKE, "-n"))
    (tmp_path / "fresh").mkdir()
    fresh = copy_workflow(tmp_path / "fresh")
    assert jobs == planned_jobs(snakemake(fresh, *SMOKE, "-n"))  # the task generator's questions feed every job


def test_docstring_and_comment_changes_rerun_nothing(smoke_run, tmp_path):
    workdir = edited_run(smoke_run, tmp_path, "stages/evaluate.py", '"""Stage ``evaluate``', '"""Stage ``evaluate`` (reworded)')
    path = workdir / "skillfactory" / "tasks" / "countdown.py"
    path.write_text("# a comment at the top\n" + path.read_text().replace("\n\n\ndef ", "\n\n\n# another comment\ndef ", 1))
    assert planned_jobs(snakemake(workdir, *SMOKE, "-n")) == Counter()


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


@pytest.mark.parametrize(
    "rule, longer",
    [
        ("train_sft", {"sft": {"epochs": 40, "save_steps": 3}}),
        ("train_grpo", {"grpo": {"max_steps": 30, "save_steps": 3}}),
    ],
)
def test_killed_training_resumes_from_its_checkpoint(smoke_run, tmp_path, rule, longer):
    """SIGKILL a training job (and Snakemake with it) after its first checkpoint; the rerun continues from there."""
    workdir = tmp_path / "run"
    shutil.copytree(smoke_run, workdir)
    (workdir / "resume.yaml").write_text(yaml.safe_dump(longer))
    stage = "sft" if rule == "train_sft" else "rl"
    target = f"results/models/{stage}/skillfactory/seed0"
    shutil.rmtree(workdir / target)
    args = [target, "--configfile", "config/smoke.yaml", "resume.yaml"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    first = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    checkpoints = workdir / f"results/checkpoints/{rule}/skillfactory/seed0"
    deadline = time.monotonic() + 300
    while not list(checkpoints.glob("checkpoint-*/trainer_state.json")):
        assert first.poll() is None, "the job ended before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint within 5 minutes"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert not (workdir / target).exists()
    assert snakemake(workdir, "--unlock", *args).returncode == 0
    rerun = snakemake(workdir, *args)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    log = (workdir / f"results/logs/{rule}/skillfactory/seed0.log").read_text()
    resumed = re.search(r"resuming from \S+/checkpoint-(\d+)", log)
    assert resumed and int(resumed.group(1)) >= 3, log[-2000:]
    curves = pd.read_csv(workdir / target / "curves.csv").dropna(subset=["loss"])
    assert list(curves["step"]) == list(range(1, len(curves) + 1))  # history of both runs, without gaps
    assert (workdir / target / "model.safetensors").exists() and not checkpoints.exists()
