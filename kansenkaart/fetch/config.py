"""The services and collections ``kansenkaart fetch`` downloads (``services.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from kansenkaart.errors import ConfigError

__all__ = ["Boundary", "FetchConfig", "LayerSpec", "Service", "load_config"]


@dataclass(frozen=True, slots=True)
class Service:
    """One OGC API Features landing page, with its licence and attribution."""

    name: str
    url: str
    licence: str
    attribution: str


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """One output layer: a collection of a service, and how a scan takes it."""

    name: str
    service: str
    collection: str
    option: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Boundary:
    """Where the boundary of a buurt or wijk code is found."""

    service: str
    collection: str
    code_property: str


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """Client settings, services, layers and boundary collections."""

    limit: int
    retries: int
    backoff_s: float
    timeout_s: float
    services: dict[str, Service]
    layers: tuple[LayerSpec, ...]
    boundaries: dict[str, Boundary]

    def with_urls(self, overrides: dict[str | None, str]) -> FetchConfig:
        """Replace service base URLs: ``{None: url}`` for all, else per name."""
        unknown = sorted(k for k in overrides if k and k not in self.services)
        if unknown:
            msg = (
                f"--service-url: unknown service(s) {', '.join(unknown)}; known: "
                f"{', '.join(sorted(self.services))}."
            )
            raise ConfigError(msg)
        services = {
            name: replace(s, url=overrides.get(name, overrides.get(None, s.url)))
            for name, s in self.services.items()
        }
        return replace(self, services=services)


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        msg = f"{where}: '{key}' is missing. Add it to the services TOML."
        raise ConfigError(msg)
    return table[key]


def load_config(path: str | Path | None = None) -> FetchConfig:
    """Load the shipped ``services.toml`` or the file at ``path``.

    Raises
    ------
    ConfigError
        When the file is not valid TOML, a key is missing, ``limit`` is above
        1000 or a layer names an unknown service.
    """
    if path is None:
        text = (
            resources.files("kansenkaart.fetch")
            .joinpath("services.toml")
            .read_text(encoding="utf-8")
        )
        where = "services.toml (shipped)"
    else:
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where}: not valid TOML ({err}).") from err
    client = raw.get("client", {})
    limit = int(client.get("limit", 1000))
    if not 1 <= limit <= 1000:
        raise ConfigError(f"{where}: [client] limit must be 1..1000, not {limit}.")
    services = {
        name: Service(
            name=name,
            url=str(_require(s, "url", f"{where} [services.{name}]")).rstrip("/"),
            licence=str(s.get("licence", "")),
            attribution=str(s.get("attribution", "")),
        )
        for name, s in raw.get("services", {}).items()
    }
    layers = tuple(
        LayerSpec(
            name=str(_require(lay, "name", f"{where} [[layers]]")),
            service=str(_require(lay, "service", f"{where} [[layers]]")),
            collection=str(_require(lay, "collection", f"{where} [[layers]]")),
            option=str(lay.get("option", "")),
            optional=bool(lay.get("optional", False)),
        )
        for lay in raw.get("layers", [])
    )
    boundaries = {
        kind: Boundary(
            service=str(b["service"]),
            collection=str(b["collection"]),
            code_property=str(b["code_property"]),
        )
        for kind, b in raw.get("boundaries", {}).items()
    }
    for item in (*layers, *boundaries.values()):
        if item.service not in services:
            msg = (
                f"{where}: collection {item.collection!r} names unknown service "
                f"{item.service!r}."
            )
            raise ConfigError(msg)
    return FetchConfig(
        limit=limit,
        retries=int(client.get("retries", 5)),
        backoff_s=float(client.get("backoff_s", 2.0)),
        timeout_s=float(client.get("timeout_s", 60.0)),
        services=services,
        layers=layers,
        boundaries=boundaries,
    )
