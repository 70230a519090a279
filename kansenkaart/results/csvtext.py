"""The text of ``candidates.csv``, made column by column with Arrow.

:func:`csv_bytes` gives exactly the bytes of ``table.to_csv(index=False,
lineterminator="\\n", float_format="%.4f")`` (the CSV format of a result
folder), about ten times faster: pandas formats every float and every row in
Python, which made writing the CSV the largest part of a national scan
(benchmarks/README.md). Each column becomes an Arrow string array of its cells
(floats by integer arithmetic, see :func:`_floats`), the cells are joined
into lines in C++. Columns of a type not handled here send the whole table
through pandas.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"id": ["a", "b,c"], "score": [0.123456, None]})
>>> csv_bytes(table).decode()
'id,score\\na,0.1235\\n"b,c",\\n'
"""

from __future__ import annotations

import csv
import io
import math
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["SLICE_ROWS", "csv_bytes", "write_csv"]

#: Rows :func:`write_csv` formats at a time: the text of a row of a national
#: scan is up to a few kB, and joining the cells holds it about four times.
SLICE_ROWS = 10_000

#: Arrow strings with 64-bit offsets (a column may hold more than 2 GB of text).
_S = pa.large_string()

#: Decimals of every float in the CSV (``float_format="%.4f"``).
DECIMALS = 4
_SCALE = 10**DECIMALS
#: Above this magnitude floats are formatted by Python (their scaled value
#: would lose the precision the rounding needs).
_EXACT_BELOW = 1e9
#: Scaled values this close to a half are formatted by Python (the scaling
#: multiplication may have moved them across it).
_HALF_BAND = 0.01


def _needs_quotes() -> str:
    """The characters that make the csv module quote a cell, as a regex class.

    ``QUOTE_MINIMAL`` with ``,``, ``"`` and the line terminator ``\\n``; whether
    a lone ``\\r`` is quoted too depends on the Python version, so ask it.
    """
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["\r", "x"])
    return r'[,"\n\r]' if buf.getvalue().startswith('"') else r'[,"\n]'


#: A cell holding one of these characters is quoted.
_NEEDS_QUOTES = _needs_quotes()


def _join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Element-wise concatenation of string arrays and texts, with ``sep``."""
    args = [pa.scalar(p, _S) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar(sep, _S))


def _pandas(table: pd.DataFrame, *, header: bool) -> bytes:
    buf = io.StringIO()
    table.to_csv(
        buf, index=False, header=header, lineterminator="\n", float_format="%.4f"
    )
    return buf.getvalue().encode("utf-8")


def _quoted(cells: pa.Array) -> pa.Array:
    """Cells with a comma, quote or line break quoted (quotes doubled)."""
    needs = pc.match_substring_regex(cells, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return cells
    doubled = pc.replace_substring(cells, '"', '""')
    wrapped = _join('"', doubled, '"')
    return pc.if_else(needs, wrapped, cells)


def _floats(values: np.ndarray, missing: np.ndarray) -> pa.Array:
    """``"%.4f" % v`` of every value ("" where missing), without Python per value.

    A value is scaled by 10,000 and rounded to an integer, which is then
    written as its integer and decimal parts. That equals ``%.4f`` (the
    correctly rounded decimal of the binary value) wherever the scaled value
    is not within :data:`_HALF_BAND` of a half: the multiplication errs by far
    less than that below :data:`_EXACT_BELOW`. Those few values, and infinite
    ones, are formatted by Python.
    """
    x = np.where(missing, 0.0, values)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.abs(x) * _SCALE
        python = ~missing & (
            ~np.isfinite(x)
            | (np.abs(x) >= _EXACT_BELOW)
            | (np.abs(scaled - np.floor(scaled) - 0.5) < _HALF_BAND)
        )
    n = np.rint(np.where(python, 0.0, scaled)).astype(np.int64)
    whole = pc.cast(pa.array(n // _SCALE), _S)
    part = pc.utf8_lpad(pc.cast(pa.array(n % _SCALE), _S), DECIMALS, "0")
    sign = pa.array(np.where(np.signbit(x), "-", ""), _S)
    cells = _join(_join(sign, whole), part, sep=".")
    if python.any():
        where = np.flatnonzero(python)
        texts = pa.array([f"%.{DECIMALS}f" % v for v in x[where]], _S)
        mask = np.zeros(len(x), dtype=bool)
        mask[where] = True
        cells = pc.replace_with_mask(cells, pa.array(mask), texts)
    return pc.if_else(pa.array(missing), pa.scalar("", _S), cells)


def _texts(column: pd.Series) -> pa.Array | None:
    """Cells of a column of Python strings (missing: ""), or None."""
    values = column.to_numpy(dtype=object)
    if not all(
        isinstance(v, str) or v is None or (isinstance(v, float) and math.isnan(v))
        for v in values
    ):
        return None
    arr = pa.array(values, _S, from_pandas=True)
    return _quoted(pc.fill_null(arr, pa.scalar("", _S)))


def _cells(column: pd.Series) -> pa.Array | None:
    """The CSV cells of a column as Arrow strings, or None (not handled here)."""
    dtype = column.dtype
    cells = None
    if pd.api.types.is_bool_dtype(dtype) and not column.hasnans:
        flags = column.to_numpy(dtype=bool)
        cells = pa.array(np.where(flags, "True", "False"), _S)
    elif pd.api.types.is_float_dtype(dtype):
        missing = column.isna().to_numpy()
        cells = _floats(column.to_numpy(dtype=float, na_value=np.nan), missing)
    elif pd.api.types.is_integer_dtype(dtype):
        if isinstance(column.array, pd.arrays.IntegerArray):
            ints = pa.array(column.array, pa.int64())
        else:
            ints = pa.array(column.to_numpy(), pa.int64())
        cells = pc.fill_null(pc.cast(ints, _S), pa.scalar("", _S))
    elif isinstance(dtype, pd.StringDtype):
        arr = pa.array(column.array, _S, from_pandas=True)
        cells = _quoted(pc.fill_null(arr, pa.scalar("", _S)))
    elif pd.api.types.is_object_dtype(dtype):
        cells = _texts(column)
    return cells


def _header(table: pd.DataFrame) -> bytes:
    names = pa.array([str(c) for c in table.columns], _S)
    return (",".join(_quoted(names).to_pylist()) + "\n").encode("utf-8")


def csv_bytes(table: pd.DataFrame, *, header: bool = True) -> bytes:
    """The CSV text of ``table`` in UTF-8, as pandas writes a result folder's CSV.

    Parameters
    ----------
    table : pandas.DataFrame
        The rows (its index is not written).
    header : bool, default True
        Start with the line of column names.

    Returns
    -------
    bytes
        Equal to ``table.to_csv(index=False, header=header,
        lineterminator="\\n", float_format="%.4f")`` encoded as UTF-8.
    """
    if table.columns.has_duplicates or not len(table.columns):
        return _pandas(table, header=header)
    columns = []
    for name in table.columns:
        cells = _cells(table[name])
        if cells is None:
            return _pandas(table, header=header)
        columns.append(cells)
    head = _header(table) if header else b""
    if not len(table):
        return head
    if len(columns) == 1 and pc.any(pc.equal(columns[0], "")).as_py():
        return _pandas(table, header=header)
    lines = _join(_join(*columns, sep=","), "", sep="\n")
    data = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int64)
    start = int(offsets[data.offset])
    stop = int(offsets[data.offset + len(data)])
    return head + data.buffers()[2].slice(start, stop - start).to_pybytes()


def write_csv(
    table: pd.DataFrame,
    sink: BinaryIO,
    *,
    header: bool = True,
    slice_rows: int = SLICE_ROWS,
) -> None:
    """Write :func:`csv_bytes` of ``table`` to ``sink``, ``slice_rows`` rows at a
    time: the same bytes, with the text of one slice in memory at once."""
    for start in range(0, max(len(table), 1), slice_rows):
        part = table.iloc[start : start + slice_rows]
        sink.write(csv_bytes(part, header=header and start == 0))
