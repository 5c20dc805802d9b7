"""Stage ``make_figures``: accuracy per model on the training task's harder variants and out of domain, and skill use.

Three panels: accuracy on every evaluation set of the training task (Countdown 3 to 6 numbers), accuracy on every
out-of-domain set, and mean attempts per answer on the training task's sets.
"""

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
    in_domain = table[table["task"] == args.params["train_task"]]
    out_of_domain = table[table["task"] != args.params["train_task"]]
    sns.set_theme(style="whitegrid")
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5), gridspec_kw={"width_ratios": [3, 3, 2]})
    sns.pointplot(data=in_domain, x="eval_set", y="accuracy", hue="model", ax=axes[0], dodge=0.3)
    axes[0].set_title(f"{args.params['train_task']}: trained on the first set, harder to the right")
    if len(out_of_domain):
        sns.barplot(data=out_of_domain, x="eval_set", y="accuracy", hue="model", ax=axes[1], legend=False)
    axes[1].set_title("out of domain")
    sns.barplot(data=in_domain, x="model", y="mean_attempts", ax=axes[2], errorbar=None, color="tab:gray")
    axes[2].set_title(f"attempts per answer ({args.params['train_task']})")
    for ax in axes[:2]:
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("")
    for ax in axes:
        ax.tick_params(axis="x", labelrotation=30)
    axes[2].set_xlabel("")
    axes[2].set_ylabel("attempts per answer")
    axes[0].legend(title="model", loc="upper right", fontsize="small")
    fig.tight_layout()
    fig.savefig(args.figure, dpi=120)


if __name__ == "__main__":
    main()
