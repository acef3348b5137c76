"""A TCP proxy on loopback in front of a real server, that a test can cut and restore: the
network seen by a process whose database stops for a while and comes back.

    async with TcpProxy("127.0.0.1", 5432) as proxy:   # clients connect to proxy.port
        await proxy.cut()       # as PostgreSQL stopped: open connections reset, new ones refused
        await proxy.restore()   # listening again on the same port; new connections go through

A cut resets both sides of every open connection (RST, not a polite FIN, and bytes in flight
are dropped), so the client sees "connection reset" mid-statement and the server rolls back
whatever the connection had begun; the listening socket is closed, so a connection attempt is
refused at once, as it is by a host whose database is not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

CHUNK = 64 * 1024


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST: a zero linger makes the kernel drop the socket instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Bytes one way until either side closes; then close the other side's write half."""
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


class TcpProxy:
    """Forwards connections on `127.0.0.1:port` to `upstream_host:upstream_port`."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._open: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> TcpProxy:
        await self.restore()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.cut()

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def restore(self) -> None:
        """Listen (again, on the same port once it has one) and forward what connects."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._forward, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def cut(self) -> None:
        """Refuse new connections and reset every open one, both ways."""
        server, self._server = self._server, None
        if server is not None:
            server.close()  # the listening socket goes: a connect is refused
        for client, upstream in list(self._open):
            _reset(client)
            _reset(upstream)
        self._open.clear()
        # The reset ends each pipe's read; the connections' tasks then finish on their own.
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _forward(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.accepted += 1
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter] | None = None
        try:
            try:
                upstream_in, upstream = await asyncio.open_connection(*self.upstream)
            except OSError:
                _reset(client)  # the upstream itself is away: so is this connection
                return
            pair = (client, upstream)
            self._open.add(pair)
            await asyncio.gather(_pipe(client_in, upstream), _pipe(upstream_in, client))
            client.close()
            upstream.close()
        finally:
            if pair is not None:
                self._open.discard(pair)
            self._tasks.discard(task)
