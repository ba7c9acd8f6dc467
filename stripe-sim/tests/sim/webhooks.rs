//! Webhooks: signed like Stripe's, verified by an independent receiver, retried until 2xx.

use crate::common::{self, start, subscribe, verify, Receiver};
use std::sync::atomic::Ordering;

#[tokio::test]
async fn every_delivery_verifies_and_carries_the_request() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let pi = sim
        .call(
            "POST",
            "/v1/payment_intents",
            common::SK,
            &[("amount", "2000"), ("currency", "usd")],
            Some("order-9-pi"),
        )
        .await
        .body;
    let id = pi["id"].as_str().unwrap();
    sim.confirm(id, "pm_card_visa").await;
    let delivered = receiver.wait_for("three events", |d| d.len() >= 3).await;
    for d in &delivered {
        assert_eq!(d.verified, Ok(()), "{}", d.signature);
        assert!(d.pretty, "payloads are pretty-printed JSON");
        assert!(
            d.signature.contains(",v0="),
            "a decoy v0 scheme, as in test mode"
        );
    }
    let created = delivered
        .iter()
        .find(|d| d.event["type"] == "payment_intent.created")
        .unwrap();
    assert_eq!(created.event["request"]["idempotency_key"], "order-9-pi");
    assert!(created.event["request"]["id"]
        .as_str()
        .unwrap()
        .starts_with("req_"));
    assert_eq!(created.event["data"]["object"]["id"], id);
    let succeeded = delivered
        .iter()
        .find(|d| d.event["type"] == "payment_intent.succeeded")
        .unwrap();
    assert_eq!(succeeded.event["data"]["object"]["status"], "succeeded");
    assert_eq!(
        succeeded.event["data"]["previous_attributes"]["status"],
        "requires_payment_method"
    );

    // Once delivered, the event owes nothing.
    let event_id = succeeded.event["id"].as_str().unwrap();
    for _ in 0..50 {
        if sim.get(&format!("/v1/events/{event_id}")).await.body["pending_webhooks"] == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("pending_webhooks never reached 0");
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_again_with_a_fresh_signature() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    receiver.fail_first.store(2, Ordering::SeqCst);
    let pi = sim.create_pi("2000").await;
    // Move the clock between attempts: each attempt is signed anew with the time it is sent.
    sim.post("/_sim/clock", &[("offset", "7")]).await;
    let d = receiver
        .wait_for("a retried delivery", |d| {
            d.iter()
                .filter(|x| x.event["type"] == "payment_intent.created")
                .count()
                >= 3
        })
        .await;
    let attempts: Vec<_> = d
        .iter()
        .filter(|x| x.event["data"]["object"]["id"] == pi["id"])
        .collect();
    assert!(attempts.len() >= 3, "two failures, then success");
    assert!(
        attempts
            .iter()
            .all(|a| a.event["id"] == attempts[0].event["id"]),
        "same event id every time"
    );
    assert_ne!(
        attempts[0].signature, attempts[2].signature,
        "a fresh t per attempt"
    );
    let statuses = sim.attempt_statuses("payment_intent.created", 3).await;
    assert_eq!(&statuses[..3], &[500, 500, 200]);
}

#[tokio::test]
async fn old_timestamps_are_rejected_by_the_receiver_until_the_clock_is_right() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    sim.post("/_sim/clock", &[("offset", "-400")]).await;
    sim.create_pi("2000").await;
    let d = receiver
        .wait_for("a stale delivery", |d| !d.is_empty())
        .await;
    assert_eq!(d[0].verified, Err("Timestamp outside the tolerance zone"));
    sim.post("/_sim/clock", &[("offset", "0")]).await;
    receiver
        .wait_for("a good delivery", |d| d.iter().any(|x| x.verified.is_ok()))
        .await;
}

#[tokio::test]
async fn a_rolled_secret_signs_alongside_the_old_one() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    let old = subscribe(&sim, &receiver).await;
    let endpoints = sim.get("/v1/webhook_endpoints").await.body;
    let endpoint = endpoints["data"][0]["id"].as_str().unwrap().to_string();
    assert!(
        endpoints["data"][0].get("secret").is_none(),
        "the secret is only shown once"
    );
    let rolled = sim
        .post(
            &format!("/_sim/webhook_endpoints/{endpoint}/roll"),
            &[("expires_in", "3600")],
        )
        .await
        .body;
    let new = rolled["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    receiver.trust(&new);
    sim.create_pi("2000").await;
    let d = receiver.wait_for("a delivery", |d| !d.is_empty()).await;
    let payload = serde_json::to_vec_pretty(&d[0].event).unwrap();
    assert_eq!(d[0].signature.matches("v1=").count(), 2);
    let now = common::unix_now();
    assert_eq!(verify(&d[0].signature, &payload, &[&old], now, 300), Ok(()));
    assert_eq!(verify(&d[0].signature, &payload, &[&new], now, 300), Ok(()));
    assert!(verify(&d[0].signature, &payload, &["whsec_someone_else"], now, 300).is_err());
}

#[tokio::test]
async fn duplicated_dropped_and_shuffled_deliveries_all_arrive() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    sim.post(
        "/_sim/faults",
        &[
            ("webhook_duplicate_rate", "1"),
            ("webhook_drop_rate", "0.3"),
            ("webhook_shuffle_ms", "80"),
            ("seed", "5"),
        ],
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let pi = sim.create_pi("2000").await;
        sim.confirm(pi["id"].as_str().unwrap(), "pm_card_visa")
            .await;
        ids.push(pi["id"].as_str().unwrap().to_string());
    }
    // 5 × (created, charge.succeeded, succeeded), each delivered twice.
    let d = receiver
        .wait_for("every event twice", |d| d.len() >= 30)
        .await;
    let mut distinct: Vec<&str> = d.iter().map(|x| x.event["id"].as_str().unwrap()).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 15);
    assert!(d.iter().all(|x| x.verified.is_ok()));
    assert!(
        sim.sim.attempts().iter().any(|a| a.status == 0),
        "some attempts were dropped and retried"
    );
}

#[tokio::test]
async fn endpoints_can_be_listed_and_deleted() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let only = sim
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", "http://127.0.0.1:9/none"),
                ("enabled_events[0]", "refund.failed"),
            ],
        )
        .await
        .body;
    assert_eq!(only["enabled_events"], serde_json::json!(["refund.failed"]));
    let id = only["id"].as_str().unwrap();
    assert_eq!(
        sim.get("/v1/webhook_endpoints").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let deleted = sim
        .call(
            "DELETE",
            &format!("/v1/webhook_endpoints/{id}"),
            common::SK,
            &[],
            None,
        )
        .await
        .body;
    assert_eq!(deleted["deleted"], true);
    assert_eq!(
        sim.get("/v1/webhook_endpoints").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let missing_url = sim
        .post("/v1/webhook_endpoints", &[("enabled_events[]", "*")])
        .await;
    assert_eq!(missing_url.body["error"]["code"], "parameter_missing");
}
