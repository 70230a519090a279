"""PostGIS as a source of every layer kind and as a sink for scan results.

A source is a URL ``postgresql://user@host:port/db?table=schema.table``; the
query parameters that are ours (``table``, ``schema``, ``geom``, and for BAG
``pand_table`` and ``vbo_table``) are taken off, the rest (``sslmode``, ...)
goes to the driver. Passwords come from the URL, ``PGPASSWORD`` or
``~/.pgpass`` and are never logged.

* **Buildings without** ``table``: NLExtract's BAG tables, by default
  ``pandactueelbestaand`` and ``verblijfsobjectactueelbestaand`` (in ``schema``
  or the search path). Column names are taken from what the tables hold
  (``pandstatus`` or ``status``, ``oppervlakteverblijfsobject`` or
  ``oppervlakte``, ...); ``gebruiksdoel`` and ``pandref`` are arrays, unnested
  in SQL. Units are summarised per pand exactly as for the other BAG readers.
* **Any layer with** ``table`` (a table or a view): the rows are read with
  geopandas' ``read_postgis`` into a temporary GeoPackage and handed to the
  file reader the format detection picks, so a DKK, IMRO, BAG or context table
  is validated and normalised exactly as the same data in a file would be.

:func:`write_frames` writes frames into one schema in a single transaction:
on any failure nothing is left behind.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd

from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.model.validate import OnInvalid

__all__ = [
    "PgSource",
    "is_postgis_url",
    "parse_pg_url",
    "postgis_as_gpkg",
    "read_nlextract_buildings",
    "write_frames",
]

logger = logging.getLogger(__name__)

_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_OURS = ("table", "schema", "geom", "pand_table", "vbo_table")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
NLEXTRACT_PAND = "pandactueelbestaand"
NLEXTRACT_VBO = "verblijfsobjectactueelbestaand"


def is_postgis_url(value: object) -> bool:
    """Whether ``value`` is a PostgreSQL URL (and not a file path)."""
    return isinstance(value, str) and value.lower().startswith(_SCHEMES)


@dataclass(frozen=True, slots=True)
class PgSource:
    """A database URL split into what the driver gets and our options."""

    url: str
    options: dict[str, str]

    @property
    def redacted(self) -> str:
        """The URL without its password, for logs and summaries."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        query = urlencode(self.options)
        return urlunsplit(("postgresql", f"{user}{host}{port}", parts.path, query, ""))

    def name(self, key: str, default: str | None = None) -> tuple[str | None, str]:
        """``(schema, table)`` of option ``key``; ``schema.table`` splits."""
        value = self.options.get(key, default)
        if value is None:
            raise ConfigError(f"{self.redacted}: add ?{key}=... to the URL.")
        schema, _, table = value.rpartition(".")
        schema = schema or self.options.get("schema")
        for part in (schema, table):
            if part is not None and not _IDENT.match(part):
                msg = (
                    f"{self.redacted}: {part!r} is not a plain table or schema name "
                    "(letters, digits, underscore)."
                )
                raise ConfigError(msg)
        return schema or None, table


def parse_pg_url(url: str) -> PgSource:
    """Split ``url`` into the driver URL and our options (``table``, ``schema``...)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k in _OURS}
    rest = urlencode([(k, v) for k, v in query if k not in _OURS])
    driver = urlunsplit(
        ("postgresql+psycopg", parts.netloc, parts.path, rest, parts.fragment)
    )
    return PgSource(url=driver, options=ours)


def _engine(src: PgSource) -> Any:
    try:
        import sqlalchemy  # noqa: PLC0415 - the postgis extra
    except ImportError as err:  # pragma: no cover - depends on the install
        msg = "PostGIS needs the postgis extra: pip install 'kansenkaart[postgis]'."
        raise ConfigError(msg) from err
    return sqlalchemy.create_engine(src.url, pool_pre_ping=True)


@contextmanager
def _connect(src: PgSource) -> Iterator[Any]:
    import sqlalchemy.exc  # noqa: PLC0415

    engine = _engine(src)
    try:
        with engine.connect() as conn:
            yield conn
    except sqlalchemy.exc.OperationalError as err:
        msg = (
            f"{src.redacted}: cannot connect ({str(err.orig).strip()}). Check host, "
            "port, database, user and password (PGPASSWORD or ~/.pgpass)."
        )
        raise DataSourceError(msg) from err
    finally:
        engine.dispose()


def _qualified(schema: str | None, table: str) -> str:
    return f'"{schema}"."{table}"' if schema else f'"{table}"'


def _columns(conn: Any, schema: str | None, table: str) -> dict[str, str]:
    """Column name -> data type of a table or view (in ``schema`` or the path)."""
    from sqlalchemy import text  # noqa: PLC0415

    sql = text(
        "SELECT column_name, udt_name FROM information_schema.columns "
        "WHERE table_name = :t AND (table_schema = :s OR "
        "(:s IS NULL AND table_schema = ANY (current_schemas(false)))) "
        "ORDER BY ordinal_position"
    )
    rows = conn.execute(sql, {"t": table, "s": schema}).all()
    if not rows:
        where = f"{schema}.{table}" if schema else f"{table} (search path)"
        msg = f"table or view {where} not found. Check ?table= and ?schema=."
        raise DataSourceError(msg)
    return {str(name): str(kind) for name, kind in rows}


def _geometry_column(cols: dict[str, str], src: PgSource, table: str) -> str:
    if "geom" in src.options:
        geom = src.options["geom"]
        if geom not in cols:
            msg = f"{src.redacted}: {table} has no column {geom!r} (?geom=)."
            raise DataSourceError(msg)
        return geom
    geoms = [c for c, kind in cols.items() if kind == "geometry"]
    if not geoms:
        msg = f"{src.redacted}: {table} has no geometry column. Pass ?geom=COLUMN."
        raise DataSourceError(msg)
    return geoms[0]


def read_table(src: PgSource, key: str = "table") -> gpd.GeoDataFrame:
    """All rows of the table or view named by option ``key``, in EPSG:28992."""
    schema, table = src.name(key)
    with _connect(src) as conn:
        cols = _columns(conn, schema, table)
        geom = _geometry_column(cols, src, table)
        sql = f"SELECT * FROM {_qualified(schema, table)} ORDER BY 1"
        gdf = gpd.read_postgis(sql, conn, geom_col=geom)
    if gdf.crs is None:
        msg = f"{src.redacted}: {table}.{geom} has no SRID. Set it (e.g. 28992)."
        raise DataSourceError(msg)
    gdf = gdf.to_crs(28992)
    logger.info("%s: %d rows from %s", src.redacted, len(gdf), table)
    return gdf


@contextmanager
def postgis_as_gpkg(url: str) -> Iterator[Path]:
    """The table of ``url`` as a temporary GeoPackage (layer named after it).

    The file readers then detect and read it like any other file; the file is
    removed when the block ends.
    """
    src = parse_pg_url(url)
    _, table = src.name("table")
    gdf = read_table(src)
    with tempfile.TemporaryDirectory(prefix="kansenkaart-pg-") as folder:
        path = Path(folder) / f"{table}.gpkg"
        gdf.to_file(path, layer=table, driver="GPKG", engine="pyogrio")
        yield path


def _pick(cols: Mapping[str, str], *names: str) -> str | None:
    return next((n for n in names if n in cols), None)


def _require(
    cols: Mapping[str, str], table: str, *options: tuple[str, ...]
) -> list[str]:
    picked = [_pick(cols, *names) for names in options]
    missing = [" or ".join(n) for n, p in zip(options, picked, strict=True) if not p]
    if missing:
        msg = (
            f"table {table} lacks column(s) {', '.join(missing)} (found: "
            f"{', '.join(cols)})."
        )
        raise DataSourceError(msg)
    return [p for p in picked if p]


def _nlextract_sql(conn: Any, src: PgSource) -> tuple[str, str, str]:
    p_schema, p_table = src.name("pand_table", NLEXTRACT_PAND)
    v_schema, v_table = src.name("vbo_table", NLEXTRACT_VBO)
    pcols = _columns(conn, p_schema, p_table)
    vcols = _columns(conn, v_schema, v_table)
    pid, year, pstatus = _require(
        pcols, p_table, ("identificatie",), ("bouwjaar",), ("pandstatus", "status")
    )
    geom = _geometry_column(pcols, src, p_table)
    vid, uses, area, ref, vstatus = _require(
        vcols,
        v_table,
        ("identificatie",),
        ("gebruiksdoel", "gebruiksdoelverblijfsobject"),
        ("oppervlakteverblijfsobject", "oppervlakte"),
        ("pandref", "pandidentificatie"),
        ("verblijfsobjectstatus", "status"),
    )
    panden = (
        f'SELECT "{pid}"::text AS building_id, "{year}" AS year_built, '
        f'"{pstatus}"::text AS status, "{geom}" AS geometry '
        f"FROM {_qualified(p_schema, p_table)} ORDER BY 1"
    )
    as_list = (
        (lambda c: f'"{c}"')
        if vcols[ref].startswith("_")  # an array type
        else (lambda c: f'ARRAY["{c}"]')
    )
    units = (
        f'SELECT v."{vid}"::text AS unit_id, p.ref::text AS building_id, '
        f"array_to_string(v.\"{uses}\"::text[], ',') AS uses, "
        f'v."{area}" AS floor_area_m2, v."{vstatus}"::text AS status '
        f"FROM {_qualified(v_schema, v_table)} v "
        f"CROSS JOIN LATERAL unnest({as_list(ref)}) AS p(ref)"
    )
    if not vcols[uses].startswith("_"):
        units = units.replace(f'v."{uses}"::text[]', f'ARRAY[v."{uses}"]::text[]')
    return panden, units, f"{p_table} + {v_table}"


def read_nlextract_buildings(
    url: str, *, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read BAG buildings from NLExtract's tables (pand + verblijfsobject).

    Parameters
    ----------
    url : str
        ``postgresql://...`` with optional ``schema``, ``pand_table`` and
        ``vbo_table`` (defaults :data:`NLEXTRACT_PAND`, :data:`NLEXTRACT_VBO`).
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid pand polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical buildings (``source`` is ``"postgis"``).
    """
    from kansenkaart.io.bag import (  # noqa: PLC0415
        VBO_GONE_STATUSES,
        aggregate_units,
        clean_building_ids,
        year_built_from,
    )
    from kansenkaart.model.schema import BUILDINGS  # noqa: PLC0415
    from kansenkaart.model.validate import validate_layer  # noqa: PLC0415

    src = parse_pg_url(url)
    with _connect(src) as conn:
        panden_sql, units_sql, label = _nlextract_sql(conn, src)
        panden = gpd.read_postgis(panden_sql, conn, geom_col="geometry")
        units = pd.read_sql(units_sql, conn)
    panden["building_id"] = clean_building_ids(panden["building_id"])
    units["building_id"] = clean_building_ids(units["building_id"])
    units = units[~units["status"].isin(VBO_GONE_STATUSES)]
    frame = pd.DataFrame(
        {
            "building_id": panden["building_id"],
            "status": panden["status"],
            "year_built": year_built_from(panden["year_built"]).to_numpy(),
        }
    )
    frame = frame.join(
        aggregate_units(units, pd.Index(frame["building_id"])), on="building_id"
    )
    frame["source"] = "postgis"
    gdf = gpd.GeoDataFrame(frame, geometry=panden.geometry.values, crs=panden.crs)
    return validate_layer(
        gdf.to_crs(28992),
        BUILDINGS,
        source=f"{src.redacted} ({label})",
        on_invalid=on_invalid,
    )


def write_frames(
    url: str,
    frames: Mapping[str, pd.DataFrame],
    *,
    overwrite: bool = False,
    default_schema: str = "kansenkaart",
) -> str:
    """Write ``frames`` as tables of one schema, all in one transaction.

    Parameters
    ----------
    url : str
        ``postgresql://...?schema=NAME`` (``default_schema`` without it).
    frames : mapping of str to DataFrame or GeoDataFrame
        Table name -> rows; GeoDataFrames become PostGIS tables with their SRID
        and a spatial index.
    overwrite : bool, default False
        Replace tables of the same name; otherwise an existing one is an error.

    Returns
    -------
    str
        ``schema`` written, as ``postgresql://host/db?schema=...`` (no password).

    Raises
    ------
    ConfigError
        When a table exists and ``overwrite`` is False, or the schema name is
        not a plain identifier.
    DataSourceError
        When a table cannot be written. Nothing is written in either case.
    """
    from sqlalchemy import inspect, text  # noqa: PLC0415

    src = parse_pg_url(url)
    schema = src.options.get("schema", default_schema)
    if not _IDENT.match(schema):
        raise ConfigError(f"{src.redacted}: schema {schema!r} is not a plain name.")
    engine = _engine(src)
    try:
        with engine.begin() as conn:  # one transaction: all tables or none
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            existing = set(inspect(conn).get_table_names(schema=schema))
            clash = sorted(existing & set(frames))
            if clash and not overwrite:
                msg = (
                    f"{src.redacted}: schema {schema} already holds "
                    f"{', '.join(clash)}. Add --overwrite or choose another ?schema=."
                )
                raise ConfigError(msg)
            for name, frame in frames.items():
                _write_one(conn, name, frame, schema)
    finally:
        engine.dispose()
    logger.info("%s: wrote %s into schema %s", src.redacted, list(frames), schema)
    return PgSource(src.url, {"schema": schema}).redacted


def _write_one(conn: Any, name: str, frame: pd.DataFrame, schema: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    try:
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_postgis(
                name, conn, schema=schema, if_exists="replace", index=False
            )
        else:
            frame.to_sql(name, conn, schema=schema, if_exists="replace", index=False)
    except (SQLAlchemyError, pd.errors.DatabaseError, ValueError, TypeError) as err:
        msg = (
            f"writing table {schema}.{name} failed ({str(err).splitlines()[0]}); the "
            "transaction was rolled back, nothing was written."
        )
        raise DataSourceError(msg) from err
