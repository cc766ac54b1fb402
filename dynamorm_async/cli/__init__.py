"""The ``dynamorm-async`` command: code generation, Lambda layers, templates, a local server.

Run ``dynamorm-async --help`` (or ``python -m dynamorm_async --help``). Every command's
work lives in the module named after it (:mod:`dynamorm_async.codec.codegen`,
:mod:`dynamorm_async.deploy.layer`, :mod:`dynamorm_async.deploy.template`,
:mod:`dynamorm_async.testing.local`) and is imported only when that command runs, so ``--help`` and
argument errors answer without loading botocore.

Exit codes (:data:`EXIT_OK` and the rest): 0 success; 1 the work failed (pip, the server,
writing a file); 2 bad command-line usage; 3 bad input (a module that cannot be imported,
no models, an invalid model); 4 ``gen --check`` found the generated module out of date.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["EXIT_ERROR", "EXIT_INPUT", "EXIT_OK", "EXIT_STALE", "EXIT_USAGE", "main"]

EXIT_OK = 0
"""The command did what it was asked."""
EXIT_ERROR = 1
"""The work failed: pip, the local server, or writing a file (the message says which)."""
EXIT_USAGE = 2
"""The command line is wrong (argparse's code): see ``--help``."""
EXIT_INPUT = 3
"""The models cannot be used: a module does not import, defines no model, or is invalid."""
EXIT_STALE = 4
"""``gen --check``: the generated module does not match the models."""

_DESCRIPTION = """\
Tools to deploy dynamorm_async models. MODULE is a Python module name, as you would import
it from your project's root (e.g. app.models); every @table class it defines is used.
Run `dynamorm-async COMMAND --help` for a command's options and an example."""

_EPILOG = """\
exit codes: 0 success, 1 the work failed, 2 bad usage, 3 bad models or module,
4 gen --check found the generated module out of date."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dynamorm-async",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    gen = commands.add_parser(
        "gen",
        help="precompile the models' codec functions into a module",
        description=(
            "Write a module holding the compiled encode/decode functions of every model in "
            "MODULE. Import it (e.g. at the end of the models module) and the codec skips "
            "compiling them at cold start; a model changed since is compiled at run time with "
            "a StaleCodeWarning."
        ),
        epilog="example: dynamorm-async gen app.models -o app/_generated.py",
    )
    gen.add_argument("modules", nargs="+", metavar="MODULE", help="module(s) defining models")
    gen.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 4 if --output differs from what would be written (for CI)",
    )

    layer = commands.add_parser(
        "layer",
        help="build a Lambda layer zip",
        description=(
            "Build a Lambda layer (python/ tree) of dynamorm_async and its dependencies for a "
            "runtime: binary wheels for the target platform, byte-compiled, tests/docs/type "
            "stubs removed, botocore's data trimmed to DynamoDB, STS and the endpoint data. "
            "The same inputs give the same zip bytes. Needs pip and access to the package "
            "index."
        ),
        epilog="example: dynamorm-async layer --python 3.12 --arch arm64 -o layer.zip",
    )
    layer.add_argument("--python", choices=("3.11", "3.12", "3.13"), default="3.12")
    layer.add_argument("--arch", choices=("x86_64", "arm64"), default="x86_64")
    layer.add_argument("-o", "--output", type=Path, default=Path("dynamorm-async-layer.zip"))
    layer.add_argument(
        "--package",
        default=None,
        metavar="SPEC",
        help="pip requirement or wheel file for dynamorm_async (default: copy the installed "
        "package and install its run-time dependencies)",
    )
    layer.add_argument(
        "--untrimmed",
        action="store_true",
        help="also build the layer without trimming and print both sizes",
    )

    template = commands.add_parser(
        "template",
        help="print SAM/CloudFormation for the models' tables",
        description=(
            "Print AWS::DynamoDB::Table resources for the models (keys, indexes, TTL and the "
            "@table options: billing, PITR, SSE, streams, table class, deletion protection, "
            "tags), Outputs with table names and ARNs, and an IAM managed policy granting "
            "the actions dynamorm_async sends."
        ),
        epilog="example: dynamorm-async template app.models --format sam > tables.yaml",
    )
    template.add_argument("modules", nargs="+", metavar="MODULE", help="module(s) defining models")
    template.add_argument("--format", choices=("sam", "cloudformation"), default="cloudformation")
    template.add_argument("--json", action="store_true", help="JSON instead of YAML")
    template.add_argument(
        "--table-prefix", default="", help="prepended to every table name (Config.table_prefix)"
    )
    template.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    local = commands.add_parser(
        "local",
        help="run a local DynamoDB-compatible server",
        description=(
            "Run moto's server (DynamoDB and STS, in memory) on 127.0.0.1 until Ctrl-C, after "
            "printing the endpoint and the environment variables that point "
            "DB.from_environment() at it. With --persist, run dynalite (needs node) keeping "
            "its data in DIR instead."
        ),
        epilog="example: dynamorm-async local --port 8000 --create app.models",
    )
    local.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    local.add_argument(
        "--persist", type=Path, metavar="DIR", help="keep the data in DIR (uses dynalite)"
    )
    local.add_argument(
        "--create",
        nargs="+",
        default=(),
        metavar="MODULE",
        help="create the tables of these modules' models once the server is up",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    args = _parser().parse_args(argv)
    from ..errors import SchemaError
    from ._models import CommandError

    try:
        if args.command == "gen":
            return _gen(args)
        if args.command == "layer":
            return _layer(args)
        if args.command == "template":
            return _template(args)
        return _local(args)
    except (CommandError, SchemaError) as exc:
        _error(str(exc))
        return EXIT_INPUT
    except _Failed as exc:
        _error(str(exc))
        return EXIT_ERROR


class _Failed(Exception):
    """The work failed; exit code 1."""


def _error(message: str) -> None:
    print(f"dynamorm-async: error: {message}", file=sys.stderr)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, "utf-8")
    except OSError as exc:
        raise _Failed(f"cannot write {output}: {exc}") from exc
    print(f"wrote {output}", file=sys.stderr)


def _gen(args: argparse.Namespace) -> int:
    from ..codec.codegen import generate
    from ._models import load_models

    source = generate(load_models(args.modules), modules=args.modules)
    if args.check:
        if args.output is None:
            raise _Failed("--check needs -o FILE: the generated module to compare")
        try:
            current = args.output.read_text("utf-8")
        except OSError:
            current = None
        if current != source:
            _error(f"{args.output} is out of date: run dynamorm-async gen without --check")
            return EXIT_STALE
        print(f"{args.output} is up to date", file=sys.stderr)
        return EXIT_OK
    _write(source, args.output)
    return EXIT_OK


def _template(args: argparse.Namespace) -> int:
    from ..deploy.template import build_template, render
    from ._models import load_models

    document = build_template(
        load_models(args.modules), format=args.format, table_prefix=args.table_prefix
    )
    _write(render(document, json=args.json), args.output)
    return EXIT_OK


def _layer(args: argparse.Namespace) -> int:
    from ..deploy.layer import LayerBuildError, LayerSpec, build_layer

    spec = LayerSpec(python=args.python, arch=args.arch, package=args.package)
    untrimmed = args.output.with_name(args.output.stem + "-untrimmed.zip")
    try:
        build = build_layer(
            spec, args.output, untrimmed_output=untrimmed if args.untrimmed else None
        )
    except LayerBuildError as exc:
        raise _Failed(str(exc)) from exc
    print(f"{build.trimmed.path}: {build.trimmed.size:,} bytes, {build.trimmed.files} files")
    if build.untrimmed is not None:
        saved = 1 - build.trimmed.size / build.untrimmed.size
        print(
            f"{build.untrimmed.path}: {build.untrimmed.size:,} bytes, {build.untrimmed.files} "
            f"files untrimmed (trimming saves {saved:.0%})"
        )
    if not build.compiled:
        print(
            f"note: no python{args.python} here to byte-compile with; the layer holds sources "
            "only (the runtime compiles them on first import)",
            file=sys.stderr,
        )
    print("packages: " + ", ".join(f"{k} {v}" for k, v in build.versions.items()))
    return EXIT_OK


def _local(args: argparse.Namespace) -> int:
    import signal
    import threading

    from ..testing.local import Dynalite, LocalServer, ServerStartError
    from ._models import load_models

    models = load_models(args.create) if args.create else []
    server: LocalServer | Dynalite
    if args.persist is not None:
        server = Dynalite(port=args.port, path=args.persist)
    else:
        server = LocalServer(port=args.port)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        server.start()
    except ServerStartError as exc:
        signal.signal(signal.SIGTERM, previous)
        raise _Failed(str(exc)) from exc
    try:
        if models:
            _create_tables(server.endpoint_url, models, ttl=args.persist is None)
        print(_announce(server.endpoint_url, args.persist), flush=True)
        try:
            while not stop.wait(3600):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    print("dynamorm-async: local server stopped", file=sys.stderr, flush=True)
    return EXIT_OK


def _create_tables(endpoint_url: str, models: list[type], *, ttl: bool) -> None:
    import asyncio

    from .._schema import model_meta
    from ..db import DB
    from ..testing.local import local_config

    by_table: dict[str, list[type]] = {}
    for model in models:  # models sharing a table make it together
        by_table.setdefault(model_meta(model).table, []).append(model)

    async def create() -> None:
        async with DB(local_config(endpoint_url)) as db:
            for first, *others in by_table.values():
                check = await db.ensure_table(first, *others, ttl=ttl)
                state = "created" if check.created else "exists"
                print(f"table {db.table_name(first)}: {state}", file=sys.stderr)
                for drift in check.drift:
                    print(f"  drift: {drift}", file=sys.stderr)

    asyncio.run(create())


def _announce(endpoint_url: str, persist: Path | None) -> str:
    from ..testing.local import LOCAL_REGION

    where = f"data kept in {persist}" if persist is not None else "data in memory"
    return "\n".join(
        [
            f"dynamorm-async: local DynamoDB at {endpoint_url} ({where}); Ctrl-C stops it.",
            "Point DB.from_environment() (and other AWS SDKs) at it with:",
            f"  export DYNAMODB_ENDPOINT={endpoint_url}",
            f"  export AWS_ENDPOINT_URL_DYNAMODB={endpoint_url}",
            f"  export AWS_REGION={LOCAL_REGION}",
            "  export AWS_ACCESS_KEY_ID=testing",
            "  export AWS_SECRET_ACCESS_KEY=testing",
        ]
    )
