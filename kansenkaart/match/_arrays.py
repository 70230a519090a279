"""Small array helpers for building the network without per-variable loops."""

from __future__ import annotations

import numpy as np

__all__ = ["expand_ranges", "pairwise_km"]


def expand_ranges(
    starts: np.ndarray, stops: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (owner, value) for every integer in each ``[starts[i], stops[i])``.

    Examples
    --------
    >>> owner, value = expand_ranges(np.array([0, 5]), np.array([2, 8]))
    >>> owner.tolist(), value.tolist()
    ([0, 0, 1, 1, 1], [0, 1, 5, 6, 7])
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.maximum(np.asarray(stops, dtype=np.int64) - starts, 0)
    owner = np.repeat(np.arange(len(starts)), lengths)
    first = np.cumsum(lengths) - lengths
    value = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(first, lengths)
    return owner, value + starts[owner]


def pairwise_km(
    ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray
) -> np.ndarray:
    """Straight-line distances in km between points a and b (RD New metres)."""
    return np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :]) / 1000.0
