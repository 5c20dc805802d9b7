"""Percentile bootstrap intervals over questions and training seeds.

Every statistic here is built from ratios of sums over a grid of (seed, question) cells: accuracy is the summed score
over the number of responses, verdict accuracy the right verdicts over all readable verdicts, and so on; a statistic
may combine several ratios (a difference between models, a mean over evaluation sets). Both sources of
variation are resampled at once (a crossed bootstrap): each replicate draws the seeds with replacement and,
independently, the questions with replacement, and weighs every cell by how often its seed and its question were
drawn. With one seed this is the ordinary bootstrap over questions.

Differences between two models are paired: both grids are weighed with the same draws, because every model answers
the same questions, and the base model is sampled once per training seed. Cells without responses (count 0) add
nothing; a replicate whose weighted count is 0 is undefined and left out, and a statistic with no defined replicate
has a NaN interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CELL = ("seed", "eval_set", "question_id")


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap interval; all NaN when the statistic is undefined (nothing counted)."""

    estimate: float
    low: float
    high: float

    def excludes(self, value: float) -> int:
        """+1 when the whole interval lies above ``value``, -1 when below, 0 when it contains it or is undefined."""
        if self.low > value:
            return 1
        if self.high < value:
            return -1
        return 0


def aligned_grids(frames: list[pd.DataFrame], value: str, count: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(numerator, denominator)`` grids of ``value`` and ``count`` summed per (seed, question) cell, one per
    frame, all on the union of the frames' seeds and questions (a missing cell counts nothing)."""
    seeds = sorted(set().union(*(f["seed"] for f in frames)))
    questions = sorted(set().union(*(zip(f["eval_set"], f["question_id"]) for f in frames)))
    grids = []
    for frame in frames:
        sums = frame.groupby(list(CELL))[[value, count]].sum()
        wide = sums.unstack(["eval_set", "question_id"]).reindex(index=seeds)
        num = wide[value].reindex(columns=pd.MultiIndex.from_tuples(questions)).fillna(0.0).to_numpy(float)
        den = wide[count].reindex(columns=pd.MultiIndex.from_tuples(questions)).fillna(0.0).to_numpy(float)
        grids.append((num, den))
    return grids


def ratio(numerator: pd.Series, denominator: pd.Series) -> float:
    """The point estimate of a ratio of sums: undefined (NaN) rather than 0 when nothing was counted, e.g. no
    verdicts at all."""
    return numerator.sum() / denominator.sum() if denominator.sum() else float("nan")


def _draws(n_seeds: int, n_questions: int, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """How often each seed and each question is drawn in each replicate (multinomial counts)."""
    rng = np.random.default_rng(seed)
    seeds = rng.multinomial(n_seeds, np.full(n_seeds, 1 / n_seeds), size=resamples)
    questions = rng.multinomial(n_questions, np.full(n_questions, 1 / n_questions), size=resamples)
    return seeds.astype(float), questions.astype(float)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray | float:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _interval(grids, combine, resamples: int, level: float, seed: int) -> Interval:
    n_seeds, n_questions = grids[0][0].shape
    if n_seeds == 0 or n_questions == 0:
        return Interval(np.nan, np.nan, np.nan)
    point = combine([_ratio(num.sum(), den.sum()) for num, den in grids])
    w_seed, w_question = _draws(n_seeds, n_questions, resamples, seed)
    replicates = combine(
        [
            _ratio(np.einsum("bs,sq,bq->b", w_seed, num, w_question), np.einsum("bs,sq,bq->b", w_seed, den, w_question))
            for num, den in grids
        ]
    )
    replicates = replicates[~np.isnan(replicates)]
    if np.isnan(point) or not len(replicates):
        return Interval(float(point), np.nan, np.nan)
    tail = (1 - level) / 2
    low, high = np.quantile(replicates, [tail, 1 - tail])
    return Interval(float(point), float(low), float(high))


def combined_interval(grids: list[tuple], combine, *, resamples: int, level: float, seed: int) -> Interval:
    """``combine([ratio(g) for g in grids])`` for aligned grids, all weighed with the same draws: a ratio of sums
    (one grid), a paired difference of two, or any function of several, such as a mean over evaluation sets."""
    return _interval(grids, combine, resamples, level, seed)


def ratio_interval(num: np.ndarray, den: np.ndarray, *, resamples: int, level: float, seed: int) -> Interval:
    """sum(num) / sum(den) over a (seed x question) grid, with its ``level`` percentile interval."""
    return _interval([(num, den)], lambda r: r[0], resamples, level, seed)


def difference_interval(a: tuple, b: tuple, *, resamples: int, level: float, seed: int) -> Interval:
    """ratio(a) - ratio(b) for two aligned grids, paired: the same draws weigh both."""
    return _interval([a, b], lambda r: r[0] - r[1], resamples, level, seed)
