"""Stage ``make_figures``: accuracy against evaluation set (Countdown size) per model, and attempts per answer."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from skillfactory.cli import parse_stage_args  # noqa: E402


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["table", "figure"], argv)
    table = pd.read_csv(args.table)
    sns.set_theme(style="whitegrid")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric, label in ((axes[0], "accuracy", "accuracy"), (axes[1], "mean_attempts", "attempts per answer")):
        sns.pointplot(data=table, x="eval_set", y=metric, hue="model", ax=ax, dodge=0.3)
        ax.set_xlabel("evaluation set")
        ax.set_ylabel(label)
    axes[0].set_ylim(-0.02, 1.02)
    axes[1].get_legend().remove()
    fig.tight_layout()
    fig.savefig(args.figure, dpi=120)


if __name__ == "__main__":
    main()
