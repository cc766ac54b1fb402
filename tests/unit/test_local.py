"""dynamorm_async.testing.local without a network: config helpers, install paths, start failures."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from dynamorm_async import Config, ConfigError, Credentials
from dynamorm_async.testing.local import (
    DYNALITE_DIR_ENV,
    Dynalite,
    LocalServer,
    ServerStartError,
    _ServerProcess,
    default_dynalite_dir,
    local_config,
    local_credentials,
)


def test_local_credentials_are_dummies() -> None:
    assert local_credentials() == Credentials(access_key_id="testing", secret_access_key="testing")


def test_local_config() -> None:
    config = local_config("http://127.0.0.1:1234", table_prefix="t1-", timeout=2.5)
    assert config == Config(
        region="us-east-1",
        endpoint_url="http://127.0.0.1:1234",
        credentials=local_credentials(),
        table_prefix="t1-",
        timeout=2.5,
    )


def test_local_config_overrides_region_and_credentials() -> None:
    other = Credentials(access_key_id="a", secret_access_key="b")
    config = local_config("http://localhost:1", region="eu-west-1", credentials=other)
    assert (config.region, config.credentials) == ("eu-west-1", other)


def test_local_config_validates() -> None:
    with pytest.raises(ConfigError, match="endpoint_url"):
        local_config("127.0.0.1:1234")


def test_default_dynalite_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DYNALITE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_dynalite_dir() == tmp_path / "dynamorm_async" / "dynalite"
    monkeypatch.setenv(DYNALITE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert default_dynalite_dir() == tmp_path / "elsewhere"
    assert Dynalite().install_dir == tmp_path / "elsewhere"
    assert Dynalite(install_dir=tmp_path / "x").cli_path == (
        tmp_path / "x" / "node_modules" / "dynalite" / "cli.js"
    )


def test_dynalite_install_check(tmp_path: Path) -> None:
    server = Dynalite(install_dir=tmp_path)
    assert not server.is_installed()
    manifest = tmp_path / "node_modules" / "dynalite" / "package.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"version": "3.2.2"}')
    assert not server.is_installed()
    manifest.write_text('{"version": "4.0.0"}')
    assert server.is_installed()


def test_dynalite_without_node_is_a_clear_error(tmp_path: Path) -> None:
    server = Dynalite(install_dir=tmp_path, node="no-such-node-binary")
    with pytest.raises(ServerStartError, match="'node'"):
        server.start()
    assert not server.running


def test_not_running_server_has_no_endpoint() -> None:
    server = LocalServer()
    assert repr(server) == "<LocalServer stopped>"
    with pytest.raises(RuntimeError, match="call start"):
        _ = server.endpoint_url
    server.stop()  # stopping a server that never started is fine


class _Script(_ServerProcess):
    """A 'server' that runs a Python snippet and never listens."""

    _name = "script server"

    def __init__(self, code: str, **kwargs: float) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.code = code

    def _command(self, port: int) -> list[str]:
        return [sys.executable, "-c", self.code, str(port)]


def test_a_server_that_exits_shows_its_output() -> None:
    server = _Script("import sys; sys.stderr.write('boom: bad flag'); sys.exit(3)")
    with pytest.raises(ServerStartError, match=r"exited with code 3(.|\n)*boom: bad flag"):
        server.start()
    assert not server.running


def test_a_server_that_never_answers_times_out_and_is_reaped() -> None:
    server = _Script(
        "import sys, time; print('starting...', flush=True); time.sleep(60)", startup_timeout=0.3
    )
    with pytest.raises(ServerStartError, match=r"did not answer(.|\n)*starting\.\.\."):
        server.start()
    assert not server.running
    assert server.pid is None


def test_stop_kills_a_server_that_ignores_sigterm() -> None:
    stubborn = textwrap.dedent(
        """
        import http.server, signal, sys
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        http.server.HTTPServer(
            ("127.0.0.1", int(sys.argv[1])), http.server.BaseHTTPRequestHandler
        ).serve_forever()
        """
    )
    server = _Script(stubborn, stop_timeout=0.2)
    server.start()
    assert server.running
    pid = server.pid
    server.stop()
    assert not server.running
    assert pid is not None
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(pid, 0)
