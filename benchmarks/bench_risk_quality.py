"""Does the snare-risk map predict? Scored against the demo reserve's hidden truth and in backtests.

For each demo seed (patrol.demo.generate, 12 months, 50 m grid; the model reads only what a real
reserve records, see threats.interchange.demo_inputs.risk_inputs_from_demo):

1. Truth: PAI at 10 % of area of the hidden truth itself (the best possible), of the snares layer
   fitted on all 12 months, and of the naive baseline (kernel density of the same finds; the best
   of three bandwidths, so the baseline is not a straw man). PAI of a layer against the truth =
   share of the TRUE intensity mass in the layer's top 10 % of cells / 0.10.
2. Backtest: fit on months 1-9, score months 10-12's finds: AUC (all cells, and only cells patrolled
   in the test period), PAI at 5/10/20 %, and the catch-per-effort lift (finds per km of patrol in
   the top 10 % of patrolled cells / in all patrolled cells), for the model and the KDE baseline.

3. Valleys: the top 5 DEM valley reaches by leopard risk, second half-year vs first, with trend.
4. With --sensitivity: the truth ratio again under other priors and settings (docs/risk-model.md).

    .venv/bin/python benchmarks/bench_risk_quality.py [--seeds 1 2] [--sensitivity]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
from _common import peak_rss_mb
from scipy.spatial import cKDTree
from scipy.stats import spearmanr

from threats.interchange import demo
from threats.interchange.demo_inputs import demo_access_xy, risk_inputs_from_demo
from threats.risk import data as risk_data
from threats.risk import evaluation as risk_evaluation
from threats.risk import features as risk_features
from threats.risk import model as risk_model

DEMO_END = datetime(2025, 1, 1, tzinfo=UTC)  # fixed so the figures are reproducible
KDE_BANDWIDTHS_M = (500.0, 1000.0, 2000.0)
TRAIN_MONTHS = 9


def day(ts: float) -> str:
    return f"{datetime.fromtimestamp(ts, UTC):%Y-%m-%d}"


def demo_valley_of_reach(reserve, features) -> dict[int, str]:
    """For display only: the drawn demo valley nearest to most of each DEM reach's channel cells."""
    points = np.vstack([v.xy for v in reserve.valleys])
    owner = np.concatenate([[v.name] * len(v.xy) for v in reserve.valleys])
    tree = cKDTree(points)
    names = {}
    for _, _, data in features.valleys.edges(data=True):
        rows, cols = np.array(data["cells"]).T
        x, y = reserve.grid.xy_of(rows, cols)
        distance, nearest = tree.query(np.column_stack([x, y]))
        near = owner[nearest][distance < 500.0]
        label = max(set(near), key=list(near).count) if len(near) else "-"
        names[data["reach_id"]] = f"{data['name']} ({label})"
    return names


def truth_scores(reserve, inputs, fit) -> float:
    truth = reserve.truth_intensity.astype(np.float64)
    truth_pai = risk_evaluation.pai_against_truth(truth, truth, 0.10)
    model_pai = risk_evaluation.pai_against_truth(np.nan_to_num(fit.intensity), truth, 0.10)
    kde_pais = {
        bw: risk_evaluation.pai_against_truth(
            risk_evaluation.kde_baseline(inputs.grid, inputs.snare_finds, bandwidth_m=bw), truth
        )
        for bw in KDE_BANDWIDTHS_M
    }
    best_bw = max(kde_pais, key=kde_pais.get)
    print(f"total intensity {np.nansum(fit.intensity):.0f} lines/yr (truth {truth.sum():.0f})")
    print(
        f"PAI@10% vs truth: truth {truth_pai:.3f} | snares layer {model_pai:.3f} "
        f"(ratio {model_pai / truth_pai:.3f}) | naive KDE {kde_pais[best_bw]:.3f} at {best_bw:.0f} m "
        f"(ratio {kde_pais[best_bw] / truth_pai:.3f}; "
        + ", ".join(f"{bw:.0f} m {p:.3f}" for bw, p in kde_pais.items())
        + ")"
    )
    true_risk = truth * reserve.leopard_presence
    rho = spearmanr(fit.leopard_presence.ravel(), reserve.leopard_presence.ravel())[0]
    print(
        f"leopard: presence Spearman vs hidden presence {rho:.3f}; leopard-risk PAI@10% vs truth x presence "
        f"{risk_evaluation.pai_against_truth(np.nan_to_num(fit.leopard_risk), true_risk):.3f} "
        f"(best {risk_evaluation.pai_against_truth(true_risk, true_risk):.3f})"
    )
    return best_bw


def backtest_scores(reserve, inputs, features, best_bw: float) -> None:
    truth = reserve.truth_intensity.astype(np.float64)
    cutoff = inputs.start + risk_evaluation.days(round(30.44 * TRAIN_MONTHS))
    bt = risk_evaluation.backtest(inputs, features, cutoff=cutoff, kde_bandwidth_m=best_bw)
    print(
        f"backtest: train {day(inputs.start)}..{day(cutoff)} ({bt.n_train_finds} finds), "
        f"test ..{day(bt.test_end)} ({bt.n_test_finds} finds)"
    )
    print(f"{'':10}{'AUC all':>9}{'AUC patrolled':>15}{'PAI 5%':>8}{'PAI 10%':>9}{'PAI 20%':>9}{'CPUE lift 10%':>15}")
    for name, score in (("model", bt.model), ("naive KDE", bt.baseline)):
        print(
            f"{name:10}{score.auc_all_cells:9.3f}{score.auc_patrolled:15.3f}{score.pai[0.05]:8.2f}"
            f"{score.pai[0.10]:9.2f}{score.pai[0.20]:9.2f}{score.cpue_lift[0.10]:15.2f}"
        )
    model_truth = risk_evaluation.pai_against_truth(np.nan_to_num(bt.fit.intensity), truth)
    kde_truth = risk_evaluation.pai_against_truth(bt.baseline_layer, truth)
    print(f"backtest fit PAI@10% vs truth: model {model_truth:.3f}, KDE {kde_truth:.3f}")


def valley_trend(reserve, inputs, features) -> None:
    half = inputs.start + (inputs.end - inputs.start) / 2
    first = risk_model.fit_risk(inputs.window(inputs.start, half), features)
    second = risk_model.fit_risk(inputs.window(half, inputs.end), features)
    names = demo_valley_of_reach(reserve, features)
    ranked = risk_evaluation.rank_valleys(
        features.reach_labels, second.leopard_risk, first.leopard_risk, top_n=5, names=names
    )
    print(
        f"top 5 of {features.valleys.number_of_edges()} reaches by leopard risk, {day(half)}..{day(inputs.end)} "
        f"vs {day(inputs.start)}..{day(half)} (demo valley in brackets, for display only):"
    )
    for v in ranked:
        print(
            f"  {v.rank}. {v.name:<22} risk {v.risk:7.3f}  before {v.previous_risk:7.3f} (rank {v.previous_rank})"
            f"  {v.trend} {v.change_ratio:+.0%}"
        )


SENSITIVITY = {
    "valley prior -0.5/km": {"prior_valley_km": (-0.5, 0.5)},
    "valley prior -2/km": {"prior_valley_km": (-2.0, 0.5)},
    "valley prior flat (0 +- 2)": {"prior_valley_km": (0.0, 2.0)},
    "no frailty": {"frailty_prior_finds": 1e9},
    "frailty bandwidth fixed 1.5 km": {"frailty_bandwidths_m": (1500.0,)},
    "frailty bandwidth fixed 3 km": {"frailty_bandwidths_m": (3000.0,)},
    "no snare terrain terms": {"prior_snare_terrain_sd": 0.0},
    "half-life 180 d": {"half_life_days": 180.0},
    "no same-line merging": {"same_line_radius_m": 0.0},
}


def sensitivity(reserve, inputs) -> None:
    truth = reserve.truth_intensity.astype(np.float64)
    best = risk_evaluation.pai_against_truth(truth, truth)
    for km2 in (10.0, 25.0, 50.0):
        features = risk_features.build_terrain_features(
            reserve.elevation,
            grid=inputs.grid,
            access_xy=demo_access_xy(reserve),
            valley_min_catchment_km2=km2,
        )
        variants = SENSITIVITY.items() if km2 == 25.0 else [("default", {})]
        for name, overrides in variants:
            fit = risk_model.fit_risk(inputs, features, risk_data.RiskConfig(**overrides))
            ratio = risk_evaluation.pai_against_truth(np.nan_to_num(fit.intensity), truth) / best
            coef = dict(zip(fit.glm.names, fit.glm.coef, strict=True))["distance to valley network"]
            print(f"  valleys >= {km2:4.0f} km2, {name:<28} PAI@10% ratio {ratio:.3f} (valley coef {coef:+.2f}/km)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sensitivity", action="store_true", help="also refit with other priors/settings")
    args = parser.parse_args()
    for seed in args.seeds:
        started = time.perf_counter()
        reserve = demo.generate(seed=seed, end=DEMO_END)
        inputs = risk_inputs_from_demo(reserve)
        features = risk_features.build_terrain_features(
            reserve.elevation, grid=inputs.grid, access_xy=demo_access_xy(reserve)
        )
        terrain_s = time.perf_counter() - started
        t0 = time.perf_counter()
        fit = risk_model.fit_risk(inputs, features)
        fit_s = time.perf_counter() - t0
        print(
            f"\n== demo seed {seed}: {reserve.shape[0]}x{reserve.shape[1]} cells of {reserve.cell_m:.0f} m, "
            f"{len(reserve.finds)} finds, {len(reserve.patrols)} patrols, {day(inputs.start)}..{day(inputs.end)}"
        )
        print(
            f"demo + terrain features {terrain_s:.1f} s, fit {fit_s:.1f} s; k = {fit.detection_rate}; "
            + ", ".join(f"{n} {c:+.2f}" for n, c in zip(fit.glm.names, fit.glm.coef, strict=True))
        )
        best_bw = truth_scores(reserve, inputs, fit)
        backtest_scores(reserve, inputs, features, best_bw)
        valley_trend(reserve, inputs, features)
        if args.sensitivity:
            sensitivity(reserve, inputs)
    print(f"\npeak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
