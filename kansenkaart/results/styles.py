"""A default QGIS style inside ``candidates.gpkg`` (the ``layer_styles`` table).

QGIS applies the style it finds in a GeoPackage's ``layer_styles`` table
(``useAsDefault``) when the layer is opened: candidates graduated by score
(the map's five classes), unknown candidates hatched in magenta, excluded
ones grey, and the rank as label on scored candidates. The same style is
stored as QML (QGIS) and SLD 1.1 (other GIS software).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from lxml import etree
from lxml.builder import ElementMaker

__all__ = ["SCORE_CLASSES", "qml_style", "sld_style", "write_layer_styles"]

#: (lower bound, upper bound, colour, label) of the score classes, as in the map.
SCORE_CLASSES: tuple[tuple[float, float, str, str], ...] = (
    (80, 100.001, "#253494", "score 80–100"),
    (60, 80, "#2c7fb8", "score 60–80"),
    (40, 60, "#41b6c4", "score 40–60"),
    (20, 40, "#a1dab4", "score 20–40"),
    (0, 20, "#ffffb2", "score 0–20"),
)
_UNKNOWN = "#c51b7d"
_EXCLUDED = "#a0a0a0"
_STYLE_NAME = "kansenkaart"

_SLD = "http://www.opengis.net/sld"
_SE = "http://www.opengis.net/se"
_OGC = "http://www.opengis.net/ogc"
_NSMAP = {None: _SLD, "se": _SE, "ogc": _OGC}


def _rgba(hex_color: str, alpha: int = 255) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{alpha}"


def _qml_rules() -> list[tuple[str, str, str]]:
    """(label, QGIS filter expression, symbol name) per style rule."""
    rules = [
        (
            label,
            f'"outcome" = \'scored\' AND "score" >= {lo} AND "score" < {hi}',
            str(k),
        )
        for k, (lo, hi, _, label) in enumerate(SCORE_CLASSES)
    ]
    rules.append(
        ("onbekend (gegevens ontbreken)", "\"outcome\" = 'unknown'", "unknown")
    )
    rules.append(("uitgesloten", "\"outcome\" = 'excluded'", "excluded"))
    return rules


def _qml_symbol(
    name: str, fill: str, style: str, outline: str, dash: str
) -> etree._Element:
    symbol = etree.Element(
        "symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    layer = etree.SubElement(
        symbol,
        "layer",
        attrib={"class": "SimpleFill", "enabled": "1", "pass": "0", "locked": "0"},
    )
    option = etree.SubElement(layer, "Option", type="Map")
    values = {
        "color": fill,
        "style": style,
        "outline_color": outline,
        "outline_style": dash,
        "outline_width": "0.3",
        "outline_width_unit": "MM",
    }
    for key, value in values.items():
        etree.SubElement(option, "Option", name=key, type="QString", value=value)
    return symbol


def _qml_labels() -> etree._Element:
    labeling = etree.Element("labeling", type="simple")
    settings = etree.SubElement(labeling, "settings", calloutType="simple")
    text = etree.SubElement(
        settings,
        "text-style",
        fieldName="CASE WHEN \"outcome\" = 'scored' THEN '#' || \"rank\" END",
        isExpression="1",
        fontSize="9",
        fontWeight="75",
        textColor="0,0,0,255",
    )
    etree.SubElement(
        text,
        "text-buffer",
        bufferDraw="1",
        bufferSize="1",
        bufferColor="255,255,255,255",
    )
    etree.SubElement(settings, "placement", placement="1")
    etree.SubElement(
        settings, "rendering", scaleVisibility="1", scaleMin="0", scaleMax="25000"
    )
    return labeling


def qml_style() -> str:
    """The candidates style as QGIS QML (rule-based symbols, rank labels)."""
    root = etree.Element("qgis", version="3.28.0", styleCategories="Symbology|Labeling")
    renderer = etree.SubElement(
        root, "renderer-v2", type="RuleRenderer", symbollevels="0", forceraster="0"
    )
    rules = etree.SubElement(renderer, "rules", key="root")
    for k, (label, expression, symbol) in enumerate(_qml_rules()):
        etree.SubElement(
            rules, "rule", key=f"r{k}", label=label, filter=expression, symbol=symbol
        )
    symbols = etree.SubElement(renderer, "symbols")
    for k, (_, _, color, _) in enumerate(SCORE_CLASSES):
        symbols.append(
            _qml_symbol(str(k), _rgba(color), "solid", "35,35,35,255", "solid")
        )
    symbols.append(
        _qml_symbol("unknown", _rgba(_UNKNOWN), "b_diagonal", _rgba(_UNKNOWN), "dash")
    )
    symbols.append(
        _qml_symbol(
            "excluded", _rgba(_EXCLUDED, 110), "solid", "119,119,119,255", "solid"
        )
    )
    root.append(_qml_labels())
    root.set("hasScaleBasedVisibilityFlag", "0")
    body = etree.tostring(root, pretty_print=True, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def _sld_filter(o: ElementMaker, outcome: str, bounds: tuple[float, float] | None):
    equal = o.PropertyIsEqualTo(o.PropertyName("outcome"), o.Literal(outcome))
    if bounds is None:
        return o.Filter(equal)
    lo, hi = bounds
    return o.Filter(
        o.And(
            equal,
            o.PropertyIsGreaterThanOrEqualTo(
                o.PropertyName("score"), o.Literal(str(lo))
            ),
            o.PropertyIsLessThan(o.PropertyName("score"), o.Literal(str(hi))),
        )
    )


def _sld_polygon(se: ElementMaker, fill: str | None, stroke: str, hatch: bool = False):
    if hatch:
        mark = se.Mark(
            se.WellKnownName("horline"),
            se.Stroke(
                se.SvgParameter(fill, name="stroke"),
                se.SvgParameter("1", name="stroke-width"),
            ),
        )
        paint = se.Fill(
            se.GraphicFill(se.Graphic(mark, se.Size("6"), se.Rotation("45")))
        )
    else:
        paint = se.Fill(se.SvgParameter(fill, name="fill"))
    return se.PolygonSymbolizer(
        paint,
        se.Stroke(
            se.SvgParameter(stroke, name="stroke"),
            se.SvgParameter("1", name="stroke-width"),
        ),
    )


def sld_style(layer: str = "candidates") -> str:
    """The candidates style as SLD 1.1 (Symbology Encoding)."""
    sld = ElementMaker(namespace=_SLD, nsmap=_NSMAP)
    se = ElementMaker(namespace=_SE, nsmap=_NSMAP)
    o = ElementMaker(namespace=_OGC, nsmap=_NSMAP)
    rules = [
        se.Rule(
            se.Name(label),
            _sld_filter(o, "scored", (lo, hi)),
            _sld_polygon(se, color, "#232323"),
        )
        for lo, hi, color, label in SCORE_CLASSES
    ]
    rules.append(
        se.Rule(
            se.Name("onbekend (gegevens ontbreken)"),
            _sld_filter(o, "unknown", None),
            _sld_polygon(se, _UNKNOWN, _UNKNOWN, hatch=True),
        )
    )
    rules.append(
        se.Rule(
            se.Name("uitgesloten"),
            _sld_filter(o, "excluded", None),
            _sld_polygon(se, _EXCLUDED, "#777777"),
        )
    )
    rules.append(
        se.Rule(
            se.Name("rang"),
            _sld_filter(o, "scored", None),
            se.MaxScaleDenominator("25000"),
            se.TextSymbolizer(
                se.Label(o.PropertyName("rank")),
                se.Font(se.SvgParameter("9", name="font-size")),
                se.Halo(
                    se.Radius("1"), se.Fill(se.SvgParameter("#ffffff", name="fill"))
                ),
            ),
        )
    )
    doc = sld.StyledLayerDescriptor(
        sld.NamedLayer(
            se.Name(layer),
            sld.UserStyle(se.Name(_STYLE_NAME), se.FeatureTypeStyle(*rules)),
        ),
        version="1.1.0",
    )
    return etree.tostring(
        doc, pretty_print=True, xml_declaration=True, encoding="UTF-8"
    ).decode()


_CREATE = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
    f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
    styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
    description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
"""


def write_layer_styles(gpkg: Path, layer: str = "candidates") -> None:
    """Store the default style of ``layer`` in the GeoPackage's ``layer_styles``.

    Parameters
    ----------
    gpkg : Path
        A GeoPackage written by the scan.
    layer : str, default "candidates"
        The styled layer.
    """
    with closing(sqlite3.connect(gpkg)) as db, db:
        row = db.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
            (layer,),
        ).fetchone()
        db.execute(_CREATE)
        db.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles')"
        )
        db.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
            "description, owner, ui) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', '')",
            (
                layer,
                row[0] if row else "geom",
                _STYLE_NAME,
                qml_style(),
                sld_style(layer),
                "Kansenkaart: score in vijf klassen, onbekend gearceerd, "
                "uitgesloten grijs, rang als label",
            ),
        )
