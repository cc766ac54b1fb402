"""Every dev command of dynamorm_async, written down once.

    pip install -e '.[dev]'      # once, in the virtualenv you work in
    nox -s tests                 # unit + integration tests on a moto server
    nox -s tests -- -k crud -x   # anything after -- goes to pytest
    nox -s dynalite -- tests/integration/test_crud.py   # a path replaces the default one
    nox -l                       # the other sessions

Sessions run in the environment nox itself is installed in (no per-session virtualenvs):
``pip install -e '.[dev]'`` already put every tool there, so a session starts in well under a
second instead of installing the project again, and CI installs once. Tools run as
``python -m <tool>`` with that interpreter, so nothing depends on ``PATH`` or an activated
virtualenv.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "typing", "docs", "tests"]

ROOT = Path(__file__).parent
PYTHON = sys.executable
PACKAGE = "dynamorm_async"

# The integration tests start their own moto server unless told otherwise; a stray variable
# from the developer's shell must not send `nox -s tests` elsewhere.
ON_MOTO: dict[str, str | None] = {
    "DYNAMODB_ENDPOINT": None,
    "DYNAMORM_TEST_SERVER": None,
    "DYNAMORM_TEST_TRANSPORT": None,
}
# The integration suite again on the other transport (the default one is "direct").
ON_BOTOCORE: dict[str, str | None] = {"DYNAMORM_TEST_TRANSPORT": "botocore"}


# asyncio debug mode is how async users hunt forgotten awaits; in it aiohttp parses strictly
# (moto's doubled Server header once failed every request) and asyncio reports coroutines
# never awaited and callbacks that block the loop. A subset that crosses every layer, ~1 min:
# CRUD; batches, their retries and both transports through the fault proxy; deadlines
# cancelling requests; the Lambda adapter's kept loop; a user suite run by the plugin.
DEV_MODE_TESTS = [
    "tests/integration/test_crud.py",
    "tests/integration/test_batch.py",
    "tests/integration/test_transports.py",
    "tests/integration/test_deadline_wire.py",
    "tests/integration/test_lambda_handler.py",
    "tests/integration/test_testing_plugin.py",
]


def pytest(
    session: nox.Session,
    *where: str,
    env: dict[str, str | None] | None = None,
    python_flags: tuple[str, ...] = (),
) -> None:
    """Run pytest on ``where``, or on the test paths given after ``--`` instead."""
    names_a_path = any(
        not arg.startswith("-") and (ROOT / arg.split("::")[0]).exists() for arg in session.posargs
    )
    paths = [] if names_a_path else list(where)
    session.run(PYTHON, *python_flags, "-m", "pytest", *paths, *session.posargs, env=env)


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Unit and integration tests, on a moto server the tests start."""
    pytest(session, "tests", env=ON_MOTO)


@nox.session(python=False)
def unit(session: nox.Session) -> None:
    """Unit tests only (no server)."""
    pytest(session, "tests/unit")


@nox.session(python=False)
def integration(session: nox.Session) -> None:
    """Integration tests on a moto server (or on $DYNAMODB_ENDPOINT if you set it)."""
    pytest(session, "tests/integration")


@nox.session(python=False)
def tests_botocore(session: nox.Session) -> None:
    """The integration tests on a moto server, with ``Config(transport="botocore")``."""
    pytest(session, "tests/integration", env={**ON_MOTO, **ON_BOTOCORE})


@nox.session(python=False)
def devmode(session: nox.Session) -> None:
    """An integration subset in asyncio debug mode (``python -X dev``, PYTHONASYNCIODEBUG=1)."""
    # PYTHONASYNCIODEBUG reaches the user suite's own pytest process too (and turns on
    # aiohttp's strict parser there); the moto server's process stays out of dev mode.
    env: dict[str, str | None] = {**ON_MOTO, "PYTHONASYNCIODEBUG": "1"}
    pytest(session, *DEV_MODE_TESTS, env=env, python_flags=("-X", "dev"))


@nox.session(python=False)
def dynalite(session: nox.Session) -> None:
    """Integration tests on dynalite (needs node and npm; installs dynalite on first use)."""
    run_on_dynalite(session, {"DYNAMORM_TEST_TRANSPORT": None})


@nox.session(python=False)
def dynalite_botocore(session: nox.Session) -> None:
    """Integration tests on dynalite with ``Config(transport="botocore")``."""
    run_on_dynalite(session, ON_BOTOCORE)


def run_on_dynalite(session: nox.Session, extra: dict[str, str | None]) -> None:
    """Start a dynalite and run the integration tests on it with ``extra`` in the environment."""
    from dynamorm_async.testing.local import Dynalite
    from dynamorm_async.testing.plugin import DYNALITE_TABLE_MS

    # Tables stay CREATING/DELETING this long (dynalite's default, 500 ms, makes per-test
    # tables slow); the same value the test plugin uses when it starts a dynalite itself.
    table_ms = DYNALITE_TABLE_MS
    server = Dynalite(create_table_ms=table_ms, delete_table_ms=table_ms, update_table_ms=table_ms)
    with server:
        session.log(f"dynalite at {server.endpoint_url} (from {server.install_dir})")
        env: dict[str, str | None] = {
            "DYNAMODB_ENDPOINT": server.endpoint_url,
            "DYNAMORM_TEST_SERVER": "dynalite",
            **extra,
        }
        pytest(session, "tests/integration", env=env)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check (changes nothing)."""
    session.run(PYTHON, "-m", "ruff", "check", ".")
    session.run(PYTHON, "-m", "ruff", "format", "--check", ".")


@nox.session(python=False)
def fmt(session: nox.Session) -> None:
    """Apply ruff's fixes and formatting to the given paths (default: the whole tree)."""
    paths = session.posargs or ["."]
    session.run(PYTHON, "-m", "ruff", "check", "--fix", *paths)
    session.run(PYTHON, "-m", "ruff", "format", *paths)


@nox.session(python=False)
def typecheck(session: nox.Session) -> None:
    """Mypy, strict, on the package (settings in pyproject.toml)."""
    session.run(PYTHON, "-m", "mypy", "--strict", "-p", PACKAGE)


@nox.session(python=False)
def typing(session: nox.Session) -> None:
    """The typing suite (tests/typing) under mypy --strict and pyright, with no plugin.

    pass_*.py must check cleanly; fail_*.py pins each expected error on its line (mypy's
    ``# type: ignore[code]`` with warn_unused_ignores, pyright's ``# pyright: ignore[rule]``
    with reportUnnecessaryTypeIgnoreComment), so a missing or different error fails too.
    plugin_*.py are checked by mypy with the ``dynamorm_async.mypy`` plugin enabled.
    """
    folder = "tests/typing"
    mypy = (PYTHON, "-m", "mypy", "--explicit-package-bases")
    session.run(*mypy, "--strict", "--exclude", "plugin_", folder)
    plugin_files = sorted(str(p) for p in (ROOT / folder).glob("plugin_*.py"))
    session.run(*mypy, "--config-file", f"{folder}/mypy_plugin.ini", *plugin_files)
    session.run(PYTHON, "-m", "pyright", "--pythonpath", PYTHON, folder)


@nox.session(python=False)
def docs(session: nox.Session) -> None:
    """Build the documentation site; any warning fails."""
    session.run(PYTHON, "-m", "mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Run every script in benchmarks/ (or those named: nox -s bench -- put_get.py)."""
    folder = ROOT / "benchmarks"
    if session.posargs:
        scripts = [folder / name for name in session.posargs]
    else:
        scripts = sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))
    if not scripts:
        session.log("benchmarks/ has no scripts yet: nothing to run")
        return
    for script in scripts:
        session.run(PYTHON, str(script))


@nox.session(venv_backend="venv")
def interop(session: nox.Session) -> None:
    """The aioboto3 extra (which pins aiobotocore 2.x) in a virtualenv of its own."""
    session.install("-e", ".[test,aioboto3]")
    session.run("python", "-m", "pytest", "tests/integration/test_sessions.py", *session.posargs)


@nox.session(python=False)
def lambda_layer(session: nox.Session) -> None:
    """Build the Lambda layer (pip reaches the package index) and test it from a fresh dir.

    Writes build/dynamorm-async-layer.zip (and -untrimmed.zip) for this interpreter's version,
    prints both sizes, then runs tests/layer: a second build in another process gives the same
    bytes, and CRUD and AssumeRole work from the unzipped layer alone.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    output = str(ROOT / "build" / "dynamorm-async-layer.zip")
    session.run(PYTHON, "-m", PACKAGE, "layer", "--python", version, "-o", output, "--untrimmed")
    session.run(
        PYTHON, "-m", "pytest", "tests/layer", "-s", *session.posargs,
        env={"DYNAMORM_LAYER_TESTS": "1", "DYNAMORM_LAYER_ZIP": output},
    )  # fmt: skip


@nox.session(python=False)
def cdk(session: nox.Session) -> None:
    """Install the cdk extra (aws-cdk-lib; needs node) and test the construct's synthesis."""
    session.run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[cdk]")
    session.run(PYTHON, "-m", "pytest", "tests/integration/test_cdk.py", *session.posargs)


@nox.session(python=False)
def example(session: nox.Session) -> None:
    """Run the payments example end to end (python -m examples.payments)."""
    session.run(PYTHON, "-m", "examples.payments")
