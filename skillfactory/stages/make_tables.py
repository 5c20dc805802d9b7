"""Stage ``make_tables``: every number the figures and the findings use, with bootstrap intervals.

Reads the per-response scores of every evaluated model (``evaluate``) and of every budget-forced model
(``budget_forcing``) and writes each table as CSV (for analysis), Markdown, LaTeX and HTML (for the report):

- ``accuracy``: every model on every evaluation set, accuracy with its interval over questions and seeds;
- ``skills``: skill use per model, in domain and out of domain (attempts, verifications, verdict accuracy plain and
  balanced, retries after an Incorrect verdict and their excess over retries after Correct, answer changes, tokens,
  the share of responses shaped like a silver trace and of those ending on their last sample's answer), each with
  its interval (claim 2);
- ``generalisation``: each arm before and after RL on every Countdown size and on the harder sizes pooled, its
  paired difference from the baseline arm in the same phase (claim 1), and what RL changed (post-RL rows: RL model
  minus the model it started from);
- ``ood_change``: each RL arm's change against the base model on every out-of-domain set, on all of them as the mean
  over sets (decisive: every task weighs the same) and pooled over questions, and its paired difference from the
  baseline arm (claim 3);
- ``budget_forcing``: accuracy and tokens after each forced round, and the gain against round 0;
- ``claims``: the comparisons that decide each claim (estimate, interval, the value of no effect and the expected
  side), which ``findings`` turns into text.

Intervals are paired percentile bootstraps (:mod:`skillfactory.bootstrap`); an undefined statistic (no verdict at
all, a missing arm) is left empty rather than guessed.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from skillfactory.bootstrap import Interval, aligned_grids, combined_interval, ratio
from skillfactory.cli import parse_stage_args

# statistic -> its ratios, each (summed value, summed count) over the responses of a (seed, question) cell, and how
# they combine into the statistic
RATIOS = {
    "accuracy": [("score", "responses")],
    "attempts": [("attempts", "responses")],
    "verifications": [("verifications", "responses")],
    "verdict_accuracy": [("verdicts_right", "verdicts")],
    "balanced_verdict_accuracy": [
        ("verdicts_right_on_correct", "verdicts_on_correct"),
        ("verdicts_right_on_incorrect", "verdicts_on_incorrect"),
    ],
    "retry_rate": [("retries_after_incorrect", "judged_incorrect")],
    "retry_gap": [("retries_after_incorrect", "judged_incorrect"), ("retries_after_correct", "judged_correct")],
    "answer_changes": [("answer_changes", "responses")],
    "repeated_answers": [("repeated_answers", "attempts")],
    "tokens": [("tokens", "responses")],
    "well_formed": [("well_formed", "responses")],
    "final_is_last_sample": [("final_is_last_sample", "well_formed")],
}
COMBINE = {
    "balanced_verdict_accuracy": lambda r: (r[0] + r[1]) / 2,
    "retry_gap": lambda r: r[0] - r[1],
}
SKILLS = ("attempts", "verifications", "verdict_accuracy", "balanced_verdict_accuracy", "retry_rate", "retry_gap",
          "answer_changes", "repeated_answers", "tokens", "well_formed", "final_is_last_sample")
PHASES = ("pre-RL", "post-RL")
TITLES = {
    "accuracy": "Accuracy of every model on every evaluation set",
    "skills": "Skill use per model (claim 2)",
    "generalisation": "Countdown accuracy before and after RL, per arm (claim 1)",
    "ood_change": "Out-of-domain change against the base model after RL, per arm (claim 3)",
    "budget_forcing": "Accuracy against forced thinking rounds (budget forcing)",
    "claims": "The comparisons that decide each claim",
}
NAN = Interval(float("nan"), float("nan"), float("nan"))


def read_table(path) -> pd.DataFrame:
    """A table written by :func:`write_table`; an empty one (no rows, no columns) reads as an empty frame."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def load_scores(paths: list[str]) -> pd.DataFrame:
    """Per-response scores of several models; ``responses`` (always 1) is the count of the per-response ratios, and
    the verdicts on incorrect attempts are all verdicts less those on correct ones."""
    frame = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True) if paths else pd.DataFrame()
    if frame.empty:
        return frame.assign(responses=1)
    return frame.assign(
        responses=1,
        verdicts_on_incorrect=frame["verdicts"] - frame["verdicts_on_correct"],
        verdicts_right_on_incorrect=frame["verdicts_right"] - frame["verdicts_right_on_correct"],
    )


class Analysis:
    """Intervals of the statistics of :data:`RATIOS` for any model, or the paired difference of two models, on a
    group of evaluation sets: pooled over their questions, or (``macro``) the mean of the sets' own values."""

    def __init__(self, scores: pd.DataFrame, params: dict):
        self.scores = scores
        self.settings = {
            "resamples": params["analysis"]["bootstrap_resamples"],
            "level": params["analysis"]["ci_level"],
            "seed": params["seed"],
        }

    def rows(self, model: str, sets: list[str], round_: int | None = None) -> pd.DataFrame:
        s = self.scores
        if s.empty:
            return s
        mask = (s["model"] == model) & s["eval_set"].isin(sets)
        if round_ is not None:
            mask &= s["round"] == round_
        return s[mask]

    def estimate(self, statistic: str, models: list[tuple], sets: list[str], macro: bool = False) -> Interval:
        """The statistic of ``models[0]``, minus that of ``models[1]`` if given; each model is ``(model, round)``.
        All frames share one bootstrap draw, so a difference is paired and a macro-average resamples each set."""
        groups = [[s] for s in sets] if macro else [sets]
        frames = [self.rows(model, group, round_) for group in groups for model, round_ in models]
        if not frames or any(f.empty for f in frames):
            return NAN
        ratios, combine = RATIOS[statistic], COMBINE.get(statistic, lambda r: r[0])
        grids = [grid for value, count in ratios for grid in aligned_grids(frames, value, count)]
        n_frames = len(frames)

        def value(r, index):  # the statistic of frame ``index``
            return combine([r[k * n_frames + index] for k in range(len(ratios))])

        def combined(r):
            per_model = [sum(value(r, g * len(models) + m) for g in range(len(groups))) / len(groups)
                         for m in range(len(models))]
            return per_model[0] - per_model[1] if len(models) == 2 else per_model[0]

        return combined_interval(grids, combined, **self.settings)

    def interval(self, statistic: str, model: str, sets: list[str], round_: int | None = None,
                 macro: bool = False) -> Interval:
        return self.estimate(statistic, [(model, round_)], sets, macro)

    def difference(self, statistic: str, a: tuple, b: tuple, sets: list[str], macro: bool = False) -> Interval:
        """Statistic of ``a`` minus that of ``b``, each a ``(model, round)``, paired over seeds and questions."""
        return self.estimate(statistic, [a, b], sets, macro)


def model_order(params: dict) -> list[str]:
    """base, then the SFT models, then the RL models, each in the order of the arms in the config."""
    inits = list(dict.fromkeys(params["arms"].values()))
    return ["base"] + [m for m in inits if m != "base"] + [f"rl/{arm}" for arm in params["arms"]]


def arm_model(params: dict, arm: str, phase: str) -> str:
    """The model of ``arm`` before RL (its initialisation) or after RL."""
    return params["arms"][arm] if phase == "pre-RL" else f"rl/{arm}"


def columns(prefix: str, interval: Interval) -> dict:
    return {prefix: interval.estimate, f"{prefix}_low": interval.low, f"{prefix}_high": interval.high}


def accuracy_table(an: Analysis, params: dict) -> pd.DataFrame:
    records = []
    for model in model_order(params):
        for eval_set in params["eval_sets"]:
            frame = an.rows(model, [eval_set])
            if frame.empty:
                continue
            records.append(
                {
                    "model": model,
                    "eval_set": eval_set,
                    "task": frame["task"].iloc[0],
                    "n_seeds": frame["seed"].nunique(),
                    "n_questions": frame["question_id"].nunique(),
                    "n_responses": len(frame),
                    **columns("accuracy", an.interval("accuracy", model, [eval_set])),
                    "mean_attempts": frame["attempts"].mean(),
                    "mean_verifications": frame["verifications"].mean(),
                    "mean_tokens": frame["tokens"].mean(),
                    "well_formed": frame["well_formed"].mean(),
                    "final_is_last_sample": ratio(frame["final_is_last_sample"], frame["well_formed"]),
                }
            )
    return pd.DataFrame(records)


def scopes(params: dict) -> dict[str, list[str]]:
    """Groups of evaluation sets that skill use is pooled over (empty groups are left out)."""
    groups = {"in domain": params["in_domain_sets"], "out of domain": params["ood_sets"]}
    return {name: sets for name, sets in groups.items() if sets}


def skills_table(an: Analysis, params: dict) -> pd.DataFrame:
    records = []
    for model in model_order(params):
        for scope, sets in scopes(params).items():
            frame = an.rows(model, sets)
            if frame.empty:
                continue
            record = {"model": model, "scope": scope, "n_responses": len(frame)}
            for statistic in SKILLS:
                record.update(columns(statistic, an.interval(statistic, model, sets)))
            records.append(record)
    return pd.DataFrame(records)


def generalisation_table(an: Analysis, params: dict) -> pd.DataFrame:
    baseline = params["analysis"]["baseline_arm"]
    groups = {s: [s] for s in params["in_domain_sets"]}
    if params["harder_sets"]:
        groups["harder (pooled)"] = params["harder_sets"]
    records = []
    for arm in params["arms"]:
        for phase in PHASES:
            model = arm_model(params, arm, phase)
            for label, sets in groups.items():
                compared = baseline in params["arms"] and arm != baseline
                diff = (
                    an.difference("accuracy", (model, None), (arm_model(params, baseline, phase), None), sets)
                    if compared
                    else NAN
                )
                rl_change = (
                    an.difference("accuracy", (model, None), (arm_model(params, arm, "pre-RL"), None), sets)
                    if phase == "post-RL"
                    else NAN
                )
                records.append(
                    {
                        "arm": arm,
                        "phase": phase,
                        "model": model,
                        "eval_set": label,
                        "n_numbers": params["set_sizes"].get(label),
                        **columns("accuracy", an.interval("accuracy", model, sets)),
                        **columns("vs_baseline", diff),
                        **columns("rl_change", rl_change),
                    }
                )
    return pd.DataFrame(records)


def ood_groups(params: dict) -> dict[str, tuple[list[str], bool]]:
    """Each out-of-domain set alone, then all of them as the mean over sets (each task weighs the same, however many
    questions it has) and pooled over their questions: ``label -> (sets, macro)``."""
    groups = {s: ([s], False) for s in params["ood_sets"]}
    if len(params["ood_sets"]) > 1:
        groups["all (macro-average)"] = (params["ood_sets"], True)
        groups["all (pooled)"] = (params["ood_sets"], False)
    return groups


def ood_table(an: Analysis, params: dict) -> pd.DataFrame:
    baseline = params["analysis"]["baseline_arm"]
    records = []
    for arm in params["arms"]:
        model = f"rl/{arm}"
        for label, (sets, macro) in ood_groups(params).items():
            compared = baseline in params["arms"] and arm != baseline
            records.append(
                {
                    "arm": arm,
                    "model": model,
                    "eval_set": label,
                    **columns("base_accuracy", an.interval("accuracy", "base", sets, macro=macro)),
                    **columns("accuracy", an.interval("accuracy", model, sets, macro=macro)),
                    **columns("change", an.difference("accuracy", (model, None), ("base", None), sets, macro)),
                    **columns(
                        "vs_baseline",
                        an.difference("accuracy", (model, None), (f"rl/{baseline}", None), sets, macro)
                        if compared
                        else NAN,
                    ),
                }
            )
    return pd.DataFrame(records)


def budget_table(bf: Analysis, params: dict) -> pd.DataFrame:
    sets = params["budget_sets"]
    records = []
    for model in model_order(params):
        for round_ in range(params["rounds"] + 1):
            frame = bf.rows(model, sets, round_)
            if frame.empty:
                continue
            records.append(
                {
                    "model": model,
                    "round": round_,
                    "n_responses": len(frame),
                    **columns("accuracy", bf.interval("accuracy", model, sets, round_)),
                    **columns("gain", bf.difference("accuracy", (model, round_), (model, 0), sets)),
                    "mean_tokens": frame["tokens"].mean(),
                    "mean_attempts": frame["attempts"].mean(),
                }
            )
    return pd.DataFrame(records)


def claims_table(an: Analysis, bf: Analysis, params: dict) -> pd.DataFrame:
    """One row per comparison: ``role`` decisive (decides the claim) or context; ``difference`` whether it compares
    two models or rounds (else it is one model's level); ``expected`` +1 / -1 is the side of ``null`` the paper
    reports, 0 a number reported without an expected side."""
    sf, baseline = params["analysis"]["skillfactory_arm"], params["analysis"]["baseline_arm"]
    arms = params["arms"]

    def pre(arm):
        return arms[arm] if arm in arms else None

    def diff(statistic, a, b, sets, analysis=an, macro=False):
        present = a[0] is not None and b[0] is not None and sets
        return (analysis.difference(statistic, a, b, sets, macro) if present else NAN), True

    def single(statistic, model, sets, signed=False):
        return (an.interval(statistic, model, sets) if model is not None and sets else NAN), signed

    post_sf = f"rl/{sf}" if sf in arms else None
    post_base = f"rl/{baseline}" if baseline in arms else None
    harder, in_domain, ood = params["harder_sets"], params["in_domain_sets"], params["ood_sets"]
    rounds = params["rounds"]
    budget = params["budget_sets"]
    rows = [
        (1, "decisive", f"post-RL accuracy on harder Countdown ({', '.join(harder)}): {post_sf} minus {post_base}",
         diff("accuracy", (post_sf, None), (post_base, None), harder), 0.0, 1),
        (1, "context", f"pre-RL accuracy on Countdown, all sizes: {pre(sf)} minus {pre(baseline)}",
         diff("accuracy", (pre(sf), None), (pre(baseline), None), in_domain), 0.0, -1),
        (2, "decisive", f"balanced verdict accuracy of {post_sf} on Countdown (mean of its verdict accuracy on "
         "correct and on incorrect attempts; 0.5 for verdicts blind to correctness)",
         single("balanced_verdict_accuracy", post_sf, in_domain), 0.5, 1),
        (2, "decisive", f"acting on verdicts, {post_sf} on Countdown: share of attempts judged Incorrect that are "
         "followed by another attempt, minus that share after Correct",
         single("retry_gap", post_sf, in_domain, signed=True), 0.0, 1),
        (2, "context", f"attempts per response of {post_sf} on Countdown",
         single("attempts", post_sf, in_domain), 1.0, 1),
        (2, "context", f"verifications per response of {post_sf} on Countdown",
         single("verifications", post_sf, in_domain), 0.0, 1),
        (2, "context", f"balanced verdict accuracy on Countdown: {post_sf} minus {pre(sf)}",
         diff("balanced_verdict_accuracy", (post_sf, None), (pre(sf), None), in_domain), 0.0, 0),
        (2, "context", f"attempts per response on Countdown: {post_sf} minus {post_base}",
         diff("attempts", (post_sf, None), (post_base, None), in_domain), 0.0, 1),
        (3, "decisive", f"out-of-domain accuracy after RL, mean over tasks ({', '.join(ood)}): {post_sf} minus "
         f"{post_base}", diff("accuracy", (post_sf, None), (post_base, None), ood, macro=True), 0.0, 1),
        (3, "context", f"out-of-domain accuracy after RL, pooled over questions: {post_sf} minus {post_base}",
         diff("accuracy", (post_sf, None), (post_base, None), ood), 0.0, 1),
        (3, "context", f"out-of-domain change of {post_base} against base, mean over tasks",
         diff("accuracy", (post_base, None), ("base", None), ood, macro=True), 0.0, -1),
        (3, "context", f"out-of-domain change of {post_sf} against base, mean over tasks",
         diff("accuracy", (post_sf, None), ("base", None), ood, macro=True), 0.0, 0),
        (4, "decisive", f"budget forcing gain of {post_sf} ({', '.join(budget)}): round {rounds} minus round 0",
         diff("accuracy", (post_sf, rounds), (post_sf, 0), budget if rounds else [], bf), 0.0, 1),
        (4, "context", f"budget forcing gain of {post_base}: round {rounds} minus round 0",
         diff("accuracy", (post_base, rounds), (post_base, 0), budget if rounds else [], bf), 0.0, 0),
    ]
    return pd.DataFrame(
        [
            {"claim": claim, "role": role, "comparison": text, "difference": difference,
             **columns("estimate", interval), "null": null, "expected": expected}
            for claim, role, text, (interval, difference), null, expected in rows
        ]
    ).rename(columns={"estimate_low": "low", "estimate_high": "high"})


def html_page(title: str, table: pd.DataFrame) -> str:
    """A self-contained page (no script) for the report's viewer."""
    body = table.to_html(index=False, float_format=lambda x: f"{x:.3f}", na_rep="–", border=0, escape=True)
    style = (
        "body{font-family:sans-serif;font-size:13px;margin:1em}table{border-collapse:collapse}"
        "th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}th{background:#f4f4f4}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body><h3>{html.escape(title)}</h3>\n{body}\n</body></html>\n"
    )


def write_table(table: pd.DataFrame, out_dir: Path, name: str) -> None:
    """``name`` as CSV, Markdown, LaTeX and HTML; an empty table keeps its header and says why it is empty."""
    title = TITLES[name]
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / f"{name}.csv", index=False, float_format="%.6g")
    note = "" if len(table) else "\n(no rows: nothing of this kind was evaluated in this configuration)\n"
    markdown = table.to_markdown(index=False, floatfmt=".3f", missingval="–") if len(table) else ""
    (out_dir / f"{name}.md").write_text(f"{title}.\n\n{markdown}\n{note}")
    latex = table.to_latex(index=False, float_format="%.3f", na_rep="--", escape=True, caption=title,
                           label=f"tab:{name}")
    (out_dir / f"{name}.tex").write_text(latex)
    (out_dir / f"{name}.html").write_text(html_page(title, table))


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["scores", "budget_scores", "out_dir"], argv)
    p = args.params
    an = Analysis(load_scores(args.scores.split(",")), p)
    bf = Analysis(load_scores([s for s in args.budget_scores.split(",") if s]), p)
    tables = {
        "accuracy": accuracy_table(an, p),
        "skills": skills_table(an, p),
        "generalisation": generalisation_table(an, p),
        "ood_change": ood_table(an, p),
        "budget_forcing": budget_table(bf, p),
        "claims": claims_table(an, bf, p),
    }
    for name, table in tables.items():
        write_table(table, Path(args.out_dir), name)


if __name__ == "__main__":
    main()
