"""`dynamorm-async gen`: precompiled codec functions, used when they fit, and the stale path."""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from dynamorm_async import EncodeError, attr, pk, table
from dynamorm_async.cli import main
from dynamorm_async.codec import Codec
from dynamorm_async.codec.precompiled import StaleCodeWarning
from tests.models import Order

MODELS_V1 = """
import attrs
from decimal import Decimal
from dynamorm_async import attr, pk, table

@attrs.define
class Line:
    sku: str
    qty: int = 1

@table("gen_invoices")
@attrs.define
class Invoice:
    id: str = pk()
    total: Decimal = attr()
    lines: list[Line] = attrs.field(factory=list)
"""


def _frames(exc: BaseException) -> list[str]:
    files = []
    while exc is not None:
        files += [frame.filename for frame in traceback.extract_tb(exc.__traceback__)]
        exc = exc.__cause__  # type: ignore[assignment]
    return files


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A throwaway project directory on sys.path, with a models module."""
    package = tmp_path / "genproj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS_V1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package
    forget("genproj")


def forget(prefix: str) -> None:
    for name in [m for m in sys.modules if m.startswith(prefix)]:
        del sys.modules[name]


def test_generated_functions_are_used_and_behave_the_same(project: Path) -> None:
    assert main(["gen", "genproj.models", "-o", str(project / "_generated.py")]) == 0
    assert main(["gen", "genproj.models", "-o", str(project / "_generated.py"), "--check"]) == 0
    models = importlib.import_module("genproj.models")
    runtime = Codec()
    invoice = models.Invoice(id="i1", total=Decimal("9.50"), lines=[models.Line("a", 2)])
    compiled_item = runtime.encode(invoice)

    importlib.import_module("genproj._generated")
    codec = Codec()
    item = codec.encode(invoice)
    assert item == compiled_item
    assert codec.decode(models.Invoice, item) == invoice
    # The functions come from the generated file: a failure's traceback runs through it
    # (for the model and for the class nested in it).
    with pytest.raises(EncodeError) as failed:
        codec.encode(models.Invoice(id="i2", total="not a number", lines=[]))  # type: ignore[arg-type]
    assert str(project / "_generated.py") in _frames(failed.value)
    with pytest.raises(EncodeError) as nested:
        codec.encode(models.Invoice(id="i3", total=Decimal(1), lines=[models.Line("a", "x")]))  # type: ignore[arg-type]
    assert str(project / "_generated.py") in _frames(nested.value)
    with pytest.raises(EncodeError) as compiled:
        runtime.encode(models.Invoice(id="i2", total="not a number", lines=[]))  # type: ignore[arg-type]
    assert str(project / "_generated.py") not in _frames(compiled.value)


def test_a_changed_model_falls_back_with_a_warning(project: Path) -> None:
    assert main(["gen", "genproj.models", "-o", str(project / "_generated.py")]) == 0
    # The model gains a field after the module was generated.
    (project / "models.py").write_text(MODELS_V1 + "    note: str = ''\n")
    forget("genproj.models")
    assert main(["gen", "genproj.models", "-o", str(project / "_generated.py"), "--check"]) == 4
    models = importlib.import_module("genproj.models")
    importlib.import_module("genproj._generated")
    codec = Codec()
    invoice = models.Invoice(id="i1", total=Decimal(1), note="kept")
    with pytest.warns(StaleCodeWarning, match=r"genproj\.models\.Invoice.*dynamorm-async gen"):
        item = codec.encode(invoice)
    assert item["note"] == {"S": "kept"}
    assert codec.decode(models.Invoice, item) == invoice


def test_gen_check_without_output_and_bad_modules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gen", "tests.models", "--check"]) == 1
    assert "--check needs -o FILE" in capsys.readouterr().err
    assert main(["gen", "tests/models.py"]) == 3
    assert "give the module's import name instead (e.g. 'tests.models')" in capsys.readouterr().err


def test_models_without_generated_code_compile_silently() -> None:
    @table("gen_plain")
    @attrs.define
    class Plain:
        id: str = pk()
        n: int = attr()

    codec = Codec()
    assert codec.decode(Plain, codec.encode(Plain(id="x", n=1))) == Plain(id="x", n=1)
    assert codec.encode(Order(customer="c", order_id="o", total=Decimal(1)))
