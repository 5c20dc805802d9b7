# Python helpers of the workflow: config validation, model references, target lists, wildcard constraints.
# Stage logic lives in the skillfactory package; rules only wire files and config slices to its entry points.

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)  # the checkout's package, also where it is not installed
from skillfactory.config import validate_config

validate_config(config, str(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"))

# Jobs run `python -m skillfactory.<stage>` in whatever environment executes them (the driver's venv, a per-rule
# conda env, a SLURM node): putting the checkout on PYTHONPATH makes the package importable in all of them.
os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [workflow.basedir, os.environ.get("PYTHONPATH")])))

RESULTS = "results"
BASE_DIR = f"{RESULTS}/models/base"
STAGES = ("base", "sft", "rl")


def as_json(obj):
    """A config slice as the --params argument of a stage (sorted keys: equal configs give equal params)."""
    return json.dumps(obj, sort_keys=True)


def pretrains_base():
    """True when the workflow builds the nano base model instead of loading a hub model."""
    return config["base_model"]["hub_id"] is None


def model_path(stage, name):
    """Folder (or hub id) of a model: the base model, an SFT model of a dataset, or an RL model of an arm."""
    if stage == "base":
        return BASE_DIR if pretrains_base() else config["base_model"]["hub_id"]
    return f"{RESULTS}/models/{stage}/{name}"


def model_input(stage, name):
    """The model as an input file of a job (a folder the workflow builds), or nothing for a hub model."""
    return [] if stage == "base" and not pretrains_base() else [model_path(stage, name)]


def model_params(stage, name):
    """The ``model``/``revision`` params of a stage that loads this model."""
    revision = config["base_model"]["revision"] if stage == "base" and not pretrains_base() else None
    return {"model": model_path(stage, name), "revision": revision}


def arm_init(arm):
    """(stage, name) of the model an RL arm starts from."""
    dataset = config["arms"][arm]["sft_data"]
    return ("base", "base") if dataset is None else ("sft", dataset)


def generation_params():
    return {"threads": config["threads"], "batch_size": config["generation"]["batch_size"], "seed": config["seed"]}


def sampling_settings(section):
    """The generation settings of a config section, without its counts."""
    return {k: section[k] for k in ("temperature", "top_p", "max_new_tokens")}


def task_file(name):
    return f"{RESULTS}/tasks/{name}.jsonl"


def set_template(spec):
    """The prompt template of a question set: its own, or the main prompt style."""
    return spec["template"] or config["prompts"]["styles"][config["prompts"]["main_style"]]


def ood_sets():
    """Out-of-domain task families of the evaluation sets, each with its set's parameters and prompt template."""
    return {
        spec["task"]: {"params": {**config["task_params"][spec["task"]], **spec["params"]}, "template": set_template(spec)}
        for spec in config["eval_sets"].values()
        if spec["task"] != config["train_set"]["task"]
    }


def evaluated_models():
    """Every model evaluated: the base model, each SFT model an arm uses, each RL arm."""
    sft = sorted({d for d in (a["sft_data"] for a in config["arms"].values()) if d is not None})
    return [("base", "base")] + [("sft", d) for d in sft] + [("rl", arm) for arm in config["arms"]]


def metrics_file(stage, name):
    return f"{RESULTS}/eval/{stage}/{name}/metrics.csv"


def final_targets():
    return [
        f"{RESULTS}/base_card.json",
        f"{RESULTS}/tables/accuracy.csv",
        f"{RESULTS}/tables/accuracy.md",
        f"{RESULTS}/figures/accuracy.png",
    ]
