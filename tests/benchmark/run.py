"""Prepare a PostgreSQL store, serve the dashboard with gunicorn, drive it alternately with the
ceiling view, and print what it served.

Needs ``wrk`` on the PATH (Debian: ``apt-get install wrk``) and a PostgreSQL server on which it
may create a database (``--postgres``); it installs nothing. The store is a database of its own,
``harbor_benchmark_<pid>``, dropped at the end. Settings the dashboard reads from the
environment (``DATABASE_POOL``…) pass through to the server, so configurations can be compared.
"""

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from cryptography.fernet import Fernet

from tests.benchmark.load import Request, herd, wrk

WORKERS = 2
CEILING: Request = ("/benchmark/ceiling", {})
# How long a queue left by a load generator may take to drain before the benchmark gives up.
SETTLE_SECONDS = 15 * 60
# Settings of the dashboard that change what is measured, shown above the table when set.
SHOWN_SETTINGS = (
    "DATABASE_POOL",
    "DATABASE_POOL_MIN_SIZE",
    "DATABASE_POOL_MAX_SIZE",
    "DATABASE_CONN_MAX_AGE",
    "DATABASE_PREPARED_STATEMENTS",
    "CACHE_URL",
)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="server URL, without a database name (default: %(default)s)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="target/ceiling pairs per row")
    parser.add_argument("--seconds", type=int, default=3, help="length of one wrk round")
    parser.add_argument("--connections", type=int, default=16, help="wrk's connections")
    parser.add_argument("--applications", type=int, default=50, help="in the measured team")
    parser.add_argument("--herd", type=int, default=500, help="applications fetching at once")
    return parser.parse_args(argv)


def _say(text: str) -> None:
    print(text, flush=True)


@dataclass
class Server:
    process: subprocess.Popen
    host: str
    port: int

    @classmethod
    def start(cls) -> "Server":
        """gunicorn with the production entry point, on a free loopback port."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, "-m", "gunicorn", "dashboard.wsgi"]
        command += [f"--workers={WORKERS}", f"--bind=127.0.0.1:{port}", "--log-level=warning"]
        server = cls(subprocess.Popen(command, start_new_session=True), "127.0.0.1", port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                server.get(CEILING)
                return server
            except OSError:
                time.sleep(0.2)
        server.stop()
        raise SystemExit("gunicorn did not answer within 30 s.")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def get(self, request: Request, timeout: float = 60) -> http.client.HTTPResponse:
        path, headers = request
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            return response
        finally:
            connection.close()

    def expect(self, request: Request, status: int) -> http.client.HTTPResponse:
        response = self.get(request)
        if response.status != status:
            raise SystemExit(f"{request[0]} answered {response.status}, not {status}.")
        return response

    def settle(self) -> None:
        """Wait until what a load generator left queued is served, so it does not slow down
        the next round: the workers accept in order, so a probe served is a queue drained. A
        slow server may take long to drain what a herd left (requests given up on are still
        served), hence the patience."""
        for _ in range(WORKERS):
            self.get(CEILING, timeout=SETTLE_SECONDS)


@dataclass
class Row:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    ceiling_rps: float
    note: str = ""


def _steady(
    server: Server, name: str, requests: list[Request], connections: int, args: argparse.Namespace
) -> Row:
    def run(listing: list[Request], seconds: int):
        result = wrk(server.base, listing, connections=connections, seconds=seconds)
        server.settle()
        return result

    run(requests, 1)  # warm-up: each worker's first requests, its connections and caches
    run([CEILING], 1)
    targets, ceilings = [], []
    for _ in range(args.rounds):  # alternate, so noise on the machine hits both alike
        targets.append(run(requests, args.seconds))
        ceilings.append(run([CEILING], args.seconds))
    errors = sum(r.errors for r in targets)
    row = Row(
        name=name,
        rps=sum(r.requests for r in targets) / sum(r.seconds for r in targets),
        p50_ms=statistics.median(r.p50_ms for r in targets),
        p99_ms=max(r.p99_ms for r in targets),
        ceiling_rps=sum(r.requests for r in ceilings) / sum(r.seconds for r in ceilings),
        note=f"{errors} errors" if errors else "",
    )
    _say(f"  {_line(row)}")
    return row


def _herd(
    server: Server, requests: list[Request], rotate: Callable[[], None], args: argparse.Namespace
) -> Row:
    targets, ceilings = [], []
    for _ in range(args.rounds):
        rotate()  # a password rotation: every application's environment changed
        targets.append(herd(server.host, server.port, requests))
        server.settle()  # requests given up on are still served
        ceilings.append(herd(server.host, server.port, [CEILING] * len(requests)))
        server.settle()
    latencies = sorted(ms for h in targets for ms in h.latencies_ms)
    errors = sum(h.errors for h in targets)
    worst = max(h.seconds for h in targets)
    row = Row(
        name=f"herd: {len(requests)} tokens at once",
        rps=len(requests) / statistics.median(h.seconds for h in targets),
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[max(0, round(len(latencies) * 0.99) - 1)],
        ceiling_rps=len(requests) / statistics.median(h.seconds for h in ceilings),
        note=f"{errors} errors; all answered in {worst:.1f} s at worst",
    )
    _say(f"  {_line(row)}")
    return row


def _line(row: Row) -> str:
    return (
        f"{row.name:38} {row.rps:7.0f} {row.p50_ms:8.1f} {row.p99_ms:8.1f} "
        f"{row.ceiling_rps:8.0f} {row.rps / row.ceiling_rps:6.3f}  {row.note}"
    ).rstrip()


def _print_table(rows: list[Row], args: argparse.Namespace) -> None:
    shown = ", ".join(f"{name}={os.environ[name]}" for name in SHOWN_SETTINGS if name in os.environ)
    header = f"{'':38} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'ceiling':>8} {'ratio':>6}"
    lines = [
        "",
        f"gunicorn {WORKERS} sync workers on {os.cpu_count()} CPUs; wrk with {args.connections} "
        f"connections, {args.rounds} rounds of {args.seconds} s",
        "alternating with the ceiling (one SELECT 1 over a persistent connection, same server); "
        f"settings: {shown or 'defaults'}",
        "",
        header,
        "-" * len(header),
    ]
    lines += [_line(row) for row in rows]
    lines += [
        "",
        "req/s over all rounds; p50: median of the rounds; p99: the worst round. The herd: "
        "each round",
        "after a password rotation, every request on its own connection at once (asyncio), "
        "an error unless",
        "answered 200 within 60 s; its ceiling is as many ceiling requests at once; p50 and p99 "
        "over all requests.",
    ]
    _say("\n".join(lines))


def _api(team: str, application: str, secret: str) -> Request:
    path = f"/api/applications/{team}/{application}/environment?format=json"
    return path, {"Authorization": f"Bearer {secret}"}


def _benchmark(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from tests.benchmark.team import build_team

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    team = build_team("northwind", args.applications)
    fleet = build_team("fleet", args.herd, typed_variables=False)
    _say(f"store built in {time.monotonic() - started:.0f} s; serving and measuring")
    slug, cookie = team.team.slug, {"Cookie": team.login_cookie()}
    environment = [_api(slug, app, secret) for app, secret in team.applications]
    fleet_environment = [_api(fleet.team.slug, app, secret) for app, secret in fleet.applications]
    overview = [(f"/t/{slug}/databases/{team.database.slug}/", cookie)]
    empty_overview = [(f"/t/{slug}/databases/{team.spare.slug}/", cookie)]
    settings = [(f"/t/{slug}/apps/{app}/settings/", cookie) for app, _ in team.applications]

    server = Server.start()
    try:
        conditional = [
            (
                path,
                {**headers, "If-None-Match": server.expect((path, headers), 200).getheader("ETag")},
            )
            for path, headers in environment
        ]
        server.expect(conditional[0], 304)
        server.expect(overview[0], 200)
        server.expect(empty_overview[0], 200)
        server.expect(settings[0], 200)
        n = args.connections
        connected = f"{args.applications} connections"
        rows = [
            _steady(server, "env API 200 (20 variables)", environment, n, args),
            _steady(server, "env API 304 (If-None-Match)", conditional, n, args),
            _steady(server, f"database Overview ({connected})", overview, n, args),
            _steady(server, "database Overview (none connected)", empty_overview, n, args),
            _steady(server, "application Settings (20 variables)", settings, n, args),
            _steady(server, "env API 200, 64 connections", environment, 64, args),
            _herd(server, fleet_environment, fleet.rotate_password, args),
        ]
    finally:
        server.stop()
    _print_table(rows, args)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("The benchmark needs wrk on the PATH (Debian: apt-get install wrk).")
    store = f"harbor_benchmark_{os.getpid()}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.benchmark.settings",
            "DATABASE_URL": f"{args.postgres}/{store}",
            "SECRET_KEY": Fernet.generate_key().decode(),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
    )
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{store}"')
    # Stopped with a signal, still drop the store and stop the server (the finally clauses).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("Stopped."))
    try:
        _benchmark(args)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{store}" WITH (FORCE)')
