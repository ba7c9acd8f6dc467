//! Stripe's request semantics: auth, idempotency, validation, refunds, persistence, faults.

use crate::common::{self, start, start_with, subscribe, Receiver, Sim, PK, SK};
use serde_json::Value;
use std::time::Duration;
use stripe_sim::{SimConfig, Simulator};

#[tokio::test]
async fn keys_are_checked_and_the_publishable_key_sees_a_subset() {
    let sim = start().await;
    let none = sim
        .http
        .post(format!("{}/v1/payment_intents", sim.base))
        .form(&[("amount", "2000")])
        .send()
        .await
        .unwrap();
    assert_eq!(none.status().as_u16(), 401);
    let wrong = sim
        .call(
            "POST",
            "/v1/payment_intents",
            "sk_test_wrong_key_123456",
            &[("amount", "2000"), ("currency", "usd")],
            None,
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["error"]["type"], "invalid_request_error");
    assert!(wrong.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid API Key provided: sk_test_****"));
    let pk_create = sim
        .call(
            "POST",
            "/v1/payment_intents",
            PK,
            &[("amount", "2000"), ("currency", "usd")],
            None,
        )
        .await;
    assert_eq!(pk_create.status, 401);

    let pi = sim.create_pi("2000").await;
    sim.confirm(pi["id"].as_str().unwrap(), "pm_card_visa")
        .await;
    let path = format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap());
    let no_secret = sim.call("GET", &path, PK, &[], None).await;
    assert_eq!(no_secret.status, 400);
    assert_eq!(no_secret.body["error"]["param"], "client_secret");
    let view = sim
        .call(
            "GET",
            &path,
            PK,
            &[("client_secret", pi["client_secret"].as_str().unwrap())],
            None,
        )
        .await;
    assert_eq!(view.status, 200);
    assert_eq!(view.body["status"], "succeeded");
    for hidden in ["metadata", "latest_charge", "amount_received", "customer"] {
        assert!(
            view.body.get(hidden).is_none(),
            "{hidden} leaked to the publishable key"
        );
    }
    assert_eq!(sim.get(&path).await.body["metadata"]["order_id"], "ord_1");

    // Basic auth with the key as user name works too (curl -u sk_test_…:).
    let basic = sim
        .http
        .get(format!("{}{path}", sim.base))
        .basic_auth(SK, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 200);
    assert!(basic.headers()["request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
}

#[test]
fn live_keys_cannot_run_the_simulator() {
    assert!(SimConfig::new("sk_live_abc", "pk_live_abc").is_err());
    assert!(SimConfig::new("sk_test_abc", "pk_live_abc").is_err());
    assert!(SimConfig::new("rk_test_abc", "pk_test_abc").is_err());
}

#[tokio::test]
async fn amounts_and_currencies_are_validated_like_stripe() {
    let sim = start().await;
    let create = |amount: &'static str, currency: &'static str| {
        let sim = &sim;
        async move {
            sim.post(
                "/v1/payment_intents",
                &[("amount", amount), ("currency", currency)],
            )
            .await
        }
    };
    let small = create("49", "usd").await;
    assert_eq!(small.status, 400);
    assert_eq!(small.body["error"]["code"], "amount_too_small");
    assert_eq!(
        small.body["error"]["message"],
        "Amount must be at least $0.50 usd"
    );
    assert_eq!(create("50", "usd").await.status, 200);
    assert_eq!(
        create("29", "gbp").await.body["error"]["code"],
        "amount_too_small"
    );
    assert_eq!(
        create("50", "jpy").await.body["amount"],
        50,
        "zero-decimal: ¥50 is the minimum"
    );
    assert_eq!(
        create("0", "usd").await.body["error"]["message"],
        "This value must be greater than or equal to 1."
    );
    assert_eq!(
        create("1005", "kwd").await.status,
        400,
        "three-decimal amounts end in 0"
    );
    assert_eq!(create("2000", "USD").await.body["currency"], "usd");
    assert_eq!(
        create("2000", "xyz").await.body["error"]["param"],
        "currency"
    );
    assert_eq!(
        create("abc", "usd").await.body["error"]["code"],
        "parameter_invalid_integer"
    );
    let missing = sim
        .post("/v1/payment_intents", &[("currency", "usd")])
        .await;
    assert_eq!(missing.body["error"]["code"], "parameter_missing");
    let unknown = sim
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd"), ("colour", "red")],
        )
        .await;
    assert_eq!(
        unknown.body["error"]["message"],
        "Received unknown parameter: colour"
    );
}

#[tokio::test]
async fn create_update_and_metadata_follow_stripe() {
    let sim = start().await;
    let r = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1999"),
                ("currency", "usd"),
                ("automatic_payment_methods[enabled]", "true"),
                ("metadata[order_id]", "ord_42"),
                ("receipt_email", "a@b.example"),
                ("description", "Order 42"),
                ("capture_method", "automatic"),
            ],
        )
        .await
        .body;
    let id = r["id"].as_str().unwrap();
    assert!(id.starts_with("pi_") && id.len() == 27);
    assert!(r["client_secret"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{id}_secret_")));
    assert_eq!(r["automatic_payment_methods"]["enabled"], true);
    assert_eq!(r["automatic_payment_methods"]["allow_redirects"], "always");
    assert_eq!(r["receipt_email"], "a@b.example");
    let updated = sim
        .post(
            &format!("/v1/payment_intents/{id}"),
            &[
                ("amount", "2500"),
                ("metadata[order_id]", ""),
                ("metadata[cart]", "c1"),
            ],
        )
        .await
        .body;
    assert_eq!(updated["amount"], 2500);
    assert_eq!(updated["metadata"], serde_json::json!({"cart": "c1"}));
    // A server-side confirm of an automatic-methods PI needs a return_url, like Stripe.
    let no_return = sim
        .confirm_with(id, &[("payment_method", "pm_card_visa")])
        .await;
    assert_eq!(no_return.status, 400);
    assert_eq!(no_return.body["error"]["param"], "return_url");
    assert_eq!(sim.get("/v1/payment_intents/pi_missing").await.status, 404);
}

#[tokio::test]
async fn manual_capture_cancel_and_wrong_states() {
    let sim = start().await;
    let pi = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("return_url", "https://x.example"),
            ],
        )
        .await
        .body;
    let id = pi["id"].as_str().unwrap();
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi["amount_capturable"], 5000);
    let captured = sim
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "4000")],
        )
        .await
        .body;
    assert_eq!(captured["status"], "succeeded");
    assert_eq!(captured["amount_received"], 4000);
    let types = sim.event_types_for(id).await;
    assert_eq!(
        types,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.amount_capturable_updated",
            "charge.captured",
            "payment_intent.succeeded"
        ]
    );
    let cancel = sim
        .post(&format!("/v1/payment_intents/{id}/cancel"), &[])
        .await;
    assert_eq!(cancel.status, 400);
    assert_eq!(
        cancel.body["error"]["code"],
        "payment_intent_unexpected_state"
    );

    let other = sim.create_pi("2000").await;
    let oid = other["id"].as_str().unwrap();
    let canceled = sim
        .post(
            &format!("/v1/payment_intents/{oid}/cancel"),
            &[("cancellation_reason", "abandoned")],
        )
        .await
        .body;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancellation_reason"], "abandoned");
    assert!(canceled["canceled_at"].is_i64());
    assert_eq!(
        sim.confirm(oid, "pm_card_visa").await.body["error"]["code"],
        "payment_intent_unexpected_state"
    );
    assert_eq!(
        sim.event_types_for(oid).await,
        ["payment_intent.created", "payment_intent.canceled"]
    );
}

#[tokio::test]
async fn canceling_takes_a_reason_and_refuses_succeeded_or_processing_payments() {
    // https://docs.stripe.com/api/payment_intents/cancel
    let mut config = common::config();
    config.processing_delay = Duration::from_secs(5);
    let sim = start_with(Simulator::in_memory(config)).await;
    let cancel = |id: String, form: Vec<(&'static str, &'static str)>| {
        let sim = &sim;
        async move {
            sim.post(&format!("/v1/payment_intents/{id}/cancel"), &form)
                .await
        }
    };
    let new_pi = || {
        let sim = &sim;
        async move {
            sim.create_pi("2000").await["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };

    // An abandoned checkout: canceled with the reason, and payment_intent.canceled says so.
    let abandoned = new_pi().await;
    let r = cancel(
        abandoned.clone(),
        vec![("cancellation_reason", "abandoned")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "canceled");
    assert_eq!(r.body["cancellation_reason"], "abandoned");
    assert!(r.body["canceled_at"].is_i64());
    let events = sim
        .call(
            "GET",
            "/v1/events",
            SK,
            &[("type", "payment_intent.canceled")],
            None,
        )
        .await
        .body;
    let event = &events["data"][0];
    assert_eq!(event["data"]["object"]["id"], abandoned.as_str());
    assert_eq!(event["data"]["object"]["status"], "canceled");
    assert_eq!(event["data"]["object"]["cancellation_reason"], "abandoned");
    assert_eq!(
        event["data"]["previous_attributes"]["status"],
        "requires_payment_method"
    );
    assert_eq!(
        sim.retrieve_pi(&abandoned).await["cancellation_reason"],
        "abandoned"
    );

    // The other reasons a client may give; `automatic` is Stripe's own.
    for reason in ["duplicate", "fraudulent", "requested_by_customer"] {
        let r = cancel(new_pi().await, vec![("cancellation_reason", reason)]).await;
        assert_eq!(r.body["cancellation_reason"], reason);
    }
    let refused = cancel(new_pi().await, vec![("cancellation_reason", "automatic")]).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["error"]["param"], "cancellation_reason");

    // Authorized but not captured, or waiting for 3-D Secure: cancelable.
    let held = sim
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("return_url", "https://x.example"),
            ],
        )
        .await
        .body;
    let r = cancel(
        held["id"].as_str().unwrap().to_string(),
        vec![("cancellation_reason", "requested_by_customer")],
    )
    .await;
    assert_eq!(r.body["status"], "canceled");
    assert_eq!(r.body["amount_capturable"], 0);
    let challenged = new_pi().await;
    sim.confirm(&challenged, "pm_card_threeDSecure2Required")
        .await;
    assert_eq!(cancel(challenged, vec![]).await.body["status"], "canceled");

    // Succeeded, processing or already canceled: 400 payment_intent_unexpected_state, the
    // PaymentIntent unchanged and no event.
    let succeeded = new_pi().await;
    sim.confirm(&succeeded, "pm_card_visa").await;
    let processing = new_pi().await;
    assert_eq!(
        sim.confirm(&processing, "pm_card_simProcessingSucceeds")
            .await
            .body["status"],
        "processing"
    );
    for (id, status) in [
        (succeeded, "succeeded"),
        (processing, "processing"),
        (abandoned, "canceled"),
    ] {
        let r = cancel(id.clone(), vec![("cancellation_reason", "abandoned")]).await;
        assert_eq!(r.status, 400, "{status}");
        assert_eq!(r.body["error"]["type"], "invalid_request_error");
        assert_eq!(r.body["error"]["code"], "payment_intent_unexpected_state");
        assert_eq!(r.body["error"]["payment_intent"]["status"], status);
        assert!(r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("it has a status of {status}")));
        assert_eq!(sim.retrieve_pi(&id).await["status"], status);
        let types = sim.event_types_for(&id).await;
        assert_eq!(
            types
                .iter()
                .filter(|t| *t == "payment_intent.canceled")
                .count(),
            usize::from(status == "canceled"),
            "{status}: {types:?}"
        );
    }
}

#[tokio::test]
async fn refunds_full_partial_and_refused() {
    let sim = start().await;
    let unpaid = sim.create_pi("2000").await;
    let refused = sim
        .post(
            "/v1/refunds",
            &[("payment_intent", unpaid["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(refused.status, 400);

    let pi = sim.create_pi("3000").await;
    let id = pi["id"].as_str().unwrap();
    sim.confirm(id, "pm_card_visa").await;
    let first = sim
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", id),
                ("amount", "1000"),
                ("reason", "requested_by_customer"),
            ],
        )
        .await
        .body;
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["amount"], 1000);
    assert_eq!(first["reason"], "requested_by_customer");
    let too_much = sim
        .post("/v1/refunds", &[("payment_intent", id), ("amount", "2001")])
        .await;
    assert_eq!(too_much.status, 400);
    assert_eq!(too_much.body["error"]["param"], "amount");
    assert_eq!(
        too_much.body["error"]["message"],
        "Refund amount ($20.01) is greater than unrefunded amount on charge ($20.00)"
    );
    assert_eq!(
        sim.post(
            "/v1/refunds",
            &[("payment_intent", id), ("reason", "because")]
        )
        .await
        .status,
        400
    );
    let rest = sim
        .post("/v1/refunds", &[("payment_intent", id)])
        .await
        .body;
    assert_eq!(rest["amount"], 2000, "the default is what remains");
    let again = sim.post("/v1/refunds", &[("payment_intent", id)]).await;
    assert_eq!(again.body["error"]["code"], "charge_already_refunded");

    let charge = sim
        .get(&format!(
            "/v1/charges/{}",
            first["charge"].as_str().unwrap()
        ))
        .await
        .body;
    assert_eq!(charge["amount_refunded"], 3000);
    assert_eq!(charge["refunded"], true);
    let list = sim
        .call("GET", "/v1/refunds", SK, &[("payment_intent", id)], None)
        .await
        .body;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    let types = sim.event_types_for(first["charge"].as_str().unwrap()).await;
    assert_eq!(types.iter().filter(|t| *t == "charge.refunded").count(), 2);
}

#[tokio::test]
async fn refunds_are_listed_by_payment_intent_or_charge_newest_first() {
    let sim = start().await;
    let paid = |amount: &'static str, pm: &'static str| {
        let sim = &sim;
        async move {
            let pi = sim.create_pi(amount).await;
            let id = pi["id"].as_str().unwrap().to_string();
            assert_eq!(sim.confirm(&id, pm).await.status, 200);
            let charge = sim.retrieve_pi(&id).await["latest_charge"]
                .as_str()
                .unwrap()
                .to_string();
            (id, charge)
        }
    };
    let refund = |pi: String, amount: Option<&'static str>| {
        let sim = &sim;
        async move {
            let mut form = vec![("payment_intent", pi.as_str())];
            form.extend(amount.map(|a| ("amount", a)));
            let r = sim.post("/v1/refunds", &form).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    let listed = |query: Vec<(&'static str, String)>| {
        let sim = &sim;
        async move {
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = sim.call("GET", "/v1/refunds", SK, &query, None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["object"], "list");
            assert_eq!(r.body["url"], "/v1/refunds");
            let ids: Vec<String> = r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].as_str().unwrap().to_string())
                .collect();
            (ids, r.body["has_more"].as_bool().unwrap(), r.body)
        }
    };
    let (a, _) = paid("3000", "pm_card_visa").await;
    let (b, b_charge) = paid("2000", "pm_card_mastercard").await;
    let a1 = refund(a.clone(), Some("1000")).await;
    let b1 = refund(b.clone(), None).await;
    let a2 = refund(a.clone(), Some("500")).await;
    let a3 = refund(a.clone(), Some("700")).await;

    let (ids, more, body) = listed(vec![("payment_intent", a.clone())]).await;
    assert_eq!(ids, [a3.clone(), a2.clone(), a1.clone()]);
    assert!(!more);
    for r in body["data"].as_array().unwrap() {
        assert_eq!(r["payment_intent"], a.as_str());
        assert_eq!(r["status"], "succeeded");
    }
    let amounts: Vec<i64> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [700, 500, 1000]);
    assert_eq!(listed(vec![("charge", b_charge)]).await.0, vec![b1.clone()]);
    assert_eq!(
        listed(vec![]).await.0,
        [a3.clone(), a2.clone(), b1, a1.clone()]
    );
    let two = || ("limit", "2".to_string());
    assert_eq!(
        listed(vec![("payment_intent", a.clone()), two()]).await.0,
        [a3, a2.clone()]
    );
    assert!(listed(vec![("payment_intent", a.clone()), two()]).await.1);
    let (rest, more, _) = listed(vec![
        ("payment_intent", a.clone()),
        two(),
        ("starting_after", a2),
    ])
    .await;
    assert_eq!((rest, more), (vec![a1], false));
    assert!(listed(vec![("payment_intent", "pi_unrelated".into())])
        .await
        .0
        .is_empty());

    // A refund that failed later is listed with its current status.
    let (c, _) = paid("2000", "pm_card_refundFail").await;
    let failing = refund(c.clone(), None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (ids, _, body) = listed(vec![("payment_intent", c)]).await;
    assert_eq!(ids, [failing]);
    assert_eq!(body["data"][0]["status"], "failed");
    assert_eq!(
        body["data"][0]["failure_reason"],
        "expired_or_canceled_card"
    );

    let unknown = sim
        .call("GET", "/v1/refunds", SK, &[("status", "failed")], None)
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.body["error"]["message"],
        "Received unknown parameter: status"
    );
}

#[tokio::test]
async fn payment_intents_are_listed_newest_first_and_paged_with_cursors() {
    let sim = start().await;
    let mut created = Vec::new();
    for amount in ["1000", "1100", "1200", "1300", "1400"] {
        created.push(
            sim.create_pi(amount).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Newest first: most of them share a second, so creation order decides.
    let all: Vec<String> = created.iter().rev().cloned().collect();
    let listed = |query: Vec<(&'static str, String)>| {
        let sim = &sim;
        async move {
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = sim
                .call("GET", "/v1/payment_intents", SK, &query, None)
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["object"], "list");
            assert_eq!(r.body["url"], "/v1/payment_intents");
            let ids: Vec<String> = r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].as_str().unwrap().to_string())
                .collect();
            (ids, r.body["has_more"].as_bool().unwrap())
        }
    };
    assert_eq!(listed(vec![]).await, (all.clone(), false));
    let two = || ("limit", "2".to_string());
    assert_eq!(listed(vec![two()]).await, (all[..2].to_vec(), true));
    assert_eq!(
        listed(vec![two(), ("starting_after", all[1].clone())]).await,
        (all[2..4].to_vec(), true)
    );
    assert_eq!(
        listed(vec![two(), ("starting_after", all[3].clone())]).await,
        (all[4..].to_vec(), false)
    );
    assert_eq!(
        listed(vec![two(), ("ending_before", all[4].clone())]).await,
        (all[2..4].to_vec(), true)
    );
    // Walking the cursor visits every PaymentIntent once, whatever the page size.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![two()];
        query.extend(cursor.clone().map(|c| ("starting_after", c)));
        let (page, more) = listed(query).await;
        cursor = page.last().cloned();
        walked.extend(page);
        if !more {
            break;
        }
    }
    assert_eq!(walked, all);
    let now = common::unix_now();
    assert_eq!(
        listed(vec![("created[gte]", (now - 60).to_string())])
            .await
            .0,
        all
    );
    assert!(listed(vec![("created[gt]", (now + 60).to_string())])
        .await
        .0
        .is_empty());
    // A PaymentIntent's full view, as the secret key sees it.
    let first = sim
        .call("GET", "/v1/payment_intents", SK, &[("limit", "1")], None)
        .await;
    assert_eq!(first.body["data"][0]["metadata"]["order_id"], "ord_1");
    assert!(first.body["data"][0]["client_secret"].is_string());

    for (query, status, param) in [
        (vec![("limit", "0")], 400, Some("limit")),
        (vec![("limit", "101")], 400, Some("limit")),
        (vec![("status", "succeeded")], 400, Some("status")),
        (
            vec![("starting_after", "pi_missing")],
            404,
            Some("starting_after"),
        ),
    ] {
        let r = sim
            .call("GET", "/v1/payment_intents", SK, &query, None)
            .await;
        assert_eq!(r.status, status, "{query:?}: {}", r.body);
        assert_eq!(r.body["error"]["param"].as_str(), param, "{query:?}");
    }
    let pk = sim.call("GET", "/v1/payment_intents", PK, &[], None).await;
    assert_eq!(pk.status, 401, "only the secret key lists");
}

#[tokio::test]
async fn charges_no_longer_carry_their_refunds_but_refund_events_do() {
    // The app pins 2026-07-29.dahlia; since 2022-11-15 a Charge no longer includes `refunds`
    // unless expanded (https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand).
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let pi = sim.create_pi("3000").await;
    let id = pi["id"].as_str().unwrap();
    sim.confirm(id, "pm_card_visa").await;
    let mut refund_ids = Vec::new();
    for amount in ["1000", "500"] {
        let r = sim
            .post("/v1/refunds", &[("payment_intent", id), ("amount", amount)])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        refund_ids.push(r.body["id"].as_str().unwrap().to_string());
    }

    let refunded = sim
        .call(
            "GET",
            "/v1/events",
            SK,
            &[("type", "charge.refunded")],
            None,
        )
        .await
        .body;
    let refunded = refunded["data"].as_array().unwrap();
    assert_eq!(refunded.len(), 2);
    // Newest first: the second refund's event shows the running total.
    assert_eq!(refunded[0]["data"]["object"]["amount_refunded"], 1500);
    assert_eq!(refunded[1]["data"]["object"]["amount_refunded"], 1000);
    for event in refunded {
        let charge = &event["data"]["object"];
        assert_eq!(charge["object"], "charge");
        assert!(charge.get("refunds").is_none(), "{charge:#}");
    }
    let created = sim
        .call("GET", "/v1/events", SK, &[("type", "refund.created")], None)
        .await
        .body;
    let mut carried: Vec<&str> = created["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["data"]["object"]["object"], "refund");
            e["data"]["object"]["id"].as_str().unwrap()
        })
        .collect();
    carried.reverse();
    assert_eq!(carried, refund_ids);

    // Webhook payloads are the same events.
    let delivered = receiver
        .wait_for("both charge.refunded", |d| {
            d.iter()
                .filter(|x| x.event["type"] == "charge.refunded")
                .count()
                >= 2
        })
        .await;
    for d in delivered
        .iter()
        .filter(|x| x.event["type"] == "charge.refunded")
    {
        assert!(d.event["data"]["object"].get("refunds").is_none());
    }

    // Retrieving the charge: no list, unless expanded (then newest first).
    let charge_id = sim.retrieve_pi(id).await["latest_charge"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v1/charges/{charge_id}");
    let plain = sim.get(&path).await.body;
    assert!(plain.get("refunds").is_none());
    assert_eq!(plain["amount_refunded"], 1500);
    assert_eq!(plain["refunded"], false);
    let expanded = sim
        .call("GET", &path, SK, &[("expand[]", "refunds")], None)
        .await
        .body;
    let listed: Vec<&str> = expanded["refunds"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [refund_ids[1].as_str(), refund_ids[0].as_str()]);
    // Expanding the PaymentIntent's latest_charge does not bring refunds either.
    let pi = sim
        .call(
            "GET",
            &format!("/v1/payment_intents/{id}"),
            SK,
            &[("expand[]", "latest_charge")],
            None,
        )
        .await
        .body;
    assert_eq!(pi["latest_charge"]["id"], charge_id.as_str());
    assert!(pi["latest_charge"].get("refunds").is_none());
}

#[tokio::test]
async fn idempotent_replay_mismatch_and_concurrency() {
    let sim = start().await;
    let form = [("amount", "2000"), ("currency", "usd")];
    let first = sim
        .call(
            "POST",
            "/v1/payment_intents",
            SK,
            &form,
            Some("order-1-create"),
        )
        .await;
    let replay = sim
        .call(
            "POST",
            "/v1/payment_intents",
            SK,
            &form,
            Some("order-1-create"),
        )
        .await;
    assert_eq!(first.body, replay.body, "replays the stored response");
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_ne!(first.headers["request-id"], replay.headers["request-id"]);
    let listed = sim.get("/v1/payment_intents").await.body;
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        1,
        "one PaymentIntent, not two"
    );

    let mismatch = sim
        .call(
            "POST",
            "/v1/payment_intents",
            SK,
            &[("amount", "2500"), ("currency", "usd")],
            Some("order-1-create"),
        )
        .await;
    assert_eq!(mismatch.status, 400);
    assert_eq!(mismatch.body["error"]["type"], "idempotency_error");
    assert!(mismatch.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Keys for idempotent requests can only be used with the same parameters"));

    // A validation error is not stored: the same key works once the params are fixed.
    let bad = sim
        .call(
            "POST",
            "/v1/payment_intents",
            SK,
            &[("amount", "10"), ("currency", "usd")],
            Some("order-2"),
        )
        .await;
    assert_eq!(bad.status, 400);
    let fixed = sim
        .call(
            "POST",
            "/v1/payment_intents",
            SK,
            &[("amount", "100"), ("currency", "usd")],
            Some("order-2"),
        )
        .await;
    assert_eq!(fixed.status, 200);

    // A decline (402) is stored and replayed.
    let pi = sim.create_pi("2000").await;
    let path = format!("/v1/payment_intents/{}/confirm", pi["id"].as_str().unwrap());
    let confirm = [
        ("payment_method", "pm_card_chargeDeclined"),
        ("return_url", "https://x.example"),
    ];
    let d1 = sim
        .call("POST", &path, SK, &confirm, Some("confirm-1"))
        .await;
    let d2 = sim
        .call("POST", &path, SK, &confirm, Some("confirm-1"))
        .await;
    assert_eq!((d1.status, d2.status), (402, 402));
    assert_eq!(d2.headers["idempotent-replayed"], "true");

    // While the first request is in flight, the same key gets 409.
    sim.sim.set_faults(
        stripe_sim::Faults {
            latency_ms: 400,
            ..Default::default()
        },
        None,
    );
    let (a, b) = tokio::join!(
        sim.call("POST", "/v1/payment_intents", SK, &form, Some("order-3")),
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            sim.call("POST", "/v1/payment_intents", SK, &form, Some("order-3"))
                .await
        }
    );
    assert_eq!(a.status, 200);
    assert_eq!(b.status, 409);
    assert_eq!(b.body["error"]["code"], "idempotency_key_in_use");
}

#[tokio::test]
async fn a_dropped_response_is_replayed_on_retry_with_the_same_key() {
    let sim = start().await;
    sim.sim.set_faults(
        stripe_sim::Faults {
            failure_rate: 1.0,
            failure_kind: "drop".into(),
            ..Default::default()
        },
        Some(7),
    );
    let url = format!("{}/v1/payment_intents", sim.base);
    let send = || {
        sim.http
            .post(&url)
            .bearer_auth(SK)
            .header("Idempotency-Key", "k-drop")
            .form(&[("amount", "2000"), ("currency", "usd")])
    };
    let dropped = match send().send().await {
        Ok(r) => r.text().await.is_err(),
        Err(_) => true,
    };
    assert!(dropped, "the response never arrives whole");
    sim.sim.set_faults(stripe_sim::Faults::default(), None);
    let retry = send().send().await.unwrap();
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let listed = sim.get("/v1/payment_intents").await.body;
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        1,
        "the work happened once"
    );
}

#[tokio::test]
async fn injected_failures_are_deterministic_under_a_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let sim = start().await;
        sim.sim.set_faults(
            stripe_sim::Faults {
                failure_rate: 0.5,
                failure_kind: "500".into(),
                ..Default::default()
            },
            Some(seed),
        );
        let mut out = Vec::new();
        for _ in 0..12 {
            out.push(
                sim.post(
                    "/v1/payment_intents",
                    &[("amount", "2000"), ("currency", "usd")],
                )
                .await
                .status,
            );
        }
        out
    }
    let a = statuses(42).await;
    assert_eq!(a, statuses(42).await);
    assert!(a.contains(&500) && a.contains(&200), "{a:?}");
    let sim = start().await;
    sim.sim.set_faults(
        stripe_sim::Faults {
            failure_rate: 1.0,
            failure_kind: "409".into(),
            ..Default::default()
        },
        None,
    );
    let r = sim
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.headers["stripe-should-retry"], "true");
}

#[tokio::test]
async fn the_control_api_needs_the_secret_key() {
    let sim = start().await;
    assert_eq!(
        sim.call("POST", "/_sim/faults", PK, &[("latency_ms", "10")], None)
            .await
            .status,
        401
    );
    assert_eq!(
        sim.call("POST", "/_sim/reset", PK, &[], None).await.status,
        401
    );
    assert_eq!(
        sim.call("POST", "/_sim/faults", SK, &[("latency_ms", "10")], None)
            .await
            .body["latency_ms"],
        10
    );
    sim.create_pi("2000").await;
    assert_eq!(sim.post("/_sim/reset", &[]).await.status, 200);
    assert_eq!(
        sim.get("/v1/payment_intents").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn ids_and_clock_are_deterministic_when_asked() {
    async fn first_id() -> Value {
        let mut config = common::config();
        config.seed = Some(99);
        config.fixed_clock = Some(1_700_000_000);
        let sim = start_with(Simulator::in_memory(config)).await;
        sim.create_pi("2000").await
    }
    let (a, b) = (first_id().await, first_id().await);
    assert_eq!(a["id"], b["id"]);
    assert_eq!(a["client_secret"], b["client_secret"]);
    assert_eq!(a["created"], 1_700_000_000);
}

#[tokio::test]
async fn the_embedded_simulator_keeps_its_objects_across_a_restart() {
    let path = std::env::temp_dir().join(format!("stripe-sim-test-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite:{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (sk, pk) = stripe_sim::embedded_keys(&pool).await.unwrap();
    assert_eq!(
        stripe_sim::embedded_keys(&pool).await.unwrap(),
        (sk.clone(), pk.clone()),
        "keys are made once"
    );
    let mut config = common::config();
    config.secret_key = sk.clone();
    config.publishable_key = pk;
    let sim: Sim = start_with(
        Simulator::persistent(config.clone(), pool.clone())
            .await
            .unwrap(),
    )
    .await;
    let pi = sim
        .call(
            "POST",
            "/v1/payment_intents",
            &sk,
            &[("amount", "2000"), ("currency", "usd")],
            Some("k1"),
        )
        .await
        .body;
    let id = pi["id"].as_str().unwrap().to_string();
    sim.call(
        "POST",
        &format!("/v1/payment_intents/{id}/confirm"),
        &sk,
        &[
            ("payment_method", "pm_card_visa"),
            ("return_url", "https://x.example"),
        ],
        None,
    )
    .await;
    drop(sim);

    let again: Sim = start_with(Simulator::persistent(config, pool).await.unwrap()).await;
    let after = again
        .call("GET", &format!("/v1/payment_intents/{id}"), &sk, &[], None)
        .await;
    assert_eq!(after.body["status"], "succeeded");
    let replay = again
        .call(
            "POST",
            "/v1/payment_intents",
            &sk,
            &[("amount", "2000"), ("currency", "usd")],
            Some("k1"),
        )
        .await;
    assert_eq!(
        replay.body["id"],
        id.as_str(),
        "idempotency keys survive too"
    );
    let events = again.call("GET", "/v1/events", &sk, &[], None).await.body;
    assert_eq!(events["data"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn stripe_js_may_call_the_api_from_any_origin() {
    let sim = start().await;
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let preflight = sim
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/payment_intents/pi_123/confirm", sim.base),
        )
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(header(&preflight, "access-control-allow-origin"), "*");
    let methods = header(&preflight, "access-control-allow-methods");
    assert!(methods.contains("post"), "{methods}");
    let allowed = header(&preflight, "access-control-allow-headers");
    for name in [
        "authorization",
        "content-type",
        "idempotency-key",
        "stripe-version",
        "stripe-account",
    ] {
        assert!(allowed.contains(name), "{allowed}");
    }

    let pi = sim.create_pi("2000").await;
    let get = sim
        .http
        .get(format!(
            "{}/v1/payment_intents/{}",
            sim.base,
            pi["id"].as_str().unwrap()
        ))
        .header("Origin", "https://shop.example")
        .query(&[("client_secret", pi["client_secret"].as_str().unwrap())])
        .bearer_auth(PK)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 200);
    assert_eq!(header(&get, "access-control-allow-origin"), "*");
    let exposed = header(&get, "access-control-expose-headers");
    for name in ["request-id", "idempotent-replayed", "stripe-version"] {
        assert!(exposed.contains(name), "{exposed}");
    }
}
