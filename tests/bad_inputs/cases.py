"""The catalogue of bad and awkward inputs, one :class:`Case` per row.

Each case builds its input in the test's folder from the embedded data and
gives the command line; the test runs it and checks the exit status, that the
output names what is wrong and the fix, that no traceback is shown and that
``--out`` is unchanged when the command fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import _build as b
from ._build import (
    AMS_PARCELS,
    BAG,
    BUURT,
    GEMEENTEN,
    IMRO_GPKG,
    N2K,
    PARCELS,
    PARCELS_GML,
    Ctx,
    objects,
)


@dataclass(frozen=True)
class Case:
    """One bad input: how to build it, and what the command must do with it.

    Attributes
    ----------
    id : str
        Short name (the test id).
    args : callable
        Builds the input in ``ctx.tmp`` and returns the command line.
    code : int
        Expected exit status (0 done, 1 refused by the package, 2 bad option).
    says : tuple of str
        Texts the output must hold (case-insensitive): what is wrong, where,
        and the fix.
    prepare : callable, optional
        Fills ``ctx.out`` before the run (a previous result, foreign files).
    check : callable, optional
        Further checks after a successful run (``ctx``, output text).
    """

    id: str
    args: Callable[[Ctx], list[str]]
    code: int
    says: tuple[str, ...] = ()
    prepare: Callable[[Ctx], None] | None = None
    check: Callable[[Ctx, str], None] | None = None


def _summary(ctx: Ctx) -> dict[str, Any]:
    return json.loads((ctx.out / "summary.json").read_text("utf-8"))


def _candidates(ctx: Ctx) -> pd.DataFrame:
    return pd.read_csv(ctx.out / "candidates.csv", dtype={"candidate_id": str})


# --- previous contents of --out ------------------------------------------------


def _foreign(ctx: Ctx) -> None:
    (ctx.out / "sub").mkdir(parents=True)
    (ctx.out / "rapport.docx").write_text("a", "utf-8")


def _previous_result(ctx: Ctx) -> None:
    b.copy_tree(ctx.result_dir(), ctx.out)


def _previous_result_and(name: str, folder: bool = False) -> Callable[[Ctx], None]:
    def prepare(ctx: Ctx) -> None:
        _previous_result(ctx)
        target = ctx.out / name
        if folder:
            target.mkdir()
        else:
            target.write_text("eigen aantekeningen", "utf-8")

    return prepare


def _empty_out(ctx: Ctx) -> None:
    ctx.out.mkdir()


def _unmarked_result(ctx: Ctx) -> None:
    _previous_result(ctx)
    (ctx.out / ".kansenkaart-result").unlink()


def _marker_only(ctx: Ctx) -> None:
    ctx.out.mkdir()
    b.copy(ctx.result_dir() / ".kansenkaart-result", ctx.out / ".kansenkaart-result")


def _replaced(ctx: Ctx, _output: str) -> None:
    assert (ctx.out / ".kansenkaart-result").is_file()
    assert _summary(ctx)["candidates_in"] == 464
    leftovers = [p.name for p in ctx.tmp.iterdir() if p.name.startswith(".out.")]
    assert leftovers == []


def _input_in_out(ctx: Ctx) -> list[str]:
    buildings = b.copy(BAG, ctx.out / "panden.gpkg")
    return objects(ctx, "--overwrite", buildings=buildings)


def _out_is(path: str, *extra: str) -> Callable[[Ctx], list[str]]:
    def args(ctx: Ctx) -> list[str]:
        line = objects(ctx, *extra)
        line[line.index("--out") + 1] = path.format(tmp=ctx.tmp)
        return line

    return args


def _out_file(*extra: str, sub: str = "") -> Callable[[Ctx], list[str]]:
    def args(ctx: Ctx) -> list[str]:
        b.write(ctx.path("afile"), "x")
        line = objects(ctx, *extra)
        line[line.index("--out") + 1] = str(
            ctx.path("afile") / sub if sub else ctx.path("afile")
        )
        return line

    return args


OUTPUT_CASES = [
    Case(
        "overwrite_foreign_folder",
        lambda c: objects(c, "--overwrite"),
        1,
        (
            "rapport.docx",
            "not a kansenkaart result folder",
            "--overwrite only replaces",
        ),
        prepare=_foreign,
    ),
    Case(
        "overwrite_working_directory",
        _out_is(".", "--overwrite"),
        1,
        ("--out .", "working directory", "subfolder"),
    ),
    Case(
        "overwrite_parent_of_working_directory",
        _out_is("..", "--overwrite"),
        1,
        ("working directory or a folder above it",),
    ),
    Case(
        "overwrite_folder_holding_the_input",
        _input_in_out,
        1,
        ("holds the input", "panden.gpkg", "another --out"),
    ),
    Case(
        "existing_result_without_overwrite",
        objects,
        1,
        ("already exists", "--overwrite"),
        prepare=_previous_result,
    ),
    Case(
        "overwrite_result_with_a_foreign_file",
        lambda c: objects(c, "--overwrite"),
        1,
        ("notities.txt", "was not written by kansenkaart"),
        prepare=_previous_result_and("notities.txt"),
    ),
    Case(
        "overwrite_result_with_a_subfolder",
        lambda c: objects(c, "--overwrite"),
        1,
        ("'bijlagen'", "was not written by kansenkaart"),
        prepare=_previous_result_and("bijlagen", folder=True),
    ),
    Case(
        "overwrite_result_without_marker",
        lambda c: objects(c, "--overwrite"),
        1,
        ("no .kansenkaart-result", "candidates.csv"),
        prepare=_unmarked_result,
    ),
    Case(
        "overwrite_previous_result",
        lambda c: objects(c, "--overwrite"),
        0,
        ("Resultaten:",),
        prepare=_previous_result,
        check=_replaced,
    ),
    Case(
        "overwrite_empty_folder",
        lambda c: objects(c, "--overwrite"),
        0,
        ("Resultaten:",),
        prepare=_empty_out,
        check=_replaced,
    ),
    Case(
        "overwrite_marker_only",
        lambda c: objects(c, "--overwrite"),
        0,
        ("Resultaten:",),
        prepare=_marker_only,
        check=_replaced,
    ),
    Case(
        "empty_folder_without_overwrite",
        objects,
        1,
        ("already exists", "--overwrite"),
        prepare=_empty_out,
    ),
    Case(
        "out_is_a_file", _out_file(), 2, ("--out", "afile", "is a file, not a folder")
    ),
    Case(
        "out_is_a_file_with_overwrite",
        _out_file("--overwrite"),
        2,
        ("--out", "is a file, not a folder"),
    ),
    Case(
        "out_under_a_file",
        _out_file(sub="sub"),
        2,
        ("--out", "afile is a file, not a folder", "existing folder"),
    ),
    Case(
        "out_in_proc",
        _out_is("/proc/kansenkaart/uit"),
        2,
        ("--out", "cannot write in /proc", "folder you may write to"),
    ),
]


# --- options ---------------------------------------------------------------------


def _opt(
    *extra: str, scan: Callable[..., list[str]] = objects
) -> Callable[[Ctx], list[str]]:
    return lambda ctx: scan(ctx, *extra)


def _reference_date_used(ctx: Ctx, _output: str) -> None:
    assert _summary(ctx)["reference_date"] == "2024-02-01"


OPTION_CASES = [
    Case(
        "sensitivity_negative",
        _opt("--sensitivity", "-5"),
        2,
        ("--sensitivity", "x>=0"),
    ),
    Case(
        "sensitivity_text",
        _opt("--sensitivity", "veel"),
        2,
        ("--sensitivity", "not a valid integer"),
    ),
    Case("seed_negative", _opt("--seed", "-1"), 2, ("--seed", "x>=0")),
    Case(
        "reference_date_word",
        _opt("--reference-date", "gisteren"),
        2,
        ("--reference-date", "gisteren", "YYYY-MM-DD"),
    ),
    Case(
        "reference_date_day_first",
        _opt("--reference-date", "01-02-2024"),
        2,
        ("--reference-date", "01-02-2024", "YYYY-MM-DD", "not guessed"),
    ),
    Case(
        "reference_date_impossible",
        _opt("--reference-date", "2024-02-30"),
        2,
        ("--reference-date", "2024-02-30", "YYYY-MM-DD"),
    ),
    Case(
        "reference_date_slashes",
        _opt("--reference-date", "2024/02/01"),
        2,
        ("--reference-date", "YYYY-MM-DD"),
    ),
    Case(
        "reference_date_iso_is_recorded",
        _opt("--reference-date", "2024-02-01"),
        0,
        ("Resultaten:",),
        check=_reference_date_used,
    ),
    Case(
        "engine_unknown",
        _opt("--engine", "turbo"),
        2,
        ("--engine", "turbo", "fast", "dask"),
    ),
    Case(
        "scheduler_without_dask",
        _opt("--scheduler", "tcp://127.0.0.1:1"),
        1,
        ("--scheduler needs --engine dask",),
    ),
    Case(
        "unknown_option", _opt("--gebouwen", "x"), 2, ("No such option", "--gebouwen")
    ),
    Case(
        "layer_without_path", _opt("--layer", "natura2000"), 2, ("--layer", "NAME=PATH")
    ),
    Case("layer_without_name", _opt("--layer", f"={N2K}"), 2, ("--layer", "NAME=PATH")),
    Case(
        "layer_unknown_name",
        _opt("--layer", f"natuur={N2K}"),
        1,
        ("unknown layer name", "natuur", "[layers.NAME]"),
    ),
    Case(
        "layer_file_missing",
        _opt("--layer", "natura2000=ontbreekt.gpkg"),
        2,
        ("--layer", "ontbreekt.gpkg", "file not found"),
    ),
    Case(
        "no_buildings_for_object_scan",
        lambda c: ["scan", "objects", "--out", str(c.out)],
        1,
        ("objectscan", "pass --buildings"),
    ),
    Case(
        "no_parcels_for_site_scan",
        lambda c: ["scan", "sites", "--buildings", str(BAG), "--out", str(c.out)],
        1,
        ("locatiescan", "pass --parcels"),
    ),
]


# --- input files --------------------------------------------------------------------


def _with(
    option: str, make: Callable[[Ctx], Path], scan: str = "objects"
) -> Callable[[Ctx], list[str]]:
    def args(ctx: Ctx) -> list[str]:
        path = make(ctx)
        base = ["scan", scan, "--out", str(ctx.out)]
        if option != "--buildings" and scan == "objects":
            base += ["--buildings", str(BAG)]
        if option != "--parcels" and scan == "sites":
            base += ["--parcels", str(PARCELS)]
        return [*base, option, str(path)]

    return args


def _missing(ctx: Ctx) -> Path:
    return ctx.path("ontbreekt.gpkg")


def _loop(ctx: Ctx) -> Path:
    return b.symlink_loop(ctx.path("lus.gpkg"))


def _broken(ctx: Ctx) -> Path:
    return b.broken_link(ctx.path("verwijzing.gpkg"))


def _folder(ctx: Ctx) -> Path:
    folder = ctx.path("map")
    folder.mkdir()
    return folder


def _empty(name: str) -> Callable[[Ctx], Path]:
    return lambda ctx: b.write(ctx.path(name), b"")


def _text(name: str, text: str, encoding: str = "utf-8") -> Callable[[Ctx], Path]:
    return lambda ctx: b.write(ctx.path(name), text, encoding)


def _edited(src: Path, name: str, change: Callable[..., Any]) -> Callable[[Ctx], Path]:
    return lambda ctx: b.edit(src, ctx.path(name), change)


def _cut(src: Path, name: str) -> Callable[[Ctx], Path]:
    return lambda ctx: b.truncated(src, ctx.path(name))


def _drop(*columns: str) -> Callable[..., Any]:
    return lambda gdf: gdf.drop(columns=list(columns))


FILE_CASES = [
    Case(
        "buildings_missing",
        _with("--buildings", _missing),
        2,
        ("--buildings", "ontbreekt.gpkg", "file not found"),
    ),
    Case(
        "parcels_missing",
        _with("--parcels", _missing, "sites"),
        2,
        ("--parcels", "file not found"),
    ),
    Case(
        "zoning_missing", _with("--zoning", _missing), 2, ("--zoning", "file not found")
    ),
    Case(
        "ownership_missing",
        _with("--ownership", _missing, "sites"),
        2,
        ("--ownership", "file not found"),
    ),
    Case(
        "vacancy_missing",
        _with("--vacancy", _missing),
        2,
        ("--vacancy", "file not found"),
    ),
    Case(
        "scan_file_missing", _with("--scan", _missing), 2, ("--scan", "file not found")
    ),
    Case(
        "buildings_symlink_loop",
        _with("--buildings", _loop),
        2,
        ("--buildings", "lus.gpkg", "symlink loop"),
    ),
    Case(
        "parcels_symlink_loop",
        _with("--parcels", _loop, "sites"),
        2,
        ("--parcels", "symlink loop"),
    ),
    Case(
        "zoning_broken_link",
        _with("--zoning", _broken),
        2,
        ("--zoning", "verwijzing.gpkg", "does not exist"),
    ),
    Case(
        "parcels_folder",
        _with("--parcels", _folder, "sites"),
        2,
        ("--parcels", "is a folder, not a file"),
    ),
    Case(
        "zoning_folder",
        _with("--zoning", _folder),
        2,
        ("--zoning", "is a folder, not a file"),
    ),
    Case(
        "buildings_folder_without_xml",
        _with("--buildings", _folder),
        1,
        ("map", "is a folder", "no LV-BAG XML"),
    ),
    Case(
        "parcels_empty_gml",
        _with("--parcels", _empty("percelen.gml"), "sites"),
        2,
        ("percelen.gml", "empty file"),
    ),
    Case(
        "parcels_whitespace_gml",
        _with("--parcels", _text("percelen.gml", "\n  \n"), "sites"),
        1,
        ("percelen.gml", "empty file", "export it again"),
    ),
    Case(
        "zoning_other_xml",
        _with("--zoning", _text("plan.gml", "<?xml version='1.0'?><root><a/></root>")),
        1,
        ("plan.gml", "neither IMRO", "Supported"),
    ),
    Case(
        "buildings_truncated_gpkg",
        _with("--buildings", _cut(BAG, "panden.gpkg")),
        1,
        ("panden.gpkg", "export it again"),
    ),
    Case(
        "parcels_truncated_gml",
        _with("--parcels", _cut(PARCELS_GML, "perceel.gml"), "sites"),
        1,
        ("perceel.gml", "not well-formed", "download it again"),
    ),
    Case(
        "buildings_unsupported_type",
        _with("--buildings", _text("panden.txt", "pand")),
        1,
        ("panden.txt", "unsupported file type", "GeoPackage"),
    ),
    Case(
        "parcels_given_as_buildings",
        _with("--buildings", lambda c: PARCELS),
        1,
        ("expected a buildings layer", "parcels", "option for that kind"),
    ),
    Case(
        "buildings_given_as_parcels",
        _with("--parcels", lambda c: BAG, "sites"),
        1,
        ("expected a parcels layer", "buildings"),
    ),
    Case(
        "zoning_given_as_buildings",
        _with("--buildings", lambda c: IMRO_GPKG),
        1,
        ("expected a buildings layer", "zoning"),
    ),
    Case(
        "parcels_without_sectie_perceelnummer",
        _with(
            "--parcels",
            _edited(PARCELS, "percelen.gpkg", _drop("sectie", "perceelnummer")),
            "sites",
        ),
        1,
        (
            "percelen.gpkg",
            "missing DKK column(s) sectie, perceelnummer",
            "perceel layer",
        ),
    ),
    Case(
        "parcels_without_akr_code",
        _with(
            "--parcels",
            _edited(
                PARCELS,
                "percelen.gpkg",
                _drop(
                    "AKRKadastraleGemeenteCodeWaarde", "AKRKadastraleGemeenteCodeCode"
                ),
            ),
            "sites",
        ),
        1,
        ("missing DKK column(s) akrkadastralegemeentecodewaarde",),
    ),
    Case(
        "parcels_as_points",
        _with("--parcels", _edited(PARCELS, "punten.gpkg", b.as_points), "sites"),
        1,
        ("punten.gpkg", "needs polygons", "11 Point", "parcel outlines"),
    ),
    Case(
        "parcels_as_lines",
        _with("--parcels", _edited(PARCELS, "lijnen.gpkg", b.as_lines), "sites"),
        1,
        ("lijnen.gpkg", "needs polygons", "LineString"),
    ),
    Case(
        "buildings_as_points",
        _with("--buildings", _edited(BAG, "punten.gpkg", b.as_points)),
        1,
        ("punten.gpkg", "buildings layer needs polygons", "464 Point", "outlines"),
    ),
    Case(
        "buildings_without_crs",
        _with(
            "--buildings",
            _edited(
                BAG, "zonder_crs.gpkg", lambda g: g.set_crs(None, allow_override=True)
            ),
        ),
        1,
        ("zonder_crs.gpkg", "CRS"),
    ),
    Case(
        "vacancy_unknown_columns",
        _with(
            "--vacancy",
            _text("leegstand.csv", "pand;sinds\n0363100012078919;2020-01-01\n"),
        ),
        1,
        ("leegstand.csv", "Columns found", "building_id"),
    ),
    Case(
        "ownership_empty_csv",
        _with("--ownership", _empty("eigendom.csv"), "sites"),
        2,
        ("eigendom.csv", "empty file"),
    ),
    Case(
        "ownership_header_only",
        _with("--ownership", _text("eigendom.csv", "parcel_id;owner_class\n"), "sites"),
        1,
        ("eigendom.csv",),
    ),
]


# --- values and joins -----------------------------------------------------------------


def _dkk_gdal(ctx: Ctx) -> Path:
    return b.edit(
        AMS_PARCELS,
        ctx.path("dkk_gdal.gpkg"),
        _drop("identificatieLokaalID", "identificatieNamespace", "id"),
    )


def _ids_derived(ctx: Ctx, _output: str) -> None:
    cand = _candidates(ctx)
    assert len(cand) == 422
    assert cand["candidate_id"].str.fullmatch(r"STN02-[A-Z]+-\d+").all()


def _five_dropped(ctx: Ctx, _output: str) -> None:
    acc = _summary(ctx)["accounting"]["parcels"]
    assert acc == {
        "read": 422,
        "dropped": {"empty_geometry": 5},
        "set_missing": {},
        "kept": 417,
        "candidates": 417,
    }


def _set_missing(layer: str, column: str, n: int = 1) -> Callable[[Ctx, str], None]:
    def check(ctx: Ctx, _output: str) -> None:
        assert _summary(ctx)["accounting"][layer]["set_missing"] == {column: n}

    return check


def _absurd_area_does_not_rank(ctx: Ctx, output: str) -> None:
    _set_missing("buildings", "floor_area_m2")(ctx, output)
    cand = _candidates(ctx).set_index("candidate_id")
    # the 1 m² building the value was given to: never the top score
    assert cand.loc["0363100012078919", "score"] != 100


def _ownership(
    ids: Callable[[], list[str]], name: str = "eigendom.csv"
) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        rows = "\n".join(f"{i};gemeente" for i in ids())
        return b.write(ctx.path(name), f"parcel_id;owner_class\n{rows}\n")

    return make


def _vacancy(ids: Callable[[], list[str]]) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        rows = "\n".join(f"{i};2019-01-01" for i in ids())
        return b.write(ctx.path("leegstand.csv"), f"building_id;vacant_since\n{rows}\n")

    return make


def _other_ids() -> list[str]:
    return [f"ASD02-A-{i}" for i in range(11)]


def _partly_other_ids() -> list[str]:
    return b.parcel_ids()[:2] + [f"ASD02-A-{i}" for i in range(9)]


def _join_recorded(name: str, matched: int) -> Callable[[Ctx, str], None]:
    def check(ctx: Ctx, _output: str) -> None:
        assert _summary(ctx)["joins"][name]["matched"] == matched

    return check


def _twice_counted(ctx: Ctx, _output: str) -> None:
    acc = _summary(ctx)["accounting"]["buildings"]
    assert acc["read"] == 928
    assert acc["dropped"] == {"duplicate_id": 464}
    assert acc["candidates"] == 464


VALUE_CASES = [
    Case(
        "same_buildings_file_twice",
        lambda c: objects(c, "--buildings", str(BAG)),
        0,
        ("464 kandidaten",),
        check=_twice_counted,
    ),
    Case(
        "dkk_gpkg_converted_by_gdal",
        _with("--parcels", _dkk_gdal, "sites"),
        0,
        ("422 kandidaten",),
        check=_ids_derived,
    ),
    Case(
        "five_empty_geometries",
        _with(
            "--parcels",
            _edited(AMS_PARCELS, "percelen.gpkg", b.empty_geometries(5)),
            "sites",
        ),
        0,
        ("5 feature(s) without geometry were left out", "417 kandidaten"),
        check=_five_dropped,
    ),
    Case(
        "floor_area_1e30",
        _with(
            "--buildings",
            _edited(BAG, "panden.gpkg", b.set_value("oppervlakte_max", 1e30)),
        ),
        0,
        (
            "floor_area_m2",
            "outside the plausible range",
            "0363100012078919",
            "set to missing",
        ),
        check=_absurd_area_does_not_rank,
    ),
    Case(
        "floor_area_zero",
        _with(
            "--buildings",
            _edited(BAG, "panden.gpkg", b.set_value("oppervlakte_max", 0.0, 3)),
        ),
        0,
        ("3 value(s) of floor_area_m2",),
        check=_set_missing("buildings", "floor_area_m2", 3),
    ),
    Case(
        "bouwjaar_99999",
        _with(
            "--buildings", _edited(BAG, "panden.gpkg", b.set_value("bouwjaar", 99999))
        ),
        0,
        ("year_built", "outside the plausible range", "99999"),
        check=_set_missing("buildings", "year_built"),
    ),
    Case(
        "bouwjaar_before_1000",
        _with(
            "--buildings", _edited(BAG, "panden.gpkg", b.set_value("bouwjaar", 500, 2))
        ),
        0,
        ("2 value(s) of year_built",),
        check=_set_missing("buildings", "year_built", 2),
    ),
    Case(
        "units_absurd",
        _with(
            "--buildings",
            _edited(BAG, "panden.gpkg", b.set_value("aantal_verblijfsobjecten", 10**7)),
        ),
        0,
        ("n_units", "outside the plausible range"),
        check=_set_missing("buildings", "n_units"),
    ),
    Case(
        "registered_area_1e30",
        _with(
            "--parcels",
            _edited(
                PARCELS, "percelen.gpkg", b.set_value("kadastraleGrootteWaarde", 1e30)
            ),
            "sites",
        ),
        0,
        ("registered_area_m2", "outside the plausible range", "OTL02-"),
        check=_set_missing("parcels", "registered_area_m2"),
    ),
    Case(
        "registered_area_negative",
        _with(
            "--parcels",
            _edited(
                PARCELS,
                "percelen.gpkg",
                b.set_value("kadastraleGrootteWaarde", -5.0, 2),
            ),
            "sites",
        ),
        0,
        ("2 value(s) of registered_area_m2",),
        check=_set_missing("parcels", "registered_area_m2", 2),
    ),
    Case(
        "registered_area_nan",
        _with(
            "--parcels",
            _edited(
                PARCELS,
                "percelen.gpkg",
                b.set_value("kadastraleGrootteWaarde", float("nan")),
            ),
            "sites",
        ),
        0,
        ("11 kandidaten",),
    ),
    Case(
        "duplicate_building",
        _with("--buildings", _edited(BAG, "panden.gpkg", b.duplicate_first)),
        0,
        ("duplicate id", "only the first feature"),
        check=lambda c, o: (
            _summary(c)["accounting"]["buildings"]["dropped"] == {"duplicate_id": 1}
        ),
    ),
    Case(
        "bowtie_building",
        _with("--buildings", _edited(BAG, "panden.gpkg", b.bowtie)),
        0,
        ("repaired 1 invalid geometry", "QGIS"),
    ),
    Case(
        "ownership_ids_match_nothing",
        _with("--ownership", _ownership(_other_ids), "sites"),
        1,
        (
            "--ownership",
            "none of the 11 candidates",
            "'ASD02-A-0'",
            "'OTL02-",
            "Write the ids",
        ),
    ),
    Case(
        "ownership_of_a_larger_area",
        _with("--ownership", _ownership(_partly_other_ids), "sites"),
        0,
        ("11 kandidaten",),
        check=_join_recorded("ownership", 2),
    ),
    Case(
        "ownership_ids_match",
        _with("--ownership", _ownership(b.parcel_ids), "sites"),
        0,
        ("11 kandidaten",),
        check=_join_recorded("ownership", 11),
    ),
    Case(
        "vacancy_ids_match_nothing",
        _with(
            "--vacancy",
            _vacancy(lambda: ["0537100000024461", "0537100001215596"]),
        ),
        1,
        ("--vacancy", "none of the 464 candidates", "'0537100000024461'", "'0363"),
    ),
    Case(
        "vacancy_few_buildings",
        _with("--vacancy", _vacancy(lambda: b.building_ids()[:5])),
        0,
        ("464 kandidaten",),
        check=_join_recorded("vacancy", 5),
    ),
]


# --- --area -------------------------------------------------------------------------------


def _area(*extra: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: objects(ctx, *extra)


AREA_CASES = [
    Case(
        "area_selects_nothing",
        _area("--layer", f"municipalities={GEMEENTEN}", "--area", "GM0537"),
        1,
        ("--area GM0537", "no candidate lies inside", "GM0363"),
    ),
    Case(
        "area_file_missing",
        _area("--area", "ontbreekt.gpkg"),
        1,
        ("--area", "ontbreekt.gpkg", "file not found"),
    ),
    Case(
        "area_code_without_boundaries",
        _area("--area", "GM0363"),
        1,
        ("--area 'GM0363'", "--layer buurten=FILE"),
    ),
    Case(
        "area_buurt_from_buurten_layer",
        _area("--layer", f"buurten={BUURT}", "--area", "BU03638600"),
        0,
        ("Resultaten:",),
    ),
    Case(
        "area_polygon_elsewhere",
        _area("--area", str(N2K)),
        1,
        ("no candidate lies inside", "add --layer municipalities=FILE"),
    ),
    Case(
        "area_empty_file",
        lambda c: objects(c, "--area", str(b.write(c.path("gebied.gpkg"), b""))),
        1,
        ("gebied.gpkg", "empty file"),
    ),
]


# --- kansenkaart map and layers inspect -----------------------------------------------


def _map(*extra: str, out: str = "kaart.html") -> Callable[[Ctx], list[str]]:
    def args(ctx: Ctx) -> list[str]:
        ctx.out.mkdir(exist_ok=True)
        return ["map", str(ctx.result_dir()), "-o", str(ctx.out / out), *extra]

    return args


def _own_html(ctx: Ctx) -> None:
    ctx.out.mkdir()
    (ctx.out / "kaart.html").write_text("<html>verslag</html>", "utf-8")


def _passphrase(
    text: str | bytes, encoding: str = "utf-8"
) -> Callable[[Ctx], list[str]]:
    def args(ctx: Ctx) -> list[str]:
        ctx.out.mkdir(exist_ok=True)
        path = b.write(ctx.path("wachtwoord.txt"), text, encoding)
        return _map("--passphrase-file", str(path))(ctx)

    return args


def _inspect(make: Callable[[Ctx], Path]) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["layers", "inspect", str(make(ctx))]


MAP_CASES = [
    Case(
        "map_overwrite_foreign_html",
        _map("--overwrite"),
        1,
        ("kaart.html", "not a map written by kansenkaart", "another name"),
        prepare=_own_html,
    ),
    Case("map_not_html", _map(out="kaart.pdf"), 1, ("kaart.pdf", "ending in .html")),
    Case(
        "map_folder_missing",
        lambda c: [
            "map",
            str(c.result_dir()),
            "-o",
            str(c.out / "nieuw" / "kaart.html"),
        ],
        1,
        ("folder does not exist", "Create it first"),
    ),
    Case(
        "map_result_missing",
        lambda c: ["map", str(c.path("geen_resultaat")), "-o", str(c.path("k.html"))],
        2,
        ("geen_resultaat", "does not exist"),
    ),
    Case(
        "map_passphrase_file_missing",
        lambda c: [*_map()(c), "--passphrase-file", str(c.path("geen.txt"))],
        2,
        ("--passphrase-file", "geen.txt", "file not found"),
    ),
    Case(
        "map_passphrase_file_empty",
        _passphrase(b""),
        2,
        ("--passphrase-file", "empty file"),
    ),
    Case(
        "map_passphrase_first_line_blank",
        _passphrase("\r\nlantaarn paraplu kiezel wortel\r\n"),
        1,
        ("wachtwoord.txt", "first line", "empty"),
    ),
    Case(
        "map_passphrase_weak",
        _passphrase("Wachtwoord2024!\n"),
        1,
        ("too weak", "random words"),
    ),
    Case(
        "map_passphrase_cp1252",
        _passphrase("lantaarn parapluï kiezel wörtel\r\n", "cp1252"),
        0,
        ("Encrypted map",),
    ),
    Case(
        "map_passphrase_bom_crlf",
        _passphrase("\ufefflantaarn paraplu kiezel wortel \r\n"),
        0,
        ("Encrypted map",),
    ),
    Case(
        "map_tiles_not_xyz",
        _map("--tiles", "www.example.org/kaart.png"),
        1,
        ("--tiles", "www.example.org", "{z}"),
    ),
    Case(
        "inspect_empty_gml",
        _inspect(_empty("plan.gml")),
        1,
        ("plan.gml", "NOT READABLE", "empty file"),
    ),
    Case(
        "inspect_symlink_loop",
        _inspect(_loop),
        1,
        ("lus.gpkg", "NOT READABLE", "symlink loop"),
    ),
    Case(
        "inspect_missing", _inspect(_missing), 1, ("ontbreekt.gpkg", "file not found")
    ),
    Case("inspect_folder", _inspect(_folder), 1, ("map", "is a folder")),
]


CASES = [
    *OUTPUT_CASES,
    *OPTION_CASES,
    *FILE_CASES,
    *VALUE_CASES,
    *AREA_CASES,
    *MAP_CASES,
]
