"""Stage ``findings``: ``findings.md`` (and the same text as HTML for the report), written from the claims table.

Nothing here is hand-written about the results: for each of the paper's claims the verdict follows from the
intervals of its comparisons in ``claims.csv`` (see :mod:`skillfactory.stages.make_tables`), so regenerating after any
change of the numbers changes the text accordingly. The claims are about models that RL has trained, so the findings
first say, from ``generalisation.csv``, whether RL changed each arm on the training task beyond its interval.

A comparison is *as in the paper* when its whole interval lies on the paper's side of the value of no effect,
*opposite* when it lies wholly on the other side, *inconclusive* when it contains that value, and *not measured* when
the statistic is undefined (a missing arm, no budget forcing, no verdict at all). A claim is *reproduced* when all
its decisive comparisons are as in the paper, *contradicted* when one is opposite, *not tested* when one is not
measured, and otherwise *not reproduced* (the data cannot tell the effect from none). Context comparisons are shown
beside it and never change the verdict.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

from skillfactory.cli import parse_stage_args
from skillfactory.stages.make_tables import read_table

CLAIMS = {
    1: "After RL, SkillFactory-initialised models generalise better to harder variants of the training task than "
    "RL from the base model, although their pre-RL scores are lower.",
    2: "After RL, SkillFactory models really use the skills: their verdicts tell right attempts from wrong ones, and "
    "they try again after judging an attempt wrong.",
    3: "After RL, SkillFactory models regress less out of domain than models trained with RL from the base model.",
    4: "(First version of the paper.) Budget forcing, making the model think longer, helps SkillFactory models.",
}

AS_IN_PAPER, OPPOSITE, INCONCLUSIVE, NOT_MEASURED, REPORTED = (
    "as in the paper", "opposite", "inconclusive", "not measured", "reported",
)
REPRODUCED, CONTRADICTED, NOT_TESTED, NOT_REPRODUCED = "reproduced", "contradicted", "not tested", "not reproduced"


def side(estimate: float, low: float, high: float, null: float) -> int | None:
    """+1 / -1 when the interval lies wholly above / below ``null``, 0 when it contains it, None if undefined."""
    if any(math.isnan(x) for x in (estimate, low, high)):
        return None
    return 1 if low > null else -1 if high < null else 0


def comparison_status(estimate: float, low: float, high: float, null: float, expected: int) -> str:
    where = side(estimate, low, high, null)
    if where is None:
        return NOT_MEASURED
    if expected == 0:
        return REPORTED
    return AS_IN_PAPER if where == expected else OPPOSITE if where == -expected else INCONCLUSIVE


def claim_verdict(decisive_statuses: list[str]) -> str:
    if not decisive_statuses or NOT_MEASURED in decisive_statuses:
        return NOT_TESTED
    if OPPOSITE in decisive_statuses:
        return CONTRADICTED
    return REPRODUCED if all(s == AS_IN_PAPER for s in decisive_statuses) else NOT_REPRODUCED


VERDICT_TEXT = {
    REPRODUCED: "reproduced at this scale: every decisive interval lies on the paper's side",
    CONTRADICTED: "contradicted at this scale: a decisive interval lies on the opposite side of the paper's",
    NOT_TESTED: "not tested: a decisive comparison could not be measured in this run",
    NOT_REPRODUCED: "not reproduced at this scale: a decisive interval contains no effect, so the run cannot tell "
    "the effect apart from none",
}


def number(x: float, signed: bool) -> str:
    """Three decimals; differences (``signed``) carry their sign. ``+ 0.0`` turns -0.0 into 0.0."""
    return "n/a" if math.isnan(x) else f"{x + 0.0:+.3f}" if signed else f"{x + 0.0:.3f}"


def comparison_line(row: dict, level: float) -> str:
    status = comparison_status(row["estimate"], row["low"], row["high"], row["null"], row["expected"])
    if status == NOT_MEASURED:
        return f"({row['role']}) {row['comparison']}: not measured"
    expected = {1: f"paper: above {row['null']:g}", -1: f"paper: below {row['null']:g}", 0: "no expected side"}
    if status == INCONCLUSIVE and row["low"] == row["high"] == row["null"]:
        status += f" (every resample gives exactly {row['null']:g}: nothing differs at this scale)"
    signed = bool(row["difference"])
    low, high = number(row["low"], signed), number(row["high"], signed)
    return (
        f"({row['role']}) {row['comparison']}: {number(row['estimate'], signed)}, {level:.0%} interval "
        f"[{low}, {high}] ({expected[row['expected']]}) → {status}"
    )


def interval_scope(seeds: list[int]) -> str:
    """What the intervals resample: with one training seed they cover question sampling only, not training noise."""
    if len(seeds) == 1:
        return (f"over questions only: this run trained one seed ({seeds[0]}), so the intervals leave out how much "
                "another training seed would move the models")
    return f"over questions and training seeds (seeds {', '.join(map(str, seeds))})"


RL_EFFECT = {1: "raised", -1: "lowered", 0: "no change the interval resolves", None: "not measured"}


def rl_effect(generalisation: list[dict], training_sets: list[str], level: float) -> tuple[str, list[str]]:
    """Whether RL changed each arm on the evaluation sets of the training questions (RL model minus the model it
    started from): a summary sentence, and one line per arm and set."""
    starts = {r["arm"]: r["model"] for r in generalisation if r["phase"] == "pre-RL"}
    rows = [r for r in generalisation if r["phase"] == "post-RL" and r["eval_set"] in training_sets]
    if not rows:
        return ("Whether RL changed the models on the training task is not measured: no evaluation set has the "
                "training questions' task and size."), []
    effects, lines = {}, []  # arm -> where its interval lies on each such set
    for r in rows:
        estimate, low, high = r["rl_change"], r["rl_change_low"], r["rl_change_high"]
        effect = side(estimate, low, high, 0.0)
        effects.setdefault(r["arm"], []).append(effect)
        lines.append(
            f"{r['arm']}: {r['model']} minus {starts.get(r['arm'], 'its starting model')} on {r['eval_set']}: "
            f"{number(estimate, True)}, {level:.0%} interval [{number(low, True)}, {number(high, True)}] → "
            f"{RL_EFFECT[effect]}"
        )
    where = f"the training task ({', '.join(dict.fromkeys(r['eval_set'] for r in rows))})"
    raised = [arm for arm, found in effects.items() if all(e == 1 for e in found)]
    lowered = [arm for arm, found in effects.items() if all(e == -1 for e in found)]
    if not raised:
        summary = (f"RL raised no arm's accuracy on {where} beyond its interval, so the comparisons after RL below "
                   "compare, in effect, the models RL started from, while the paper's claims are about models that "
                   "RL has trained.")
    elif len(raised) == len(effects):
        summary = f"RL raised every arm's accuracy on {where} beyond its interval."
    else:
        summary = f"RL raised the accuracy on {where} of {', '.join(raised)} beyond its interval, of no other arm."
    if lowered:
        summary += f" It lowered that of {', '.join(lowered)}."
    return summary, lines


def blocks(claims: list[dict], generalisation: list[dict], params: dict) -> list[tuple[str, object]]:
    """The document as (kind, content) blocks, rendered to Markdown and to HTML alike."""
    level = params["ci_level"]
    rl_summary, rl_lines = rl_effect(generalisation, params["training_sets"], level)
    doc = [
        ("h1", "Findings: does this run reproduce SkillFactory's claims?"),
        (
            "p",
            f"Generated from the claims and generalisation tables of this run, never written by hand. Every number "
            f"is a point estimate with its {level:.0%} percentile bootstrap interval ({params['bootstrap_resamples']} "
            f"resamples) {interval_scope(params['seeds'])}; differences between models are paired. A comparison "
            "counts for a claim only when its whole interval lies on the paper's side of no effect.",
        ),
    ]
    verdicts, sections = [], []
    for claim, statement in CLAIMS.items():
        rows = [r for r in claims if r["claim"] == claim]
        decisive = [
            comparison_status(r["estimate"], r["low"], r["high"], r["null"], r["expected"])
            for r in rows
            if r["role"] == "decisive"
        ]
        verdict = claim_verdict(decisive)
        verdicts.append([str(claim), statement, verdict])
        sections += [
            ("h2", f"Claim {claim}"),
            ("p", statement),
            ("strong", f"Verdict: {VERDICT_TEXT[verdict]}."),
            ("ul", [comparison_line(r, level) for r in rows]),
        ]
    rl_section = [("h2", "What RL changed on the training task"), ("ul", rl_lines)] if rl_lines else []
    return doc + [("p", rl_summary), ("table", (["claim", "statement", "verdict"], verdicts))] + rl_section + sections


def to_markdown(doc) -> str:
    out = []
    for kind, content in doc:
        if kind == "h1":
            out.append(f"# {content}")
        elif kind == "h2":
            out.append(f"## {content}")
        elif kind == "p":
            out.append(content)
        elif kind == "strong":
            out.append(f"**{content}**")
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in content))
        elif kind == "table":
            header, rows = content
            lines = [header, ["---"] * len(header), *rows]
            out.append("\n".join("| " + " | ".join(cell.replace("|", "/") for cell in line) + " |" for line in lines))
    return "\n\n".join(out) + "\n"


def to_html(doc) -> str:
    e = html.escape
    out = []
    for kind, content in doc:
        if kind in ("h1", "h2", "p"):
            out.append(f"<{kind}>{e(content)}</{kind}>")
        elif kind == "strong":
            out.append(f"<p><strong>{e(content)}</strong></p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in content) + "</ul>")
        elif kind == "table":
            header, rows = content
            head = "".join(f"<th>{e(h)}</th>" for h in header)
            body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    style = (
        "body{font-family:sans-serif;font-size:14px;margin:1em;max-width:60em}table{border-collapse:collapse}"
        "th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Findings</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(out) + "\n</body></html>\n"
    )


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["claims", "generalisation", "markdown", "html"], argv)
    claims = read_table(args.claims).to_dict("records")
    doc = blocks(claims, read_table(args.generalisation).to_dict("records"), args.params)
    Path(args.markdown).write_text(to_markdown(doc))
    Path(args.html).write_text(to_html(doc))


if __name__ == "__main__":
    main()
