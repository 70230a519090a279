"""Evaluate a scan's rules on a Dask cluster, in spatial partitions with a halo.

This is the scale-out twin of :func:`kansenkaart.rules.engine.evaluate_rules`
(the *fast* engine, spatial chunks on threads of one machine). It needs the
optional ``dask`` extra (``pip install 'kansenkaart[dask]'``: dask-geopandas
and distributed); the workers of a remote cluster need kansenkaart installed
too (the same version as the client).

How it works
------------
1. The rules are planned on the client from the full context
   (:func:`~kansenkaart.rules.engine.plan_rules`): which rules are evaluated,
   skipped for a missing layer or not applicable, depends on the layers the
   scan has, not on a partition.
2. The candidates are split into spatially compact partitions along a
   Hilbert curve (:func:`~kansenkaart.rules.chunks.spatial_chunks`, as the
   fast engine's chunks). Each partition is scattered to the cluster and the
   pieces form a :class:`dask_geopandas.GeoDataFrame`, one partition per
   piece; its ``spatial_partitions`` (the convex hull of each partition,
   computed on the cluster) give each partition's bounds.
3. Each partition gets its own cut of the layers
   (:func:`~kansenkaart.rules.chunks.clip_layers`): the vector features whose
   bounding box meets the partition's bounds widened by a *halo* as wide as
   the longest distance a rule looks (:func:`~kansenkaart.rules.chunks.halo_m`,
   plus :data:`HALO_MARGIN_M` against rounding), the table rows of the
   partition's candidates, rasters (paths) whole. The cut is scattered, not
   embedded in the task graph.
4. A worker builds a :class:`~kansenkaart.rules.predicates.ScanContext` from
   the cut and the scan's scalars (a context holds a lock and is never
   pickled) and runs :func:`~kansenkaart.rules.engine.rule_values`. The
   client gathers the partitions' values, puts them back in the candidates'
   order and finishes the table
   (:func:`~kansenkaart.rules.engine.finish_table`) as the fast engine does.

Why the results are identical to the fast engine's
----------------------------------------------------
* Every rule value depends only on the candidate itself, the layer features
  that overlap it or lie within the rule's distance, and table rows by its
  id. The halo holds every such feature, so a partition sees everything a
  candidate's value depends on; features it sees beyond that are never used.
* :func:`~kansenkaart.rules.chunks.clip_layers` keeps the features in their
  original order, so ties (e.g. the first of two zones with the same overlap)
  are broken the same way and the first row per id of a table is the same.
* Overlap pairs are sorted by (candidate, feature) before they are summed
  (see :mod:`kansenkaart.spatial`); as the cut keeps the features'
  order, every candidate's pairs are summed in the same order, which makes
  the floating-point sums bit-identical. Distances are minima, exact in any
  order.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import pandas as pd

from kansenkaart.errors import ConfigError
from kansenkaart.rules.chunks import (
    clip_layers,
    halo_m,
    in_candidate_order,
    spatial_chunks,
)
from kansenkaart.rules.definition import Rule
from kansenkaart.rules.engine import (
    RuleTable,
    finish_table,
    plan_rules,
    rule_values,
)
from kansenkaart.rules.predicates import ScanContext

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "HALO_MARGIN_M",
    "dask_mapper",
    "evaluate_partition",
    "evaluate_rules_dask",
]

logger = logging.getLogger(__name__)

#: Candidates per partition when none is given.
DEFAULT_PARTITION_SIZE = 100_000

#: Metres added to the halo, so that a feature at exactly a rule's distance
#: is not lost to rounding of the widened bounds. Extra features never
#: change a result.
HALO_MARGIN_M = 1.0

#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT_S = 10

#: Workers of the local cluster started when no scheduler is given (at most).
LOCAL_WORKERS = 2

_INSTALL_HINT = "pip install 'kansenkaart[dask]'"


def _import_dask() -> SimpleNamespace:
    """The dask modules the engine uses, or a ConfigError naming the extra."""
    try:
        import dask  # noqa: PLC0415
        import dask.dataframe as dd  # noqa: PLC0415
        import dask_geopandas  # noqa: PLC0415
        import distributed  # noqa: PLC0415
    except ImportError as exc:
        msg = (
            "the Dask engine needs dask-geopandas and distributed "
            f"({exc.name or exc} is not installed): {_INSTALL_HINT}, "
            "or use the fast engine"
        )
        raise ConfigError(msg) from None
    return SimpleNamespace(
        dask=dask, dd=dd, dask_geopandas=dask_geopandas, distributed=distributed
    )


def _unreachable(scheduler: str, reason: object) -> ConfigError:
    return ConfigError(
        f"cannot reach the Dask scheduler at {scheduler!r}: {reason}. Check the "
        "address (tcp://host:8786) and that `dask scheduler` runs there, or "
        "leave out --scheduler to start a local cluster."
    )


def _connect(distributed: Any, scheduler: str) -> Any:
    """A client of the scheduler at ``scheduler``, or a ConfigError naming it."""
    from distributed.comm import get_address_host_port  # noqa: PLC0415

    try:  # a malformed address would leave a half-made client behind
        get_address_host_port(scheduler)
    except (ValueError, TypeError) as exc:
        msg = (
            f"{scheduler!r} is not a Dask scheduler address ({exc}); "
            "write it as tcp://host:8786"
        )
        raise ConfigError(msg) from None
    try:
        return distributed.Client(
            scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False
        )
    except (OSError, ValueError) as exc:  # TimeoutError is an OSError
        raise _unreachable(scheduler, exc) from None


@contextlib.contextmanager
def _open_client(
    distributed: Any, scheduler: str | None, client: Any | None
) -> Iterator[Any]:
    """The client to use; one this function opens is closed afterwards."""
    if client is not None:
        yield client
        return
    if scheduler:
        with _connect(distributed, scheduler) as opened:
            yield opened
        return
    n_workers = min(LOCAL_WORKERS, os.cpu_count() or 1)
    logger.info("starting a local Dask cluster (%d worker processes)", n_workers)
    with (
        distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",  # any free port, this host only
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as opened,
    ):
        yield opened


def evaluate_partition(
    part: gpd.GeoDataFrame,
    layers: dict[str, Any],
    rules: tuple[Rule, ...],
    *,
    regime: str,
    horizon_years: float,
    reference_date: pd.Timestamp,
) -> pd.DataFrame:
    """Rule values of one partition, on a worker.

    Parameters
    ----------
    part : geopandas.GeoDataFrame
        The partition's candidates, indexed by ``candidate_id``.
    layers : dict
        The partition's cut of the layers (see
        :func:`kansenkaart.rules.chunks.clip_layers`).
    rules : tuple of Rule
        The rules to evaluate (all applicable, none skipped).
    regime, horizon_years, reference_date
        The scan's :class:`~kansenkaart.rules.predicates.ScanContext` scalars.

    Returns
    -------
    pandas.DataFrame
        One column per rule, indexed like ``part``.
    """
    ctx = ScanContext(
        layers=layers,
        regime=regime,
        horizon_years=horizon_years,
        reference_date=reference_date,
    )
    return rule_values(part, rules, ctx)


def _partition_bounds(
    mods: SimpleNamespace, client: Any, pieces: list[gpd.GeoDataFrame]
) -> tuple[list[Any], list[tuple[float, float, float, float]]]:
    """Scatter the pieces as the partitions of a dask-geopandas frame.

    Returns the pieces' futures and the bounds of the frame's spatial
    partitions (one per piece, in order).
    """
    futures = client.scatter(pieces, hash=False)
    frame = mods.dd.from_delayed(futures, meta=pieces[0].iloc[:0], verify_meta=False)
    if not isinstance(frame, mods.dask_geopandas.GeoDataFrame):
        frame = mods.dask_geopandas.from_dask_dataframe(frame)
    if frame.npartitions != len(pieces):
        msg = f"{frame.npartitions} Dask partitions for {len(pieces)} pieces"
        raise AssertionError(msg)
    with mods.dask.config.set(scheduler=client):
        frame.calculate_spatial_partitions()
    bounds = [tuple(map(float, b)) for b in frame.spatial_partitions.bounds.to_numpy()]
    return futures, bounds


def _check_workers(client: Any) -> None:
    """Every worker runs this kansenkaart version, or a ConfigError says how not.

    Asked before any task is sent: a worker that cannot import the package
    cannot even read a task, and another version could give other results.
    """
    from importlib.metadata import version  # noqa: PLC0415

    from kansenkaart._version import __version__  # noqa: PLC0415

    try:
        found = client.run(version, "kansenkaart")
    except ImportError:  # PackageNotFoundError on a worker
        msg = (
            "kansenkaart is not installed on the Dask workers: install version "
            f"{__version__} (this client's) on every worker"
        )
        raise ConfigError(msg) from None
    other = sorted({v for v in found.values() if v != __version__})
    if other:
        msg = (
            f"the Dask workers run kansenkaart {', '.join(other)}, this client "
            f"{__version__}: install the same version everywhere"
        )
        raise ConfigError(msg)
    if not found:
        logger.warning("the Dask cluster has no workers yet; waiting for them")


def evaluate_rules_dask(
    candidates: gpd.GeoDataFrame,
    rules: tuple[Rule, ...] | list[Rule],
    ctx: ScanContext,
    *,
    scheduler: str | None = None,
    partition_size: int | None = None,
    client: Any | None = None,
) -> RuleTable:
    """Evaluate ``rules`` for every candidate on a Dask cluster.

    Gives the same table as :func:`kansenkaart.rules.engine.evaluate_rules`
    (see the module docstring for why).

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        Indexed by ``candidate_id``, in EPSG:28992.
    rules : sequence of Rule
        The scan's rules (all regimes; those not applying are set aside).
    ctx : ScanContext
        Layers and scan parameters; only its layers and scalars are sent to
        the workers.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``). Without it
        (and without ``client``) a local cluster of up to
        :data:`LOCAL_WORKERS` worker processes is started and closed again.
    partition_size : int, optional
        Candidates per partition; :data:`DEFAULT_PARTITION_SIZE` by default.
    client : distributed.Client, optional
        A client to use (and leave open); overrides ``scheduler``.

    Returns
    -------
    RuleTable
        Candidate x rule values; unknown (null) where a layer or attribute
        needed to decide is missing.

    Raises
    ------
    ConfigError
        When dask-geopandas or distributed is not installed, the scheduler
        cannot be reached or the workers lack this version of kansenkaart.
    """
    evaluated, skipped, not_applicable = plan_rules(rules, ctx)
    mods = _import_dask()
    if not len(candidates) or not evaluated:  # nothing to send
        values = rule_values(candidates, evaluated, ctx.for_chunk())
        return finish_table(
            candidates,
            values,
            evaluated,
            skipped,
            not_applicable,
            coverage=ctx.coverage,
        )
    chunks = spatial_chunks(candidates, partition_size or DEFAULT_PARTITION_SIZE)
    pieces = [candidates.iloc[pos] for pos in chunks]
    halo = halo_m(evaluated) + HALO_MARGIN_M
    with _open_client(mods.distributed, scheduler, client) as c:
        logger.info(
            "%d candidates in %d partitions (halo %g m) on %s",
            len(candidates),
            len(pieces),
            halo,
            c.scheduler.address,
        )
        _check_workers(c)
        cand_futures, bounds = _partition_bounds(mods, c, pieces)
        tasks = []
        for piece, box, cand_future in zip(pieces, bounds, cand_futures, strict=True):
            cut = clip_layers(ctx.layers, box, halo, piece.index)
            [cut_future] = c.scatter([cut], hash=False)
            tasks.append(
                c.submit(
                    evaluate_partition,
                    cand_future,
                    cut_future,
                    evaluated,
                    regime=ctx.regime,
                    horizon_years=ctx.horizon_years,
                    reference_date=ctx.reference_date,
                    pure=False,
                )
            )
        parts = c.gather(tasks)
    values = in_candidate_order(parts, chunks, candidates.index)
    return finish_table(
        candidates, values, evaluated, skipped, not_applicable, coverage=ctx.coverage
    )


def dask_mapper(
    scheduler: str | None = None, client: Any | None = None
) -> Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]:
    """Run jobs of a prepared folder's partitions on a Dask cluster.

    The returned callable sends each job (a
    :class:`~kansenkaart.rules.partitioned.PartitionJob`: the folder's path
    and the partition, a few hundred bytes) to a worker, which reads its
    partition from the prepared folder itself; the client never reads the
    layers. The folder must be reachable from every worker at the same path.
    """
    mods = _import_dask()

    def run(func: Callable[[Any], Any], jobs: Sequence[Any]) -> list[Any]:
        with _open_client(mods.distributed, scheduler, client) as c:
            _check_workers(c)
            logger.info("%d partitions on %s", len(jobs), c.scheduler.address)
            return c.gather(c.map(func, list(jobs), pure=False))

    return run
