"""One district's screening objects, for the cross-district URL check (tests/test_tenancy_urls.py).

Built once per side and kept on it (see tests/interventions/tenancy_objects.py).
"""

from __future__ import annotations


def _objects(side) -> dict:
    cached = side.__dict__.get("_screening_objects")
    if cached is not None:
        return cached
    from tests.screening.helpers import screened_side

    objects = screened_side(side)
    side.__dict__["_screening_objects"] = objects
    return objects


OBJECT_IDS = {
    "window_id": lambda side: _objects(side)["window"].pk,
    "item_id": lambda side: _objects(side)["item"].pk,
    "mapping_id": lambda side: _objects(side)["mapping"].pk,
    "run_id": lambda side: _objects(side)["run"].pk,
    "score_id": lambda side: _objects(side)["score"].pk,
    "measure_id": lambda side: _objects(side)["score"].measure_id,
}
