"""Every canonical owner class is shown on the map as itself."""

from __future__ import annotations

from kansenkaart.layers.schema import OWNER_CLASSES
from kansenkaart.render._privacy import OWNER_CLASSES as MAP_OWNER_CLASSES


def test_canonical_owner_classes_reach_the_map() -> None:
    assert set(OWNER_CLASSES) <= MAP_OWNER_CLASSES
