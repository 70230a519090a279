"""A small OGC API Features client (httpx) with PDOK's protocol facts built in.

* paging follows the ``next`` link the server gives (PDOK: a cursor), never an
  offset computed here;
* ``limit`` is at most 1000; ``crs`` and ``bbox-crs`` are sent as OGC URIs
  (``http://www.opengis.net/def/crs/EPSG/0/28992``) and no other parameter
  than ``f``, ``limit``, ``bbox``, ``bbox-crs`` and ``crs`` (PDOK rejects
  unknown ones and has no CQL);
* a 429 or 5xx answer or a dropped connection is retried with exponential
  backoff (a ``Retry-After`` header wins); a server that cannot be reached at
  all gives one clear "offline?" error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from kansenkaart.errors import DataSourceError

__all__ = ["RD_NEW_URI", "CollectionNotFoundError", "FeaturesClient", "Page"]

logger = logging.getLogger(__name__)

#: EPSG:28992 (RD New) as the OGC URI PDOK expects in ``crs`` and ``bbox-crs``.
RD_NEW_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_LIMIT = 1000


class CollectionNotFoundError(DataSourceError):
    """The service answered 404: it has no such collection."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of features, the link to the next page and the total if given."""

    url: str
    features: list[dict[str, Any]]
    next_url: str | None
    matched: int | None


class FeaturesClient:
    """Read the features of a collection in a bbox, page by page.

    Parameters
    ----------
    base_url : str
        Landing page of the service, e.g. ``https://api.pdok.nl/kadaster/bag/ogc/v2``.
    retries : int, default 5
        Attempts after a 429/5xx answer or a dropped connection.
    backoff_s : float, default 2.0
        First wait in seconds; doubled after every failed attempt.
    timeout_s : float, default 60.0
        Timeout of one request.
    sleep : callable, optional
        How to wait (``time.sleep``); injectable so callers can count waits.
    """

    def __init__(
        self,
        base_url: str,
        *,
        retries: int = 5,
        backoff_s: float = 2.0,
        timeout_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self._http = httpx.Client(
            timeout=timeout_s,
            follow_redirects=True,
            headers={"Accept": "application/geo+json, application/json"},
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> FeaturesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def items_url(self, collection: str) -> str:
        """URL of a collection's items."""
        return f"{self.base_url}/collections/{collection}/items"

    def first_query(
        self, bbox: tuple[float, float, float, float] | None, *, limit: int
    ) -> dict[str, str]:
        """Query parameters of the first page (bbox in RD New, answer in RD New)."""
        if not 1 <= limit <= MAX_LIMIT:
            msg = f"limit must be between 1 and {MAX_LIMIT}, not {limit}."
            raise DataSourceError(msg)
        query = {"f": "json", "limit": str(limit), "crs": RD_NEW_URI}
        if bbox is not None:
            query["bbox"] = ",".join(f"{v:.3f}" for v in bbox)
            query["bbox-crs"] = RD_NEW_URI
        return query

    def pages(
        self,
        collection: str,
        bbox: tuple[float, float, float, float] | None,
        *,
        limit: int = MAX_LIMIT,
        start_url: str | None = None,
    ) -> Iterator[Page]:
        """Pages of ``collection`` in ``bbox``, from ``start_url`` if given."""
        url: str | None = start_url
        params: dict[str, str] | None = None
        if url is None:
            url, params = (
                self.items_url(collection),
                self.first_query(bbox, limit=limit),
            )
        while url is not None:
            page = self._page(url, params)
            yield page
            url, params = page.next_url, None

    def _page(self, url: str, params: dict[str, str] | None) -> Page:
        response = self.get(url, params=params)
        crs = response.headers.get("Content-Crs", "").strip("<>")
        if crs and crs != RD_NEW_URI:
            msg = (
                f"{response.url}: the server answered in {crs}, not RD New "
                f"({RD_NEW_URI}). It does not support the crs parameter for this "
                "collection; pick another service."
            )
            raise DataSourceError(msg)
        body = response.json()
        nxt = next(
            (
                link.get("href")
                for link in body.get("links", [])
                if link.get("rel") == "next"
            ),
            None,
        )
        matched = body.get("numberMatched")
        return Page(
            url=str(response.url),
            features=list(body.get("features") or []),
            next_url=nxt,
            matched=int(matched) if isinstance(matched, int) else None,
        )

    def get(self, url: str, *, params: dict[str, str] | None = None) -> httpx.Response:
        """GET with retries on 429/5xx and dropped connections; JSON expected.

        Raises
        ------
        DataSourceError
            When the server cannot be reached (offline?), keeps failing after
            the retries, or answers with a client error (its message included).
        """
        for attempt in range(self.retries + 1):
            wait = self.backoff_s * 2**attempt
            try:
                response = self._http.get(url, params=params)
            except httpx.TransportError as err:
                if attempt == self.retries or (
                    isinstance(err, httpx.ConnectError) and attempt >= 1
                ):  # no connection at all: say so soon
                    raise _offline(url, err) from err
                logger.info("%s: %s; retry in %.1f s", url, err, wait)
                self.sleep(wait)
                continue
            if response.status_code in _RETRY_STATUS and attempt < self.retries:
                wait = _retry_after(response, wait)
                logger.info(
                    "%s: HTTP %d; retry in %.1f s", url, response.status_code, wait
                )
                self.sleep(wait)
                continue
            if response.status_code >= 400:
                raise _http_error(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.replace(".", "", 1).isdigit() else default


def _offline(url: str, err: Exception) -> DataSourceError:
    host = httpx.URL(url).host
    return DataSourceError(
        f"cannot reach {host} ({type(err).__name__}: {err}). Is this computer "
        "offline, or is the service down? Check the connection and run the same "
        "command again: pages already downloaded are kept and the fetch resumes."
    )


def _http_error(response: httpx.Response) -> DataSourceError:
    try:
        detail = response.json().get("description") or response.json().get("detail")
    except ValueError:
        detail = response.text[:200]
    hint = (
        " The collection does not exist at this service: check services.toml."
        if response.status_code == 404
        else ""
    )
    cls = CollectionNotFoundError if response.status_code == 404 else DataSourceError
    return cls(f"{response.request.url}: HTTP {response.status_code} ({detail}).{hint}")
