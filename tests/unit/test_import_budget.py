"""Cold-start budget: a plain `import dynamorm_async` loads no optional part.

Checked in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Optional parts, loaded only when used: metrics (EMF), the X-Ray SDK, multi-account partners,
# the Lambda adapter, the CLI (and argparse), code generation, deploy tooling, the local
# servers and moto, the testing helpers. (tests/unit/test_partner_accounts.py also checks
# that the lazy `dynamorm_async.MultiAccountDB` loads partners on first use.)
FORBIDDEN = (
    "aws_xray_sdk",
    "dynamorm_async.partners",
    "dynamorm_async.metrics",
    "dynamorm_async.aws_lambda",
    "dynamorm_async.cli",
    "argparse",
    "dynamorm_async.codec.codegen",
    "dynamorm_async.deploy",
    "dynamorm_async.testing.local",
    "moto",
    "dynamorm_async.testing",
    "pytest",
)

# Loaded on first use of what needs them: a Lambda function that only reads items by key
# never pays for them. The expression compiler and the query planner, writes and conditions
# (the first put), queries and pagination,
# batches, transactions, update builders, table management, cattrs (only
# `Codec.converter` uses it), and anyio (task groups, limiters and streams: batches,
# parallel scans, streaming; the engine's deadlines are asyncio's own).
ON_FIRST_USE = (
    "dynamorm_async.expr",
    "dynamorm_async.planning.reads",
    "dynamorm_async.planning.writes",
    "dynamorm_async.conditions",
    "dynamorm_async.updates",
    "dynamorm_async.query",
    "dynamorm_async.pagination",
    "anyio",
    "dynamorm_async.batch",
    "dynamorm_async.planning.batches",
    "dynamorm_async.transaction",
    "dynamorm_async.update_builder",
    "dynamorm_async._tables",
    "cattrs",
)

CHECK = """
import json, sys
{setup}
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(setup: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(setup=setup)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return set(json.loads(result.stdout))


def loaded(modules: set[str], name: str) -> list[str]:
    return sorted(m for m in modules if m == name or m.startswith(name + "."))


@pytest.mark.parametrize(
    "setup",
    [
        "import dynamorm_async",
        "from dynamorm_async import DB, Config; DB(Config(region='us-east-1'))",
    ],
    ids=["import", "DB()"],
)
def test_plain_import_loads_no_optional_part(setup: str) -> None:
    modules = modules_after(setup)
    assert "dynamorm_async.db" in modules
    assert {name: loaded(modules, name) for name in FORBIDDEN if loaded(modules, name)} == {}
    # Nor what reading an item by key does not need.
    assert {name: loaded(modules, name) for name in ON_FIRST_USE if loaded(modules, name)} == {}


@pytest.mark.parametrize(
    ("setup", "module"),
    [
        ("from dynamorm_async import Query", "dynamorm_async.query"),
        ("from dynamorm_async import cond", "dynamorm_async.conditions"),
        ("from dynamorm_async import Write", "dynamorm_async.planning.writes"),
        ("from dynamorm_async import Path", "dynamorm_async.expr"),
        ("from dynamorm_async import Plan", "dynamorm_async.planning.reads"),
        ("from dynamorm_async.codec import Codec; Codec().converter", "cattrs"),
    ],
    ids=["Query", "cond", "Write", "Path", "Plan", "converter"],
)  # fmt: skip
def test_a_lazy_part_loads_on_first_use(setup: str, module: str) -> None:
    assert module in modules_after(setup)


def test_the_check_sees_an_optional_part_once_it_is_used() -> None:
    modules = modules_after(
        "from dynamorm_async import DB, Config; DB(Config(region='us-east-1', metrics=True))"
    )
    assert loaded(modules, "dynamorm_async.metrics") == ["dynamorm_async.metrics"]
