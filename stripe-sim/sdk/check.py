"""Stripe's official Python SDK (PyPI `stripe`) against the simulator.

Run by scripts/sdk-tests.sh with SIM_BASE (http://127.0.0.1:PORT) and SIM_SK in the
environment. Prints one `ok - name` / `not ok - name` line per check.
"""

import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request

import stripe

BASE = os.environ["SIM_BASE"]
SK = os.environ["SIM_SK"]
RETURN_URL = "https://shop.example/return"
SUCCESS_URL = "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}"

client = stripe.StripeClient(SK, base_addresses={"api": BASE})
failures = 0


def check(name, fn):
    global failures
    try:
        fn()
        print(f"ok - python: {name}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported the same way
        failures += 1
        print(f"not ok - python: {name}: {type(e).__name__}: {e}", flush=True)
        for line in traceback.format_exc().splitlines()[-6:]:
            print(f"#   {line}", flush=True)


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def pay_on_hosted_page(url, number):
    """Submits the hosted Checkout page's form; returns (status, Location)."""
    body = urllib.parse.urlencode(
        {
            "email": "jenny@example.com",
            "number": number,
            "expiry": "12 / 34",
            "cvc": "123",
            "name": "Jenny Rosen",
            "country": "US",
            "postal_code": "94103",
        }
    ).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=body, method="POST")) as r:
            return r.status, r.headers.get("Location")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location")


state = {}


def create_token():
    token = client.v1.test_helpers.confirmation_tokens.create(
        params={
            "payment_method": "pm_card_visa",
            "return_url": RETURN_URL,
            "shipping": {"name": "Jenny Rosen", "address": {"line1": "1 Main St", "country": "US"}},
        }
    )
    expect(token.id.startswith("ctoken_"), token.id)
    expect(token.object == "confirmation_token", token.object)
    expect(token.use_stripe_sdk is True, "use_stripe_sdk")
    expect(token.expires_at == token.created + 43200, "expires_at")
    state["token"] = token


def retrieve_token():
    token = client.v1.confirmation_tokens.retrieve(state["token"].id)
    expect(token.id == state["token"].id, token.id)
    expect(token.payment_method_preview.card.last4 == "4242", "last4")
    expect(token.shipping.name == "Jenny Rosen", "shipping")
    expect(token.payment_intent is None, "unused")


def confirm_with_token():
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "confirmation_token": state["token"].id,
            "automatic_payment_methods": {"enabled": True},
            "metadata": {"order_id": "42"},
        },
        options={"idempotency_key": f"confirm-{state['token'].id}"},
    )
    expect(pi.status == "succeeded", pi.status)
    expect(pi.payment_method.startswith("pm_"), pi.payment_method)
    expect(pi.shipping.name == "Jenny Rosen", "shipping from the token")
    state["pi"] = pi
    replay = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "confirmation_token": state["token"].id,
            "automatic_payment_methods": {"enabled": True},
            "metadata": {"order_id": "42"},
        },
        options={"idempotency_key": f"confirm-{state['token'].id}"},
    )
    expect(replay.id == pi.id, "an idempotent retry replays the PaymentIntent")
    used = client.v1.confirmation_tokens.retrieve(state["token"].id)
    expect(used.payment_intent == pi.id, "payment_intent on the token")
    expect(used.expires_at is None, "expires_at null once used")


def token_is_single_use():
    try:
        client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "confirm": True,
                "confirmation_token": state["token"].id,
                "return_url": RETURN_URL,
            }
        )
    except stripe.InvalidRequestError as e:
        expect(e.code == "confirmation_token_already_used", e.code)
        expect(e.http_status == 400, e.http_status)
        return
    raise AssertionError("a used token was accepted")


def decline_with_token():
    token = client.v1.test_helpers.confirmation_tokens.create(
        params={"payment_method": "pm_card_chargeDeclined", "return_url": RETURN_URL}
    )
    try:
        client.v1.payment_intents.create(
            params={"amount": 2000, "currency": "usd", "confirm": True, "confirmation_token": token.id}
        )
    except stripe.CardError as e:
        expect(e.code == "card_declined", e.code)
        pi = e.error.payment_intent
        expect(pi is not None and pi.status == "requires_payment_method", "the PaymentIntent in the error")
        retry = client.v1.test_helpers.confirmation_tokens.create(
            params={"payment_method": "pm_card_visa", "return_url": RETURN_URL}
        )
        confirmed = client.v1.payment_intents.confirm(pi.id, params={"confirmation_token": retry.id})
        expect(confirmed.status == "succeeded", confirmed.status)
        return
    raise AssertionError("no CardError")


def global_style():
    stripe.api_key = SK
    stripe.api_base = BASE
    token = stripe.ConfirmationToken.TestHelpers.create(payment_method="pm_card_mastercard")
    again = stripe.ConfirmationToken.retrieve(token.id)
    expect(again.payment_method_preview.card.brand == "mastercard", again.payment_method_preview.card.brand)


def create_session():
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "usd", "unit_amount": 1250, "product_data": {"name": "T-shirt"}},
                    "quantity": 2,
                }
            ],
            "customer_email": "jenny@example.com",
            "client_reference_id": "cart_42",
            "metadata": {"cart": "42"},
            "payment_intent_data": {"metadata": {"order_id": "42"}},
            "success_url": SUCCESS_URL,
            "cancel_url": "https://shop.example/cart",
        }
    )
    expect(session.id.startswith("cs_test_"), session.id)
    expect(session.status == "open" and session.payment_status == "unpaid", session.status)
    expect(session.amount_total == 2500, session.amount_total)
    expect(session.url == f"{BASE}/c/pay/{session.id}", session.url)
    state["session"] = session


def retrieve_session():
    session = client.v1.checkout.sessions.retrieve(state["session"].id, params={"expand": ["line_items"]})
    expect(session.id == state["session"].id, session.id)
    expect(session.line_items.data[0].quantity == 2, "line items")
    expect(session.payment_intent is None, "no PaymentIntent before payment")


def pay_session():
    session = state["session"]
    status, location = pay_on_hosted_page(session.url, "4242424242424242")
    expect(status == 303, status)
    expect(location == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session.id), location)
    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    expect(paid.status == "complete" and paid.payment_status == "paid", paid.payment_status)
    expect(paid.payment_intent.metadata["order_id"] == "42", "payment_intent_data[metadata]")
    state["paid_pi"] = paid.payment_intent.id


def list_sessions():
    listed = client.v1.checkout.sessions.list(params={"payment_intent": state["paid_pi"]})
    expect([s.id for s in listed.data] == [state["session"].id], [s.id for s in listed.data])
    everything = client.v1.checkout.sessions.list(params={"limit": 100})
    expect(any(s.id == state["session"].id for s in everything.data), "listed")


def expire_session():
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {"price_data": {"currency": "usd", "unit_amount": 900, "product_data": {"name": "Mug"}}, "quantity": 1}
            ],
            "success_url": SUCCESS_URL,
        }
    )
    expired = client.v1.checkout.sessions.expire(session.id)
    expect(expired.status == "expired" and expired.url is None, expired.status)
    try:
        client.v1.checkout.sessions.expire(session.id)
    except stripe.InvalidRequestError:
        pass
    else:
        raise AssertionError("an expired Session was expired again")
    events = client.v1.events.list(params={"type": "checkout.session.expired"})
    expect(any(e.data.object["id"] == session.id for e in events.data), "checkout.session.expired")


for name, fn in [
    ("test helper creates a ConfirmationToken", create_token),
    ("retrieve the ConfirmationToken", retrieve_token),
    ("create and confirm a PaymentIntent with it (idempotent)", confirm_with_token),
    ("a used ConfirmationToken is refused", token_is_single_use),
    ("a decline, then a new token on /confirm", decline_with_token),
    ("module-level ConfirmationToken API", global_style),
    ("create a Checkout Session", create_session),
    ("retrieve a Checkout Session", retrieve_session),
    ("pay it on the hosted page", pay_session),
    ("list Checkout Sessions", list_sessions),
    ("expire a Checkout Session", expire_session),
]:
    check(name, fn)

sys.exit(1 if failures else 0)
