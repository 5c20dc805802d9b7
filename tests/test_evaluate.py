"""Evaluation metrics: accuracy and skill counts per evaluation set."""

from skillfactory.evaluate import score_responses, summarize


def test_evaluation_metrics_count_skills_per_set():
    example = {"task": "countdown", "id": "q", "numbers": [3, 7, 12], "target": 33}
    trace = "<think><sample>x</sample><reflect>y</reflect><sample>z</sample></think><answer>3 * 7 + 12</answer>"
    rows = score_responses({"cd3": [example], "cd4": [example]}, [[trace, "no answer"], ["<answer>3+7</answer>"] * 2])
    metrics = summarize(rows, "rl/x").set_index("eval_set")
    assert list(metrics.columns[:1]) == ["model"] and (metrics["model"] == "rl/x").all()
    assert metrics.loc["cd3", "accuracy"] == 0.5 and metrics.loc["cd4", "accuracy"] == 0.0
    assert metrics.loc["cd3", "mean_attempts"] == 1.5 and metrics.loc["cd3", "mean_verifications"] == 0.5
    assert metrics.loc["cd3", "n_questions"] == 1 and metrics.loc["cd3", "n_responses"] == 2


def test_base_card_metrics_separate_pass_rates_and_verdicts():
    from skillfactory.base_card import attempt_metrics, verdict_metrics

    q = {"task": "countdown", "id": "a", "numbers": [3, 7, 12], "target": 33}
    right, wrong = "<answer>3 * 7 + 12</answer>", "<answer>3 + 7 + 12</answer><answer>12</answer>"
    metrics, graded = attempt_metrics([q, q], [[right, wrong], [wrong, wrong]])
    assert metrics == {"n_questions": 2, "pass@1": 0.25, "pass@k": 0.5, "multi_attempt_share": 0.75}
    verdicts = verdict_metrics(graded, ["<verdict>Correct</verdict>", "<verdict>Incorrect</verdict>", "junk", ""])
    assert verdicts["verdict_accuracy"] == 0.5 and verdicts["junk_share"] == 0.5
    assert verdicts["verdict_accuracy_on_correct"] == 1.0 and verdicts["verdict_accuracy_on_incorrect"] == 1 / 3
