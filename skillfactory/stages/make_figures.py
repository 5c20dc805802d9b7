"""Stage ``make_figures``: one figure per claim, budget forcing and training curves, drawn from the tables.

- ``generalisation.png`` (claim 1): accuracy against Countdown size per arm, before RL and after RL;
- ``ood_change.png`` (claim 3): each RL arm's out-of-domain accuracy change against the base model;
- ``skills.png`` (claim 2): attempts, verifications, verdict accuracy and retries after an Incorrect verdict per arm,
  before and after RL;
- ``budget_forcing.png``: accuracy and tokens against forced thinking rounds per model;
- ``training_curves.png``: what the training runs logged (SFT loss; GRPO reward, completion length, KL).

Every point carries the bootstrap interval of its table. A panel with nothing to show (no out-of-domain sets, no
budget forcing, no verdict at all) says so instead of failing: at nano scale accuracy can be 0 everywhere.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from skillfactory.cli import parse_stage_args  # noqa: E402
from skillfactory.stages.make_tables import PHASES, read_table  # noqa: E402

CURVES = {"sft": ["loss"], "rl": ["reward", "completions/mean_length", "kl"]}


def empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"nothing to show:\n{what}", ha="center", va="center", transform=ax.transAxes, color="gray")
    ax.set_xticks([])
    ax.set_yticks([])


def palette(names) -> dict:
    names = list(dict.fromkeys(names))
    return dict(zip(names, sns.color_palette("colorblind", len(names))))


def dot_whisker(ax, frame: pd.DataFrame, x: str, y: str, hue: str, colors: dict, order: list) -> None:
    """Points with interval whiskers (columns ``y``, ``y_low``, ``y_high``) at categorical ``x``, dodged by ``hue``."""
    levels = [h for h in colors if h in set(frame[hue])]
    width = 0.8 / max(1, len(levels))
    for k, level in enumerate(levels):
        rows = frame[frame[hue] == level].set_index(x).reindex(order)
        pos = np.arange(len(order)) - 0.4 + width * (k + 0.5)
        est = rows[y].to_numpy(float)
        err = np.abs(np.vstack([est - rows[f"{y}_low"].to_numpy(float), rows[f"{y}_high"].to_numpy(float) - est]))
        ax.errorbar(pos, est, yerr=np.nan_to_num(err), fmt="o", color=colors[level], label=level, capsize=3)
    ax.set_xticks(range(len(order)), order)
    ax.tick_params(axis="x", labelrotation=30)


def lines_with_bands(ax, frame: pd.DataFrame, x: str, y: str, hue: str, colors: dict) -> None:
    """A line per ``hue`` level with its interval as a band."""
    sns.lineplot(data=frame, x=x, y=y, hue=hue, palette=colors, marker="o", errorbar=None, ax=ax)
    for level, rows in frame.groupby(hue, sort=False):
        rows = rows.sort_values(x)
        ax.fill_between(rows[x], rows[f"{y}_low"], rows[f"{y}_high"], color=colors[level], alpha=0.15, linewidth=0)


def generalisation_figure(table: pd.DataFrame, params: dict, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    per_size = table[table["n_numbers"].notna()] if len(table) else table
    colors = palette(table["arm"]) if len(table) else {}
    for ax, phase in zip(axes, PHASES):
        rows = per_size[per_size["phase"] == phase] if len(per_size) else per_size
        if rows.empty:
            empty(ax, "no Countdown evaluation set")
            continue
        lines_with_bands(ax, rows, "n_numbers", "accuracy", "arm", colors)
        if params["train_n_numbers"] is not None:
            ax.axvline(params["train_n_numbers"], color="gray", linestyle=":", label="training size")
        ax.set_xticks(sorted(rows["n_numbers"].unique()))
        ax.set_xlabel("numbers in the Countdown question")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize="small", title="arm")
    axes[0].set_title("before RL (the arm's initial model)")
    axes[1].set_title("after RL")
    axes[0].set_ylabel("accuracy")
    fig.suptitle("Claim 1: after RL, SkillFactory generalises better to harder Countdown")
    save(fig, path)


def ood_figure(table: pd.DataFrame, params: dict, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(10, 4.5))
    if table.empty or table["change"].isna().all():
        empty(ax, "no out-of-domain evaluation set, or no base model score")
    else:
        order = list(dict.fromkeys(table["eval_set"]))
        dot_whisker(ax, table, "eval_set", "change", "arm", palette(table["arm"]), order)
        ax.axhline(0, color="gray", linewidth=1)
        ax.set_ylabel("accuracy change against base")
        ax.legend(fontsize="small", title="RL arm")
    ax.set_xlabel("")
    ax.set_title("Claim 3: SkillFactory regresses less out of domain after RL than RL from the base model")
    save(fig, path)


def skills_figure(table: pd.DataFrame, params: dict, path: Path) -> None:
    panels = {
        "attempts": "attempts per response",
        "verifications": "verifications per response",
        "balanced_verdict_accuracy": "balanced verdict accuracy (0.5: blind)",
        "retry_gap": "retries after Incorrect minus after Correct",
    }
    fig, axes = plt.subplots(1, len(panels), figsize=(17, 4.5))
    in_domain = table[table["scope"] == "in domain"] if len(table) else table
    by_model = in_domain.set_index("model") if len(in_domain) else in_domain
    rows = [
        {"arm": arm, "phase": phase, **by_model.loc[model].to_dict()}
        for arm, init in params["arms"].items()
        for phase, model in zip(PHASES, (init, f"rl/{arm}"))
        if model in by_model.index
    ]
    frame = pd.DataFrame(rows)
    for ax, (statistic, label) in zip(axes, panels.items()):
        if frame.empty or frame[statistic].isna().all():
            empty(ax, "not measured: no response\nof these models has one")
        else:
            dot_whisker(ax, frame, "arm", statistic, "phase", palette(PHASES), list(params["arms"]))
            ax.legend(fontsize="small")
            if statistic == "balanced_verdict_accuracy":
                ax.set_ylim(-0.02, 1.02)
            elif statistic == "retry_gap":
                ax.set_ylim(-1.02, 1.02)
        ax.set_title(label)
    fig.suptitle("Claim 2: after RL, SkillFactory models really use the skills (Countdown sets)")
    save(fig, path)


def budget_figure(table: pd.DataFrame, params: dict, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    if table.empty:
        for ax in axes:
            empty(ax, "no model was budget-forced")
    else:
        colors = palette(table["model"])
        lines_with_bands(axes[0], table, "round", "accuracy", "model", colors)
        axes[0].set_ylim(-0.02, 1.02)
        sns.lineplot(data=table, x="round", y="mean_tokens", hue="model", palette=colors, marker="o", ax=axes[1])
        for ax in axes:
            ax.set_xticks(sorted(table["round"].unique()))
            ax.set_xlabel("extra thinking rounds forced")
            ax.legend(fontsize="small")
        axes[1].set_ylabel("tokens per response")
    fig.suptitle(f"Budget forcing on {', '.join(params['budget_sets']) or 'no set'}: does thinking longer help?")
    save(fig, path)


def load_curves(paths: list[str]) -> pd.DataFrame:
    """Every run's ``curves.csv``, labelled from its folder ``results/models/<stage>/<name>/seed<k>``; runs that
    logged nothing (or predate curves) are skipped."""
    frames = []
    for path in map(Path, paths):
        if not path.is_file() or path.stat().st_size == 0:
            continue
        stage, name, seed = path.parts[-4:-1]
        frames.append(pd.read_csv(path).assign(stage=stage, run=f"{stage}/{name}", seed=seed))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["stage", "run", "seed", "step"])


def curves_figure(curves: pd.DataFrame, params: dict, path: Path) -> None:
    panels = [(stage, column) for stage, columns in CURVES.items() for column in columns]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 4))
    for ax, (stage, column) in zip(axes, panels):
        rows = curves[curves["stage"] == stage]
        rows = rows[rows["step"].notna() & rows[column].notna()] if column in rows else rows.iloc[0:0]
        if rows.empty:
            empty(ax, f"no {stage.upper()} run logged {column}")
        else:
            # markers too: a run that logged one step (a tiny SFT dataset) draws no line
            sns.lineplot(data=rows, x="step", y=column, hue="run", errorbar=None, marker="o", markersize=3,
                         markeredgewidth=0, ax=ax)
            ax.legend(fontsize="x-small")
        ax.set_title(f"{'SFT' if stage == 'sft' else 'GRPO'}: {column}")
    fig.suptitle("Training curves (mean over seeds) behind every claim")
    save(fig, path)


def save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["tables", "curves", "out_dir"], argv)
    p, tables, out = args.params, Path(args.tables), Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sns.set_theme(style="whitegrid")
    generalisation_figure(read_table(tables / "generalisation.csv"), p, out / "generalisation.png")
    ood_figure(read_table(tables / "ood_change.csv"), p, out / "ood_change.png")
    skills_figure(read_table(tables / "skills.csv"), p, out / "skills.png")
    budget_figure(read_table(tables / "budget_forcing.csv"), p, out / "budget_forcing.png")
    curves_figure(load_curves([c for c in args.curves.split(",") if c]), p, out / "training_curves.png")


if __name__ == "__main__":
    main()
