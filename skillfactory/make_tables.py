"""Stage ``make_tables``: every model's metrics in one table (CSV for analysis, Markdown for the report).

Columns: ``model`` (``base``, ``sft/<data>``, ``rl/<arm>``), ``eval_set`` and the evaluation metrics; one row per
model and evaluation set.
"""

from __future__ import annotations

import pandas as pd

from skillfactory.cli import parse_stage_args


def collect(metric_files: list[str]) -> pd.DataFrame:
    return pd.concat([pd.read_csv(f) for f in metric_files], ignore_index=True)


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["metrics", "csv", "markdown"], argv)
    table = collect(args.metrics.split(","))
    table.to_csv(args.csv, index=False, float_format="%.4f")
    wide = table.pivot(index="model", columns="eval_set", values="accuracy")
    wide = wide.loc[table["model"].unique(), table["eval_set"].unique()]
    with open(args.markdown, "w") as f:
        f.write("Accuracy (mean score of sampled responses) per model and evaluation set.\n\n")
        f.write(wide.to_markdown(floatfmt=".3f") + "\n")


if __name__ == "__main__":
    main()
