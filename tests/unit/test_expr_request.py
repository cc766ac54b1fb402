from dynamorm_async.expr import (
    KeyCondition,
    Placeholders,
    Update,
    compare,
    compile_request,
    projection,
)

S1 = {"S": "shipped"}
N1 = {"N": "1"}
N3 = {"N": "3"}


def test_update_condition_projection_share_one_accumulator() -> None:
    ph = Placeholders()
    update = Update().set("status", S1).add("version", N1).remove("meta.draft")
    condition = compare("version", "=", N3) & compare("meta.region", "exists")
    expressions = {
        "UpdateExpression": update.compile(ph),
        "ConditionExpression": condition.compile(ph),
        "ProjectionExpression": projection(["status", "meta.region", "data"], ph),
    }
    assert expressions == {
        # Placeholders are handed out in the order the text is written: SET, REMOVE, ADD.
        "UpdateExpression": "SET #n0 = :v0 REMOVE #n1.#n2 ADD #n3 :v1",
        "ConditionExpression": "#n3 = :v2 AND attribute_exists(#n1.#n4)",
        "ProjectionExpression": "#n0, #n1.#n4, #n5",
    }
    assert ph.params() == {
        "ExpressionAttributeNames": {
            "#n0": "status",
            "#n1": "meta",
            "#n2": "draft",
            "#n3": "version",
            "#n4": "region",
            "#n5": "data",
        },
        "ExpressionAttributeValues": {":v0": S1, ":v1": N1, ":v2": N3},
    }


def test_compile_request_query() -> None:
    request = compile_request(
        key_condition=KeyCondition("pk", {"S": "u#1"}, compare("sk", "begins_with", {"S": "o#"})),
        filter_condition=compare("status", "<>", S1),
        projection=["sk", "status"],
    )
    assert request == {
        "KeyConditionExpression": "#n0 = :v0 AND begins_with(#n1, :v1)",
        "FilterExpression": "#n2 <> :v2",
        "ProjectionExpression": "#n1, #n2",
        "ExpressionAttributeNames": {"#n0": "pk", "#n1": "sk", "#n2": "status"},
        "ExpressionAttributeValues": {":v0": {"S": "u#1"}, ":v1": {"S": "o#"}, ":v2": S1},
    }


def test_compile_request_update_with_condition() -> None:
    request = compile_request(
        update=Update().increment("version", N1),
        condition=compare("version", "=", N3),
    )
    assert request == {
        "UpdateExpression": "SET #n0 = #n0 + :v0",
        "ConditionExpression": "#n0 = :v1",
        "ExpressionAttributeNames": {"#n0": "version"},
        "ExpressionAttributeValues": {":v0": N1, ":v1": N3},
    }


def test_compile_request_leaves_out_empty_maps() -> None:
    assert compile_request() == {}
    assert compile_request(condition=compare("pk", "not_exists")) == {
        "ConditionExpression": "attribute_not_exists(#n0)",
        "ExpressionAttributeNames": {"#n0": "pk"},
    }
