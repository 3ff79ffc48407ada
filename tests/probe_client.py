"""Real client connection attempts, made the way an application would make them, and what the
server did with each: let it in (with or without TLS, seeing which client address) or turn it
away (and why).

Imported by the tests for attempts from this host, and run as a script inside a network
namespace for attempts from another source address (see ``tests/netns.py``)::

    ip netns exec NS python tests/probe_client.py '[{"host": "10.231.0.1", "attempt": {...}}]'

prints the outcomes as a JSON list, one per attempt. One process runs a whole batch: the
interpreter and driver imports cost a third of a second, the attempts a few milliseconds each.
It imports nothing from the project, so it runs anywhere the drivers are installed.
"""

import json
import ssl
import sys
from dataclasses import asdict, dataclass
from typing import Any

POSTGRESQL, MARIADB = "postgresql", "mariadb"
CONNECT_TIMEOUT = 3
# MariaDB/MySQL errors by which the server turns a client away: access denied (1045), to the
# database (1044), host not allowed by any account (1130).
_MYSQL_DENIALS = {"1044", "1045", "1130"}


@dataclass(frozen=True)
class Attempt:
    """One connection: the engine ("postgresql" or "mariadb"), the server's port, a user and
    password, the database ("" for none: PostgreSQL then uses the user's name), and TLS: on
    means the client insists on it and verifies the server against ``ca_file`` when one is
    given; off means a plain connection that never negotiates TLS."""

    engine: str
    port: int
    user: str
    password: str
    database: str = ""
    tls: bool = False
    ca_file: str = ""


@dataclass(frozen=True)
class Outcome:
    """What happened. ``code`` is the server's SQLSTATE (PostgreSQL) or error number (MariaDB)
    when it answered with an error; ``peer`` is the client's address as the server saw it and
    ``account`` the account it matched (MariaDB's ``CURRENT_USER()``, PostgreSQL's user)."""

    ok: bool
    error: str = ""
    code: str = ""
    tls: bool | None = None
    peer: str = ""
    account: str = ""

    @property
    def denied(self) -> bool:
        """The server answered and turned the client away (address, TLS or password rules),
        as opposed to a server that never answered."""
        if self.ok:
            return False
        return self.code.startswith("28") or self.code in _MYSQL_DENIALS


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _pg_refusal(message: str) -> str:
    # libpq keeps no SQLSTATE for a failed connection, only the server's FATAL message.
    if "password authentication failed" in message:
        return "28P01"  # invalid_password
    if "pg_hba.conf" in message:  # no entry for the host, or an entry that rejects it
        return "28000"  # invalid_authorization_specification
    return ""


def _sslmode(attempt: Attempt) -> str:
    if not attempt.tls:
        return "disable"
    return "verify-full" if attempt.ca_file else "require"


def _postgresql(host: str, attempt: Attempt) -> Outcome:
    import psycopg

    try:
        with psycopg.connect(
            host=host,
            port=attempt.port,
            user=attempt.user,
            password=attempt.password,
            dbname=attempt.database or attempt.user,
            sslmode=_sslmode(attempt),
            sslrootcert=attempt.ca_file or None,
            connect_timeout=CONNECT_TIMEOUT,
        ) as connection:
            # A managed database's users act as its owner role, which may not see their own
            # session's row in pg_stat_ssl: read it as the user itself.
            connection.execute("SET ROLE NONE")
            row = connection.execute(
                "SELECT host(inet_client_addr()), ssl, current_user"
                " FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            ).fetchone()
    except psycopg.Error as error:
        message = _one_line(error)
        return Outcome(ok=False, error=message, code=error.sqlstate or _pg_refusal(message))
    assert row is not None
    peer, tls, account = row
    return Outcome(ok=True, tls=tls, peer=peer, account=account)


def _mariadb(host: str, attempt: Attempt) -> Outcome:
    import pymysql

    # PyMySQL prefers TLS whenever the server offers it: a plain attempt must say so.
    tls: dict[str, Any] = {"ssl_disabled": True}
    if attempt.tls and attempt.ca_file:
        tls = {"ssl": {"ca": attempt.ca_file}}
    elif attempt.tls:
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        tls = {"ssl": unverified}
    try:
        connection = pymysql.connect(
            host=host,
            port=attempt.port,
            user=attempt.user,
            # Bytes: PyMySQL would encode a str as latin-1, the server hashed UTF-8.
            password=attempt.password.encode(),
            database=attempt.database or None,
            connect_timeout=CONNECT_TIMEOUT,
            **tls,
        )
    except pymysql.MySQLError as error:
        code = str(error.args[0]) if error.args and isinstance(error.args[0], int) else ""
        return Outcome(ok=False, error=_one_line(error), code=code)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT USER(), CURRENT_USER()")
            user, account = cursor.fetchone()
            cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            cipher = cursor.fetchone()[1]
    finally:
        connection.close()
    return Outcome(ok=True, tls=bool(cipher), peer=user.split("@", 1)[1], account=account)


def connect(host: str, attempt: Attempt) -> Outcome:
    """Make ``attempt`` against the server at ``host``."""
    return (_postgresql if attempt.engine == POSTGRESQL else _mariadb)(host, attempt)


def request(attempts: list[tuple[str, Attempt]]) -> str:
    """The script's argument for ``attempts``, each against the server at its host."""
    return json.dumps([{"host": host, "attempt": asdict(attempt)} for host, attempt in attempts])


def outcomes(output: str) -> list[Outcome]:
    """The script's output read back."""
    return [Outcome(**fields) for fields in json.loads(output)]


def main(argument: str) -> str:
    batch = json.loads(argument)
    results = [connect(item["host"], Attempt(**item["attempt"])) for item in batch]
    return json.dumps([asdict(result) for result in results])


if __name__ == "__main__":
    print(main(sys.argv[1]))
