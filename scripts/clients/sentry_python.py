"""Debian's python3-sentry-sdk against Lore: a transaction with a child
span, an exception raised in a helper and captured inside it, a breadcrumb
and a tag; no release, so Lore names the service after the SDK. Driven by
internal/e2e's TestClients; prints the trace id as JSON."""
import json
import os

import sentry_sdk

url = os.environ["LORE_URL"]
scheme, host = url.split("://", 1)
sentry_sdk.init(dsn=f"{scheme}://{os.environ['LORE_KEY']}@{host}/1", traces_sample_rate=1.0, environment="test")


def load_invoice(invoice_id):
    invoices = {}
    return invoices[invoice_id]


with sentry_sdk.start_transaction(op="task", name="send-invoices") as tx:
    sentry_sdk.set_tag("tenant", "acme")
    sentry_sdk.add_breadcrumb(category="queue", message="picked up batch 7")
    with tx.start_child(op="db.query", description="SELECT * FROM invoices"):
        pass
    try:
        load_invoice("inv-" + os.environ["RUN"])
    except KeyError as e:
        sentry_sdk.capture_exception(e)
    trace_id = tx.trace_id
sentry_sdk.flush(5)
print(json.dumps({"traceId": trace_id}))
