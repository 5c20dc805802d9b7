"""Shared paths and helpers of the test suite."""

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


SMOKE = ["--configfile", "config/smoke.yaml"]


@functools.cache
def load_script(name):
    """``benchmarks/<name>.py``, a script rather than a module of the package, loaded once."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_model_and_tokenizer():
    """A one-layer nano model and its tokenizer, built by the pretraining stage's own code, for fast unit tests.

    Heads of 32 dimensions: the smallest head size vLLM's CPU attention runs (16 fails with "Unsupported CPU
    attention configuration"), so the real-vLLM test can use this model too."""
    from skillfactory.nano.tokenizer import train_tokenizer
    from skillfactory.stages.pretrain_base import build_model

    texts = ["Numbers: 3 7 12\nTarget: 33", "<answer>\n3 * 7 = 21\n21 + 12 = 33\n</answer>"] * 20
    tokenizer = train_tokenizer(texts, 300)
    arch = {"hidden_size": 64, "intermediate_size": 64, "num_layers": 1, "num_heads": 2, "max_positions": 128}
    return build_model(arch, tokenizer), tokenizer


def copy_workflow(dest: Path) -> Path:
    for name in ("Snakefile", "workflow", "config", "envs", "skillfactory", "profiles"):
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
