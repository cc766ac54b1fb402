"""The planner: which access path serves a query, and the exact request it sends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pytest

from dynamorm_async import (
    GSI,
    LSI,
    Config,
    Query,
    QueryPlanError,
    SchemaError,
    Session,
    ValidationError,
    pk,
    sk,
    table,
)
from dynamorm_async.conditions import cond
from tests.models import Order, OrderKeys, Payment, PaymentAmount, Status

T = TypeVar("T")

# Planning needs no DB: a Session built from a Config alone does no I/O.
SESSION = Session(Config(region="us-east-1", table_prefix="t-"))


def model(cls: type[T]) -> Query[T]:
    return Query(SESSION, cls)


SINCE = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@table(
    "events",
    indexes=[
        GSI("by-kind", pk="kind"),
        GSI("by-kind-at", pk="kind", sk="at"),
        LSI("by-at", sk="at"),
        GSI("by-kind-keys", pk="kind", sk="at", projection="KEYS_ONLY"),
        GSI("by-owner", pk="owner", projection=["kind"]),
    ],
)
@attrs.define
class Event:
    stream: str = pk()
    seq: int = sk()
    kind: str = ""
    at: int = 0
    owner: str | None = None
    note: str = ""


def test_full_key_equality_is_a_getitem() -> None:
    plan = model(Payment).where("id", "=", "p-1").explain()
    assert plan.operation == "GetItem"
    assert plan.request() == {"TableName": "t-payments", "Key": {"id": {"S": "p-1"}}}
    composite = model(Order).key({"customer": "c", "order_id": "o"}).select(Total).consistent()
    assert composite.explain().request() == {
        "TableName": "t-orders",
        "Key": {"customer": {"S": "c"}, "orderId": {"S": "o"}},
        "ProjectionExpression": "#n0",
        "ExpressionAttributeNames": {"#n0": "total"},
        "ConsistentRead": True,
    }


def test_key_in_list_is_a_batchgetitem_without_duplicates() -> None:
    plan = model(Payment).where("id", "in", ["a", "b", "a"]).explain()
    assert plan.operation == "BatchGetItem"
    assert plan.request() == {
        "RequestItems": {"t-payments": {"Keys": [{"id": {"S": "a"}}, {"id": {"S": "b"}}]}}
    }
    plan = model(Order).where("customer", "=", "c").where("order_id", "in", ["1", "2"])
    assert [k["orderId"] for k in plan.explain().keys] == [{"S": "1"}, {"S": "2"}]


def test_a_filter_or_a_partial_key_is_not_a_get() -> None:
    plan = model(Payment).where("id", "=", "p").filter("amount", ">", 1).explain()
    assert plan.operation == "Query"
    assert plan.request() == {
        "TableName": "t-payments",
        "KeyConditionExpression": "#n0 = :v0",
        "FilterExpression": "#n1 > :v1",
        "ExpressionAttributeNames": {"#n0": "id", "#n1": "amount"},
        "ExpressionAttributeValues": {":v0": {"S": "p"}, ":v1": {"N": "1"}},
    }
    assert model(Order).where("customer", "=", "c").explain().operation == "Query"


def test_gsi_query_with_sort_key_range_filter_order_and_projection() -> None:
    query = (
        model(Payment)
        .where("customer_id", "=", "c-1")
        .where("created_at", ">=", SINCE)
        .filter("status", "in", [Status.PENDING, Status.PAID])
        .or_filter("amount", ">", Decimal("1000"))
        .order("desc")
        .select(PaymentAmount)
    )
    plan = query.explain()
    assert (plan.operation, plan.index) == ("Query", "by-customer")
    assert plan.request() == {
        "TableName": "t-payments",
        "IndexName": "by-customer",
        "KeyConditionExpression": "#n0 = :v0 AND #n1 >= :v1",
        "FilterExpression": "#n2 IN (:v2, :v3) OR #n3 > :v4",
        "ProjectionExpression": "#n4, #n3",
        "ExpressionAttributeNames": {
            "#n0": "customerId",
            "#n1": "createdAt",
            "#n2": "status",
            "#n3": "amount",
            "#n4": "id",
        },
        "ExpressionAttributeValues": {
            ":v0": {"S": "c-1"},
            ":v1": {"S": "2024-01-02T03:04:05Z"},
            ":v2": {"S": "pending"},
            ":v3": {"S": "paid"},
            ":v4": {"N": "1000"},
        },
        "ScanIndexForward": False,
    }
    described = plan.describe()
    assert described["key_condition"] == (
        'customerId = "c-1" AND createdAt >= "2024-01-02T03:04:05Z"'
    )
    assert described["filter"] == 'status IN ("pending", "paid") OR amount > 1000'
    assert described["projection"] == "id, amount"
    assert described["order"] == "DESC"
    assert "by-customer" in str(plan)


def test_count_request_has_select_count_and_no_projection() -> None:
    plan = model(Payment).where("customer_id", "=", "c").select(PaymentAmount).explain()
    request = plan.request(count=True)
    assert request["Select"] == "COUNT"
    assert "ProjectionExpression" not in request
    assert request["ExpressionAttributeNames"] == {"#n0": "customerId"}


@pytest.mark.parametrize(
    ("conditions", "index"),
    [
        # Equal scores: the table beats its indexes.
        ([("stream", "=", "s")], None),
        # The LSI's key condition takes two tests, the table's one.
        ([("stream", "=", "s"), ("at", ">", 3)], "by-at"),
        # Three GSIs on kind score 1: the ones holding every attribute win, first declared.
        ([("kind", "=", "k")], "by-kind"),
        # The sort key makes by-kind-at (and by-kind-keys, which holds less) score 2.
        ([("kind", "=", "k"), ("at", "between", 1, 9)], "by-kind-at"),
        # The table's sort key with begins_with... on an int field is a number: use <=.
        ([("stream", "=", "s"), ("seq", "<=", 5)], None),
    ],
)
def test_index_choice(conditions: list[tuple[Any, ...]], index: str | None) -> None:
    query = model(Event)
    for field, op, *values in conditions:
        query = query.where(field, op, *values)
    plan = query.explain()
    assert (plan.operation, plan.index) == ("Query", index)


@attrs.frozen
class EventKeys:
    """A view of Event: what its KEYS_ONLY index by-kind-keys holds."""

    stream: str
    seq: int
    kind: str
    at: int


@attrs.frozen
class EventOwner:
    """A view of Event: what its INCLUDE index by-owner holds (keys and kind)."""

    stream: str
    owner: str | None
    kind: str


@attrs.frozen
class EventNote:
    stream: str
    note: str


@attrs.frozen
class Total:
    total: Decimal


def test_the_planner_never_chooses_an_index_that_lacks_what_the_read_returns() -> None:
    # A whole-item read: by-kind-keys (KEYS_ONLY) takes both tests too, but lacks note and
    # owner, so the ALL index wins, and the plan says why the other was passed over.
    plan = model(Event).where("kind", "=", "k").where("at", ">", 1).explain()
    assert plan.index == "by-kind-at"
    assert "2 of 2" in plan.reason
    assert plan.skipped == (
        "GSI 'by-kind-keys' (kind, at): it projects KEYS_ONLY (at, kind, seq, stream), not "
        "every field of a whole Event (it lacks note, owner): read it with .select(View), a "
        "view of the fields it holds",
    )
    assert "skipped: GSI 'by-kind-keys'" in str(plan)
    assert plan.describe()["skipped"] == list(plan.skipped)
    # A view of the keys fits every kind index: the tie goes to the first declared.
    assert model(Event).where("kind", "=", "k").select(EventKeys).explain().index == "by-kind"
    # INCLUDE: by-owner serves the view of what it holds, and nothing more.
    owned = model(Event).where("owner", "=", "o").select(EventOwner).explain()
    assert (owned.index, owned.skipped) == ("by-owner", ())
    assert owned.describe()["projection"] == "stream, owner, kind"
    with pytest.raises(QueryPlanError, match=r"INCLUDE \(kind, owner, seq, stream\)"):
        model(Event).where("owner", "=", "o").explain()
    with pytest.raises(QueryPlanError, match=r"does not project the selected field\(s\) \(note\)"):
        model(Event).where("owner", "=", "o").select(EventNote).explain()
    # A filter (or a where() test left as a filter) on an attribute the index lacks.
    with pytest.raises(QueryPlanError, match=r"the filter tests \(note\)"):
        model(Event).where("owner", "=", "o").select(EventOwner).filter("note", "=", "x").explain()
    with pytest.raises(QueryPlanError, match=r"the filter tests \(note\)"):
        model(Event).where("owner", "=", "o").where("note", "=", "x").select(EventOwner).explain()


def test_an_lsi_is_held_to_the_same_rule() -> None:
    @table("lsi", indexes=[LSI("by-at", sk="at", projection="KEYS_ONLY")])
    @attrs.define
    class Log:
        stream: str = pk()
        seq: int = sk()
        at: int = 0
        text: str = ""

    @attrs.frozen
    class LogAt:
        seq: int
        at: int

    ranged = model(Log).where("stream", "=", "s").where("at", ">", 1)
    plan = ranged.explain()  # the LSI takes both tests but lacks text: the table and a filter
    assert (plan.index, plan.describe()["filter"]) == (None, "at > 1")
    assert plan.skipped and plan.skipped[0].startswith("LSI 'by-at' (stream, at): it projects")
    assert ranged.select(LogAt).explain().index == "by-at"


def test_an_index_including_every_field_serves_whole_items() -> None:
    @table("inc", indexes=[GSI("by-kind", pk="kind", projection=["note", "size"])])
    @attrs.define
    class Thing:
        id: str = pk()
        kind: str = ""
        note: str = ""
        size: int = 0

    plan = model(Thing).where("kind", "=", "k").explain()
    assert (plan.index, plan.skipped) == ("by-kind", ())


def test_a_forced_index_that_cannot_cover_the_read_fails_before_sending() -> None:
    forced = model(Event).index("by-kind-keys").where("kind", "=", "k")
    with pytest.raises(QueryPlanError, match=r"lacks note, owner\): read it with .select\(View\)"):
        forced.explain()
    assert forced.select(EventKeys).explain().index == "by-kind-keys"
    # A scan of it, too.
    with pytest.raises(QueryPlanError, match="a Scan of GSI 'by-kind-keys'"):
        model(Event).index("by-kind-keys").scan().explain()
    scanned = model(Event).index("by-kind-keys").scan().select(EventKeys).explain()
    assert (scanned.operation, scanned.index) == ("Scan", "by-kind-keys")
    with pytest.raises(QueryPlanError, match=r"the filter tests \(note\)"):
        model(Event).index("by-kind-keys").scan().filter("note", "=", "x").select(
            EventKeys
        ).explain()


def test_counting_needs_only_what_the_filter_tests() -> None:
    # Order's by-state GSI holds keys only: a count of it returns no attributes.
    counted = model(Order).where("state", "=", "open")
    assert counted._plan(count=True).index == "by-state"
    with pytest.raises(QueryPlanError, match="not every field of a whole Order"):
        counted.explain()
    with pytest.raises(QueryPlanError, match=r"the filter tests \(total\)"):
        counted.filter("total", ">", 1)._plan(count=True)


def test_views_are_checked_against_the_model_when_selected() -> None:
    query = model(Event)
    with pytest.raises(TypeError, match=r"select\(\) takes a view class.*not str 'note'"):
        query.select("note")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="Event has no field 'nope'"):
        query.select(attrs.make_class("Nope", {"nope": attrs.field(type=str)}))
    with pytest.raises(SchemaError, match=r"annotated str, but Event\.seq is int"):
        query.select(attrs.make_class("Seq", {"seq": attrs.field(type=str)}))
    with pytest.raises(SchemaError, match="not an attrs class"):
        query.select(int)
    with pytest.raises(SchemaError, match="takes init=True"):
        query.select(attrs.make_class("Late", {"seq": attrs.field(type=int, init=False)}))
    with pytest.raises(SchemaError, match="at least one"):
        query.select(attrs.make_class("Empty", {}))


def test_remaining_where_tests_become_filters() -> None:
    plan = model(Event).where("kind", "=", "k").where("note", "begins_with", "x").explain()
    assert plan.index == "by-kind"
    assert plan.describe()["filter"] == 'begins_with(note, "x")'


def test_consistent_read_skips_gsis_or_fails_before_sending() -> None:
    plan = model(Event).where("stream", "=", "s").where("at", ">", 1).consistent().explain()
    assert (plan.index, plan.consistent) == ("by-at", True)
    kinds = model(Event).where("kind", "=", "k").consistent().allow_scan()
    with pytest.raises(QueryPlanError, match="GSI 'by-kind' \\(kind\\): a GSI cannot be read"):
        kinds.explain()
    with pytest.raises(QueryPlanError, match="consistent"):
        model(Event).where("kind", "=", "k").consistent().explain()
    with pytest.raises(ValidationError, match="consistent"):
        model(Event).index("by-kind").where("kind", "=", "k").consistent().explain()


def test_no_key_condition_needs_a_scan_and_names_the_indexes() -> None:
    query = model(Payment).filter("status", "=", Status.PAID)
    with pytest.raises(QueryPlanError, match="by-customer") as info:
        query.explain()
    assert "scan" in str(info.value)
    with pytest.raises(QueryPlanError, match=r"'by-customer' \(customer_id, created_at\)"):
        model(Payment).where("customer_id", "begins_with", "c").explain()
    scan = model(Payment).allow_scan().filter("status", "=", Status.PAID).explain()
    assert scan.operation == "Scan"
    assert scan.request() == {
        "TableName": "t-payments",
        "FilterExpression": "#n0 = :v0",
        "ExpressionAttributeNames": {"#n0": "status"},
        "ExpressionAttributeValues": {":v0": {"S": "paid"}},
    }
    forced = model(Payment).where("id", "=", "x").scan().explain()
    assert forced.operation == "Scan" and forced.describe()["filter"] == 'id = "x"'


def test_parallel_scan_request() -> None:
    plan = model(Payment).scan(segments=4).explain()
    assert plan.request() == {"TableName": "t-payments", "TotalSegments": 4}
    with pytest.raises(ValidationError, match="segments"):
        model(Payment).scan(segments=0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        # An operator a key condition does not take, on a sort key.
        (lambda q: q.where("customer_id", "=", "c").where("created_at", "!=", SINCE), "'!='"),
        (lambda q: q.where("customer_id", "=", "c").where("created_at", "exists"), "exists"),
        # Two tests on a partition key.
        (lambda q: q.where("customer_id", "=", "c").where("customer_id", "=", "d"), "2 tests"),
        # A filter on a key attribute of the index queried.
        (lambda q: q.where("customer_id", "=", "c").filter("created_at", "exists"), "key attr"),
    ],
)
def test_invalid_key_conditions_fail_before_sending(build: Any, message: str) -> None:
    with pytest.raises(QueryPlanError, match=message):
        build(model(Payment)).explain()


def test_other_mistakes_fail_at_the_call() -> None:
    query = model(Payment)
    with pytest.raises(ValidationError, match="1 to 100"):
        query.filter("id", "in", [str(n) for n in range(101)])
    with pytest.raises(ValidationError, match="no field 'nope'"):
        query.where("nope", "=", 1)
    with pytest.raises(ValidationError, match="unknown condition operator"):
        query.filter("amount", "like", 1)
    with pytest.raises(QueryPlanError, match="no index 'nope'"):
        query.index("nope").where("id", "=", "x").explain()
    with pytest.raises(ValidationError, match="no order"):
        query.scan().order("desc").explain()
    with pytest.raises(ValidationError, match="asc"):
        query.order("up")
    with pytest.raises(ValidationError, match="limit"):
        query.limit(0)


def test_gsi_must_hold_what_is_selected_or_filtered() -> None:
    # Order's by-state GSI holds keys only.
    with pytest.raises(QueryPlanError, match="does not project"):
        model(Order).where("state", "=", "open").select(Total).explain()
    with pytest.raises(QueryPlanError, match="does not project"):
        model(Order).where("state", "=", "open").select(OrderKeys).filter("total", ">", 1).explain()
    plan = model(Order).where("state", "=", "open").select(OrderKeys).explain()
    assert plan.index == "by-state"


def test_filter_groups_and_precedence() -> None:
    query = (
        model(Payment)
        .where("customer_id", "=", "c")
        .filter("amount", ">", 1)
        .filter("currency", "=", "EUR")
        .or_filter_group(lambda g: g.filter("note", "exists").or_filter("size(tags)", ">", 2))
        .filter_group(cond("status", "=", Status.PAID) | ~cond("note", "contains", "x"))
    )
    assert query.explain().describe()["filter"] == (
        '(amount > 1 AND currency = "EUR") OR ((attribute_exists(note) OR size(tags) > 2) '
        'AND (status = "paid" OR NOT contains(note, "x")))'
    )


def test_reserved_words_and_odd_names_always_use_placeholders() -> None:
    plan = model(Payment).where("customer_id", "=", "c").filter("status", "=", Status.PAID)
    request = plan.explain().request()
    assert "status" not in request["FilterExpression"]
    assert request["ExpressionAttributeNames"]["#n1"] == "status"
