"""Sweep one training stage against its own targets: SFT keeps the base model's abilities, RL learns.

Run from the repository root after a nano run (or after the stages upstream of SFT)::

    python benchmarks/sweep.py sft benchmarks/sweeps/sft.yaml [--source results] [--jobs 2] [--only VARIANT ...]
    python benchmarks/sweep.py rl benchmarks/sweeps/rl.yaml [--arm skillfactory]

The variants file maps a variant's name to config overrides (merged on top of the nano default, as ``--configfile``
merges). Each variant runs in its own folder ``results/sweeps/<stage>/<name>`` (``rl_<arm>`` for an arm other than
``rl_only``), holding copies (times kept) of the source run's task files, base model and samples (for an RL arm that
starts from SFT, also its SFT data and models), so that Snakemake re-runs only what the overrides touch: for
``sft``, the SFT datasets, the SkillFactory and STaR SFT models and their evaluation; for ``rl``, one arm's GRPO
(``--arm``, default ``rl_only``) and its evaluation, from the source's SFT model where the arm has one; the arm's
starting model is evaluated in each variant's own settings. Variants run ``--jobs`` at a time, all with training
seed ``--seed`` (folders of seeds other than 0 are under ``results/sweeps/<stage>/seed<k>/``). The script prints one
row per variant with the stage targets of docs/nano-world.md; nothing asserts.

A variant that changes ``train_set`` changes the questions the pretraining corpus leaves out, so Snakemake would
pretrain a new base model. ``--keep-base`` keeps the source's instead: it regenerates the question sets, then reruns
by file times only, from self-sampling on. That base model may have seen some of the new training questions in its
corpus; the evaluation sets stay unseen.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import yaml

from skillfactory.stages.evaluate import model_label
from skillfactory.stages.make_tables import Analysis, load_scores

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = ["tasks", "models/base", "samples"]
SFT_UPSTREAM = ["sft_data", "models/sft"]
EVAL = "results/eval/{stage}/{name}/seed{seed}/{file}"
SFT_MODELS = [("base", "base"), ("sft", "skillfactory"), ("sft", "star")]


def rl_models(arm: str) -> list[tuple[str, str]]:
    """The RL arm's starting model (the base model, or its SFT model as the default config names it) and its RL
    model."""
    dataset = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["arms"][arm]["sft_data"]
    return [("base", "base") if dataset is None else ("sft", dataset), ("rl", arm)]


def prepare(source: Path, folder: Path, parts: list, overrides: dict, threads: int, seed: int) -> None:
    """The variant's folder: the upstream ``parts`` of ``results/`` copied with their times, the default config
    (which the Snakefile reads from the working directory) and the variant's overrides as a config file."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "config").exists():
        (folder / "config").symlink_to(ROOT / "config")
    for part in parts:
        target = folder / "results" / part
        if not target.exists() and (source / part).exists():
            shutil.copytree(source / part, target, copy_function=shutil.copy2)
    (folder / "overrides.yaml").write_text(yaml.safe_dump({**overrides, "threads": threads, "seeds": [seed]}))


def run(models: list, source: Path, folder: Path, overrides: dict, threads: int, seed: int, keep_base: bool) -> int:
    parts = UPSTREAM + (SFT_UPSTREAM if models[0][0] == "sft" else [])  # an RL arm from SFT keeps the source's
    prepare(source, folder, parts, overrides, threads, seed)
    targets = [EVAL.format(stage=s, name=n, seed=seed, file="scores.csv") for s, n in models]
    command = ["snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(folder), "--configfile",
               str(folder / "overrides.yaml"), "--cores", str(threads)]
    with open(folder / "sweep.log", "w") as log:
        if keep_base:
            code = subprocess.call([*command, "results/tasks/train.jsonl", "--forcerun", "generate_tasks"],
                                   stdout=log, stderr=subprocess.STDOUT)
            if code:
                return code
            for path in (folder / "results/models/base").rglob("*"):
                path.touch()  # newer than the regenerated questions, so that only its consumers rerun
            # the option goes last: it would read the targets after it as its own values
            return subprocess.call([*command, *targets, "--rerun-triggers", "mtime"], stdout=log,
                                   stderr=subprocess.STDOUT)
        return subprocess.call([*command, *targets], stdout=log, stderr=subprocess.STDOUT)


def metrics(folder: Path, stage: str, name: str, seed: int) -> pd.DataFrame:
    path = folder / EVAL.format(stage=stage, name=name, seed=seed, file="metrics.csv")
    return pd.read_csv(path).set_index("eval_set") if path.exists() else pd.DataFrame()


def sft_row(folder: Path, seed: int, models: list) -> dict:
    """SkillFactory-SFT: trace form and repeated answers on Countdown-3, traces and accuracy on Countdown-4/-5,
    out-of-domain mean against the base model's; STaR-SFT: Countdown-3 and out-of-domain mean against the base
    model's."""
    base, sf, star = (metrics(folder, *model, seed) for model in models)
    if base.empty:
        return {}
    ood = list(base.index[base["task"] != "countdown"])  # the sets of other task families than the training task's

    def ood_vs_base(model: pd.DataFrame) -> float:
        return model.loc[ood, "accuracy"].mean() / base.loc[ood, "accuracy"].mean()

    row = {}
    if not sf.empty:
        row.update({
            "sf_cd3": sf.at["countdown3", "accuracy"],
            "sf_cd3_well_formed": sf.at["countdown3", "well_formed"],
            "sf_cd3_final_is_last": sf.at["countdown3", "final_is_last_sample"],
            "sf_cd3_repeated_answers": sf.at["countdown3", "repeated_answers"],
            "sf_cd4": sf.at["countdown4", "accuracy"], "sf_cd4_attempts": sf.at["countdown4", "mean_attempts"],
            "sf_cd5": sf.at["countdown5", "accuracy"], "sf_cd5_attempts": sf.at["countdown5", "mean_attempts"],
            "sf_ood_vs_base": ood_vs_base(sf),
        })
    if not star.empty:
        row.update({
            "star_cd3_minus_base": star.at["countdown3", "accuracy"] - base.at["countdown3", "accuracy"],
            "star_ood_vs_base": ood_vs_base(star),
        })
    return row


def rl_row(folder: Path, seed: int, models: list) -> dict:
    """The RL model minus its starting model on Countdown-3, with its paired bootstrap interval."""
    paths = [folder / EVAL.format(stage=s, name=n, seed=seed, file="scores.csv") for s, n in models]
    if not all(p.exists() for p in paths):
        return {}
    start, rl = (model_label({"stage": s, "name": n}) for s, n in models)
    analysis = Analysis(load_scores(paths), {"analysis": {"bootstrap_resamples": 2000, "ci_level": 0.95}, "seed": 0})
    diff = analysis.difference("accuracy", (rl, None), (start, None), ["countdown3"])
    curves = pd.read_csv(folder / f"results/models/{rl}/seed{seed}/curves.csv")
    reward = curves["reward"].dropna()
    return {"cd3_gain": diff.estimate, "low": diff.low, "high": diff.high,
            "reward_first_10": reward.head(10).mean(), "reward_last_10": reward.tail(10).mean()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["rl", "sft"])
    parser.add_argument("variants")
    parser.add_argument("--source", default="results")
    parser.add_argument("--jobs", type=int, default=2, help="variants at once; each gets 2/jobs threads")
    parser.add_argument("--seed", type=int, default=0, help="training seed of every variant (config key seeds)")
    parser.add_argument("--keep-base", action="store_true",
                        help="keep the source's base model where a variant changes train_set (see above)")
    parser.add_argument("--only", nargs="+", metavar="VARIANT", help="run these variants of the file only")
    parser.add_argument("--arm", default="rl_only", help="the RL arm whose GRPO the rl stage sweeps")
    args = parser.parse_args()
    models = SFT_MODELS if args.stage == "sft" else rl_models(args.arm)
    variants = yaml.safe_load(Path(args.variants).read_text())
    if args.only:
        unknown = set(args.only) - set(variants)
        if unknown:
            parser.error(f"no such variants in {args.variants}: {', '.join(sorted(unknown))}")
        variants = {name: variants[name] for name in args.only}
    source = Path(args.source).resolve()
    stage = args.stage if args.stage == "sft" or args.arm == "rl_only" else f"rl_{args.arm}"
    out = Path("results/sweeps").resolve() / stage / (f"seed{args.seed}" if args.seed else "")
    threads = max(1, 2 // args.jobs)
    folders = {name: out / name for name in variants}
    with ThreadPoolExecutor(args.jobs) as pool:
        codes = dict(zip(variants, pool.map(
            lambda name: run(models, source, folders[name], variants[name] or {}, threads, args.seed,
                             args.keep_base), variants)))
    summarize = sft_row if args.stage == "sft" else rl_row
    table = pd.DataFrame([{"variant": n, "exit": codes[n], **summarize(f, args.seed, models)}
                          for n, f in folders.items()])
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
