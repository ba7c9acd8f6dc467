//! ConfirmationTokens (https://docs.stripe.com/api/confirmation_tokens): created by Stripe.js
//! with the publishable key or by the test helper with the secret key, retrieved by the
//! server, and used once to create and confirm a PaymentIntent
//! (https://docs.stripe.com/payments/finalize-payments-on-the-server).

use crate::common::{self, start, start_with, Resp, Sim, PK, SK};
use serde_json::Value;
use std::time::Duration;
use stripe_sim::Simulator;

/// What Stripe.js's card frame does: a PaymentMethod from raw card details, publishable key.
pub async fn card_pm(sim: &Sim, number: &str) -> String {
    let r = sim
        .call(
            "POST",
            "/v1/payment_methods",
            PK,
            &[
                ("type", "card"),
                ("card[number]", number),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
                ("billing_details[address][postal_code]", "94103"),
                ("billing_details[address][country]", "US"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

/// What `stripe.createConfirmationToken()` sends for a deferred `mode: 'payment'` group in
/// `currency` (plus `extra`).
pub async fn elements_token(
    sim: &Sim,
    number: &str,
    currency: &str,
    extra: &[(&str, &str)],
) -> Value {
    let pm = card_pm(sim, number).await;
    let mut form = vec![
        ("payment_method", pm.as_str()),
        ("elements[mode]", "payment"),
        ("elements[amount]", "2000"),
        ("elements[currency]", currency),
    ];
    form.extend_from_slice(extra);
    let r = sim
        .call("POST", "/v1/confirmation_tokens", PK, &form, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

pub async fn helper_token(sim: &Sim, form: &[(&str, &str)]) -> Value {
    let r = sim.post("/v1/test_helpers/confirmation_tokens", form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// `POST /v1/payment_intents` with `confirm=true&confirmation_token=…`, as the shop's server
/// does it.
async fn create_and_confirm(
    sim: &Sim,
    token: &str,
    extra: &[(&str, &str)],
    key: Option<&str>,
) -> Resp {
    let mut form = vec![
        ("amount", "2000"),
        ("currency", "usd"),
        ("confirm", "true"),
        ("confirmation_token", token),
        ("automatic_payment_methods[enabled]", "true"),
        ("return_url", "https://shop.example/return"),
        ("metadata[order_id]", "42"),
    ];
    form.extend_from_slice(extra);
    sim.call("POST", "/v1/payment_intents", SK, &form, key)
        .await
}

async fn counts(sim: &Sim) -> (usize, usize) {
    let pis = sim.get("/v1/payment_intents?limit=100").await.body;
    let events = sim.get("/v1/events?limit=100").await.body;
    (
        pis["data"].as_array().unwrap().len(),
        events["data"].as_array().unwrap().len(),
    )
}

#[tokio::test]
async fn stripe_js_creates_a_token_the_server_retrieves() {
    let sim = start().await;
    let token = elements_token(
        &sim,
        "4242424242424242",
        "usd",
        &[
            ("return_url", "https://shop.example/return"),
            ("shipping[name]", "Jenny Rosen"),
            ("shipping[address][line1]", "1 Main St"),
            ("shipping[address][city]", "San Francisco"),
            ("shipping[address][postal_code]", "94103"),
            ("shipping[address][country]", "US"),
            ("payment_method_data[billing_details][name]", "Jenny Rosen"),
            (
                "payment_method_data[billing_details][email]",
                "jenny@example.com",
            ),
        ],
    )
    .await;
    let tid = id(&token);
    assert!(tid.starts_with("ctoken_"), "{tid}");
    assert_eq!(tid.len(), "ctoken_".len() + 24);
    assert!(tid[7..].chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(token["object"], "confirmation_token");
    assert_eq!(token["livemode"], false);
    assert_eq!(token["use_stripe_sdk"], true);
    assert_eq!(
        token["expires_at"].as_i64().unwrap(),
        token["created"].as_i64().unwrap() + 43_200
    );
    assert!(token["payment_intent"].is_null());
    assert!(token["setup_intent"].is_null());
    assert!(token["mandate_data"].is_null());
    assert_eq!(token["return_url"], "https://shop.example/return");
    assert_eq!(token["shipping"]["name"], "Jenny Rosen");
    assert_eq!(token["shipping"]["address"]["line1"], "1 Main St");
    assert!(token["shipping"]["address"]["line2"].is_null());
    assert!(token["shipping"]["phone"].is_null());
    let preview = &token["payment_method_preview"];
    assert_eq!(preview["type"], "card");
    assert_eq!(preview["card"]["last4"], "4242");
    assert_eq!(preview["card"]["brand"], "visa");
    assert_eq!(preview["billing_details"]["name"], "Jenny Rosen");
    assert_eq!(preview["billing_details"]["email"], "jenny@example.com");
    assert_eq!(
        preview["billing_details"]["address"]["postal_code"],
        "94103"
    );
    assert!(
        !token.to_string().contains("4242424242424242"),
        "the card number is never shown"
    );

    // The server reads it with the secret key; the publishable key may not.
    let r = sim.get(&format!("/v1/confirmation_tokens/{tid}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, token);
    let r = sim
        .call(
            "GET",
            &format!("/v1/confirmation_tokens/{tid}"),
            PK,
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    // And only Stripe.js's key creates them on this route.
    let r = sim
        .call(
            "POST",
            "/v1/confirmation_tokens",
            SK,
            &[("payment_method", "pm_card_visa")],
            None,
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);

    // Unknown tokens.
    let r = sim
        .get("/v1/confirmation_tokens/ctoken_nope000000000000000000")
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"]["type"], "invalid_request_error");
    assert_eq!(r.body["error"]["code"], "resource_missing");
    assert_eq!(r.body["error"]["param"], "confirmation_token");
    assert_eq!(
        r.body["error"]["message"],
        "No such confirmationtoken: 'ctoken_nope000000000000000000'"
    );

    // Bad input changes nothing.
    for form in [
        vec![("elements[currency]", "usd")],
        vec![("payment_method", "pm_nope")],
        vec![
            ("payment_method", "pm_card_visa"),
            ("elements[currency]", "xyz"),
        ],
        vec![
            ("payment_method", "pm_card_visa"),
            ("elements[capture_method]", "later"),
        ],
        vec![
            ("payment_method", "pm_card_visa"),
            ("shipping[address][line1]", "x"),
        ],
        vec![
            ("payment_method", "pm_card_visa"),
            ("elements[colour]", "red"),
        ],
        vec![
            ("payment_method", "pm_card_visa"),
            ("elements[amount]", "lots"),
        ],
    ] {
        let r = sim
            .call("POST", "/v1/confirmation_tokens", PK, &form, None)
            .await;
        assert!(
            r.status == 400 || r.status == 404,
            "{form:?}: {} {}",
            r.status,
            r.body
        );
        assert_eq!(r.body["error"]["type"], "invalid_request_error", "{form:?}");
    }
}

#[tokio::test]
async fn the_test_helper_makes_tokens_from_test_payment_methods_or_card_details() {
    let sim = start().await;
    let token = helper_token(
        &sim,
        &[
            ("payment_method", "pm_card_visa"),
            ("return_url", "https://shop.example/return"),
            ("setup_future_usage", "off_session"),
            ("shipping[name]", "Jenny Rosen"),
            ("shipping[phone]", "+15555550100"),
            ("shipping[address][line1]", "1 Main St"),
            ("shipping[address][country]", "US"),
            ("expand[]", "payment_method_preview"),
        ],
    )
    .await;
    assert_eq!(token["setup_future_usage"], "off_session");
    assert_eq!(token["shipping"]["phone"], "+15555550100");
    assert_eq!(token["payment_method_preview"]["card"]["last4"], "4242");
    assert_eq!(token["use_stripe_sdk"], true);
    assert_eq!(
        sim.get(&format!("/v1/confirmation_tokens/{}", id(&token)))
            .await
            .body,
        token
    );

    let token = helper_token(
        &sim,
        &[
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", "5555555555554444"),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2034"),
            ("payment_method_data[card][cvc]", "123"),
            ("payment_method_data[billing_details][name]", "Jenny Rosen"),
            (
                "payment_method_options[card][installments][plan][type]",
                "fixed_count",
            ),
            (
                "payment_method_options[card][installments][plan][count]",
                "3",
            ),
            (
                "payment_method_options[card][installments][plan][interval]",
                "month",
            ),
        ],
    )
    .await;
    let card = &token["payment_method_preview"]["card"];
    assert_eq!(card["brand"], "mastercard");
    assert_eq!(card["last4"], "4444");
    assert_eq!(
        token["payment_method_preview"]["billing_details"]["name"],
        "Jenny Rosen"
    );
    assert_eq!(
        token["payment_method_options"]["card"]["installments"]["plan"]["count"],
        3
    );
    assert!(!token.to_string().contains("5555555555554444"));

    // The secret key only, and a payment method is required.
    let r = sim
        .call(
            "POST",
            "/v1/test_helpers/confirmation_tokens",
            PK,
            &[("payment_method", "pm_card_visa")],
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    for form in [
        vec![],
        vec![("payment_method", "pm_card_nope")],
        vec![
            ("payment_method", "pm_card_visa"),
            ("setup_future_usage", "always"),
        ],
        vec![("payment_method_data[type]", "sepa_debit")],
        vec![("payment_method", "pm_card_visa"), ("shipping[name]", "x")],
        vec![("payment_method", "pm_card_visa"), ("colour", "red")],
    ] {
        let r = sim
            .post("/v1/test_helpers/confirmation_tokens", &form)
            .await;
        assert!(r.status == 400 || r.status == 404, "{form:?}: {}", r.body);
    }
}

#[tokio::test]
async fn a_token_creates_and_confirms_a_payment_intent_once() {
    let sim = start().await;
    let token = elements_token(&sim, "4242424242424242", "usd", &[]).await;
    let tid = id(&token);
    let r = create_and_confirm(&sim, tid, &[], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pi = &r.body;
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["metadata"]["order_id"], "42");
    let pm = pi["payment_method"].as_str().unwrap();
    assert!(pm.starts_with("pm_"));
    let pi_id = id(pi).to_string();
    let used = sim
        .get(&format!("/v1/confirmation_tokens/{tid}"))
        .await
        .body;
    assert_eq!(used["payment_intent"], pi_id.as_str());
    assert!(used["expires_at"].is_null());
    assert_eq!(
        sim.event_types_for(&pi_id).await,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded"
        ]
    );

    // Single use: a second PaymentIntent with it is refused and nothing is created.
    let before = counts(&sim).await;
    let r = create_and_confirm(&sim, tid, &[], None).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["type"], "invalid_request_error");
    assert_eq!(r.body["error"]["code"], "confirmation_token_already_used");
    assert_eq!(
        r.body["error"]["message"],
        "This ConfirmationToken has already been used."
    );
    assert_eq!(r.body["error"]["param"], "confirmation_token");
    assert_eq!(counts(&sim).await, before, "no PaymentIntent, no event");
    // Nor on /confirm of another PaymentIntent.
    let other = sim.create_pi("2000").await;
    let r = sim
        .confirm_with(
            id(&other),
            &[
                ("confirmation_token", tid),
                ("return_url", "https://shop.example/return"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        sim.retrieve_pi(id(&other)).await["status"],
        "requires_payment_method"
    );

    // Unknown tokens: 400 with resource_missing, nothing created.
    let before = counts(&sim).await;
    let r = create_and_confirm(&sim, "ctoken_unknown00000000000000000", &[], None).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "resource_missing");
    assert_eq!(r.body["error"]["param"], "confirmation_token");
    assert_eq!(
        r.body["error"]["message"],
        "No such confirmationtoken: 'ctoken_unknown00000000000000000'"
    );
    assert_eq!(counts(&sim).await, before);
}

#[tokio::test]
async fn request_parameters_beat_the_tokens_values() {
    let sim = start().await;
    let token = helper_token(
        &sim,
        &[
            ("payment_method", "pm_card_chargeDeclined"),
            ("return_url", "https://shop.example/from-token"),
            ("shipping[name]", "Token Name"),
            ("shipping[address][line1]", "1 Token St"),
        ],
    )
    .await;
    // The request's payment method (4242) wins over the token's declining card.
    let r = create_and_confirm(
        &sim,
        id(&token),
        &[
            ("payment_method", "pm_card_visa"),
            ("shipping[name]", "Request Name"),
            ("shipping[address][line1]", "2 Request St"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "succeeded");
    assert_eq!(r.body["shipping"]["name"], "Request Name");

    // Without them the token's apply: its shipping lands on the PaymentIntent, its return_url
    // satisfies the requirement of automatic payment methods.
    let token = helper_token(
        &sim,
        &[
            ("payment_method", "pm_card_visa"),
            ("return_url", "https://shop.example/from-token"),
            ("shipping[name]", "Token Name"),
            ("shipping[address][line1]", "1 Token St"),
        ],
    )
    .await;
    let r = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("confirmation_token", id(&token)),
                ("automatic_payment_methods[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["shipping"]["name"], "Token Name");
    assert_eq!(r.body["shipping"]["address"]["line1"], "1 Token St");
    assert_eq!(r.body["status"], "succeeded");

    // No return_url on either side: refused before anything is created.
    let token = helper_token(&sim, &[("payment_method", "pm_card_visa")]).await;
    let before = counts(&sim).await;
    let r = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("confirmation_token", id(&token)),
                ("automatic_payment_methods[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["param"], "return_url");
    assert_eq!(counts(&sim).await, before);
    // ... but fine when redirects are off.
    let r = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("confirmation_token", id(&token)),
                ("automatic_payment_methods[enabled]", "true"),
                ("automatic_payment_methods[allow_redirects]", "never"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "succeeded");

    // A token needs confirm=true.
    let token = helper_token(&sim, &[("payment_method", "pm_card_visa")]).await;
    let before = counts(&sim).await;
    let r = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirmation_token", id(&token)),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(counts(&sim).await, before);
}

#[tokio::test]
async fn a_token_expires() {
    let mut config = common::config();
    config.confirmation_token_lifetime = Duration::from_secs(60);
    let sim = start_with(Simulator::in_memory(config)).await;
    let token = elements_token(&sim, "4242424242424242", "usd", &[]).await;
    assert_eq!(
        token["expires_at"].as_i64().unwrap(),
        token["created"].as_i64().unwrap() + 60
    );
    let r = sim.post("/_sim/clock", &[("offset", "61")]).await;
    assert_eq!(r.status, 200);
    let before = counts(&sim).await;
    let r = create_and_confirm(&sim, id(&token), &[], None).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "confirmation_token_expired");
    assert_eq!(
        r.body["error"]["message"],
        "This ConfirmationToken has expired."
    );
    assert_eq!(counts(&sim).await, before);

    // The default is 12 hours.
    let sim = start().await;
    let token = helper_token(&sim, &[("payment_method", "pm_card_visa")]).await;
    sim.post("/_sim/clock", &[("offset", "43100")]).await;
    let r = create_and_confirm(&sim, id(&token), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = helper_token(&sim, &[("payment_method", "pm_card_visa")]).await;
    sim.post("/_sim/clock", &[("offset", "86500")]).await;
    let r = create_and_confirm(&sim, id(&token), &[], None).await;
    assert_eq!(r.body["error"]["code"], "confirmation_token_expired");
}

#[tokio::test]
async fn the_payment_intent_must_match_the_elements_options() {
    let sim = start().await;
    let receiver = common::Receiver::start().await;
    common::subscribe(&sim, &receiver).await;

    // Elements in usd, the PaymentIntent in eur.
    let token = elements_token(&sim, "4242424242424242", "usd", &[]).await;
    let before = counts(&sim).await;
    let r = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "eur"),
                ("confirm", "true"),
                ("confirmation_token", id(&token)),
                ("return_url", "https://shop.example/return"),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["type"], "invalid_request_error");
    assert_eq!(
        r.body["error"]["message"],
        "The provided currency (eur) does not match the expected currency (usd)."
    );
    assert_eq!(counts(&sim).await, before, "no PaymentIntent, no event");
    let unused = sim
        .get(&format!("/v1/confirmation_tokens/{}", id(&token)))
        .await
        .body;
    assert!(
        unused["payment_intent"].is_null(),
        "the token is still usable"
    );

    // On /confirm: the PaymentIntent is left as it was, no failure event.
    let pi = sim
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "eur")],
        )
        .await
        .body;
    let before = sim.event_types_for(id(&pi)).await;
    let r = sim
        .confirm_with(
            id(&pi),
            &[
                ("confirmation_token", id(&token)),
                ("return_url", "https://shop.example/return"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["error"]["message"],
        "The provided currency (eur) does not match the expected currency (usd)."
    );
    assert_eq!(
        sim.retrieve_pi(id(&pi)).await["status"],
        "requires_payment_method"
    );
    assert_eq!(sim.event_types_for(id(&pi)).await, before);

    // setup_future_usage and capture_method.
    let token = elements_token(
        &sim,
        "4242424242424242",
        "usd",
        &[("elements[setup_future_usage]", "off_session")],
    )
    .await;
    assert_eq!(token["setup_future_usage"], "off_session");
    let r = create_and_confirm(&sim, id(&token), &[], None).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["error"]["message"],
        "The provided setup_future_usage (null) does not match the expected setup_future_usage (off_session). Try confirming with a Payment Intent that is configured to use the same parameters as the Stripe Elements."
    );
    let r = create_and_confirm(
        &sim,
        id(&token),
        &[("setup_future_usage", "off_session")],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["setup_future_usage"], "off_session");

    let token = elements_token(&sim, "4242424242424242", "usd", &[]).await;
    let r = create_and_confirm(&sim, id(&token), &[("capture_method", "manual")], None).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["error"]["message"],
        "The provided capture_method (manual) does not match the expected capture_method (automatic). Try confirming with a Payment Intent that is configured to use the same parameters as the Stripe Elements."
    );
    let token = elements_token(
        &sim,
        "4242424242424242",
        "usd",
        &[("elements[capture_method]", "manual")],
    )
    .await;
    let r = create_and_confirm(&sim, id(&token), &[("capture_method", "manual")], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "requires_capture");

    // payment_method_types: the Elements may not offer more than the PaymentIntent takes.
    let token = elements_token(
        &sim,
        "4242424242424242",
        "usd",
        &[
            ("elements[payment_method_types][]", "card"),
            ("elements[payment_method_types][]", "link"),
        ],
    )
    .await;
    let before = counts(&sim).await;
    let r = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("confirmation_token", id(&token)),
                ("payment_method_types[]", "card"),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(counts(&sim).await, before);

    // No payment_intent.payment_failed went out for any of these.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver
        .received()
        .iter()
        .all(|d| d.event["type"] != "payment_intent.payment_failed"));
}

#[tokio::test]
async fn a_declined_token_is_spent_and_a_new_one_confirms_the_same_payment_intent() {
    let sim = start().await;
    let token = elements_token(&sim, "4000000000000002", "usd", &[]).await;
    let r = create_and_confirm(&sim, id(&token), &[], None).await;
    assert_eq!(r.status, 402, "{}", r.body);
    let error = &r.body["error"];
    assert_eq!(error["type"], "card_error");
    assert_eq!(error["code"], "card_declined");
    assert_eq!(error["decline_code"], "generic_decline");
    let pi = &error["payment_intent"];
    assert_eq!(pi["status"], "requires_payment_method");
    let pi_id = id(pi).to_string();
    let spent = sim
        .get(&format!("/v1/confirmation_tokens/{}", id(&token)))
        .await
        .body;
    assert_eq!(spent["payment_intent"], pi_id.as_str());
    assert!(spent["expires_at"].is_null());

    // The shopper tries again: a new token, confirmed on the same PaymentIntent.
    let retry = elements_token(&sim, "4242424242424242", "usd", &[]).await;
    let r = sim
        .confirm_with(
            &pi_id,
            &[
                ("confirmation_token", id(&retry)),
                ("return_url", "https://shop.example/return"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "succeeded");
    assert_eq!(
        sim.event_types_for(&pi_id).await,
        [
            "payment_intent.created",
            "charge.failed",
            "payment_intent.payment_failed",
            "charge.succeeded",
            "payment_intent.succeeded"
        ]
    );
}

#[tokio::test]
async fn three_d_secure_comes_back_for_stripe_js_to_handle() {
    let sim = start().await;
    let token = elements_token(&sim, "4000002500003155", "usd", &[]).await;
    let r = create_and_confirm(&sim, id(&token), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "requires_action");
    assert_eq!(r.body["next_action"]["type"], "use_stripe_sdk");
    let pi = r.body.clone();
    // What `stripe.handleNextAction({clientSecret})` does: read it with the publishable key,
    // show the challenge, which answers through /_sim/3ds/{id}.
    let seen = sim
        .call(
            "GET",
            &format!("/v1/payment_intents/{}", id(&pi)),
            PK,
            &[("client_secret", pi["client_secret"].as_str().unwrap())],
            None,
        )
        .await;
    assert_eq!(seen.body["status"], "requires_action");
    assert_eq!(seen.body["next_action"]["type"], "use_stripe_sdk");
    let r = sim.authenticate(&pi, "complete").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sim.retrieve_pi(id(&pi)).await["status"], "succeeded");

    // A failed challenge: the PaymentIntent wants a new payment method.
    let token = elements_token(&sim, "4000002500003155", "usd", &[]).await;
    let pi = create_and_confirm(&sim, id(&token), &[], None).await.body;
    let r = sim.authenticate(&pi, "fail").await;
    assert_eq!(r.status, 200);
    let after = sim.retrieve_pi(id(&pi)).await;
    assert_eq!(after["status"], "requires_payment_method");
    assert_eq!(
        after["last_payment_error"]["code"],
        "payment_intent_authentication_failure"
    );

    // Asking for the redirect flow explicitly still gets it.
    let token = elements_token(&sim, "4000002500003155", "usd", &[]).await;
    let r = create_and_confirm(&sim, id(&token), &[("use_stripe_sdk", "false")], None).await;
    assert_eq!(
        r.body["next_action"]["type"], "redirect_to_url",
        "{}",
        r.body
    );
}

#[tokio::test]
async fn processing_cards_pass_through_processing() {
    let sim = start().await;
    let token = elements_token(&sim, "4000009900000004", "usd", &[]).await;
    let r = create_and_confirm(&sim, id(&token), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "processing");
    let pi_id = id(&r.body).to_string();
    for _ in 0..100 {
        if sim.retrieve_pi(&pi_id).await["status"] == "succeeded" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never succeeded");
}

#[tokio::test]
async fn an_idempotent_retry_replays_the_first_answer() {
    let sim = start().await;
    let token = elements_token(&sim, "4242424242424242", "usd", &[]).await;
    let key = format!("confirm-{}", id(&token));
    let first = create_and_confirm(&sim, id(&token), &[], Some(&key)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replay = create_and_confirm(&sim, id(&token), &[], Some(&key)).await;
    assert_eq!(replay.status, 200, "not 'already used': {}", replay.body);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(counts(&sim).await.0, 1, "one PaymentIntent");

    // A decline is replayed too (402 with the same PaymentIntent).
    let declined = elements_token(&sim, "4000000000000002", "usd", &[]).await;
    let key = format!("confirm-{}", id(&declined));
    let first = create_and_confirm(&sim, id(&declined), &[], Some(&key)).await;
    assert_eq!(first.status, 402);
    let replay = create_and_confirm(&sim, id(&declined), &[], Some(&key)).await;
    assert_eq!(replay.status, 402);
    assert_eq!(
        replay.body["error"]["payment_intent"]["id"],
        first.body["error"]["payment_intent"]["id"]
    );

    // The same key with another token: Stripe's mismatch error.
    let other = elements_token(&sim, "4242424242424242", "usd", &[]).await;
    let r = create_and_confirm(&sim, id(&other), &[], Some(&key)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["type"], "idempotency_error");
    let unused = sim
        .get(&format!("/v1/confirmation_tokens/{}", id(&other)))
        .await
        .body;
    assert!(unused["payment_intent"].is_null());
}

#[tokio::test]
async fn tokens_survive_a_restart() {
    let path =
        std::env::temp_dir().join(format!("stripe-sim-ctoken-test-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite:{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let sim = start_with(
        Simulator::persistent(common::config(), pool.clone())
            .await
            .unwrap(),
    )
    .await;
    let unused = elements_token(&sim, "4242424242424242", "usd", &[]).await;
    let spent = helper_token(&sim, &[("payment_method", "pm_card_visa")]).await;
    let pi = create_and_confirm(&sim, id(&spent), &[], None).await.body;
    let spent = sim
        .get(&format!("/v1/confirmation_tokens/{}", id(&spent)))
        .await
        .body;
    drop(sim);

    let again = start_with(Simulator::persistent(common::config(), pool).await.unwrap()).await;
    let r = again
        .get(&format!("/v1/confirmation_tokens/{}", id(&unused)))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, unused);
    assert_eq!(
        again
            .get(&format!("/v1/confirmation_tokens/{}", id(&spent)))
            .await
            .body,
        spent
    );
    let r = create_and_confirm(&again, id(&spent), &[], None).await;
    assert_eq!(r.body["error"]["code"], "confirmation_token_already_used");
    let r = create_and_confirm(&again, id(&unused), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.body["id"], pi["id"]);
    let _ = std::fs::remove_file(&path);
}
