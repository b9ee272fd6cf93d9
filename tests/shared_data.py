"""Where the shared real-world test data lives (DEMs, Camtrap DP, GPX): ../shared/data beside the
checkout (as CI lays it out), else /work/shared/data; IRBIS_SHARED_DATA overrides both."""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _find() -> Path:
    if os.environ.get("IRBIS_SHARED_DATA"):
        return Path(os.environ["IRBIS_SHARED_DATA"])
    for candidate in (_ROOT.parent / "shared" / "data", Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate
    return _ROOT.parent / "shared" / "data"


SHARED_DATA = _find()
DEM_DIR = SHARED_DATA / "dem"
GPX_DIR = SHARED_DATA / "gpx"
CAMTRAP_EXAMPLE = SHARED_DATA / "camtrap-dp-example"
