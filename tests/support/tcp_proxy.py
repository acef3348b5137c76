"""A TCP proxy on loopback in front of a real server, that a test can cut and restore: the
network seen by a process whose database stops for a while and comes back.

    async with TcpProxy("127.0.0.1", 5432) as proxy:   # clients connect to proxy.port
        await proxy.cut()       # as PostgreSQL stopped: open connections reset, new ones refused
        await proxy.restore()   # listening again on the same port; new connections go through
        proxy.cut_after(b"COMMIT")  # the next COMMIT reaches the server, its answer is lost

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
from collections.abc import Callable

CHUNK = 64 * 1024


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST: a zero linger makes the kernel drop the socket instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, passes: Callable[[bytes], bool]
) -> None:
    """Bytes one way until either side closes, or until `passes` holds some back; then close
    the other side's write half."""
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(CHUNK):
            if not passes(data):
                return
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


class _Connection:
    """One client's connection and the proxy's own to the upstream for it."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client, self.upstream = client, upstream
        self.awaiting_answer = False  # sent a `cut_after` marker on, and waits for its answer

    def reset(self) -> None:
        _reset(self.client)
        _reset(self.upstream)


class TcpProxy:
    """Forwards connections on `127.0.0.1:port` to `upstream_host:upstream_port`."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._marker: bytes | None = None
        self._tripped = asyncio.Event()
        self._tripping: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TcpProxy:
        await self.restore()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.cut()

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
        for connection in list(self._open):
            connection.reset()
        self._open.clear()
        # The reset ends each pipe's read; the connections' tasks then finish on their own.
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut_after(self, marker: bytes) -> None:
        """The next time a client sends `marker` (say b"COMMIT"), pass it on; when the server
        answers, keep the answer from the client and cut. The server did the work; the client
        cannot know it. `tripped()` waits for that cut."""
        self._marker = marker
        self._tripped.clear()

    async def tripped(self) -> None:
        async with asyncio.timeout(30):  # a guard against a marker that never came
            await self._tripped.wait()

    async def _trip(self) -> None:
        await self.cut()
        self._tripped.set()

    async def _forward(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            try:
                upstream_in, upstream = await asyncio.open_connection(*self.upstream)
            except OSError:
                _reset(client)  # the upstream itself is away: so is this connection
                return
            connection = _Connection(client, upstream)
            self._open.add(connection)
            await asyncio.gather(
                _pipe(client_in, upstream, lambda data: self._sent(connection, data)),
                _pipe(upstream_in, client, lambda _data: self._answered(connection)),
            )
            self._open.discard(connection)
            client.close()
            upstream.close()
        finally:
            self._tasks.discard(task)

    def _sent(self, connection: _Connection, data: bytes) -> bool:
        if self._marker is not None and self._marker in data:
            self._marker, connection.awaiting_answer = None, True
        return True

    def _answered(self, connection: _Connection) -> bool:
        """False (the answer goes no further) for the answer to a `cut_after` marker."""
        if not connection.awaiting_answer:
            return True
        connection.awaiting_answer = False
        self._tripping = asyncio.create_task(self._trip())
        return False
