"""Low-level vector access through pyogrio, with errors that name the file.

This is the only module (with the format readers beside it) that talks to
GDAL. Reads use the Arrow path where the driver supports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from pyogrio.errors import DataLayerError
from pyogrio.errors import DataSourceError as OgrDataSourceError

from kansenkaart.errors import DataSourceError

__all__ = ["layer_info", "list_layers", "read_vector"]


def _open_options(path: str | Path) -> dict[str, str]:
    """Dataset open options: keep GDAL from writing ``.gfs`` files beside GML input."""
    if str(path).lower().endswith(".gml"):
        return {"WRITE_GFS": "NO"}
    return {}


def _gml_layers(path: Path) -> list[str]:
    # pyogrio.list_layers takes no open options, so walk the layers with
    # read_info (which does) until GDAL reports there are no more.
    names: list[str] = []
    while True:
        try:
            info = pyogrio.read_info(
                path, layer=len(names), force_feature_count=False, **_open_options(path)
            )
        except DataLayerError:
            if not names:
                raise
            return names
        names.append(str(info["layer_name"]))


def list_layers(path: str | Path) -> list[str]:
    """Return the layer names of a vector file.

    Raises
    ------
    DataSourceError
        When the file does not exist or GDAL cannot open it (for example a
        truncated GeoPackage).
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    try:
        if _open_options(path):
            return _gml_layers(path)
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except (OgrDataSourceError, DataLayerError, OSError) as err:
        msg = (
            f"{path}: cannot be opened as a vector file ({err}). The file may be "
            "truncated or damaged: download or export it again."
        )
        raise DataSourceError(msg) from err


def layer_info(path: str | Path, layer: str | None = None) -> dict[str, Any]:
    """Return pyogrio's metadata of one layer (features, crs, fields, ...)."""
    try:
        return dict(pyogrio.read_info(path, layer=layer, **_open_options(path)))
    except (OgrDataSourceError, DataLayerError, OSError) as err:
        msg = f"{path} (layer {layer!r}): cannot read layer metadata ({err})."
        raise DataSourceError(msg) from err


def read_vector(
    path: str | Path,
    layer: str | None = None,
    *,
    columns: list[str] | None = None,
    **kwargs: Any,
) -> gpd.GeoDataFrame:
    """Read one layer with pyogrio (Arrow when possible).

    Parameters
    ----------
    path : str or Path
        Vector file.
    layer : str, optional
        Layer name; the first layer when omitted.
    columns : list of str, optional
        Columns to read; all when omitted.
    **kwargs
        Passed to :func:`pyogrio.read_dataframe`.

    Raises
    ------
    DataSourceError
        When the file or layer cannot be read; the message lists the layers
        that exist.
    """
    layers = list_layers(path)
    if layer is not None and layer not in layers:
        msg = (
            f"{path}: has no layer {layer!r}. Layers found: "
            f"{', '.join(layers) or '(none)'}."
        )
        raise DataSourceError(msg)
    try:
        return pyogrio.read_dataframe(
            path,
            layer=layer,
            columns=columns,
            use_arrow=True,
            **{**_open_options(path), **kwargs},
        )
    except (OgrDataSourceError, DataLayerError, OSError) as err:
        msg = f"{path} (layer {layer!r}): cannot be read ({err})."
        raise DataSourceError(msg) from err
