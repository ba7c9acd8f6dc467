//! Webhooks: signed like Stripe's, verified by an independent receiver, retried until 2xx.

use crate::common::{self, start, subscribe, verify, Receiver};
use std::sync::atomic::Ordering;
use std::time::Duration;

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

async fn endpoint_id(sim: &common::Sim) -> String {
    let endpoints = sim.get("/v1/webhook_endpoints").await.body;
    endpoints["data"][0]["id"].as_str().unwrap().to_string()
}

async fn set_disabled(sim: &common::Sim, endpoint: &str, disabled: &str) -> serde_json::Value {
    let r = sim
        .post(
            &format!("/v1/webhook_endpoints/{endpoint}"),
            &[("disabled", disabled)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn event_of(sim: &common::Sim, kind: &str, object: &str) -> serde_json::Value {
    let events = sim
        .call("GET", "/v1/events", common::SK, &[("type", kind)], None)
        .await
        .body;
    events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["data"]["object"]["id"] == object)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} for {object}"))
}

#[tokio::test]
async fn a_disabled_endpoint_gets_nothing_and_is_not_sent_what_it_missed() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let endpoint = endpoint_id(&sim).await;

    let disabled = set_disabled(&sim, &endpoint, "true").await;
    assert_eq!(disabled["status"], "disabled");
    assert_eq!(disabled["object"], "webhook_endpoint");
    assert!(disabled.get("secret").is_none());
    assert_eq!(
        sim.get(&format!("/v1/webhook_endpoints/{endpoint}"))
            .await
            .body["status"],
        "disabled"
    );
    let missed = sim.create_pi("2000").await;
    let missed = missed["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receiver.received().is_empty(),
        "a disabled endpoint gets nothing"
    );
    // Nothing was sent, so nothing is pending.
    let event = event_of(&sim, "payment_intent.created", missed).await;
    assert_eq!(event["pending_webhooks"], 0);

    assert_eq!(
        set_disabled(&sim, &endpoint, "false").await["status"],
        "enabled"
    );
    let after = sim.create_pi("2000").await;
    let after = after["id"].as_str().unwrap();
    receiver
        .wait_for("the event created after re-enabling", |d| {
            d.iter().any(|x| x.event["data"]["object"]["id"] == after)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receiver
            .received()
            .iter()
            .all(|x| x.event["data"]["object"]["id"] != missed),
        "events created while disabled are not sent later"
    );
}

#[tokio::test]
async fn disabling_an_endpoint_stops_the_retries_of_what_it_owes() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let endpoint = endpoint_id(&sim).await;
    receiver.fail_first.store(usize::MAX, Ordering::SeqCst);
    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    receiver
        .wait_for("a failed attempt", |d| !d.is_empty())
        .await;
    set_disabled(&sim, &endpoint, "true").await;
    // Let any retry already under way finish, then count.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let attempts = receiver.received().len();
    receiver.fail_first.store(0, Ordering::SeqCst);
    set_disabled(&sim, &endpoint, "false").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        receiver.received().len(),
        attempts,
        "no retry once the endpoint was disabled when one came due"
    );
    let event = event_of(&sim, "payment_intent.created", id).await;
    assert_eq!(event["pending_webhooks"], 1, "still owed, never delivered");
    let undelivered = sim
        .call(
            "GET",
            "/v1/events",
            common::SK,
            &[("delivery_success", "false")],
            None,
        )
        .await
        .body;
    assert_eq!(undelivered["data"][0]["id"], event["id"]);
}

#[tokio::test]
async fn an_endpoint_enabled_again_before_the_retry_still_gets_it() {
    let mut config = common::config();
    config.webhook_retry_schedule = vec![Duration::from_millis(600)];
    let sim = common::start_with(stripe_sim::Simulator::in_memory(config)).await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let endpoint = endpoint_id(&sim).await;
    receiver.fail_first.store(1, Ordering::SeqCst);
    let pi = sim.create_pi("2000").await;
    receiver
        .wait_for("a failed attempt", |d| !d.is_empty())
        .await;
    set_disabled(&sim, &endpoint, "true").await;
    set_disabled(&sim, &endpoint, "false").await;
    let d = receiver.wait_for("the retry", |d| d.len() >= 2).await;
    assert_eq!(d[1].event["data"]["object"]["id"], pi["id"]);
    assert_eq!(
        sim.attempt_statuses("payment_intent.created", 2).await,
        [500, 200]
    );
}

#[tokio::test]
async fn endpoints_are_updated_like_stripe() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let endpoint = endpoint_id(&sim).await;
    let path = format!("/v1/webhook_endpoints/{endpoint}");
    let updated = sim
        .post(
            &path,
            &[
                ("enabled_events[0]", "refund.created"),
                ("enabled_events[1]", "refund.failed"),
                ("description", "refunds only"),
                ("metadata[team]", "payments"),
            ],
        )
        .await
        .body;
    assert_eq!(
        updated["enabled_events"],
        serde_json::json!(["refund.created", "refund.failed"])
    );
    assert_eq!(updated["description"], "refunds only");
    assert_eq!(updated["metadata"]["team"], "payments");
    assert_eq!(updated["status"], "enabled");
    assert_eq!(updated["url"], receiver.url.as_str());
    sim.create_pi("2000").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver.received().is_empty(), "only refund events now");

    for (form, param) in [
        (vec![("disabled", "maybe")], "disabled"),
        (vec![("url", "ftp://x.example")], "url"),
        (vec![("colour", "red")], "colour"),
    ] {
        let r = sim.post(&path, &form).await;
        assert_eq!(r.status, 400, "{form:?}");
        assert_eq!(r.body["error"]["param"], param);
    }
    assert_eq!(
        sim.post("/v1/webhook_endpoints/we_missing", &[("disabled", "true")])
            .await
            .status,
        404
    );
}

/// With `webhook_loss_rate` 0.5 under `seed`, creates 12 PaymentIntents and returns, in
/// creation order, whether each one's `payment_intent.created` was lost.
async fn losses(seed: &str) -> Vec<bool> {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    let set = sim
        .post(
            "/_sim/faults",
            &[("webhook_loss_rate", "0.5"), ("seed", seed)],
        )
        .await;
    assert_eq!(set.body["webhook_loss_rate"], 0.5);
    assert_eq!(sim.get("/_sim/faults").await.body["webhook_loss_rate"], 0.5);
    let mut pis = Vec::new();
    for _ in 0..12 {
        let pi = sim.create_pi("2000").await;
        pis.push(pi["id"].as_str().unwrap().to_string());
    }
    // Wait until every event is either delivered or listed as undelivered.
    let object_ids = |events: &serde_json::Value| -> Vec<String> {
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["data"]["object"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    for _ in 0..250 {
        let delivered: Vec<String> = receiver
            .received()
            .iter()
            .map(|d| {
                d.event["data"]["object"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let undelivered = sim
            .call(
                "GET",
                "/v1/events",
                common::SK,
                &[("delivery_success", "false"), ("limit", "100")],
                None,
            )
            .await
            .body;
        let undelivered = object_ids(&undelivered);
        if delivered.len() + undelivered.len() == pis.len() {
            assert!(undelivered.iter().all(|u| !delivered.contains(u)));
            // Lost for good: no attempt at all, and still nothing a while later.
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(receiver.received().len(), delivered.len());
            let attempted: Vec<String> =
                sim.sim.attempts().iter().map(|a| a.event.clone()).collect();
            let lost_events = sim
                .call(
                    "GET",
                    "/v1/events",
                    common::SK,
                    &[("delivery_success", "false"), ("limit", "100")],
                    None,
                )
                .await
                .body;
            for event in lost_events["data"].as_array().unwrap() {
                assert_eq!(event["pending_webhooks"], 1);
                assert!(!attempted.contains(&event["id"].as_str().unwrap().to_string()));
            }
            return pis.iter().map(|pi| undelivered.contains(pi)).collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("deliveries never settled");
}

#[tokio::test]
async fn lost_events_never_arrive_but_are_listed_and_the_seed_decides_which() {
    let first = losses("11").await;
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
    assert_eq!(
        first,
        losses("11").await,
        "the same seed loses the same events"
    );
    assert_ne!(first, losses("12").await, "another seed, other events");
}

#[tokio::test]
async fn with_every_event_lost_nothing_is_delivered() {
    let sim = start().await;
    let receiver = Receiver::start().await;
    subscribe(&sim, &receiver).await;
    sim.post("/_sim/faults", &[("webhook_loss_rate", "1")])
        .await;
    let pi = sim.create_pi("2000").await;
    sim.confirm(pi["id"].as_str().unwrap(), "pm_card_visa")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty());
    assert!(sim.sim.attempts().is_empty());
    let events = sim
        .call(
            "GET",
            "/v1/events",
            common::SK,
            &[("delivery_success", "false")],
            None,
        )
        .await
        .body;
    assert_eq!(events["data"].as_array().unwrap().len(), 3);
    // Lifting the fault does not bring them back.
    sim.post("/_sim/faults", &[]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn lost_events_stay_lost_across_a_restart() {
    let path = std::env::temp_dir().join(format!("stripe-sim-lost-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite:{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let receiver = Receiver::start().await;
    let simulator = stripe_sim::Simulator::persistent(common::config(), pool.clone())
        .await
        .unwrap();
    let secret = simulator
        .ensure_webhook_endpoint(&receiver.url, None)
        .await
        .unwrap();
    receiver.trust(&secret);
    let sim = common::start_with(simulator).await;
    sim.post("/_sim/faults", &[("webhook_loss_rate", "1")])
        .await;
    let pi = sim.create_pi("2000").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(sim);

    let again = common::start_with(
        stripe_sim::Simulator::persistent(common::config(), pool)
            .await
            .unwrap(),
    )
    .await;
    // Delivered after the restart: only what is created from now on.
    let later = again.create_pi("2000").await;
    let d = receiver
        .wait_for("the new event", |d| {
            d.iter()
                .any(|x| x.event["data"]["object"]["id"] == later["id"])
        })
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver
        .received()
        .iter()
        .all(|x| x.event["data"]["object"]["id"] != pi["id"]));
    assert_eq!(d.len(), 1);
    let lost = again
        .call(
            "GET",
            "/v1/events",
            common::SK,
            &[("delivery_success", "false")],
            None,
        )
        .await
        .body;
    assert_eq!(lost["data"][0]["data"]["object"]["id"], pi["id"]);
    let _ = std::fs::remove_file(&path);
}
