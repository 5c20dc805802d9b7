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
