# Python helpers of the workflow: config validation, model references, target lists, wildcard constraints.
# Stage logic lives in the skillfactory package; rules only wire files and config slices to its entry points.

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, workflow.basedir)  # the checkout's package, also where it is not installed
from snakemake.utils import update_config

from skillfactory.config import selected_arms, selected_eval_sets, typed_overrides, validate_config
from skillfactory.fingerprint import code_fingerprint
from skillfactory.traces import samples_needed

update_config(config, typed_overrides(workflow.config_settings.config))  # --config only, not --configfile
validate_config(config, str(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"))
config["eval_sets"] = selected_eval_sets(config)
config["arms"] = selected_arms(config)

# Jobs run `python -m skillfactory.stages.<stage>` in whatever environment executes them (the driver's venv, a per-rule
# conda env, a SLURM node): putting the checkout on PYTHONPATH makes the package importable in all of them.
os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [workflow.basedir, os.environ.get("PYTHONPATH")])))

RESULTS = "results"
BASE_DIR = f"{RESULTS}/models/base"
STAGES = ("base", "sft", "rl")


def stage_shell(stage, paths, launcher="python"):
    """The shell command of a job of ``stage``: its module with the job's ``paths`` arguments, its config slice and
    the fingerprint of the package code it runs, output and errors to the job's log. The fingerprint makes the
    command, which Snakemake's code trigger compares, change exactly when that code's behaviour can."""
    code = code_fingerprint(workflow.basedir, stage)
    return f"{launcher} -m skillfactory.stages.{stage} {paths} --params {{params.json:q}} --code {code} > {{log}} 2>&1"


def as_json(obj):
    """A config slice as the --params argument of a stage (sorted keys: equal configs give equal params)."""
    return json.dumps(obj, sort_keys=True)


def pretrains_base():
    """True when the workflow pretrains the nano base model: no hub model to download and no GGUF file to convert."""
    return config["base_model"]["hub_id"] is None and config["base_model"]["gguf"] is None


def model_path(stage, name, seed=None):
    """Folder of a model: the base model (downloaded, converted or pretrained into ``BASE_DIR``), or the SFT model of
    a dataset / RL model of an arm trained with ``seed``."""
    if stage == "base":
        return BASE_DIR
    return f"{RESULTS}/models/{stage}/{name}/seed{seed}"


def model_input(stage, name, seed=None):
    """The model folder as an input file of a job."""
    return [model_path(stage, name, seed)]


def model_params(stage, name, seed=None):
    """The ``model`` param of a stage that loads this model."""
    return {"model": model_path(stage, name, seed)}


def arm_init(arm):
    """(stage, name) of the model an RL arm starts from."""
    dataset = config["arms"][arm]["sft_data"]
    return ("base", "base") if dataset is None else ("sft", dataset)


def generation_params():
    """What every generation job needs: backend, batch size and its own thread count (``generation``), and the seed."""
    return {**config["generation"], "seed": config["seed"]}


def sampling_settings(section):
    """The generation settings of a config section, without its counts."""
    return {k: section[k] for k in ("temperature", "top_p", "max_new_tokens")}


def checkpoint_dir(job):
    """Resumable checkpoints of a training job: outside its declared outputs, which Snakemake deletes on failure."""
    return f"{RESULTS}/checkpoints/{job}"


def task_file(name):
    return f"{RESULTS}/tasks/{name}.jsonl"


def question_sets():
    """Every question set generate_tasks writes, by file name: the evaluation sets, ``train`` and, unless GRPO
    reuses the training questions, ``rl``."""
    rl = {"rl": config["rl_set"]} if config["rl_set"] else {}
    return {**config["eval_sets"], "train": config["train_set"], **rl}


TASK_SETS = list(question_sets())
RL_SET = "rl" if config["rl_set"] else "train"


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


def replay_params():
    """What build_sft_data needs to write replay documents: the corpus settings only when it writes any, so that a
    config without replay (the paper's) passes no hub data set's settings to the job."""
    replay = config["sft_replay"]
    if replay["share"] == 0:
        return replay
    corpus = {"pretrain": config["pretrain"], "countdown": config["task_params"]["countdown"]}
    return {**replay, **corpus, "prompts": config["prompts"], "ood_sets": ood_sets()}


def evaluated_models():
    """Every model evaluated, as (stage, name, seed): the base model, each SFT model an arm uses, each RL arm; the
    base model is evaluated once per seed too, so that every model's interval covers the same sampling seeds."""
    sft = sorted({d for d in (a["sft_data"] for a in config["arms"].values()) if d is not None})
    models = [("base", "base")] + [("sft", d) for d in sft] + [("rl", arm) for arm in config["arms"]]
    return [(stage, name, seed) for stage, name in models for seed in config["seeds"]]


# Evaluation, budget forcing and the report (evaluation.smk, report.smk).
BUDGET = config["evaluation"]["budget_forcing"]


def budget_forced_models():
    """(stage, name, seed) of every evaluated model whose stage budget forcing covers."""
    return [model for model in evaluated_models() if model[0] in BUDGET["stages"]]


def scores_file(stage, name, seed):
    return f"{RESULTS}/eval/{stage}/{name}/seed{seed}/scores.csv"


def budget_scores_file(stage, name, seed):
    return f"{RESULTS}/budget_forcing/{stage}/{name}/seed{seed}/scores.csv"


def model_run_params(w, sets):
    """What a job that samples one model on evaluation questions needs: generation settings with the training seed
    as sampling seed, the model, its (stage, name, seed) label and the prompt template of each set."""
    return {
        **generation_params(),
        "backend": config["evaluation"]["backend"] or config["generation"]["backend"],
        "batch_size": config["evaluation"]["batch_size"],
        "seed": int(w.seed),
        **model_params(w.stage, w.name, w.seed),
        "model_id": {"stage": w.stage, "name": w.name, "seed": int(w.seed)},
        "templates": {name: set_template(config["eval_sets"][name]) for name in sets},
        "samples_per_question": config["evaluation"]["samples_per_question"],
    }


def n_numbers(spec):
    """Countdown size of a question set (None for other tasks)."""
    return spec["params"].get("n_numbers")


def training_size_sets():
    """The evaluation sets of the training questions' task and size, on which RL's own effect is measured."""
    size = n_numbers(config["train_set"])
    return [name for name in analysis_sets()["in_domain_sets"] if n_numbers(config["eval_sets"][name]) == size]


def analysis_sets():
    """Which evaluation sets the comparisons pool: the training task's sets (in domain), those with more numbers
    than the training questions (harder), and the other tasks' sets (out of domain); and the budget-forced sets."""
    train, sets = config["train_set"], config["eval_sets"]
    in_domain = [name for name, spec in sets.items() if spec["task"] == train["task"]]
    return {
        "eval_sets": list(sets),
        "in_domain_sets": in_domain,
        "harder_sets": [n for n in in_domain if (n_numbers(sets[n]) or 0) > (n_numbers(train) or 0)],
        "ood_sets": [name for name, spec in sets.items() if spec["task"] != train["task"]],
        "set_sizes": {n: n_numbers(sets[n]) for n in in_domain if n_numbers(sets[n])},
        "budget_sets": BUDGET["eval_sets"],
        "rounds": BUDGET["rounds"],
    }


def arm_models():
    """Each arm's model before RL: ``base`` or ``sft/<dataset>``."""
    return {arm: "base" if arm_init(arm)[0] == "base" else f"sft/{arm_init(arm)[1]}" for arm in config["arms"]}


def final_targets():
    """The base card and every file of the report: tables, figures and findings (rules of report.smk)."""
    return [
        f"{RESULTS}/base_card.json",
        *rules.make_tables.output,
        *rules.make_figures.output,
        *rules.findings.output,
    ]
