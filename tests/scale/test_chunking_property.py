"""Property: chunking, threads and row order never change a rule value.

Each example draws a chunk size, a number of threads and a random order of
the candidates of a small synthetic site, evaluates the rules with the fast
engine and compares with one unchunked evaluation of all candidates in their
original order. To keep examples fast, an example with small chunks takes a
random subset of at most :data:`MAX_CHUNKS` chunks' worth of candidates,
which also checks that a candidate's values do not depend on which other
candidates are evaluated with it.

Every evaluation gets a fresh :class:`~kansenkaart.rules.predicates.ScanContext`,
as in the pipeline (one context per run).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kansenkaart.rules.engine import evaluate_rules
from tests.scale._site import small_site

N = 500  # parcels of the small site (candidates: parcels, maybe a few zones)
MAX_CHUNKS = 20


@functools.cache
def _unchunked() -> pd.DataFrame:
    site = small_site()
    return evaluate_rules(site.candidates, site.scan.rules, site.context()).values


def test_site_is_big_enough() -> None:
    assert len(small_site().candidates) >= N
    values = _unchunked()
    for rid in ("LOC-N2000", "LOC-GEBRUIK", "LOC-CAPACITEIT"):
        assert values[rid].nunique() == 2, rid
    assert values["LOC-BEBOUWING"].nunique() > 10


@settings(max_examples=15, deadline=None)
@given(
    chunk_size=st.integers(min_value=1, max_value=N),
    workers=st.integers(min_value=1, max_value=3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_chunking_never_changes_values(
    chunk_size: int, workers: int, seed: int
) -> None:
    site = small_site()
    order = np.random.default_rng(seed).permutation(len(site.candidates))
    subset = site.candidates.iloc[order[: MAX_CHUNKS * chunk_size]]
    got = evaluate_rules(
        subset, site.scan.rules, site.context(), chunk_size=chunk_size, workers=workers
    ).values
    assert got.index.equals(subset.index)
    pd.testing.assert_frame_equal(got, _unchunked().loc[subset.index], check_exact=True)
