"""Licences and attribution of the sources the readers understand.

One table per format (and per named context layer) that the summary, the
spreadsheet and the map print, so every output names its sources as their
licences ask (CBS and Kadaster data are CC BY 4.0).
"""

from __future__ import annotations

__all__ = ["attribution_for"]

#: Reader format (see :data:`kansenkaart.io.detect.READERS`) -> attribution.
_BY_FORMAT: dict[str, str] = {
    "bag-gpkg": "BAG: Kadaster via PDOK (CC0)",
    "bag-light": "BAG: Kadaster via PDOK (CC0)",
    "lvbag-xml": "BAG: Kadaster, LV-BAG extract (CC0)",
    "3dbag-gpkg": "3DBAG by the 3D geoinformation group, TU Delft (CC BY 4.0)",
    "3dbag-cityjson": "3DBAG by the 3D geoinformation group, TU Delft (CC BY 4.0)",
    "dkk-gpkg": "Kadastrale kaart: Kadaster (CC BY 4.0)",
    "dkk-gml": "Kadastrale kaart: Kadaster (CC BY 4.0)",
    "imro-gml": "Bestemmingsplannen: de gemeenten, via ruimtelijkeplannen.nl",
    "imro-gpkg": "Bestemmingsplannen: de gemeenten, via ruimtelijkeplannen.nl",
}
#: Named context layer -> attribution (these layers have one usual source).
_BY_LAYER: dict[str, str] = {
    "natura2000": "Natura 2000: RVO via PDOK",
    "monuments": "Rijksmonumenten: Rijksdienst voor het Cultureel Erfgoed (CC BY 4.0)",
    "municipalities": "CBS-gebiedsindelingen: CBS / Kadaster via PDOK (CC BY 4.0)",
}


def attribution_for(layer: str, fmt: str | None) -> str | None:
    """The attribution line for an input, or None when its source is the user's.

    Parameters
    ----------
    layer : str
        The scan's layer name (``buildings``, ``municipalities``, ...).
    fmt : str or None
        The detected reader format of the file.

    Examples
    --------
    >>> attribution_for("municipalities", "vector")
    'CBS-gebiedsindelingen: CBS / Kadaster via PDOK (CC BY 4.0)'
    >>> attribution_for("ownership", "ownership") is None
    True
    """
    if fmt in _BY_FORMAT:
        return _BY_FORMAT[fmt]
    return _BY_LAYER.get(layer)
