"""Read CSV tables as text: the one CSV engine of the readers.

Separators ``;``, ``,`` and tab are sniffed from the header; UTF-8 (with or
without BOM) is tried first, then Windows-1252. Values are read as text with
leading blanks stripped and empty values as null; a ``keep`` callable selects
the columns to parse, so other columns (for example ones that may hold
person data) are never parsed. Arrow's multi-threaded reader does the work; a
file it refuses for its layout (rows of unequal length) is read with pandas.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from kansenkaart.errors import DataSourceError

__all__ = ["csv_header", "read_csv_text", "sniff_separator"]

logger = logging.getLogger(__name__)


def sniff_separator(path: Path) -> str:
    with path.open("rb") as fh:
        header = fh.readline().decode("utf-8-sig", "replace")
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=counts.__getitem__)
    return sep if counts[sep] else ","


def read_csv_text(
    path: Path, *, keep: Callable[[str], bool] | None = None
) -> pd.DataFrame:
    """Read a CSV as text columns; ``;``/``,``/tab separated, BOM or not.

    ``keep`` (a callable on the column name) selects the columns to parse;
    the others are never parsed. Values are read as text, leading blanks
    stripped, and empty values are null. Arrow's multi-threaded reader does
    the work; a file it refuses for its layout (rows of unequal length) is
    read with pandas, which fills short rows.
    """
    sep = sniff_separator(path)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return _read_csv_as(path, sep=sep, encoding=encoding, keep=keep)
        except UnicodeDecodeError:
            logger.info("%s: not %s, trying the next encoding", path, encoding)
        except OSError as err:
            msg = f"{path}: cannot be read as a CSV table ({err}). Export it again."
            raise DataSourceError(msg) from err
    msg = f"{path}: cannot be decoded as UTF-8 or Windows-1252. Save it as UTF-8."
    raise DataSourceError(msg)


def _read_csv_as(
    path: Path, *, sep: str, encoding: str, keep: Callable[[str], bool] | None
) -> pd.DataFrame:
    """The CSV in one encoding; UnicodeDecodeError when it is not in it."""
    names = csv_header(path, encoding=encoding)
    wanted = [c for c in names if keep is None or keep(c)]
    try:
        return _read_csv_arrow(
            path, sep=sep, encoding=encoding, names=names, wanted=wanted
        )
    except pa.ArrowInvalid as err:
        if "UTF8" in str(err) or "UTF-8" in str(err):
            raise UnicodeDecodeError(encoding, b"", 0, 1, str(err)) from err
        logger.info("%s: read with pandas (%s)", path, err)
    return _read_csv_pandas(path, sep=sep, encoding=encoding, keep=keep)


def _read_csv_arrow(
    path: Path, *, sep: str, encoding: str, names: list[str], wanted: list[str]
) -> pd.DataFrame:
    table = pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(
            encoding="utf8" if encoding == "utf-8-sig" else encoding,
            column_names=names,
            skip_rows=1,
        ),
        parse_options=pcsv.ParseOptions(delimiter=sep),
        convert_options=pcsv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str"
    columns = {}
    for name in wanted:
        values = pc.utf8_ltrim_whitespace(table.column(name))
        values = pc.if_else(pc.equal(values, ""), None, values)
        columns[name] = pd.array(values, dtype=text)
    return pd.DataFrame(columns, columns=wanted)


def _read_csv_pandas(
    path: Path, *, sep: str, encoding: str, keep: Callable[[str], bool] | None
) -> pd.DataFrame:
    try:
        df = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            encoding=encoding,
            usecols=None
            if keep is None
            else (lambda c: keep(str(c).strip().lstrip("\ufeff"))),
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except UnicodeDecodeError:  # not this encoding: the caller tries the next
        raise
    except (OSError, pd.errors.ParserError, ValueError) as err:
        msg = f"{path}: cannot be read as a CSV table ({err}). Export it again."
        raise DataSourceError(msg) from err
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    return df


def csv_header(path: Path, *, encoding: str | None = None) -> list[str]:
    """Column names of a CSV, read from its first line only.

    Undecodable bytes are replaced unless an ``encoding`` is given.
    """
    sep = sniff_separator(path)
    with path.open("rb") as fh:
        raw = fh.readline()
    line = (
        raw.decode("utf-8-sig", "replace") if encoding is None else raw.decode(encoding)
    ).strip("\r\n")
    return [c.strip().strip('"').strip().lstrip("\ufeff") for c in line.split(sep)]
