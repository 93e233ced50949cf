"""A POS written against a client that openapi-python-client generated from the served spec.

Run by scripts/client-test: argv[1] is the daemon's Unix socket, argv[2] the directory the
generated package `giftbridge_local_api_client` was written to, argv[3] the served JSON document. Every
operation goes through the generated functions and models; a reply that is not the documented
model, a missing operation or field, or an event that its schema refuses fails the run.
"""
import json
import sys
import threading
import time

import httpx
import jsonschema

socket_path, package_dir, document_path = sys.argv[1:4]
sys.path.insert(0, package_dir)

from giftbridge_local_api_client import Client  # noqa: E402
from giftbridge_local_api_client.api.gift import (  # noqa: E402
    gift_balance, gift_redeem, gift_reload, gift_reverse, gift_sell)
from giftbridge_local_api_client.api.events import simulate_swipe  # noqa: E402
from giftbridge_local_api_client.api.holds import confirm_hold, reserve_hold  # noqa: E402
from giftbridge_local_api_client.api.prepaid import create_prepaid_transaction, get_prepaid_balance  # noqa: E402
from giftbridge_local_api_client.models import (  # noqa: E402
    BalanceReply, BalanceRequest, CardInfo, Contact, Error422, Error409, HoldActionRequest, HoldReply, HoldRequest,
    PrepaidTransaction, PrepaidTransactionRequest, RedeemRequest, ReloadRequest, ReverseRequest, SellRequest, SimulateSwipeRequest,
    TransactionReply)

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def expect(reply, model, what):
    check(isinstance(reply, model), f"{what}: {type(reply).__name__}")
    if not isinstance(reply, model):
        print("     got:", reply)
    return reply


client = Client(base_url="http://localhost", httpx_args={"transport": httpx.HTTPTransport(uds=socket_path)},
                raise_on_unexpected_status=True)

# The event stream, read beside the calls; every message is checked against its schema.
document = json.load(open(document_path))
event_schema = {"$ref": "#/components/schemas/Event", "components": document["components"]}
validator = jsonschema.Draft202012Validator(event_schema)
events, stream_open = [], threading.Event()


def read_events():
    with httpx.Client(transport=httpx.HTTPTransport(uds=socket_path), timeout=None) as http:
        with http.stream("GET", "http://localhost/v1/events") as r:
            message = {}
            for line in r.iter_lines():
                stream_open.set()
                if line.startswith("id: "):
                    message["id"] = int(line[4:])
                elif line.startswith("event: "):
                    message["event"] = line[7:]
                elif line.startswith("data: "):
                    message["data"] = json.loads(line[6:])
                elif line == "" and message:
                    events.append(message)
                    message = {}


# Every example in the document is an instance of its schema: the request bodies' and the replies'.
def schema_errors(schema, value):
    v = jsonschema.Draft202012Validator({**schema, "components": document["components"]})
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(value)][:3]


examples = 0
for name, schema in document["components"]["schemas"].items():
    if "example" in schema:
        examples += 1
        problems = schema_errors({"$ref": f"#/components/schemas/{name}"}, schema["example"])
        check(not problems, f"the example of {name} is one {problems}")
for path, item in document["paths"].items():
    for method, operation in item.items():
        bodies = [operation.get("requestBody", {})] + list(operation["responses"].values())
        for body in bodies:
            for media in body.get("content", {}).values():
                if "example" in media and "schema" in media and media["schema"].get("type") != "string":
                    examples += 1
                    problems = schema_errors(media["schema"], media["example"])
                    check(not problems, f"{method.upper()} {path}: its example is as documented {problems}")
check(examples >= 50, f"{examples} examples checked")

threading.Thread(target=read_events, daemon=True).start()
check(stream_open.wait(10), "the event stream opened")

card = "6035710000000000"    # demo: active, 25.00 EUR
unsold = "6035710000000048"  # demo: inactive

balance = expect(gift_balance.sync(client=client, body=BalanceRequest(card_info=CardInfo(printed_card_number=card))), BalanceReply, "balance")
start = balance.current_balance_minor
check(balance.masked_card_number.endswith("0000") and card not in balance.masked_card_number, "balance: the number is masked")

sold = expect(gift_sell.sync(client=client, body=SellRequest(card_info=CardInfo(printed_card_number=unsold), amount=2500)), TransactionReply, "sell")
check(sold.current_balance.minor == 2500 and sold.kind.value == "sell", "sell: 25.00 on the new card")

reloaded = expect(gift_reload.sync(client=client, body=ReloadRequest(card_info=CardInfo(printed_card_number=unsold), amount=1000)), TransactionReply, "reload")
check(reloaded.current_balance.minor == 3500, "reload: 35.00")

redeemed = expect(gift_redeem.sync(client=client, body=RedeemRequest(card_info=CardInfo(printed_card_number=card), amount=450, tip=50)), TransactionReply, "redeem with tip")
check(redeemed.current_balance.minor == start - 500 and redeemed.tip.minor == 50, "redeem: amount and tip taken")

back = expect(gift_reverse.sync(client=client, body=ReverseRequest(transaction_id=redeemed.transaction_id)), TransactionReply, "reverse by id")
check(back.current_balance.minor == start and back.reverses_transaction_id == redeemed.transaction_id, "reverse by id: balance restored")

external = f"pos-{time.time_ns()}"
expect(gift_redeem.sync(client=client, body=RedeemRequest(card_info=CardInfo(printed_card_number=card), amount=300, external_transaction_id=external)), TransactionReply, "redeem with an external id")
by_external = expect(gift_reverse.sync(client=client, body=ReverseRequest(external_transaction_id=external)), TransactionReply, "reverse by external id")
check(by_external.current_balance.minor == start, "reverse by external id: balance restored")

again = gift_reverse.sync(client=client, body=ReverseRequest(external_transaction_id=external))
check(isinstance(again, Error409) and again.error.code.value == "already_reversed", f"a second reverse is the typed 409: {again}")
too_much = gift_redeem.sync(client=client, body=RedeemRequest(card_info=CardInfo(printed_card_number=card), amount=start + 1))
check(isinstance(too_much, Error422) and too_much.error.code.value == "insufficient_funds", f"too much is the typed 422: {too_much}")

hold = expect(reserve_hold.sync(client=client, body=HoldRequest(card_info=CardInfo(printed_card_number=card), amount=700)), HoldReply, "hold reserve")
check(hold.status.value == "NEEDS_CONFIRMATION", "hold: needs confirmation")
captured = expect(confirm_hold.sync(id=hold.id, client=client, body=HoldActionRequest()), TransactionReply, "hold confirm")
check(captured.current_balance.minor == start - 700 and captured.hold_id == hold.id, "hold confirm: captured")

before = expect(get_prepaid_balance.sync(uuid="demo-contact-1", client=client), Contact, "prepaid balance")
prepaid = expect(create_prepaid_transaction.sync(client=client, body=PrepaidTransactionRequest(
    contact_uuid="demo-contact-1", shop_uuid="demo-shop", amount=-250)), PrepaidTransaction, "prepaid booking")
check(prepaid.prepaid_balance.minor == before.prepaid_balance.minor - 250 and prepaid.amount.minor == -250, "prepaid booking: 2.50 taken")
after = expect(get_prepaid_balance.sync(uuid="demo-contact-1", client=client), Contact, "prepaid balance after")
check(after.prepaid_balance.minor == prepaid.prepaid_balance.minor, "prepaid balance: as booked")

# A swipe: its card.read and gift.balance events, and the balance of the card just read by its readId.
simulate_swipe.sync(client=client, body=SimulateSwipeRequest(text=";6035710000000000=49121200?"))
deadline = time.time() + 5
while time.time() < deadline and not any(e["event"] == "card.read" for e in events):
    time.sleep(0.05)
read = next((e for e in events if e["event"] == "card.read"), None)
check(read is not None and read["data"]["maskedCardNumber"] == "603571******0000", "the swipe's card.read arrived, masked")
if read:
    by_read = expect(gift_balance.sync(client=client, body=BalanceRequest(read_id=read["data"]["readId"])), BalanceReply, "balance by readId")
    check(by_read.current_balance_minor == start - 700, "balance by readId: the card just read")

# The events of these calls arrived, each as its schema says.
deadline = time.time() + 5
wanted = {"gift.balance", "gift.transaction", "hold.reserved", "hold.confirmed", "prepaid.transaction"}
while time.time() < deadline and not wanted <= {e["event"] for e in events}:
    time.sleep(0.05)
seen = {e["event"] for e in events}
check(wanted | {"card.read"} <= seen, f"events seen: {sorted(seen)}")
for e in events:
    problems = [f"{'/'.join(map(str, p.absolute_path))}: {p.message}" for p in validator.iter_errors(e)]
    check(not problems, f"event {e['id']} {e['event']} is as documented {problems[:3]}")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
