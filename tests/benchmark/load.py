"""Load generators: wrk for steady load, an asyncio client for the herd."""

import asyncio
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WRK_SCRIPT = Path(__file__).with_name("wrk.lua")

# A request: a path and its headers.
Request = tuple[str, dict[str, str]]


@dataclass
class Round:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float


def wrk(base: str, requests: list[Request], *, connections: int, seconds: int) -> Round:
    """Drive ``requests`` (cycled over) with wrk for ``seconds`` over ``connections``."""
    with tempfile.NamedTemporaryFile("w", suffix=".requests", delete=False) as listing:
        for path, headers in requests:
            listing.write("\t".join([path, *(f"{k}: {v}" for k, v in headers.items())]) + "\n")
    try:
        result = subprocess.run(
            [
                "wrk",
                f"--threads={min(2, connections)}",
                f"--connections={connections}",
                f"--duration={seconds}s",
                "--timeout=60s",
                f"--script={WRK_SCRIPT}",
                base + requests[0][0],
            ],
            env={**os.environ, "BENCHMARK_REQUESTS": listing.name},
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(listing.name)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return Round(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        errors=figures["errors"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
    )


@dataclass
class Herd:
    seconds: float  # from the first request sent to the last response read
    errors: int
    latencies_ms: list[float]


async def _fetch(
    host: str, port: int, path: str, headers: dict[str, str], timeout: float
) -> tuple[bool, float]:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            response = await _exchange(host, port, path, headers)
        ok = response.startswith((b"HTTP/1.1 200 ", b"HTTP/1.0 200 "))
    except (OSError, TimeoutError):
        ok = False
    return ok, (time.perf_counter() - start) * 1000


async def _exchange(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()


async def _herd(host: str, port: int, requests: list[Request], timeout: float) -> Herd:
    start = time.perf_counter()
    results = await asyncio.gather(*(_fetch(host, port, p, h, timeout) for p, h in requests))
    return Herd(
        seconds=time.perf_counter() - start,
        errors=sum(not ok for ok, _ in results),
        latencies_ms=[ms for _, ms in results],
    )


def herd(host: str, port: int, requests: list[Request], *, timeout: float = 60) -> Herd:
    """Send every request at once, each on its own connection, and wait for all the answers.

    A request not answered 200 within ``timeout`` seconds (a deploy script's patience) is an
    error."""
    return asyncio.run(_herd(host, port, requests, timeout))
