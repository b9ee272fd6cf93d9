"""The synthetic demo reserve (threats.interchange.demo) as risk model inputs, without a database:
what tests and benchmarks fit the model on."""

from __future__ import annotations

import numpy as np

from threats.interchange.demo import DemoReserve
from threats.risk.data import CameraDeployments, PatrolTrack, PointEvents, RiskInputs, SpeciesDetections


def risk_inputs_from_demo(reserve: DemoReserve) -> RiskInputs:
    """RiskInputs from a patrol.demo.DemoReserve, using only what a real reserve would record.

    Not used: truth_intensity, leopard_presence, musk_deer_habitat (the hidden answers) and the
    drawn valley lines (valleys come from the DEM). Incidents tied to finds (carcass, snare line)
    are already in the finds; camps and gunshots are kept, weighted by how directly they point
    at snaring.
    """
    grid = reserve.grid
    ts = lambda d: d.timestamp()  # noqa: E731
    finds = PointEvents.create(
        [f.x for f in reserve.finds], [f.y for f in reserve.finds], [ts(f.found_at) for f in reserve.finds]
    )
    kind_weight = {"poacher_camp": 1.0, "suspect_encounter": 0.5, "gunshot": 0.2}
    kept = [i for i in reserve.incidents if i.kind in kind_weight and not i.find_indexes]
    incidents = PointEvents.create(
        [i.x for i in kept], [i.y for i in kept], [ts(i.at) for i in kept], [kind_weight[i.kind] for i in kept]
    )

    def detections(species: str) -> SpeciesDetections:
        cam = [d for d in reserve.detections if d.species == species and d.camera is not None]
        sign = [d for d in reserve.detections if d.species == species and d.camera is None]

        def make(ds):
            return PointEvents.create(
                [d.x for d in ds], [d.y for d in ds], [ts(d.at) for d in ds], label=[d.individual for d in ds]
            )

        return SpeciesDetections(make(cam), make(sign))

    cameras = CameraDeployments.create(
        [c.x for c in reserve.cameras],
        [c.y for c in reserve.cameras],
        [ts(c.start) for c in reserve.cameras],
        [ts(c.end) for c in reserve.cameras],
    )
    tracks = [
        PatrolTrack(p.index, np.asarray(p.track_xy, float), np.array([ts(t) for t in p.track_times]))
        for p in reserve.patrols
    ]
    return RiskInputs(
        grid=grid,
        start=ts(reserve.start),
        end=ts(reserve.end),
        snare_finds=finds,
        tracks=tracks,
        prey=detections("Moschus moschiferus"),
        leopard=detections("Panthera uncia"),
        cameras=cameras,
        incidents=incidents,
    )


def demo_access_xy(reserve: DemoReserve) -> np.ndarray:
    return np.array([(a[2], a[3]) for a in reserve.access_points], dtype=np.float64)
