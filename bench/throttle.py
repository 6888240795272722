"""A throttling TCP proxy on loopback: a slow link (bandwidth + latency) for benchmarks.

    with ThrottledProxy(upstream_port, kbit_per_s=256, rtt_ms=300) as proxy:
        url = f"http://127.0.0.1:{proxy.port}"

Each direction of the link is one shared pipe (all connections through the proxy share
its bandwidth, as on a real phone link): a chunk enters the pipe when the previous one
has left it (serialisation at ``kbit_per_s``) and arrives ``rtt_ms / 2`` later
(propagation); a new connection first waits one round trip (the TCP handshake).
Bytes are forwarded unchanged. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import threading
import time


class _Pipe:
    """One direction of the link: serialisation delay then propagation delay."""

    def __init__(self, bytes_per_s: float, one_way_s: float) -> None:
        self.bytes_per_s = bytes_per_s
        self.one_way_s = one_way_s
        self.free_at = 0.0          # when the sender side of the pipe is next free
        self.bytes = 0

    def schedule(self, n: int, now: float) -> float:
        """Return the arrival time of a chunk of ``n`` bytes sent at ``now``."""
        start = max(now, self.free_at)
        self.free_at = start + n / self.bytes_per_s
        self.bytes += n
        return self.free_at + self.one_way_s


class ThrottledProxy:
    CHUNK = 1460  # one TCP segment's payload: finer chunks model the pipe more closely

    def __init__(self, upstream_port: int, *, kbit_per_s: float = 256, rtt_ms: float = 300,
                 upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        bytes_per_s = kbit_per_s * 1000 / 8
        self.up = _Pipe(bytes_per_s, rtt_ms / 2000)
        self.down = _Pipe(bytes_per_s, rtt_ms / 2000)
        self.connections = 0
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> "ThrottledProxy":
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()

    # -- forwarding ----------------------------------------------------------------------
    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        # The TCP handshake costs a round trip on a real link before any data moves.
        await asyncio.sleep(self.up.one_way_s + self.down.one_way_s)
        try:
            up_r, up_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(self._pump(client_r, up_w, self.up),
                             self._pump(up_r, client_w, self.down))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    pipe: _Pipe) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                arrival, data = await queue.get()
                if not data:
                    break
                delay = arrival - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
            try:
                writer.write_eof()
            except (OSError, RuntimeError):
                pass

        delivery = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(self.CHUNK)
                if not data:
                    break
                await queue.put((pipe.schedule(len(data), time.monotonic()), data))
        except (ConnectionError, OSError):
            pass
        await queue.put((0.0, b""))
        try:
            await delivery
        except (ConnectionError, OSError):
            pass
        writer.close()
