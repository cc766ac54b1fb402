"""DynamoDB-compatible servers on the loopback interface, for tests and local development.

Two servers, one interface:

* :class:`LocalServer` runs `moto <https://docs.getmoto.org>`_ in server mode (DynamoDB and
  STS on one port; needs the ``local`` extra, ``pip install 'dynamorm_async[local]'``).
* :class:`Dynalite` runs the npm package ``dynalite`` (in memory; needs ``node`` and ``npm``
  on ``PATH``; the package is installed on first use into a cache directory).

Each runs in a child process, so the server's own CPU time (moto spends 1-2 ms per
request) never competes with the client for the GIL. Both pick a free port on 127.0.0.1,
wait until the port accepts a connection *and* answers an HTTP request, and stop without
leaving the process behind::

    from dynamorm_async import DB
    from dynamorm_async.testing.local import LocalServer, local_config

    async with LocalServer() as server:
        async with DB(local_config(server.endpoint_url)) as db:
            ...

The child also watches its standard input and exits when that pipe closes, so a server
does not outlive a parent that was killed without a chance to call :meth:`stop`.

Nothing here changes ``os.environ``: point a client at the server with
:func:`local_config`, which carries the endpoint, a region and dummy credentials.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar, Self

import anyio.to_thread

from ..config import Config, Credentials

__all__ = [
    "DEFAULT_INSTALL_TIMEOUT",
    "DEFAULT_STARTUP_TIMEOUT",
    "DEFAULT_STOP_TIMEOUT",
    "DYNALITE_DIR_ENV",
    "DYNALITE_VERSION",
    "LOCAL_REGION",
    "Dynalite",
    "LocalExtraMissing",
    "LocalServer",
    "ServerStartError",
    "default_dynalite_dir",
    "local_config",
    "local_credentials",
]

LOCAL_REGION = "us-east-1"
"""The region :func:`local_config` uses; moto keeps separate data per region."""

DEFAULT_STARTUP_TIMEOUT = 30.0
"""Seconds a server may take from launch to its first HTTP answer."""

DEFAULT_STOP_TIMEOUT = 5.0
"""Seconds a server gets to exit after SIGTERM before it is killed."""

DEFAULT_INSTALL_TIMEOUT = 300.0
"""Seconds the first ``npm install`` of dynalite may take."""

DYNALITE_VERSION = "4"
"""The npm version range of ``dynalite`` that :class:`Dynalite` installs."""

DYNALITE_DIR_ENV = "DYNAMORM_DYNALITE_DIR"
"""Environment variable that overrides where :class:`Dynalite` installs ``dynalite``."""

_POLL_INTERVAL = 0.02
_ADDRESS_IN_USE = ("address already in use", "eaddrinuse")
_START_ATTEMPTS = 3  # a freshly picked free port can be taken before the child binds it

# A ListTables request: any HTTP answer proves the server is up, and on moto this request
# also imports the DynamoDB backend, so the first real request of a test is not the slow one.
_PROBE_BODY = b"{}"
_PROBE_HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "X-Amz-Date": "20240101T000000Z",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"
    ),
}

# Runs moto's WSGI app (the one `python -m moto.server` serves) in the child process. Unlike
# `python -m moto.server` it does not log every request to stderr (a pipe or file we would
# have to drain), and it exits when its stdin closes.
#
# moto's backends are not thread-safe: with requests handled on concurrent threads, about 1
# in 500 concurrent version-checked writes was lost (two conditional writes of one version
# both succeeded). Connections are still read and answered on their own threads, but moto
# itself runs one request at a time, under a lock, once the whole body has arrived (a slow
# client holds no one up). moto costs CPU, not waiting, so this costs little time.
#
# A child that cannot import moto's server mode prints the ImportError and exits with this
# code (its third argument).
_MISSING_EXTRA_EXIT = 3
#
# The server also sends one Server header, not two: werkzeug writes its own and moto adds
# "amazon.com", and aiohttp's strict parser (asyncio debug mode, python -X dev) rejects a
# response with two.
_MOTO_CHILD = """\
import io, logging, sys, threading
logging.getLogger("werkzeug").setLevel(logging.ERROR)
try:
    from werkzeug.serving import make_server
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
except ImportError as exc:  # moto[server] (werkzeug, flask...) is the `local` extra
    print(exc, flush=True)
    sys.exit(int(sys.argv[3]))
moto = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()
def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    if length or environ.get("wsgi.input_terminated"):  # a length, or a chunked body
        environ["wsgi.input"] = io.BytesIO(stream.read(length or -1))
    def respond(status, headers, exc_info=None):
        headers = [(name, value) for name, value in headers if name.lower() != "server"]
        return start_response(status, headers, exc_info)
    with one_at_a_time:
        answer = moto(environ, respond)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()
server = make_server(
    sys.argv[1], int(sys.argv[2]), app, threaded=True, request_handler=MotoRequestHandler
)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
"""

# Runs dynalite's own cli.js (argv is the same as `node cli.js --port ...`) and exits when
# stdin closes.
_NODE_CHILD = (
    "process.stdin.on('end', () => process.exit(0));"
    "process.stdin.on('error', () => process.exit(0));"
    "process.stdin.resume();"
    "require(process.argv[1]);"
)


class ServerStartError(RuntimeError):
    """A local server could not be installed or did not answer in time.

    The message carries what the server printed, to show why.
    """


class LocalExtraMissing(ServerStartError):
    """moto's server mode is not installed for the interpreter :class:`LocalServer` runs.

    Install the ``local`` extra: ``pip install 'dynamorm_async[local]'`` (from a clone,
    ``pip install -e '.[local]'``). The message names the module that is missing.
    """


def local_credentials() -> Credentials:
    """Dummy credentials (``testing``/``testing``) that local servers accept."""
    return Credentials(access_key_id="testing", secret_access_key="testing")


def local_config(endpoint_url: str, **overrides: Any) -> Config:
    """A :class:`~dynamorm_async.Config` for a local server.

    Args:
        endpoint_url: The server's URL, e.g. :attr:`LocalServer.endpoint_url`.
        **overrides: Any other :class:`~dynamorm_async.Config` field (``table_prefix``,
            ``timeout``...); ``region`` and ``credentials`` may be overridden too.

    Returns:
        A config with region ``us-east-1``, the endpoint and :func:`local_credentials`.

    Raises:
        ConfigError: A value is invalid.
    """
    fields: dict[str, Any] = {"region": LOCAL_REGION, "credentials": local_credentials()}
    fields.update(overrides)
    fields["endpoint_url"] = endpoint_url
    return Config(**fields)


def default_dynalite_dir() -> Path:
    """Where :class:`Dynalite` installs ``dynalite`` when not told otherwise.

    ``$DYNAMORM_DYNALITE_DIR`` if set, else ``dynamorm_async/dynalite`` under
    ``$XDG_CACHE_HOME`` (default ``~/.cache``).
    """
    override = os.environ.get(DYNALITE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "dynamorm_async" / "dynalite"


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _answers_http(host: str, port: int, timeout: float) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", "/", body=_PROBE_BODY, headers=_PROBE_HEADERS)
        conn.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    return True


class _ServerProcess:
    """Runs one server command in a child process; the shared part of every local server."""

    _name: ClassVar[str]

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._port: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = f"endpoint_url={self.endpoint_url!r}" if self.running else "stopped"
        return f"<{type(self).__name__} {state}>"

    # -- what a subclass provides ------------------------------------------------------

    def _prepare(self) -> None:
        """Make the command runnable (install it...); runs before the startup clock starts."""

    def _command(self, port: int) -> list[str]:
        raise NotImplementedError

    # -- public interface --------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server was started, answered, and has not been stopped."""
        return self._process is not None and self._process.poll() is None

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The port the server listens on.

        Raises:
            RuntimeError: The server is not running.
        """
        if self._port is None or self._process is None:
            raise RuntimeError(f"{self._name} is not running: call start() first")
        return self._port

    @property
    def endpoint_url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:41234``.

        Raises:
            RuntimeError: The server is not running.
        """
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The child process id while running, else ``None``."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the server and wait until it answers HTTP requests.

        Blocks for the server's startup time (well under a second once installed). Starting
        a running server does nothing; a server whose process died is started again, empty.

        Raises:
            ServerStartError: It could not be installed, exited, or did not answer within
                ``startup_timeout`` seconds; the message holds its output.
        """
        with self._lock:
            if self._process is not None:
                if self._process.poll() is None:
                    return
                self._reap()  # it died on its own: start afresh
            self._prepare()
            deadline = time.monotonic() + self._startup_timeout
            attempts = 1 if self._requested_port is not None else _START_ATTEMPTS
            for attempt in range(1, attempts + 1):
                port = self._requested_port or _free_port(self._host)
                try:
                    self._launch(port, deadline)
                except _PortTaken:
                    if attempt == attempts:
                        raise ServerStartError(
                            f"{self._name} could not bind {self._host}:{port}: address in use"
                        ) from None
                    continue
                return

    def stop(self) -> None:
        """Stop the server and reap its process.

        Sends SIGTERM, waits up to ``stop_timeout`` seconds, then kills it. Stopping a
        stopped server does nothing.
        """
        with self._lock:
            self._reap()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        # start() blocks for a fraction of a second; keep it off the event loop. The thread
        # is never abandoned, so a cancelled start still ends in a stop() here.
        try:
            await anyio.to_thread.run_sync(self.start)
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)

    # -- internals ---------------------------------------------------------------------

    def _launch(self, port: int, deadline: float) -> None:
        output = tempfile.TemporaryFile()  # noqa: SIM115 (kept open while the server runs)
        try:
            process = subprocess.Popen(
                self._command(port),
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                # Our own process group: a Ctrl-C in the terminal reaches us, and we stop
                # the server in order, instead of both dying at once.
                start_new_session=True,
            )
        except OSError as exc:
            output.close()
            raise ServerStartError(f"{self._name} could not be launched: {exc}") from exc
        self._process, self._output, self._port = process, output, port
        try:
            self._wait_until_ready(process, port, deadline)
        except ServerStartError:
            text = self._read_output()
            self._reap()
            if any(marker in text.lower() for marker in _ADDRESS_IN_USE):
                raise _PortTaken from None
            raise
        except BaseException:
            self._reap()
            raise

    def _wait_until_ready(
        self, process: subprocess.Popen[bytes], port: int, deadline: float
    ) -> None:
        # Short first probes notice a child that died while someone else holds the port;
        # longer later ones let a slow first answer (moto imports its backend) arrive.
        probe_timeout = 0.5
        while True:
            code = process.poll()
            if code is not None:
                raise self._exited(code, port)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerStartError(
                    f"{self._name} did not answer on {self._host}:{port} within "
                    f"{self._startup_timeout:g} s.\n--- its output ---\n{self._read_output()}"
                )
            answered = _answers_http(self._host, port, timeout=min(remaining, probe_timeout))
            probe_timeout = min(probe_timeout * 2, 5.0)
            if answered:
                # The answer must come from our child, not from whoever might hold the port.
                if process.poll() is None:
                    return
                continue
            time.sleep(min(_POLL_INTERVAL, max(remaining, 0.0)))

    def _exited(self, code: int, port: int) -> ServerStartError:
        """The error for a child that exited with ``code`` before answering."""
        return ServerStartError(
            f"{self._name} exited with code {code} before answering on port {port}."
            f"\n--- its output ---\n{self._read_output()}"
        )

    def _read_output(self) -> str:
        if self._output is None:
            return ""
        self._output.flush()
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace").strip() or "(nothing)"

    def _reap(self) -> None:
        process, output = self._process, self._output
        self._process, self._output, self._port = None, None, None
        try:
            if process is not None:
                if process.stdin is not None:
                    with contextlib.suppress(OSError):
                        process.stdin.close()
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=self._stop_timeout)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
        finally:
            if output is not None:
                output.close()


class _PortTaken(Exception):
    pass


class LocalServer(_ServerProcess):
    """moto's server mode (DynamoDB and STS) in a child process on a free loopback port.

    Use as ``with LocalServer() as server:`` or ``async with``, or call :meth:`start` and
    :meth:`stop`. Every server starts empty; its data lives as long as the process.

    Args:
        host: Address to listen on.
        port: Port to listen on; ``None`` picks a free one.
        startup_timeout: Seconds to wait for the first HTTP answer.
        stop_timeout: Seconds to wait after SIGTERM before killing the process.
        python: The interpreter to run moto with; moto must be importable there.
    """

    _name = "moto server"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
        python: str | None = None,
    ) -> None:
        super().__init__(
            host=host, port=port, startup_timeout=startup_timeout, stop_timeout=stop_timeout
        )
        self._python = python or sys.executable

    def _command(self, port: int) -> list[str]:
        return [self._python, "-c", _MOTO_CHILD, self._host, str(port), str(_MISSING_EXTRA_EXIT)]

    def _exited(self, code: int, port: int) -> ServerStartError:
        if code != _MISSING_EXTRA_EXIT:
            return super()._exited(code, port)
        return LocalExtraMissing(
            f"moto's server mode cannot be imported by {self._python} "
            f"({self._read_output()}): install the `local` extra, "
            "pip install 'dynamorm_async[local]' (from a clone: pip install -e '.[local]')"
        )


class Dynalite(_ServerProcess):
    """The npm package ``dynalite`` (in memory) in a child process on a free loopback port.

    On first start ``dynalite@4`` is installed with ``npm install --no-save --prefix
    <install_dir>`` unless already there. dynalite has no transactions, no TTL settings and
    no PartiQL; tables stay ``CREATING``/``DELETING``/``UPDATING`` for ``*_table_ms``
    milliseconds, as real tables do for a while.

    Args:
        host: Address to listen on.
        port: Port to listen on; ``None`` picks a free one.
        startup_timeout: Seconds to wait for the first HTTP answer (after any install).
        stop_timeout: Seconds to wait after SIGTERM before killing the process.
        install_timeout: Seconds the ``npm install`` of a first start may take.
        install_dir: npm prefix to install into; ``None`` means :func:`default_dynalite_dir`.
        create_table_ms: How long a new table stays ``CREATING`` (dynalite's default 500).
        delete_table_ms: How long a deleted table stays ``DELETING`` (default 500).
        update_table_ms: How long an updated table stays ``UPDATING`` (default 500).
        path: Keep the data in LevelDB files in this directory (created if missing), so it
            outlives the process; ``None`` (default) keeps it in memory.
        node: The ``node`` executable; ``None`` finds it on ``PATH``.
        npm: The ``npm`` executable; ``None`` finds it on ``PATH``.
    """

    _name = "dynalite"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
        install_timeout: float = DEFAULT_INSTALL_TIMEOUT,
        install_dir: str | os.PathLike[str] | None = None,
        create_table_ms: int | None = None,
        delete_table_ms: int | None = None,
        update_table_ms: int | None = None,
        path: str | os.PathLike[str] | None = None,
        node: str | None = None,
        npm: str | None = None,
    ) -> None:
        super().__init__(
            host=host, port=port, startup_timeout=startup_timeout, stop_timeout=stop_timeout
        )
        self._install_timeout = install_timeout
        self._install_dir = Path(install_dir) if install_dir is not None else None
        self._table_ms = {
            "--createTableMs": create_table_ms,
            "--deleteTableMs": delete_table_ms,
            "--updateTableMs": update_table_ms,
        }
        self._path = Path(path) if path is not None else None
        self._node = node
        self._npm = npm

    @property
    def install_dir(self) -> Path:
        """The npm prefix dynalite is (or will be) installed under."""
        return self._install_dir if self._install_dir is not None else default_dynalite_dir()

    @property
    def cli_path(self) -> Path:
        """The path of dynalite's ``cli.js`` inside :attr:`install_dir`."""
        return self.install_dir / "node_modules" / "dynalite" / "cli.js"

    def is_installed(self) -> bool:
        """Whether a ``dynalite`` of the supported major version is in :attr:`install_dir`."""
        manifest = self.cli_path.with_name("package.json")
        try:
            version = json.loads(manifest.read_text("utf-8")).get("version", "")
        except (OSError, ValueError):
            return False
        return isinstance(version, str) and version.split(".")[0] == DYNALITE_VERSION

    def install(self, timeout: float = DEFAULT_INSTALL_TIMEOUT) -> None:
        """Install ``dynalite@4`` into :attr:`install_dir` unless it is already there.

        Raises:
            ServerStartError: ``npm`` is missing or the install failed.
        """
        with _exclusive(self.install_dir.with_name(self.install_dir.name + ".lock")):
            if self.is_installed():
                return
            npm = self._executable(self._npm, "npm")
            self.install_dir.mkdir(parents=True, exist_ok=True)
            command = [
                npm, "install", "--no-save", "--no-audit", "--no-fund",
                "--prefix", str(self.install_dir), f"dynalite@{DYNALITE_VERSION}",
            ]  # fmt: skip
            try:
                result = subprocess.run(
                    command,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise ServerStartError(
                    f"{' '.join(command)} did not finish within {timeout:g} s"
                ) from exc
            if result.returncode != 0 or not self.is_installed():
                out = (result.stdout + result.stderr).decode("utf-8", "replace").strip()
                raise ServerStartError(
                    f"{' '.join(command)} failed with code {result.returncode}."
                    f"\n--- its output ---\n{out or '(nothing)'}"
                )

    def _prepare(self) -> None:
        self._executable(self._node, "node")
        self.install(timeout=self._install_timeout)

    def _command(self, port: int) -> list[str]:
        node = self._executable(self._node, "node")
        command = [node, "-e", _NODE_CHILD, str(self.cli_path)]
        command += ["--host", self._host, "--port", str(port)]
        for flag, value in self._table_ms.items():
            if value is not None:
                command += [flag, str(value)]
        if self._path is not None:
            self._path.mkdir(parents=True, exist_ok=True)
            command += ["--path", str(self._path)]
        return command

    @staticmethod
    def _executable(given: str | None, name: str) -> str:
        found = shutil.which(given or name)
        if found is None:
            raise ServerStartError(
                f"dynalite needs {name!r} (Node.js >= 20 with npm) on PATH; it was not found"
            )
        return found


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Serialise installs across processes (parallel test runs share the cache)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; installs are rare enough
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
