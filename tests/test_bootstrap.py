"""Bootstrap intervals over questions and seeds: exact edge cases, properties on generated grids, and coverage."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfactory.bootstrap import Interval, aligned_grids, difference_interval, ratio_interval

SETTINGS = {"resamples": 300, "level": 0.9, "seed": 0}


def grid(seeds, questions, data):
    """A (seeds x questions) grid of 0/1 scores, one response per cell."""
    scores = np.array(data.draw(st.lists(st.integers(0, 1), min_size=seeds * questions, max_size=seeds * questions)))
    return scores.reshape(seeds, questions).astype(float), np.ones((seeds, questions))


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 4), st.integers(1, 30), st.data())
def test_interval_is_ordered_and_within_the_range_of_the_cells(seeds, questions, data):
    num, den = grid(seeds, questions, data)
    ci = ratio_interval(num, den, **SETTINGS)
    assert ci.estimate == num.sum() / den.sum()
    assert num.min() <= ci.low <= ci.high <= num.max()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 30), st.data())
def test_paired_difference_of_a_model_with_itself_is_exactly_zero(seeds, questions, data):
    a = grid(seeds, questions, data)
    assert difference_interval(a, a, **SETTINGS) == Interval(0.0, 0.0, 0.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(2, 25), st.data())
def test_swapping_the_models_negates_the_difference(seeds, questions, data):
    a, b = grid(seeds, questions, data), grid(seeds, questions, data)
    ab, ba = difference_interval(a, b, **SETTINGS), difference_interval(b, a, **SETTINGS)
    assert np.isclose(ab.estimate, -ba.estimate)
    assert np.isclose(ab.low, -ba.high) and np.isclose(ab.high, -ba.low)


def test_constant_scores_give_a_degenerate_interval_and_no_counts_give_none():
    ones = np.ones((2, 10))
    assert ratio_interval(ones, ones, **SETTINGS) == Interval(1.0, 1.0, 1.0)
    empty = ratio_interval(np.zeros((2, 10)), np.zeros((2, 10)), **SETTINGS)
    assert all(np.isnan([empty.estimate, empty.low, empty.high]))
    assert empty.excludes(0.0) == 0


def test_a_uniform_shift_is_detected_and_pairing_removes_question_difficulty():
    rng = np.random.default_rng(1)
    difficulty = rng.uniform(0, 1, size=(1, 200))
    a = (rng.uniform(size=(3, 200)) < difficulty).astype(float)
    b = np.minimum(a + (rng.uniform(size=(3, 200)) < 0.3), 1.0)  # b solves everything a solves, and more
    diff = difference_interval((b, np.ones_like(b)), (a, np.ones_like(a)), **SETTINGS)
    assert diff.excludes(0.0) == 1
    unpaired_width = ratio_interval(b, np.ones_like(b), **SETTINGS)
    assert diff.high - diff.low < unpaired_width.high - unpaired_width.low


def test_coverage_of_a_known_accuracy_is_close_to_the_level():
    """Sampled Bernoulli(0.3) answers of 80 questions: the 90% interval covers 0.3 about 90% of the time."""
    rng = np.random.default_rng(7)
    covered = 0
    for trial in range(200):
        scores = (rng.uniform(size=(1, 80)) < 0.3).astype(float)
        ci = ratio_interval(scores, np.ones_like(scores), resamples=400, level=0.9, seed=trial)
        covered += ci.low <= 0.3 <= ci.high
    assert 0.82 <= covered / 200 <= 0.97


def test_seed_variation_widens_the_interval():
    """Same question-level noise, but seeds that disagree: resampling seeds must show it."""
    rng = np.random.default_rng(3)
    scores = (rng.uniform(size=(3, 60)) < 0.5).astype(float)
    offsets = scores.copy()
    offsets[0] = 0.0
    offsets[2] = 1.0
    same = ratio_interval(scores, np.ones_like(scores), **SETTINGS)
    spread = ratio_interval(offsets, np.ones_like(offsets), **SETTINGS)
    assert spread.high - spread.low > same.high - same.low


def test_aligned_grids_sum_responses_per_cell_and_fill_missing_cells():
    a = pd.DataFrame(
        {"seed": [0, 0, 0, 1], "eval_set": ["s", "s", "s", "s"], "question_id": ["q1", "q1", "q2", "q1"],
         "score": [1.0, 0.0, 1.0, 1.0], "responses": 1}
    )
    b = pd.DataFrame({"seed": [0], "eval_set": ["t"], "question_id": ["q9"], "score": [1.0], "responses": 1})
    (num_a, den_a), (num_b, den_b) = aligned_grids([a, b], "score", "responses")
    assert num_a.tolist() == [[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]] and den_a.tolist() == [[2, 1, 0], [1, 0, 0]]
    assert num_b.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]] and den_b.sum() == 1
