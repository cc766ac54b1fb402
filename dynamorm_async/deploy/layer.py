"""A slim, reproducible AWS Lambda layer of dynamorm_async and its dependencies.

::

    from dynamorm_async.deploy.layer import LayerSpec, build_layer

    build = build_layer(LayerSpec(python="3.12", arch="arm64"), "layer.zip")
    print(build.trimmed.size)

Steps: ``pip install --target`` the dependencies as binary wheels for the Lambda runtime
(``--platform manylinux2014_<arch> --only-binary=:all: --python-version X.Y
--implementation cp``), copy dynamorm_async itself (or pip-install ``LayerSpec.package``),
strip what a function never loads (tests, docs, type stubs, ``bin/``, caches, and every
botocore service model except DynamoDB's and STS's; the endpoint and partition data stay),
byte-compile, and zip the ``python/`` tree.

Same inputs, same bytes: entries are sorted, every timestamp is 1980-01-01, permissions are
0644, and the ``.pyc`` files are *unchecked-hash* ones compiled with ``/opt/python`` as their
directory, so neither the build's mtimes nor its temporary path end up in the zip. (The
inputs are the package versions pip resolves: pin them with pip's own ``PIP_CONSTRAINT``.)
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import attrs

__all__ = [
    "BOTOCORE_SERVICES",
    "Built",
    "LayerBuild",
    "LayerBuildError",
    "LayerSpec",
    "build_layer",
    "write_zip",
]

PythonVersion = Literal["3.11", "3.12", "3.13"]
Arch = Literal["x86_64", "arm64"]

BOTOCORE_SERVICES = ("dynamodb", "sts")
"""The botocore service models a trimmed layer keeps (DynamoDB; STS for assumed roles)."""

_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
_STRIPPED_DIRS = frozenset({"tests", "test", "__pycache__"})
# Stripped unless they are packages (botocore.docs is imported at run time).
_STRIPPED_DATA_DIRS = frozenset({"docs", "doc", "examples"})
_STRIPPED_SUFFIXES = (".pyi", ".pyc", ".pyo", ".c", ".h", ".pyx", ".pxd", ".md", ".rst")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16
_LAMBDA_ROOT = "/opt/python"


class LayerBuildError(RuntimeError):
    """The layer could not be built; the message says what failed (pip's output included)."""


@attrs.frozen
class LayerSpec:
    """What to build a layer for.

    Attributes:
        python: The Lambda runtime's Python version.
        arch: The function's architecture.
        package: The pip requirement for dynamorm_async itself, installed with its
            dependencies (``"dynamorm_async==0.1.0"`` or a wheel file: binary wheels only);
            ``None`` copies the installed package and installs its run-time dependencies.
    """

    python: PythonVersion = "3.12"
    arch: Arch = "x86_64"
    package: str | None = None


@attrs.frozen
class Built:
    """One zip written: where, its size in bytes, how many files it holds."""

    path: Path
    size: int
    files: int


@attrs.frozen
class LayerBuild:
    """The result of :func:`build_layer`.

    Attributes:
        trimmed: The layer.
        untrimmed: The same packages without trimming, when asked for (to compare sizes).
        compiled: Whether ``.pyc`` files are in it (only when an interpreter of the target
            version is available to compile them).
        versions: The distributions in the layer and their versions.
    """

    trimmed: Built
    untrimmed: Built | None
    compiled: bool
    versions: dict[str, str]


def build_layer(
    spec: LayerSpec,
    output: str | os.PathLike[str],
    *,
    untrimmed_output: str | os.PathLike[str] | None = None,
    pip_args: Sequence[str] = (),
) -> LayerBuild:
    """Build the layer zip at ``output`` (and an untrimmed one, to compare sizes).

    Args:
        spec: Runtime, architecture and the dynamorm_async to include.
        output: The zip to write.
        untrimmed_output: Also write the same packages, byte-compiled but not trimmed, here.
        pip_args: Extra pip arguments (``--index-url ...``, ``--find-links ...``).

    Raises:
        LayerBuildError: pip failed, or a file could not be written.
    """
    with tempfile.TemporaryDirectory(prefix="dynamorm-layer-") as temp:
        staging = Path(temp) / "install" / "python"
        _install(spec, staging, pip_args)
        versions = _versions(staging)
        python = _interpreter(spec.python)
        untrimmed = None
        if untrimmed_output is not None:
            full = Path(temp) / "untrimmed" / "python"
            shutil.copytree(staging, full, symlinks=False)
            _clean(full)
            _compile(full, python)
            untrimmed = write_zip(full.parent, untrimmed_output)
        _trim(staging)
        _compile(staging, python)
        trimmed = write_zip(staging.parent, output)
    return LayerBuild(trimmed, untrimmed, python is not None, versions)


def _install(spec: LayerSpec, target: Path, pip_args: Sequence[str]) -> None:
    target.mkdir(parents=True)
    requirements = _requirements() if spec.package is None else [spec.package]
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--no-input",
        "--disable-pip-version-check", "--target", str(target),
        "--platform", _PLATFORMS[spec.arch], "--only-binary=:all:",
        "--python-version", spec.python, "--implementation", "cp",
        *pip_args, *requirements,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LayerBuildError(
            f"pip failed with code {result.returncode} installing {' '.join(requirements)} "
            f"for Python {spec.python} on {spec.arch}:\n{(result.stdout + result.stderr).strip()}"
        )
    if spec.package is None:
        source = Path(__file__).resolve().parents[1]
        shutil.copytree(source, target / source.name, ignore=shutil.ignore_patterns("__pycache__"))


def _requirements() -> list[str]:
    """dynamorm_async's own run-time requirements (no extras), as installed here."""
    required = importlib.metadata.requires("dynamorm_async") or []
    return [r for r in required if "extra" not in r.partition(";")[2]]


def _versions(root: Path) -> dict[str, str]:
    found = {}
    for info in root.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        found[name] = version
    return dict(sorted(found.items()))


def _interpreter(version: str) -> str | None:
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    return shutil.which(f"python{version}")


def _clean(root: Path) -> None:
    """What no build should ship: caches, pip's RECORD files, console scripts."""
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_dir() and path.name == "__pycache__":
            shutil.rmtree(path)
        elif path.suffix in (".pyc", ".pyo") or (
            path.name == "RECORD" and path.parent.name.endswith(".dist-info")
        ):
            path.unlink()
    shutil.rmtree(root / "bin", ignore_errors=True)


def _trim(root: Path) -> None:
    _clean(root)
    for path in sorted(root.rglob("*"), reverse=True):
        relative = path.relative_to(root).as_posix()
        if relative.endswith(".dist-info") or ".dist-info/" in relative:
            continue
        if path.is_dir() and (
            path.name in _STRIPPED_DIRS
            or (path.name in _STRIPPED_DATA_DIRS and not (path / "__init__.py").exists())
        ):
            shutil.rmtree(path)
        elif path.is_file() and (path.suffix in _STRIPPED_SUFFIXES or path.name == "py.typed"):
            path.unlink()
    data = root / "botocore" / "data"
    if data.is_dir():
        for entry in data.iterdir():
            if entry.is_dir() and entry.name not in BOTOCORE_SERVICES:
                shutil.rmtree(entry)
            elif entry.is_dir():
                # botocore loads the newest API version; examples are documentation.
                *older, _newest = sorted(v for v in entry.iterdir() if v.is_dir())
                for version in older:
                    shutil.rmtree(version)
                for examples in entry.glob("*/examples-*.json"):
                    examples.unlink()


def _compile(root: Path, python: str | None) -> None:
    if python is None:
        return  # no interpreter of the target version: the runtime compiles on import
    # A fresh interpreter with a fixed hash seed each time: marshal's output depends on the
    # order of frozenset constants (string hashing) and on reference counts (process state).
    command = [
        python, "-s", "-m", "compileall", "-q", "-q", "-d", _LAMBDA_ROOT,
        "--invalidation-mode", "unchecked-hash", str(root),
    ]  # fmt: skip
    env = {"PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", "")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise LayerBuildError(f"{python} -m compileall failed:\n{result.stdout}{result.stderr}")


def write_zip(root: str | os.PathLike[str], output: str | os.PathLike[str]) -> Built:
    """Zip every file under ``root`` reproducibly: sorted names, fixed dates and modes.

    Args:
        root: The directory whose contents (e.g. ``python/...``) become the zip's entries.
        output: The zip file to write (replaced if it exists).

    Raises:
        LayerBuildError: The zip could not be written.
    """
    base = Path(root)
    files = sorted((p.relative_to(base).as_posix(), p) for p in base.rglob("*") if p.is_file())
    destination = Path(output)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(destination, "w") as archive:
            for name, path in files:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.create_system = 3  # Unix, so external_attr carries the mode
                info.external_attr = _FILE_MODE
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes(), compresslevel=9)
    except OSError as exc:
        raise LayerBuildError(f"cannot write {destination}: {exc}") from exc
    return Built(destination, destination.stat().st_size, len(files))
