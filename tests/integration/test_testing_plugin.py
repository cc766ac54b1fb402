"""The pytest plugin, used by a sample user suite in pytest-asyncio's auto and strict modes.

The suite (tests/sample_user_suite: a handler module written as docs/lambda.md says, a
conftest naming its models, tests importing the handler at their top, the pytest settings
docs/testing.md asks for) runs in a pytest process of its own, as a user's would: the plugin
is loaded through its ``pytest11`` entry point, not from this repository's conftest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SUITE = Path(__file__).parents[1] / "sample_user_suite"
TESTS = 9


@pytest.mark.parametrize("mode", ["auto", "strict"])
def test_sample_user_suite(
    mode: str,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    dynamodb_endpoint: str,
    server_kind: str,
) -> None:
    for source in [*SUITE.glob("*.py"), SUITE / "pyproject.toml"]:
        (pytester.path / source.name).write_text(source.read_text())
    if mode == "auto" and server_kind == "moto":
        # The plugin starts its own moto server when told no endpoint.
        monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
        monkeypatch.delenv("DYNAMORM_TEST_SERVER", raising=False)
    else:
        monkeypatch.setenv("DYNAMODB_ENDPOINT", dynamodb_endpoint)
        monkeypatch.setenv("DYNAMORM_TEST_SERVER", server_kind)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        "-o",
        f"asyncio_mode={mode}",
    )
    result.assert_outcomes(passed=TESTS)


OPT_IN = """
from dynamorm_async.engine import check_endpoint


def test_real_aws_is_allowed():  # refused without the option (tests/unit/test_real_aws.py)
    check_endpoint("dynamodb", None)
    check_endpoint("sts", "https://sts.eu-west-1.amazonaws.com")
"""


def test_the_option_opts_the_whole_run_in_to_real_aws(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_opt_in=OPT_IN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--dynamorm-allow-aws")
    result.assert_outcomes(passed=1)
