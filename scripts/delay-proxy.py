#!/usr/bin/env python3
"""A TCP proxy that delays every chunk by a fixed time in each direction, to play
a far host (this kernel has no netem). Order and throughput are kept: each chunk
is stamped when it is read and released at stamp + delay, so a stream of chunks
is shifted in time, not serialised behind per-chunk sleeps.

    scripts/delay-proxy.py --listen 127.0.0.1:0 --target 10.250.0.6:2376 \
        --delay-ms 250 [--port-file FILE] [--pid-file FILE]

Port 0 picks a free port; the bound port is written to --port-file (and stdout).
Half-closes are passed on, so hijacked exec streams end as they do directly.
"""
import argparse
import asyncio
import os
import signal
import sys

CHUNK = 65536
# Bounded per direction (at most 64 MiB in flight), so a fast sender cannot buffer without limit
# yet a 250 ms delay still carries well over 100 MiB/s.
QUEUE_CHUNKS = 1024


async def pump(reader, writer, delay, done):
    """Copies reader to writer, each chunk released `delay` seconds after it was read."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue(QUEUE_CHUNKS)

    async def read_side():
        try:
            while True:
                data = await reader.read(CHUNK)
                await queue.put((loop.time() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((loop.time() + delay, None))

    async def write_side():
        try:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:  # the reading side failed: reset the other end too
                    writer.transport.abort()
                    return
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            writer.transport.abort()

    reading = asyncio.ensure_future(read_side())
    try:
        await write_side()
    finally:
        reading.cancel()
        done()


async def handle(client_reader, client_writer, target, delay):
    host, port = target
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
    except OSError:
        # The far engine is down: the client sees a reset, one round trip later as from a far refusal.
        await asyncio.sleep(2 * delay)
        client_writer.transport.abort()
        return
    remaining = 2

    def finished():
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            client_writer.close()
            upstream_writer.close()

    await asyncio.gather(
        pump(client_reader, upstream_writer, delay, finished),
        pump(upstream_reader, client_writer, delay, finished),
        return_exceptions=True)


def address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=address, required=True, help="HOST:PORT (port 0 picks one)")
    parser.add_argument("--target", type=address, required=True, help="HOST:PORT to relay to")
    parser.add_argument("--delay-ms", type=float, default=250.0, help="delay each way (default 250)")
    parser.add_argument("--port-file", help="write the bound port here")
    parser.add_argument("--pid-file", help="write the process id here")
    args = parser.parse_args()
    delay = args.delay_ms / 1000.0
    server = await asyncio.start_server(lambda r, w: handle(r, w, args.target, delay),
                                        args.listen[0], args.listen[1], reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(f"{os.getpid()}\n")
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
