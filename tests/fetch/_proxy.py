"""A tiny real HTTP proxy in front of the test server that misbehaves on cue.

It forwards every GET to the upstream server and rewrites the upstream address
in the answer (so ``next`` links come back through the proxy). On request it
answers 503 to the first ``fail_first`` item requests, or SIGKILLs the fetching
process when item request number ``kill_at`` arrives.
"""

from __future__ import annotations

import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class FlakyProxy:
    """Proxy on 127.0.0.1 (a free port) counting item requests."""

    def __init__(self, upstream: str, *, fail_first: int = 0, kill_at: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.fail_first = fail_first
        self.kill_at = kill_at
        self.kill_pid: int | None = None
        self.pid_set = threading.Event()
        self.item_requests = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set_victim(self, pid: int) -> None:
        """The process to kill at item request ``kill_at``."""
        self.kill_pid = pid
        self.pid_set.set()

    def _count(self, path: str) -> int:
        if "/items" not in path:
            return 0
        with self._lock:
            self.item_requests += 1
            return self.item_requests

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                return

            def do_GET(self) -> None:
                n = proxy._count(self.path)
                if n and n <= proxy.fail_first:
                    proxy.failed += 1
                    self._send(503, b'{"description": "busy"}', {"Retry-After": "0"})
                    return
                if n and n == proxy.kill_at:
                    proxy.pid_set.wait(60)
                    if proxy.kill_pid:
                        os.kill(proxy.kill_pid, signal.SIGKILL)
                    self._send(500, b"{}", {})
                    return
                up = httpx.get(proxy.upstream + self.path, timeout=60)
                body = up.content.replace(proxy.upstream.encode(), proxy.url.encode())
                headers = {
                    k: v
                    for k, v in up.headers.items()
                    if k.lower() in ("content-type", "content-crs")
                }
                self._send(up.status_code, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
