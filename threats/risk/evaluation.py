"""Scoring risk maps: AUC, PAI, the naive kernel-density baseline, truth scoring, backtests, valley ranking.

Pure numerical code on arrays (see threats/risk.py for the model). The ``backtest_risk``
command fits on data before a date and scores the following period with these functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, stats

from patrol.terrain.grid import Grid
from threats.risk.data import (
    SECONDS_PER_DAY,
    PointEvents,
    RiskConfig,
    RiskInputs,
)
from threats.risk.effort import event_counts, patrol_effort, recency_weights
from threats.risk.features import TerrainFeatures
from threats.risk.model import RiskResult, fit_risk

PAI_FRACTIONS = (0.05, 0.10, 0.20)


# --- metrics --------------------------------------------------------------------------------


def top_cells(scores: np.ndarray, fraction: float, mask: np.ndarray | None = None) -> np.ndarray:
    """Flat indices of the highest-scoring ``round(fraction * n)`` cells (at least one) among ``mask``.

    Ties are broken by flat index (stable sort), so the result is deterministic.
    """
    flat = np.asarray(scores, dtype=np.float64).ravel()
    candidates = np.flatnonzero(np.ones(flat.size, bool) if mask is None else np.asarray(mask).ravel())
    values = np.nan_to_num(flat[candidates], nan=-np.inf)
    k = max(1, int(round(fraction * len(candidates))))
    order = np.argsort(-values, kind="stable")
    return candidates[order[:k]]


def pai(scores: np.ndarray, counts: np.ndarray, fraction: float, mask: np.ndarray | None = None) -> float:
    """Predictive accuracy index: share of ``counts`` in the top ``fraction`` of area, divided by that fraction.

    ``counts`` may be finds per cell or any non-negative mass (e.g. a true intensity). 1 = no better
    than chance, 1/fraction = everything in the top cells.
    """
    c = np.asarray(counts, dtype=np.float64).ravel()
    total = c.sum() if mask is None else c[np.asarray(mask).ravel()].sum()
    if total <= 0:
        return math.nan
    top = top_cells(scores, fraction, mask)
    n = c.size if mask is None else int(np.asarray(mask).sum())
    return float(c[top].sum() / total / (len(top) / n))


def pai_against_truth(layer: np.ndarray, truth: np.ndarray, fraction: float = 0.10) -> float:
    """Share of the TRUE intensity mass inside the layer's top ``fraction`` of cells, divided by the fraction."""
    return pai(layer, truth, fraction)


def auc(scores: np.ndarray, positive: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Area under the ROC curve of cell scores for cells with a find (Mann-Whitney, ties count half)."""
    s = np.nan_to_num(np.asarray(scores, dtype=np.float64).ravel(), nan=-np.inf)
    p = np.asarray(positive).ravel().astype(bool)
    if mask is not None:
        keep = np.asarray(mask).ravel().astype(bool)
        s, p = s[keep], p[keep]
    n_pos, n_neg = int(p.sum()), int((~p).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = stats.rankdata(s)  # average ranks for ties
    return float((ranks[p].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def catch_per_effort_lift(scores: np.ndarray, finds: np.ndarray, effort: np.ndarray, fraction: float) -> float:
    """Finds per unit effort in the top ``fraction`` of *patrolled* cells / finds per unit effort in all of them.

    Future finds follow future patrols as much as snares: a map can "predict" finds just by
    pointing where rangers walk. Dividing by effort asks the fairer question: where rangers did
    walk, did they find more per km in the cells the map ranked high?
    """
    e = np.asarray(effort, dtype=np.float64).ravel()
    f = np.asarray(finds, dtype=np.float64).ravel()
    patrolled = e > 0
    if f[patrolled].sum() <= 0:
        return math.nan
    top = top_cells(scores, fraction, patrolled.reshape(np.shape(effort)))
    return float((f[top].sum() / e[top].sum()) / (f[patrolled].sum() / e[patrolled].sum()))


# --- the naive baseline ---------------------------------------------------------------------


def kde_baseline(
    grid: Grid,
    finds: PointEvents,
    *,
    bandwidth_m: float = 1000.0,
    reference: float | None = None,
    half_life_days: float | None = None,
) -> np.ndarray:
    """Kernel density of past finds (Gaussian, no effort correction): the hotspot map one draws by hand."""
    counts = event_counts(grid, finds, reference=reference, half_life_days=half_life_days)
    return ndimage.gaussian_filter(counts, sigma=bandwidth_m / grid.cell_m, mode="constant", truncate=4.0)


# --- backtests ------------------------------------------------------------------------------


@dataclass
class PeriodScore:
    auc_all_cells: float  # cells with a test-period find vs all other cells
    auc_patrolled: float  # the same among cells patrolled in the test period
    pai: dict[float, float]  # fraction -> PAI on test-period finds
    cpue_lift: dict[float, float]  # fraction -> catch-per-effort lift among patrolled cells


def score_period(
    layer: np.ndarray, test_finds: np.ndarray, test_effort: np.ndarray, fractions: Sequence[float] = PAI_FRACTIONS
) -> PeriodScore:
    """Score a map against the finds (per cell) and patrol effort (per cell) of a later period."""
    positive = np.asarray(test_finds) > 0
    patrolled = np.asarray(test_effort) > 0
    return PeriodScore(
        auc_all_cells=auc(layer, positive),
        auc_patrolled=auc(layer, positive, mask=patrolled),
        pai={f: pai(layer, test_finds, f) for f in fractions},
        cpue_lift={f: catch_per_effort_lift(layer, test_finds, test_effort, f) for f in fractions},
    )


@dataclass
class BacktestResult:
    cutoff: float
    test_end: float
    n_train_finds: int
    n_test_finds: int
    model: PeriodScore
    baseline: PeriodScore
    fit: RiskResult
    baseline_layer: np.ndarray


def backtest(
    inputs: RiskInputs,
    features: TerrainFeatures,
    *,
    cutoff: float,
    test_end: float | None = None,
    train_start: float | None = None,
    config: RiskConfig | None = None,
    kde_bandwidth_m: float = 1000.0,
) -> BacktestResult:
    """Fit on [train_start, cutoff), score the model and the KDE baseline on finds in [cutoff, test_end)."""
    config = config or RiskConfig()
    test_end = inputs.end if test_end is None else test_end
    train = inputs.window(inputs.start if train_start is None else train_start, cutoff)
    test = inputs.window(cutoff, test_end)
    fit = fit_risk(train, features, config)
    baseline = kde_baseline(
        inputs.grid,
        train.snare_finds,
        bandwidth_m=kde_bandwidth_m,
        reference=cutoff,
        half_life_days=config.half_life_days,
    )
    test_finds = event_counts(inputs.grid, test.snare_finds)
    test_effort = patrol_effort(
        inputs.grid,
        test.tracks,
        start=cutoff,
        end=test_end,
        detection_radius_m=config.detection_radius_m,
        half_life_days=math.inf,
    ).distance_km
    return BacktestResult(
        cutoff=cutoff,
        test_end=test_end,
        n_train_finds=len(train.snare_finds),
        n_test_finds=len(test.snare_finds),
        model=score_period(fit.intensity, test_finds, test_effort),
        baseline=score_period(baseline, test_finds, test_effort),
        fit=fit,
        baseline_layer=baseline,
    )


# --- valley ranking -------------------------------------------------------------------------


# How a valley's change is put into words. Risk is summed over the reach's cells in expected snare
# lines set per year. A percentage of (practically) nothing is noise that reads as alarm: a reach
# that went from 0.000002 to 0.54 lines a year is "+27169122 %". So:
# - below NOTHING_BELOW (one snare line in ten years) a valley had practically no snaring: a rise from
#   there is "new", and changes smaller than NOTHING_BELOW are never a trend ("steady");
# - the change is always given as an absolute number (snare lines per year);
# - a percentage is given only when the earlier period had at least PERCENT_FROM (one line a year):
#   below that, "0.2 -> 0.6" is "+200 %" but less than half a snare line.
NOTHING_BELOW = 0.1  # snare lines per year in the valley
PERCENT_FROM = 1.0  # snare lines per year in the valley
STEADY_WITHIN = 0.10  # relative change below which a valley is steady


@dataclass(frozen=True)
class ValleyChange:
    change: float  # risk - previous_risk, snare lines per year
    change_percent: float | None  # 100 * change / previous_risk; None unless previous_risk >= PERCENT_FROM
    trend: str  # "new", "up", "down" or "steady"


def valley_change(
    risk: float,
    previous_risk: float,
    *,
    nothing_below: float = NOTHING_BELOW,
    percent_from: float = PERCENT_FROM,
    steady_within: float = STEADY_WITHIN,
) -> ValleyChange:
    """The change of a valley's risk between two periods, as the map says it (rules above).

    "steady" when the change is smaller than ``nothing_below`` or than ``steady_within`` of the
    earlier value; otherwise "new" when the earlier value was below ``nothing_below``, else "up" or
    "down".
    """
    change = float(risk - previous_risk)
    percent = 100.0 * change / previous_risk if previous_risk >= percent_from else None
    if abs(change) < max(nothing_below, steady_within * previous_risk):
        trend = "steady"
    elif previous_risk < nothing_below:
        trend = "new"
    else:
        trend = "up" if change > 0 else "down"
    return ValleyChange(change, percent, trend)


@dataclass
class ValleyRisk:
    rank: int
    reach_id: int
    name: str
    risk: float  # summed over the reach's cells, snare lines per year
    previous_risk: float
    previous_rank: int
    change: float  # risk - previous_risk
    change_ratio: float  # raw risk / previous_risk - 1 (inf when it was 0): not for display, see change_percent
    trend: str  # "new", "up", "down" or "steady" (valley_change)
    change_percent: float | None = None  # only when meaningful (valley_change)


def rank_valleys(
    reach_labels: np.ndarray,
    risk: np.ndarray,
    previous_risk: np.ndarray,
    *,
    top_n: int = 10,
    names: dict[int, str] | None = None,
    steady_within: float = STEADY_WITHIN,
) -> list[ValleyRisk]:
    """Top-N valley reaches by summed risk, with the change against the previous period.

    ``reach_labels`` holds the reach id of every cell (0 = no reach); NaN risk counts as 0. The
    trend and the percentage follow `valley_change`.
    """
    labels = np.asarray(reach_labels, dtype=np.int64).ravel()
    valid = labels > 0
    ids = np.unique(labels[valid])
    if ids.size == 0:
        return []
    now = np.bincount(labels[valid], weights=np.nan_to_num(np.asarray(risk, float).ravel()[valid]))[ids]
    before = np.bincount(labels[valid], weights=np.nan_to_num(np.asarray(previous_risk, float).ravel()[valid]))[ids]
    order_now = np.lexsort((ids, -now))  # by risk, then by id for ties
    order_before = np.lexsort((ids, -before))
    previous_rank = np.empty(len(ids), dtype=np.int64)
    previous_rank[order_before] = np.arange(1, len(ids) + 1)
    ranked = []
    for rank, i in enumerate(order_now[:top_n], start=1):
        moved = valley_change(float(now[i]), float(before[i]), steady_within=steady_within)
        ratio = float(now[i] / before[i] - 1.0) if before[i] > 0 else (math.inf if now[i] > 0 else 0.0)
        reach = int(ids[i])
        ranked.append(
            ValleyRisk(
                rank,
                reach,
                (names or {}).get(reach, f"V{reach:03d}"),
                float(now[i]),
                float(before[i]),
                int(previous_rank[i]),
                moved.change,
                ratio,
                moved.trend,
                moved.change_percent,
            )
        )
    return ranked


def days(n: float) -> float:
    return n * SECONDS_PER_DAY


__all__ = [
    "PAI_FRACTIONS",
    "BacktestResult",
    "PeriodScore",
    "NOTHING_BELOW",
    "PERCENT_FROM",
    "ValleyChange",
    "ValleyRisk",
    "auc",
    "backtest",
    "catch_per_effort_lift",
    "kde_baseline",
    "pai",
    "pai_against_truth",
    "rank_valleys",
    "recency_weights",
    "score_period",
    "top_cells",
    "valley_change",
]
