"""Tables, figures and findings on generated scores with known effects; the smoke report in a real browser."""

import base64
import json

import numpy as np
import pandas as pd
import pytest

from browser import click_text, contains_text, open_page
from skillfactory.stages import findings, make_figures, make_tables
from skillfactory.stages.evaluate import SCORE_COLUMNS

SIZES = {"countdown3": 3, "countdown4": 4, "countdown5": 5, "countdown6": 6}
OOD = ["multiplication", "acronym"]
ARMS = {"rl_only": "base", "skillfactory": "sft/skillfactory", "star": "sft/star"}
MODELS = ["base", "sft/skillfactory", "sft/star", "rl/rl_only", "rl/skillfactory", "rl/star"]
PARAMS = {
    "seed": 0,
    "analysis": {"bootstrap_resamples": 300, "ci_level": 0.95, "skillfactory_arm": "skillfactory",
                 "baseline_arm": "rl_only"},
    "arms": ARMS,
    "eval_sets": [*SIZES, *OOD],
    "in_domain_sets": list(SIZES),
    "harder_sets": ["countdown4", "countdown5", "countdown6"],
    "ood_sets": OOD,
    "set_sizes": SIZES,
    "budget_sets": ["countdown3"],
    "rounds": 2,
}
FIGURE_PARAMS = {"arms": ARMS, "budget_sets": ["countdown3"], "train_n_numbers": 3}


def paper_like(model, eval_set, round_=0):
    """Accuracy of a world where every claim holds: SkillFactory starts lower, ends higher on hard sets and out of
    domain, where RL-only regresses, and gains from each forced thinking round."""
    if round_:
        return paper_like(model, eval_set) + (0.15 * round_ if model == "rl/skillfactory" else 0.0)
    if eval_set in OOD:
        return {"base": 0.5, "rl/rl_only": 0.15, "rl/skillfactory": 0.5}.get(model, 0.3)
    hard = SIZES[eval_set] > 3
    return {
        "base": 0.3, "sft/skillfactory": 0.05, "sft/star": 0.3,
        "rl/rl_only": 0.1 if hard else 0.7, "rl/skillfactory": 0.6 if hard else 0.7, "rl/star": 0.1 if hard else 0.6,
    }[model]


VERDICT_COLUMNS = [c for c in SCORE_COLUMNS if c.startswith(("verdicts", "judged", "retries"))]
# three attempts: wrong judged Incorrect and retried, wrong judged Correct and retried, right judged Correct
SKILLED = {"attempts": 3, "verifications": 3, "verdicts": 3, "verdicts_right": 2, "verdicts_on_correct": 1,
           "verdicts_right_on_correct": 1, "judged_incorrect": 1, "retries_after_incorrect": 1, "judged_correct": 2,
           "retries_after_correct": 1}


def scores(model, accuracy, seeds=(0, 1), questions=60, skills=None, rounds=None, seed=0):
    """Per-response scores of one model with Bernoulli(accuracy(model, set)) answers, as evaluate writes them."""
    rng = np.random.default_rng(seed)
    skills = skills or {}
    rows = []
    for s in seeds:
        for eval_set in [*SIZES, *OOD]:
            for q in range(questions):
                for round_ in range(rounds + 1) if rounds is not None else [None]:
                    p = accuracy(model, eval_set, round_ or 0)
                    attempts = skills.get("attempts", 1)
                    rows.append({
                        "model": model, "stage": model.split("/")[0], "name": model.split("/")[-1], "seed": s,
                        "eval_set": eval_set, "task": "countdown" if eval_set in SIZES else eval_set,
                        "question_id": f"{eval_set}-{q}", "sample_index": 0, "score": float(rng.uniform() < p),
                        "attempts": attempts, "verifications": skills.get("verifications", 0),
                        **{column: skills.get(column, 0) for column in VERDICT_COLUMNS},
                        "answer_changes": attempts - 1, "repeated_answers": 0, "tokens": 40 * attempts,
                        "well_formed": int(attempts > 1), "final_is_last_sample": int(attempts > 1),
                        **({"round": round_} if rounds is not None else {}),
                    })
    return pd.DataFrame(rows, columns=[*(["round"] if rounds is not None else []), "model", "stage", "name", "seed",
                                       *SCORE_COLUMNS])


def write_scores(tmp_path, accuracy, skilled=True, budget_models=("base", "rl/rl_only", "rl/skillfactory")):
    paths, budget = [], []
    for i, model in enumerate(MODELS):
        skills = SKILLED if skilled and "skillfactory" in model else {}
        path = tmp_path / f"eval-{i}.csv"
        scores(model, accuracy, skills=skills, seed=i).to_csv(path, index=False)
        paths.append(str(path))
        if model in budget_models:
            path = tmp_path / f"budget-{i}.csv"
            scores(model, accuracy, skills=skills, rounds=2, questions=30, seed=10 + i).to_csv(path, index=False)
            budget.append(str(path))
    return paths, budget


def build_report(tmp_path, accuracy, **kwargs):
    paths, budget = write_scores(tmp_path, accuracy, **kwargs)
    tables = tmp_path / "tables"
    make_tables.main(["--scores", ",".join(paths), "--budget-scores", ",".join(budget), "--out-dir", str(tables),
                      "--params", json.dumps(PARAMS)])
    findings.main(["--claims", str(tables / "claims.csv"), "--generalisation", str(tables / "generalisation.csv"),
                   "--markdown", str(tmp_path / "findings.md"), "--html", str(tmp_path / "findings.html"),
                   "--params", json.dumps({"seeds": [0, 1], "ci_level": 0.95, "bootstrap_resamples": 300,
                                           "training_sets": ["countdown3"]})])
    return tables, (tmp_path / "findings.md").read_text()


def claim_section(text, claim):
    return text.split(f"## Claim {claim}\n")[1].split("\n## ")[0]


@pytest.fixture(scope="module")
def paper_world(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("paper_world")
    return tmp_path, *build_report(tmp_path, paper_like)


def test_every_table_is_written_in_four_formats(paper_world):
    _, tables, _ = paper_world
    for name in make_tables.TITLES:
        for ext in ("csv", "md", "tex", "html"):
            assert (tables / f"{name}.{ext}").stat().st_size > 100, f"{name}.{ext}"
    assert "\\begin{tabular}" in (tables / "accuracy.tex").read_text()
    accuracy = pd.read_csv(tables / "accuracy.csv")
    assert len(accuracy) == len(MODELS) * len(PARAMS["eval_sets"]) and (accuracy["n_seeds"] == 2).all()
    assert (accuracy["accuracy_low"] <= accuracy["accuracy_high"]).all()


def test_known_effects_are_found_with_intervals_on_the_right_side(paper_world):
    _, tables, text = paper_world
    generalisation = pd.read_csv(tables / "generalisation.csv").set_index(["arm", "phase", "eval_set"])
    post = generalisation.loc[("skillfactory", "post-RL", "harder (pooled)")]
    assert 0.35 < post["vs_baseline"] < 0.65 and post["vs_baseline_low"] > 0.2
    assert generalisation.loc[("skillfactory", "pre-RL", "countdown3"), "vs_baseline_high"] < 0
    rl_change = generalisation.loc[("skillfactory", "post-RL", "countdown3")]  # 0.7 after RL against 0.05 before
    assert 0.5 < rl_change["rl_change"] < 0.8 and rl_change["rl_change_low"] > 0.45
    assert generalisation.loc[("rl_only", "post-RL", "countdown3"), "rl_change_low"] > 0.2  # 0.7 against 0.3
    assert generalisation.xs("pre-RL", level="phase")["rl_change"].isna().all()
    ood = pd.read_csv(tables / "ood_change.csv").set_index(["arm", "eval_set"])
    assert ood.loc[("rl_only", "all (pooled)"), "change_high"] < 0
    assert ood.loc[("skillfactory", "all (pooled)"), "vs_baseline_low"] > 0
    assert ood.loc[("skillfactory", "all (macro-average)"), "vs_baseline_low"] > 0
    skills = pd.read_csv(tables / "skills.csv").set_index(["model", "scope"])
    assert skills.loc[("rl/skillfactory", "in domain"), "attempts"] == 3
    assert skills.loc[("rl/skillfactory", "in domain"), "verdict_accuracy"] == pytest.approx(2 / 3, abs=1e-5)
    assert np.isnan(skills.loc[("rl/rl_only", "in domain"), "verdict_accuracy"])  # no verdict: undefined, not 0
    # balanced: right on the 1 correct attempt, on 1 of the 2 wrong ones; retries 1/1 after Incorrect, 1/2 after Correct
    assert skills.loc[("rl/skillfactory", "in domain"), "balanced_verdict_accuracy"] == pytest.approx(0.75, abs=1e-5)
    assert skills.loc[("rl/skillfactory", "in domain"), "retry_gap"] == pytest.approx(0.5, abs=1e-5)
    budget = pd.read_csv(tables / "budget_forcing.csv").set_index(["model", "round"])
    assert budget.loc[("rl/skillfactory", 2), "gain_low"] > 0 and budget.loc[("base", 0), "gain"] == 0
    for claim in (1, 2, 3, 4):
        assert "Verdict: reproduced" in claim_section(text, claim), claim_section(text, claim)
    assert "RL raised every arm's accuracy on the training task (countdown3) beyond its interval." in text


def test_a_world_without_any_success_reproduces_nothing(tmp_path):
    tables, text = build_report(tmp_path, lambda model, eval_set, round_=0: 0.0, skilled=False)
    claims = pd.read_csv(tables / "claims.csv")
    decisive = claims[(claims["role"] == "decisive") & (claims["claim"] != 2)]
    assert (decisive[["estimate", "low", "high"]] == 0).all().all()
    for claim in (1, 3, 4):
        assert "Verdict: not reproduced" in claim_section(text, claim)
    assert "RL raised no arm's accuracy on the training task (countdown3) beyond its interval" in text
    # a model that writes no verdict has no verdict accuracy and nothing to act on: claim 2 cannot be tested
    assert claims[(claims["role"] == "decisive") & (claims["claim"] == 2)]["estimate"].isna().all()
    assert "Verdict: not tested" in claim_section(text, 2)


def test_copying_the_trace_format_without_using_the_verdicts_does_not_reproduce_claim_2(tmp_path):
    # every attempt judged Correct whatever it is, and always three attempts: the trace's shape without its use
    blind = {**SKILLED, "verdicts_right": 1, "verdicts_on_correct": 1, "verdicts_right_on_correct": 1,
             "judged_incorrect": 0, "retries_after_incorrect": 0, "judged_correct": 3, "retries_after_correct": 2}
    paths = []
    for i, model in enumerate(MODELS):
        path = tmp_path / f"eval-{i}.csv"
        scores(model, paper_like, skills=blind if "skillfactory" in model else {}, seed=i).to_csv(path, index=False)
        paths.append(str(path))
    tables = tmp_path / "tables"
    make_tables.main(["--scores", ",".join(paths), "--budget-scores", "", "--out-dir", str(tables),
                      "--params", json.dumps(PARAMS)])
    claims = pd.read_csv(tables / "claims.csv").set_index("comparison")
    decisive = claims[(claims["claim"] == 2) & (claims["role"] == "decisive")]
    balanced, acting = decisive.iloc[0], decisive.iloc[1]
    assert balanced["estimate"] == balanced["low"] == balanced["high"] == 0.5  # at chance: not on the paper's side
    assert np.isnan(acting["estimate"])  # never judged Incorrect: no retry to compare
    assert claims[claims.index.str.startswith("attempts per response of")]["low"].iloc[0] == 3  # the old test passed
    make_figures.main(["--tables", str(tables), "--curves", "", "--out-dir", str(tmp_path / "figures"),
                       "--params", json.dumps(FIGURE_PARAMS)])
    assert len(list((tmp_path / "figures").glob("*.png"))) == 5


def test_missing_arms_and_sets_leave_claims_untested_instead_of_failing(tmp_path):
    paths, _ = write_scores(tmp_path, paper_like)
    params = {**PARAMS, "ood_sets": [], "arms": {"rl_only": "base"}, "rounds": 0, "budget_sets": []}
    tables = tmp_path / "tables"
    kept = [p for p in paths if "eval-0" in p or "eval-3" in p]  # base and rl/rl_only only
    make_tables.main(["--scores", ",".join(kept), "--budget-scores", "", "--out-dir", str(tables),
                      "--params", json.dumps(params)])
    claims = pd.read_csv(tables / "claims.csv")
    assert claims[claims["role"] == "decisive"]["estimate"].isna().all()
    assert make_tables.read_table(tables / "budget_forcing.csv").empty
    make_figures.main(["--tables", str(tables), "--curves", str(tmp_path / "absent.csv"), "--out-dir",
                       str(tmp_path / "figures"), "--params", json.dumps({**FIGURE_PARAMS, "arms": params["arms"]})])
    assert len(list((tmp_path / "figures").glob("*.png"))) == 5


def test_figures_show_every_claim_and_the_training_curves(paper_world, tmp_path):
    world, tables, _ = paper_world
    curves = []
    for run, columns in {"sft/skillfactory": {"loss": [2.0, 1.0]}, "rl/skillfactory": {"reward": [0.1, 0.4],
                                                                                       "kl": [0.0, 0.01]}}.items():
        folder = tmp_path / "models" / run / "seed0"
        folder.mkdir(parents=True)
        pd.DataFrame({"step": [1, 2], **columns}).to_csv(folder / "curves.csv", index=False)
        curves.append(str(folder / "curves.csv"))
    out = tmp_path / "figures"
    make_figures.main(["--tables", str(tables), "--curves", ",".join(curves), "--out-dir", str(out),
                       "--params", json.dumps(FIGURE_PARAMS)])
    frames = make_figures.load_curves(curves)
    assert set(frames["run"]) == {"sft/skillfactory", "rl/skillfactory"}
    for name in ("generalisation", "ood_change", "skills", "budget_forcing", "training_curves"):
        assert (out / f"{name}.png").stat().st_size > 20_000, name


# --- the real report of the smoke workflow, opened in headless Chromium ---------------------------------------------


@pytest.mark.workflow
def test_smoke_report_opens_in_chromium_without_console_errors(smoke_run, tmp_path):
    """The report's start page, then its Findings category and the findings page opened in it, as a reader would."""
    report = smoke_run / "results" / "report.html"
    start = open_page(report, tmp_path / "report.png", ready=contains_text("Claim 1: harder Countdown"))
    assert not start.errors, start.errors
    assert "Findings" in start.text and (tmp_path / "report.png").stat().st_size > 10_000
    open_findings = (
        "Array.from(document.querySelectorAll('tr')).find(r => r.textContent.includes('results/findings.html'))"
        ".querySelector('a[iconname=eye]').click()"
    )
    findings_page = open_page(
        report,
        tmp_path / "findings.png",
        ready=contains_text("Claim 1: harder Countdown"),
        steps=[
            (click_text("Findings"), contains_text("results/findings.html")),
            (open_findings, "document.querySelector('iframe[src*=\"findings.html\"]')"),
        ],
    )
    assert not findings_page.errors, findings_page.errors
    assert (tmp_path / "findings.png").stat().st_size > 10_000


@pytest.mark.parametrize("where", ["page", "frame"])
def test_the_browser_check_catches_console_errors(tmp_path, where):
    """A check that could never fail would prove nothing: errors of the page and of a frame in it are reported."""
    script = "<script>console.error('boom'); undefinedFunction();</script>"
    if where == "frame":
        script = f'<iframe src="data:text/html;base64,{base64.b64encode(script.encode()).decode()}"></iframe>'
    bad = tmp_path / "bad.html"
    bad.write_text(f"<html><body><p>ok</p>{script}</body></html>")
    page = open_page(bad, tmp_path / "bad.png", ready=contains_text("ok"))
    assert any("boom" in e for e in page.errors) and any("undefinedFunction" in e for e in page.errors), page.errors


@pytest.mark.workflow
def test_smoke_findings_are_regenerated_from_its_claims_table(smoke_run, tmp_path):
    results = smoke_run / "results"
    claims = pd.read_csv(results / "tables" / "claims.csv")
    assert set(claims["claim"]) == {1, 2, 3, 4}
    text = (results / "findings.md").read_text()
    # smoke trains on Countdown-2 and evaluates Countdown-3 to -6: no set measures RL on the training questions
    assert "Whether RL changed the models on the training task is not measured" in text
    params = json.dumps({"seeds": [0], "ci_level": 0.95, "bootstrap_resamples": 200, "training_sets": []})
    generalisation = str(results / "tables" / "generalisation.csv")
    findings.main(["--claims", str(results / "tables" / "claims.csv"), "--generalisation", generalisation,
                   "--markdown", str(tmp_path / "f.md"), "--html", str(tmp_path / "f.html"), "--params", params])
    assert (tmp_path / "f.md").read_text() == text
    claims.loc[claims["role"] == "decisive", ["estimate", "low", "high"]] = [0.5, 0.4, 0.6]
    claims.to_csv(tmp_path / "changed.csv", index=False)
    findings.main(["--claims", str(tmp_path / "changed.csv"), "--generalisation", generalisation,
                   "--markdown", str(tmp_path / "g.md"), "--html", str(tmp_path / "g.html"), "--params", params])
    changed = (tmp_path / "g.md").read_text()
    # balanced verdict accuracy [0.4, 0.6] contains chance: claim 2 is not reproduced, the three others are
    assert changed != text and changed.count("Verdict: reproduced") == 3 and "Verdict: not reproduced" in changed


def test_the_macro_average_weighs_every_set_the_same_however_many_questions_it_has():
    def rows(model, eval_set, n, score):
        return [{"model": model, "seed": 0, "eval_set": eval_set, "question_id": f"{eval_set}-{q}",
                 "score": score, "responses": 1} for q in range(n)]

    frame = pd.DataFrame(rows("x", "big", 100, 1.0) + rows("x", "small", 10, 0.0)
                         + rows("y", "big", 100, 0.0) + rows("y", "small", 10, 1.0))
    an = make_tables.Analysis(frame, PARAMS)
    pooled = an.difference("accuracy", ("x", None), ("y", None), ["big", "small"])
    macro = an.difference("accuracy", ("x", None), ("y", None), ["big", "small"], macro=True)
    assert pooled.estimate == pytest.approx(90 / 110) and pooled.low > 0.5
    assert macro.estimate == pytest.approx(0.0) and macro.low == pytest.approx(0.0)
    assert an.interval("accuracy", "x", ["big", "small"], macro=True).estimate == pytest.approx(0.5)
