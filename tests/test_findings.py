"""Findings: verdicts follow from the intervals, and the text is regenerated from the claims table."""

import json
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.stages import findings
from skillfactory.stages.findings import AS_IN_PAPER, CONTRADICTED, INCONCLUSIVE, NOT_MEASURED, NOT_REPRODUCED, NOT_TESTED
from skillfactory.stages.findings import OPPOSITE, REPORTED, REPRODUCED, claim_verdict, comparison_status

PARAMS = {"seeds": [0, 1], "ci_level": 0.95, "bootstrap_resamples": 500, "training_sets": ["countdown3"]}
NAN = float("nan")


def claims_frame(claim1=(0.10, 0.04, 0.16), claim3=(0.02, -0.01, 0.05)):
    """A claims table like make_tables writes: claim 1 decided by ``claim1``, claim 3 by ``claim3``."""
    rows = [
        (1, "decisive", "post-RL accuracy on harder Countdown: rl/skillfactory minus rl/rl_only", *claim1, 0.0, 1),
        (1, "context", "pre-RL accuracy on Countdown: sft/skillfactory minus base", -0.05, -0.09, -0.01, 0.0, -1),
        (2, "decisive", "attempts per response of rl/skillfactory", 2.4, 2.1, 2.7, 1.0, 1),
        (2, "decisive", "verifications per response of rl/skillfactory", 0.0, 0.0, 0.0, 0.0, 1),
        (2, "context", "verdict accuracy of rl/skillfactory", NAN, NAN, NAN, 0.5, 1),
        (3, "decisive", "out-of-domain accuracy after RL: rl/skillfactory minus rl/rl_only", *claim3, 0.0, 1),
        (3, "context", "out-of-domain change of rl/skillfactory against base", -0.03, -0.06, 0.00, 0.0, 0),
        (4, "decisive", "budget forcing gain of rl/skillfactory", NAN, NAN, NAN, 0.0, 1),
    ]
    frame = pd.DataFrame(rows, columns=["claim", "role", "comparison", "estimate", "low", "high", "null", "expected"])
    return frame.assign(difference=frame["comparison"].str.contains(" minus "))


def generalisation_frame(rl_only=(-0.03, -0.11, 0.06), skillfactory=(0.0, -0.09, 0.09)):
    """A generalisation table like make_tables writes: each arm before and after RL on Countdown-3 and -4, with
    RL's change (``(estimate, low, high)``) on its post-RL rows."""
    rows = []
    for arm, start, change in (("rl_only", "base", rl_only), ("skillfactory", "sft/skillfactory", skillfactory)):
        for eval_set in ("countdown3", "countdown4"):
            rows.append({"arm": arm, "phase": "pre-RL", "model": start, "eval_set": eval_set,
                         "rl_change": NAN, "rl_change_low": NAN, "rl_change_high": NAN})
            post = change if eval_set == "countdown3" else (0.2, 0.1, 0.3)
            rows.append({"arm": arm, "phase": "post-RL", "model": f"rl/{arm}", "eval_set": eval_set,
                         "rl_change": post[0], "rl_change_low": post[1], "rl_change_high": post[2]})
    return pd.DataFrame(rows)


def regenerate(tmp_path, frame, generalisation=None, params=PARAMS):
    frame.to_csv(tmp_path / "claims.csv", index=False)
    (generalisation_frame() if generalisation is None else generalisation).to_csv(
        tmp_path / "generalisation.csv", index=False)
    md, page = tmp_path / "findings.md", tmp_path / "findings.html"
    findings.main(["--claims", str(tmp_path / "claims.csv"), "--generalisation", str(tmp_path / "generalisation.csv"),
                   "--markdown", str(md), "--html", str(page), "--params", json.dumps(params)])
    return md.read_text(), page.read_text()


def section(text, claim):
    return text.split(f"## Claim {claim}\n")[1].split("\n## ")[0]


def test_each_claim_gets_the_verdict_its_decisive_intervals_give(tmp_path):
    md, page = regenerate(tmp_path, claims_frame())
    assert "Verdict: reproduced" in section(md, 1)
    assert "+0.100, 95% interval [+0.040, +0.160]" in section(md, 1)
    assert "Verdict: not reproduced" in section(md, 2)  # verifications interval [0, 0] contains no effect
    assert "Verdict: not reproduced" in section(md, 3)
    assert "Verdict: not tested" in section(md, 4) and "not measured" in section(md, 4)
    assert "every resample gives exactly 0: nothing differs" in section(md, 2)
    assert "<h2>Claim 1</h2>" in page and "reproduced at this scale" in page and "<script" not in page


def test_changing_the_table_and_regenerating_changes_the_text(tmp_path):
    before, _ = regenerate(tmp_path, claims_frame())
    after, _ = regenerate(tmp_path, claims_frame(claim1=(-0.08, -0.12, -0.03), claim3=(0.09, 0.05, 0.14)))
    assert before != after
    assert "Verdict: contradicted" in section(after, 1) and "-0.080, 95% interval [-0.120, -0.030]" in section(after, 1)
    assert "Verdict: reproduced" in section(after, 3) and "+0.090" in section(after, 3)
    assert "+0.100" not in after


def test_findings_of_the_same_table_are_identical(tmp_path):
    assert regenerate(tmp_path, claims_frame()) == regenerate(tmp_path, claims_frame())


def test_an_empty_claims_table_leaves_every_claim_untested(tmp_path):
    for table in ("claims.csv", "generalisation.csv"):
        (tmp_path / table).write_text("")
    md = tmp_path / "f.md"
    findings.main(["--claims", str(tmp_path / "claims.csv"), "--generalisation", str(tmp_path / "generalisation.csv"),
                   "--markdown", str(md), "--html", str(tmp_path / "f.html"), "--params", json.dumps(PARAMS)])
    assert md.read_text().count("Verdict: not tested") == len(findings.CLAIMS)
    assert "Whether RL changed the models on the training task is not measured" in md.read_text()


def test_findings_say_whether_rl_changed_each_arm_on_the_training_set(tmp_path):
    md, page = regenerate(tmp_path, claims_frame())
    intro = md.split("| claim |")[0]
    assert "RL raised no arm's accuracy on the training task (countdown3) beyond its interval" in intro
    rl = md.split("## What RL changed on the training task\n")[1].split("\n## ")[0]
    assert "rl_only: rl/rl_only minus base on countdown3: -0.030, 95% interval [-0.110, +0.060]" in rl
    assert "skillfactory: rl/skillfactory minus sft/skillfactory on countdown3" in rl
    assert "countdown4" not in rl  # only the sets of the training questions' size
    assert "What RL changed on the training task" in page

    md, _ = regenerate(tmp_path, claims_frame(), generalisation_frame(rl_only=(0.1, 0.04, 0.16)))
    assert "RL raised the accuracy on the training task (countdown3) of rl_only beyond its interval, of no other" in md
    assert "rl/rl_only minus base on countdown3: +0.100, 95% interval [+0.040, +0.160] → raised" in md
    md, _ = regenerate(tmp_path, claims_frame(), generalisation_frame((0.1, 0.04, 0.16), (-0.1, -0.2, -0.01)))
    assert "of rl_only beyond its interval, of no other arm. It lowered that of skillfactory." in md
    md, _ = regenerate(tmp_path, claims_frame(), generalisation_frame((0.1, 0.04, 0.16), (0.1, 0.02, 0.2)))
    assert "RL raised every arm's accuracy on the training task (countdown3) beyond its interval." in md


def test_without_an_evaluation_set_of_the_training_size_rls_effect_is_not_measured(tmp_path):
    md, _ = regenerate(tmp_path, claims_frame(), params={**PARAMS, "training_sets": []})
    assert "Whether RL changed the models on the training task is not measured" in md
    assert "## What RL changed" not in md


finite = st.integers(-64, 64).map(lambda i: i / 64)  # dyadic: mirroring around the null stays exact


@settings(max_examples=200, deadline=None)
@given(finite, finite, finite, st.sampled_from([-1, 1]))
def test_status_depends_only_on_where_the_interval_lies(a, b, null, expected):
    low, high = sorted((a, b))
    status = comparison_status((low + high) / 2, low, high, null, expected)
    if low > null:
        assert status == (AS_IN_PAPER if expected == 1 else OPPOSITE)
    elif high < null:
        assert status == (AS_IN_PAPER if expected == -1 else OPPOSITE)
    else:
        assert status == INCONCLUSIVE
    # mirroring the numbers and the expectation around the null gives the same status
    assert comparison_status(2 * null - (low + high) / 2, 2 * null - high, 2 * null - low, null, -expected) == status
    assert comparison_status((low + high) / 2, low, high, null, 0) == REPORTED
    assert comparison_status(math.nan, math.nan, math.nan, null, expected) == NOT_MEASURED


@pytest.mark.parametrize(
    "statuses, verdict",
    [
        ([AS_IN_PAPER, AS_IN_PAPER], REPRODUCED),
        ([AS_IN_PAPER, INCONCLUSIVE], NOT_REPRODUCED),
        ([AS_IN_PAPER, OPPOSITE], CONTRADICTED),
        ([OPPOSITE, NOT_MEASURED], NOT_TESTED),
        ([], NOT_TESTED),
    ],
)
def test_claim_verdict(statuses, verdict):
    assert claim_verdict(statuses) == verdict


def test_an_arm_counts_as_raised_only_where_rl_raised_it_on_every_set_of_the_training_size(tmp_path):
    params = {**PARAMS, "training_sets": ["countdown3", "countdown4"]}  # every arm is raised on countdown4
    md, _ = regenerate(tmp_path, claims_frame(), params=params)
    assert "RL raised no arm's accuracy on the training task (countdown3, countdown4) beyond its interval" in md
    md, _ = regenerate(tmp_path, claims_frame(), generalisation_frame(rl_only=(0.1, 0.04, 0.16)), params=params)
    assert "(countdown3, countdown4) of rl_only beyond its interval, of no other arm." in md
