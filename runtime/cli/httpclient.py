"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load tester.

General clients spend more CPU per request than the server under test does: at 200
concurrent connections httpx used three times the server's CPU, so the load tester
measured itself. This one sends a request and reads a ``Content-Length`` or chunked
reply on a pooled connection, and nothing else (``http://`` only; no redirects, no TLS).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class HttpClientError(Exception):
    """The connection failed or the reply is not HTTP/1.1 this client understands."""


class _Conn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class RawClient:
    """``await client.request("POST", "/path", body)`` -> ``(status, body)``."""

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http://host:port URLs are supported, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.base = parts.path.rstrip("/")
        self.timeout = timeout
        self._idle: list[_Conn] = []
        self._host_header = f"Host: {parts.netloc}\r\n".encode()

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        return await asyncio.wait_for(self._request(method, path, body), self.timeout)

    async def _request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"{method} {self.base}{path} HTTP/1.1\r\n".encode()
            + self._host_header
            + b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        for attempt in (0, 1):
            reused = bool(self._idle)
            conn = self._idle.pop() if reused else await self._connect()
            try:
                conn.writer.write(head + body)
                status_line = await conn.reader.readline()
                if not status_line:
                    # the server closed an idle keep-alive connection before reading this
                    # request: it was not processed, so send it again on a new one
                    conn.close()
                    if reused and attempt == 0:
                        continue
                    raise HttpClientError("the server closed the connection")
                status, payload, keep = await self._reply(conn.reader, status_line)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                raise HttpClientError(f"{type(exc).__name__}: {exc}") from exc
            except BaseException:
                conn.close()  # cancelled or timed out mid-reply: the stream is unusable
                raise
            if keep:
                self._idle.append(conn)
            else:
                conn.close()
            return status, payload
        raise AssertionError("unreachable")

    async def _connect(self) -> _Conn:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            raise HttpClientError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return _Conn(reader, writer)

    @staticmethod
    async def _reply(reader: asyncio.StreamReader, status_line: bytes) -> tuple[int, bytes, bool]:
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP/1.x reply: {status_line[:80]!r}")
        status = int(parts[1])
        length = -1
        chunked = False
        keep = parts[0] == b"HTTP/1.1"
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            value = value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                keep = value == b"keep-alive" or (keep and value != b"close")
        if chunked:
            chunks = []
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await reader.readline()  # the blank line after the last chunk
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readline()
            return status, b"".join(chunks), keep
        if length >= 0:
            return status, await reader.readexactly(length), keep
        return status, await reader.read(), False  # until the server closes

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
