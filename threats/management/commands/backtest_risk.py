"""Backtest the risk model on a reserve's own records: fit before a date, score the following period.

    python manage.py backtest_risk --reserve SLUG --train-until DATE [--test-until DATE] [--train-days N]
                                   [--kde-bandwidth M]

Prints AUC (all cells, and among cells patrolled in the test period), PAI at 5/10/20 % and the
catch-per-effort lift, for the model and for the naive baseline (a kernel density of past finds).
On a demo reserve, whose hidden truth lies in IRBIS_PRIVATE_ROOT/demo-truth/<slug>/, each layer is
also scored against the truth: PAI at 10 % of the layer, of the baseline, and of the truth itself.
See docs/risk-model.md, "Backtesting a reserve".
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from patrol.terrain.raster_io import RasterError, read_raster
from patrol.terrain.services import grid_raster
from threats.interchange.demo_seed import private_dir
from threats.management.commands._reserve import reserve_with_terrain
from threats.risk.evaluation import PAI_FRACTIONS, backtest, pai_against_truth
from threats.risk.inputs import risk_inputs_build, terrain_features_for, window_days


def _when(text: str, option: str) -> datetime:
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"{option} must be a date (YYYY-MM-DD) or an ISO 8601 time, got {text!r}")
        value = datetime(day.year, day.month, day.day)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _n(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


class Command(BaseCommand):
    help = "Fit the risk model on data before a date and score it on the finds of the following period."

    def add_arguments(self, parser):
        parser.add_argument("--reserve", required=True, help="reserve slug")
        parser.add_argument("--train-until", required=True, help="cutoff: fit on data before it (YYYY-MM-DD)")
        parser.add_argument("--test-until", help="end of the test period (default: now)")
        parser.add_argument("--train-days", type=int, help="length of the training window (default: the "
                            "recompute window, IRBIS_RISK_WINDOW_DAYS)")  # fmt: skip
        parser.add_argument("--kde-bandwidth", type=float, default=1000.0, help="naive baseline bandwidth, m")

    def handle(self, *args, **options):
        reserve, terrain = reserve_with_terrain(options["reserve"])
        cutoff = _when(options["train_until"], "--train-until")
        test_end = _when(options["test_until"], "--test-until") if options["test_until"] else timezone.now()
        if test_end <= cutoff:
            raise CommandError("--test-until must be after --train-until")
        train_days = options["train_days"] or window_days()
        if train_days <= 0:
            raise CommandError("--train-days must be positive")
        if options["kde_bandwidth"] <= 0:
            raise CommandError("--kde-bandwidth must be positive")
        train_start = cutoff - timedelta(days=train_days)

        inputs = risk_inputs_build(reserve=reserve, terrain=terrain, start=train_start, end=test_end)
        train = inputs.window(train_start.timestamp(), cutoff.timestamp())
        if len(train.snare_finds) == 0 or not train.tracks:
            raise CommandError(f"No snare finds or patrol tracks in {reserve.slug} before {cutoff:%Y-%m-%d}.")
        features = terrain_features_for(terrain)
        result = backtest(inputs, features, cutoff=cutoff.timestamp(), test_end=test_end.timestamp(),
                          kde_bandwidth_m=options["kde_bandwidth"])  # fmt: skip
        out = self.stdout.write
        out(f"Backtest of {reserve.slug} ({terrain.width} x {terrain.height} cells of {terrain.resolution_m:g} m)")
        out(f"  train {train_start:%Y-%m-%d} .. {cutoff:%Y-%m-%d}: {result.n_train_finds} finds, "
            f"{len({t.patrol_id for t in train.tracks})} patrols")  # fmt: skip
        test = inputs.window(cutoff.timestamp(), test_end.timestamp())
        out(f"  test  {cutoff:%Y-%m-%d} .. {test_end:%Y-%m-%d}: {result.n_test_finds} finds, "
            f"{len({t.patrol_id for t in test.tracks})} patrols")  # fmt: skip
        if result.n_test_finds == 0:
            out("  No finds in the test period: nothing to score.")
        bw = f"naive KDE {options['kde_bandwidth']:g} m"
        out("")
        out(f"  {'score (test-period finds)':<40} {'model':>8} {bw:>20}")
        rows = [
            ("AUC, all cells", result.model.auc_all_cells, result.baseline.auc_all_cells),
            ("AUC, cells patrolled in test period *", result.model.auc_patrolled, result.baseline.auc_patrolled),
            *[(f"PAI at {f:.0%}", result.model.pai[f], result.baseline.pai[f]) for f in PAI_FRACTIONS],
            *[(f"catch-per-effort lift, top {f:.0%} *", result.model.cpue_lift[f], result.baseline.cpue_lift[f])
              for f in PAI_FRACTIONS],
        ]  # fmt: skip
        for name, model, baseline in rows:
            out(f"  {name:<40} {_n(model):>8} {_n(baseline):>20}")
        out("  * effort-aware: among cells rangers walked in the test period (finds per km of patrol).")
        self._truth(reserve, terrain, result, bw)

    def _truth(self, reserve, terrain, result, bw: str) -> None:
        folder = private_dir(reserve.slug)
        if not (folder / "snare_intensity.tif").exists():
            return
        out = self.stdout.write
        try:
            snares = read_raster(folder / "snare_intensity.tif")
            presence = read_raster(folder / "leopard_presence.tif")
        except RasterError as exc:
            out(f"\n  Demo truth unreadable: {exc}")
            return
        if not snares.same_grid_as(grid_raster(terrain)) or not presence.same_grid_as(snares):
            out("\n  Demo truth is not on the terrain grid: not scored.")
            return
        truth = np.nan_to_num(snares.data)
        truth_leopard = truth * np.nan_to_num(presence.data)
        fit = result.fit
        out("")
        out(f"  Demo reserve: the training fit against the hidden truth ({folder.name}), PAI at 10 % of each layer")
        out(f"  {'layer (truth it is scored against)':<40} {'layer':>8} {bw:>20} {'truth itself':>13}")
        layers = [
            ("snares (snare intensity)", fit.intensity, truth),
            ("leopard (intensity x leopard presence)", fit.leopard_risk, truth_leopard),
            ("uncertainty (snare intensity) **", fit.intensity_sd, truth),
        ]
        for name, layer, target in layers:
            out(f"  {name:<40} {_n(pai_against_truth(layer, target, 0.10)):>8} "
                f"{_n(pai_against_truth(result.baseline_layer, target, 0.10)):>20} "
                f"{_n(pai_against_truth(target, target, 0.10)):>13}")  # fmt: skip
        out("  ** the SD is not a forecast: high where snaring is likely AND little is known.")
