"""The Session seam: what every operation runs on, built and evolved without I/O or a DB."""

from __future__ import annotations

import time

import pytest

from dynamorm_async import DB, Config, Query, Session
from dynamorm_async.testing import FakeLambdaContext, fake_db
from tests.models import Payment

CONFIG = Config(region="us-east-1", table_prefix="t-")


def test_a_session_from_a_config_alone_plans_without_opening_anything() -> None:
    session = Session(CONFIG)
    assert session.table_name(Payment) == "t-payments"
    assert not session.engine.is_open and session.deadline is None
    plan = Query(session, Payment).where("id", "=", "p-1").explain()
    assert plan.operation == "GetItem" and not session.engine.is_open


def test_deadlines_evolve_the_session_and_the_earlier_one_wins() -> None:
    session = Session(CONFIG)
    soon = session.with_deadline(5)
    later = soon.with_deadline(60)
    assert session.own_deadline is None
    assert soon.own_deadline is not None and later.own_deadline == soon.own_deadline
    assert soon.engine is session.engine and soon.codec is session.codec
    stopped = FakeLambdaContext(timeout=10, clock=lambda: 0.0)  # always 10 s left
    before = time.monotonic()
    lambda_view = session.with_lambda_context(stopped, buffer=1.0)
    assert lambda_view.own_deadline is not None
    assert before + 9 <= lambda_view.own_deadline <= time.monotonic() + 9


async def test_db_views_are_dbs_on_an_evolved_session() -> None:
    db, transport = fake_db()
    view = db.with_deadline(30)
    assert view.session is not db.session and db.session.own_deadline is None
    assert view.session.engine is db.engine and view.codec is db.codec
    assert view.metrics is db.metrics
    await view.find(Payment, {"id": "p-1"})
    assert transport.requests == [
        ("GetItem", {"TableName": "payments", "Key": {"id": {"S": "p-1"}}})
    ]


def test_operations_take_a_session_not_a_db() -> None:
    with pytest.raises(TypeError, match="Session"):
        Query(DB(CONFIG), Payment)  # type: ignore[arg-type]
