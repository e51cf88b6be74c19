"""schemathesis hooks for fuzzing the sandbox (see sandbox/README.md).

A client sends a fresh Idempotency-Key with every new request; the API (and
the sandbox) answers a repeated key with the first answer. Left alone, the
fuzzer draws the same few keys again and again (its smallest examples), so a
valid body sent under a key first used for an invalid one gets the stored
400 back. A key the operation's own header schema accepts is replaced by a
fresh one of the same validity; a key generated to break that schema is kept.
"""

import uuid

import schemathesis

KEY = "Idempotency-Key"


def length_rule(operation):
    for parameter in operation.headers:
        if parameter.definition.get("name") == KEY:
            schema = parameter.definition.get("schema", {})
            return schema.get("minLength", 0), schema.get("maxLength", 10**9)
    return None


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    key = headers.get(KEY)
    rule = length_rule(case.operation)
    if not isinstance(key, str) or rule is None:
        return
    low, high = rule
    fresh = str(uuid.uuid4())
    if low <= len(key) <= high and low <= len(fresh) <= high:
        headers[KEY] = fresh
        case.headers = headers
