"""Coordinate reference systems used by kansenkaart.

All analysis runs in EPSG:28992 (Amersfoort / RD New), in metres and square
metres. Layers in another CRS are reprojected once, at the reading boundary,
and the reprojection is logged. WGS84 (EPSG:4326) is used only for web maps.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pyproj import CRS

from kansenkaart.errors import CRSError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["RD_NEW", "WGS84", "ensure_rd_new"]

logger = logging.getLogger(__name__)

RD_NEW = CRS.from_epsg(28992)
WGS84 = CRS.from_epsg(4326)


def ensure_rd_new(gdf: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Return ``gdf`` in EPSG:28992, reprojecting (and logging it) when needed.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Layer as read from ``source``.
    source : str
        Where the layer came from (file and layer), used in messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The same frame when it already is in RD New, else a reprojected copy.

    Raises
    ------
    CRSError
        When the layer has no CRS: coordinates cannot be interpreted safely.
    """
    if gdf.crs is None:
        msg = (
            f"{source}: the layer has no coordinate reference system. "
            "Assign the right one in QGIS (Layer > Set CRS, usually EPSG:28992 "
            "for Dutch registers) and save the file again."
        )
        raise CRSError(msg)
    if CRS.from_user_input(gdf.crs).equals(RD_NEW, ignore_axis_order=True):
        if gdf.crs != RD_NEW:
            gdf = gdf.set_crs(RD_NEW, allow_override=True)
        return gdf
    logger.info("%s: reprojecting from %s to EPSG:28992", source, gdf.crs.to_string())
    return gdf.to_crs(RD_NEW)
