"""The CSV text made with Arrow equals what pandas writes, byte for byte.

``candidates.csv`` is made by :func:`kansenkaart.results.csvtext.csv_bytes`
in every engine; these tests hold it to ``DataFrame.to_csv`` with the result
folder's options, on the embedded scan's table and on hypothesis-drawn
columns of every type a result table has (floats near the rounding halves,
texts with commas, quotes and line breaks, missing values).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kansenkaart.datasets import default_inputs, scan_path
from kansenkaart.pipeline import ScanInputs, run_scan
from kansenkaart.results.csvtext import csv_bytes, write_csv
from kansenkaart.results.model import order_candidates
from kansenkaart.results.write import _table


def _pandas(table: pd.DataFrame, *, header: bool = True) -> bytes:
    buf = io.StringIO()
    table.to_csv(
        buf, index=False, header=header, lineterminator="\n", float_format="%.4f"
    )
    return buf.getvalue().encode("utf-8")


@pytest.mark.filterwarnings("ignore::kansenkaart.errors.KansenkaartWarning")
def test_site_scan_table_as_pandas_writes_it() -> None:
    d = default_inputs()
    inputs = ScanInputs(
        parcels=d["parcels"],
        zoning=d["zoning"],
        buildings=d["buildings"],
        layers={"municipalities": d["municipalities"]},
    )
    result = run_scan(scan_path("locatiescan"), inputs)
    table = _table(order_candidates(result.candidates))
    assert {"Float64", "Int64", "string", "float64"} <= {str(t) for t in table.dtypes}
    assert csv_bytes(table) == _pandas(table)
    assert csv_bytes(table.iloc[100:], header=False) == _pandas(
        table.iloc[100:], header=False
    )


# floats: halves of the fourth decimal (and values a hair beside them), signed
# zeros, large values, infinities and missing values
_halves = st.integers(-(10**8), 10**8).map(lambda n: (n + 0.5) / 10_000)
_near = st.tuples(_halves, st.sampled_from([-1e-12, 0.0, 1e-12])).map(sum)
_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(-1e6, 1e6),
    _halves,
    _near,
    st.sampled_from([0.0, -0.0, 1e9, -1e12, 5e-5, -5e-5, 1e-300]),
)
_texts = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list('ab ,"\n\r;é€\t')), max_size=8),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.lists(_floats, min_size=n, max_size=n),
            st.lists(_texts, min_size=n, max_size=n),
            st.lists(
                st.one_of(st.none(), st.integers(-(2**62), 2**62)),
                min_size=n,
                max_size=n,
            ),
            st.lists(st.booleans(), min_size=n, max_size=n),
        )
    ),
    header=st.booleans(),
    slice_rows=st.integers(1, 5),
)
def test_any_table_as_pandas_writes_it(rows, header, slice_rows) -> None:
    floats, texts, ints, flags = rows
    table = pd.DataFrame(
        {
            "f": np.array(floats, dtype=float),
            "F": pd.array(floats, dtype="Float64"),
            "s": pd.array(texts, dtype="string"),
            "o": pd.Series(texts, dtype=object),
            'name, "quoted"': pd.array(ints, dtype="Int64"),
            "b": flags,
        }
    )
    assert csv_bytes(table, header=header) == _pandas(table, header=header)
    for column in table.columns:
        one = table[[column]]
        assert csv_bytes(one, header=header) == _pandas(one, header=header)
    # written slice by slice: the same bytes (one slice may go through pandas)
    sink = io.BytesIO()
    write_csv(table, sink, header=header, slice_rows=slice_rows)
    assert sink.getvalue() == _pandas(table, header=header)
    sink = io.BytesIO()
    write_csv(table.iloc[:0], sink, header=header, slice_rows=slice_rows)
    assert sink.getvalue() == _pandas(table.iloc[:0], header=header)
