"""Scale-out: what each job asks for under each config, and the SLURM profile on a real single-node cluster.

The cluster test installs Debian's ``slurm-wlm`` and ``munge``, starts munged, slurmctld and slurmd on this machine,
redoes a slice of the local smoke run through ``--profile profiles/slurm`` (training jobs asking for one fake GPU and
launching through accelerate), and checks that the final table equals the local run's. It needs root and apt-get,
and skips where either is missing. It reuses a cluster that already answers on this machine and leaves it running;
otherwise it writes /etc/slurm/slurm.conf and gres.conf (only where no such file of another origin exists: the
executor drops SLURM_* variables before submitting, so SLURM_CONF cannot point elsewhere), keeps state and logs in a
temporary folder, and removes the files and stops its daemons afterwards.
"""

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from support import ROOT, SMOKE, copy_workflow, load_yaml, snakemake

pytestmark = pytest.mark.workflow

PAPER = ["--configfile", "config/paper.yaml"]
TRAINING_RULES = ("train_sft", "train_grpo")
GENERATION_RULES = ("base_card", "sample_solutions", "sample_reflections", "evaluate", "budget_forcing")


def planned(workdir: Path, *args: str) -> dict[str, list[dict]]:
    """Each planned job of a dry-run, by rule: its resources and shell command."""
    result = snakemake(workdir, "-n", "--printshellcmds", *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    jobs = {}
    for block in re.split(r"\n(?=\[[^\n]*\]\n(?:local)?rule )", result.stdout):
        rule = re.search(r"^(?:local)?rule (\w+):$", block, flags=re.M)
        resources = re.search(r"^\s+resources: (.*)$", block, flags=re.M)
        shell = re.search(r"^Shell command: (.*)$", block, flags=re.M)
        if rule and resources and shell:
            jobs.setdefault(rule.group(1), []).append(
                {"resources": dict(r.split("=", 1) for r in resources.group(1).split(", ")), "shell": shell.group(1)}
            )
    return jobs


def test_paper_training_jobs_take_four_gpus_and_launch_through_accelerate(tmp_path):
    """Qwen2.5-1.5B at 0.4B parameters per GPU: 4 GPUs, one accelerate process each, as one job; generation jobs
    take one GPU and plain python (vLLM spreads over the GPUs it sees)."""
    workdir = copy_workflow(tmp_path)
    jobs = planned(workdir, *PAPER)
    accelerate_config = workdir / "config" / "accelerate" / "ddp.yaml"
    for rule in TRAINING_RULES:
        for job in jobs[rule]:
            assert job["resources"]["gpu"] == "4"
            assert int(job["resources"]["mem_mb"]) > 4 * 1.5e9 * 16 / 2**20
            assert job["shell"].startswith(
                f"accelerate launch --config_file {accelerate_config} --num_processes 4 -m skillfactory.stages.{rule} "
            )
    for rule in GENERATION_RULES:
        for job in jobs[rule]:
            assert job["resources"]["gpu"] == "1"
            assert job["shell"].startswith(f"python -m skillfactory.stages.{rule} ")


def test_only_local_rules_reach_the_hub_at_paper_scale(tmp_path):
    """Compute nodes may be offline: the hub model and hub data sets are read by rules that run on the submitting
    host, and every other job reads the downloaded base model folder."""
    jobs = planned(copy_workflow(tmp_path), *PAPER)
    paper = load_yaml(ROOT / "config" / "paper.yaml")
    hub = [paper["base_model"]["hub_id"], paper["base_model"]["revision"],
           *(paper["task_params"][name]["revision"] for name in ("gsm8k", "commonsense_qa"))]
    local = set()
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        for block in re.findall(r"^\s*localrules:\n((?:\s+\w+,\n)+)", smk.read_text(), flags=re.M):
            local |= set(re.findall(r"(\w+),", block))
    assert {"download_base_model", "generate_tasks"} <= local
    reaching = {rule for rule, planned_jobs in jobs.items() for job in planned_jobs
                if any(name in job["shell"] for name in hub)}
    assert reaching == {"download_base_model", "generate_tasks"}
    for rule in TRAINING_RULES + GENERATION_RULES:
        assert all("results/models/" in job["shell"] for job in jobs[rule]), rule
    assert not any("word_problems" in job["shell"] for planned_jobs in jobs.values() for job in planned_jobs)


def test_nano_jobs_take_no_gpu_and_run_with_python(tmp_path):
    jobs = planned(copy_workflow(tmp_path))
    for rule in TRAINING_RULES + GENERATION_RULES:
        for job in jobs[rule]:
            assert job["resources"]["gpu"] == "0"
            assert job["shell"].startswith(f"python -m skillfactory.stages.{rule} ")


def test_slurm_profile_holds_site_settings_only():
    """Scale (GPUs, memory) comes from the config; the profile must not override it for any rule."""
    profile = load_yaml(ROOT / "profiles" / "slurm" / "config.yaml")
    assert profile["executor"] == "slurm"
    assert profile["retries"] >= 1
    assert "mem_mb" in profile["default-resources"] and "runtime" in profile["default-resources"]
    for rule, resources in profile["set-resources"].items():
        assert set(resources) <= {"runtime", "slurm_partition", "slurm_account"}, rule
    assert not {"resources", "default-resources", "set-resources"} & set(
        load_yaml(ROOT / "profiles" / "default" / "config.yaml")
    ), "the workflow profile is read under --profile profiles/slurm too and would replace its resources"


# ---- the cluster ------------------------------------------------------------------------------------------------

ETC = Path("/etc/slurm")
MARK = "# written by tests/test_slurm.py\n"
SLURM_CONF = MARK + """\
ClusterName=skillfactory-test
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
MinJobAge=300
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation={state}/slurmctld
SlurmdSpoolDir={state}/slurmd
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
NodeName={host} CPUs={cpus} RealMemory={memory_mb} Gres=gpu:1 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
# SLURM only schedules GPUs it knows of: one fake GPU (no device behind it) lets GPU rules run through SLURM on CPU.
GRES_CONF = MARK + "NodeName={host} Name=gpu File=/dev/null\n"


def missing_prerequisite() -> str | None:
    if os.geteuid() != 0:
        return "needs root to install slurm-wlm and munge and to start their daemons"
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        return "needs apt-get to install Debian's slurm-wlm and munge"
    return None


def install_slurm() -> None:
    """Debian's SLURM and munge (about 20 s); the package lists are refreshed only when the first try fails."""
    install = ["apt-get", "install", "-y", "-q", "slurm-wlm", "munge"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, capture_output=True, env=env).returncode:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
        result = subprocess.run(install, capture_output=True, text=True, env=env)
        if result.returncode:
            pytest.skip(f"apt-get could not install slurm-wlm and munge: {result.stderr[-500:]}")


def cluster_answers() -> bool:
    """True when a node of a running cluster (/etc/slurm/slurm.conf) is idle or already busy."""
    result = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return result.returncode == 0 and bool({"idle", "mixed", "allocated"} & set(result.stdout.split()))


def cluster_has_gpus() -> bool:
    return "gpu" in subprocess.run(["sinfo", "-h", "-o", "%G"], capture_output=True, text=True).stdout


def munge_answers() -> bool:
    return subprocess.run(["munge", "-n"], capture_output=True).returncode == 0


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A single-node SLURM cluster on localhost; yields whether it schedules GPUs."""
    reason = missing_prerequisite()
    if reason:
        pytest.skip(reason)
    if not shutil.which("slurmctld"):
        install_slurm()
    if cluster_answers():  # a cluster that runs already is reused as it is, and left running
        yield cluster_has_gpus()
        return
    for name in ("slurm.conf", "gres.conf"):
        if (ETC / name).exists() and not (ETC / name).read_text().startswith(MARK):
            pytest.skip(f"{ETC / name} exists but no cluster answers: the test does not replace this machine's file")
    state = tmp_path_factory.mktemp("slurm")
    host = socket.gethostname().split(".")[0]
    memory_mb = int(int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 * 0.8)
    ETC.mkdir(parents=True, exist_ok=True)
    (ETC / "slurm.conf").write_text(SLURM_CONF.format(host=host, state=state, cpus=os.cpu_count(), memory_mb=memory_mb))
    (ETC / "gres.conf").write_text(GRES_CONF.format(host=host))
    for sub in ("slurmctld", "slurmd"):
        (state / sub).mkdir()
    daemons = []
    if not munge_answers():
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        daemons.append(subprocess.Popen(["runuser", "-u", "munge", "--", "munged", "--foreground"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        wait_for(munge_answers, "munged")
    for daemon in ("slurmctld", "slurmd"):
        with open(state / f"{daemon}.out", "w") as log:
            daemons.append(subprocess.Popen([daemon, "-D"], stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True))
    try:
        wait_for(cluster_answers, "the SLURM node")
        yield True
    finally:
        for daemon in reversed(daemons):
            daemon.terminate()
            daemon.wait(timeout=30)
        for name in ("slurm.conf", "gres.conf"):
            (ETC / name).unlink()


# The output of the local smoke run that the cluster run makes again (--forcerun), with everything downstream: its
# evaluation and budget forcing, the tables, figures and findings; jobs of every environment but the conversion's.
REDONE = "results/models/rl/star/seed0"


@pytest.mark.slurm
def test_smoke_jobs_through_slurm_give_the_local_table(slurm_cluster, smoke_run, tmp_path):
    """A copy of the local smoke run redoes a slice of its DAG with every rule as a SLURM job (status from squeue:
    this cluster keeps no accounting database); training jobs ask for the fake GPU and launch through accelerate.
    The final table equals the local run's. The whole DAG through SLURM works the same, but each of its 40 jobs
    pays SLURM's start-up and polling on top."""
    workdir = tmp_path / "smoke"
    shutil.copytree(smoke_run, workdir, symlinks=True)
    gpu = workdir / "gpu.yaml"  # on a reused cluster without GPUs, training jobs stay on CPU
    gpus = {"train_parameters_per_gpu": 1, "max_gpus_per_job": 1} if slurm_cluster else {}
    gpu.write_text(yaml.safe_dump({"compute": gpus}))
    run = snakemake(
        workdir, "--profile", "profiles/slurm", "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2", "--slurm-keep-successful-logs",
        # the launcher is part of a training rule's shell command: not a reason to redo the other copied models
        "--rerun-triggers", "mtime", "params", "input", "--forcerun", REDONE,
        "--configfile", SMOKE[1], str(gpu),
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    logs = workdir / ".snakemake" / "slurm_logs"
    for rule in ("train_grpo", "evaluate", "budget_forcing", "make_tables", "findings"):
        assert list(logs.glob(f"rule_{rule}/**/*.log")), f"{rule} did not run as a SLURM job"
    grpo_log = next(logs.glob("rule_train_grpo/**/*.log")).read_text()
    assert ("accelerate launch --config_file" in grpo_log) == slurm_cluster
    local = pd.read_csv(smoke_run / "results" / "tables" / "accuracy.csv")
    cluster = pd.read_csv(workdir / "results" / "tables" / "accuracy.csv")
    pd.testing.assert_frame_equal(local, cluster)
