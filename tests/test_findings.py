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

PARAMS = {"seeds": [0, 1], "ci_level": 0.95, "bootstrap_resamples": 500}
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


def regenerate(tmp_path, frame):
    frame.to_csv(tmp_path / "claims.csv", index=False)
    md, page = tmp_path / "findings.md", tmp_path / "findings.html"
    findings.main(["--claims", str(tmp_path / "claims.csv"), "--markdown", str(md), "--html", str(page),
                   "--params", json.dumps(PARAMS)])
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
    (tmp_path / "claims.csv").write_text("")
    md = tmp_path / "f.md"
    findings.main(["--claims", str(tmp_path / "claims.csv"), "--markdown", str(md), "--html", str(tmp_path / "f.html"),
                   "--params", json.dumps(PARAMS)])
    assert md.read_text().count("Verdict: not tested") == len(findings.CLAIMS)


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
