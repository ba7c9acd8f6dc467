//! `GET /v1/events` as https://docs.stripe.com/api/events/list documents it: newest first,
//! `type` (with `*`), `types[]`, `created`, cursors, `limit` and `delivery_success`.

use crate::common::{self, start_with, Receiver, Sim, SK};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::Duration;
use stripe_sim::Simulator;

const T: i64 = 1_700_000_000;

async fn list(sim: &Sim, query: &[(&str, &str)]) -> common::Resp {
    sim.call("GET", "/v1/events", SK, query, None).await
}

fn types(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// Six events at four moments: two PaymentIntents created (T, T+10), one paid (T+20),
/// then partly refunded (T+30). Returns the event ids, newest first.
async fn history() -> (Sim, Vec<String>) {
    let mut config = common::config();
    config.fixed_clock = Some(T);
    let sim = start_with(Simulator::in_memory(config)).await;
    let first = sim.create_pi("2000").await;
    let first = first["id"].as_str().unwrap();
    sim.post("/_sim/clock", &[("offset", "10")]).await;
    sim.create_pi("3000").await;
    sim.post("/_sim/clock", &[("offset", "20")]).await;
    sim.confirm(first, "pm_card_visa").await;
    sim.post("/_sim/clock", &[("offset", "30")]).await;
    let refund = sim
        .post(
            "/v1/refunds",
            &[("payment_intent", first), ("amount", "500")],
        )
        .await;
    assert_eq!(refund.status, 200, "{}", refund.body);
    let all = list(&sim, &[]).await.body;
    assert_eq!(
        types(&all),
        [
            "charge.refunded",
            "refund.created",
            "payment_intent.succeeded",
            "charge.succeeded",
            "payment_intent.created",
            "payment_intent.created"
        ]
    );
    assert_eq!(all["has_more"], false);
    assert_eq!(all["url"], "/v1/events");
    let created: Vec<i64> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["created"].as_i64().unwrap())
        .collect();
    assert_eq!(created, [T + 30, T + 30, T + 20, T + 20, T + 10, T]);
    let ids = ids(&all);
    (sim, ids)
}

#[tokio::test]
async fn events_filter_by_type_with_wildcards_or_by_a_list_of_types() {
    let (sim, _) = history().await;
    assert_eq!(
        types(&list(&sim, &[("type", "charge.*")]).await.body),
        ["charge.refunded", "charge.succeeded"]
    );
    assert_eq!(
        types(
            &list(&sim, &[("type", "payment_intent.succeeded")])
                .await
                .body
        ),
        ["payment_intent.succeeded"]
    );
    assert_eq!(
        types(&list(&sim, &[("type", "*.created")]).await.body),
        [
            "refund.created",
            "payment_intent.created",
            "payment_intent.created"
        ]
    );
    assert!(types(&list(&sim, &[("type", "invoice.*")]).await.body).is_empty());
    // types[] (both encodings the libraries use): exact names, any of them.
    for keys in [["types[]", "types[]"], ["types[0]", "types[1]"]] {
        let r = list(
            &sim,
            &[(keys[0], "refund.created"), (keys[1], "charge.succeeded")],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(types(&r.body), ["refund.created", "charge.succeeded"]);
    }

    // type and types exclude each other; at most 20 types.
    let both = list(&sim, &[("type", "charge.*"), ("types[]", "refund.created")]).await;
    assert_eq!(both.status, 400);
    assert_eq!(both.body["error"]["type"], "invalid_request_error");
    let many: Vec<(String, String)> = (0..21)
        .map(|i| (format!("types[{i}]"), format!("charge.kind_{i}")))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let too_many = list(&sim, &many).await;
    assert_eq!(too_many.status, 400);
    assert_eq!(too_many.body["error"]["param"], "types");
    assert_eq!(list(&sim, &many[..20]).await.status, 200);
    let unknown = list(&sim, &[("object", "charge")]).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.body["error"]["message"],
        "Received unknown parameter: object"
    );
}

#[tokio::test]
async fn events_filter_by_creation_time() {
    let (sim, _) = history().await;
    let at = |offset: i64| (T + offset).to_string();
    let (t10, t20, t30) = (at(10), at(20), at(30));
    let created = |query: Vec<(&'static str, String)>| {
        let sim = &sim;
        async move {
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = list(sim, &query).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["created"].as_i64().unwrap() - T)
                .collect::<Vec<i64>>()
        }
    };
    assert_eq!(
        created(vec![
            ("created[gte]", t10.clone()),
            ("created[lt]", t30.clone())
        ])
        .await,
        [20, 20, 10]
    );
    assert_eq!(
        created(vec![("created[gt]", t10.clone())]).await,
        [30, 30, 20, 20]
    );
    assert_eq!(created(vec![("created[lte]", t10.clone())]).await, [10, 0]);
    assert_eq!(created(vec![("created", t20.clone())]).await, [20, 20]);
    assert_eq!(
        created(vec![("created[gt]", t30), ("type", "*".to_string())]).await,
        Vec::<i64>::new()
    );
    let bad = list(&sim, &[("created[gte]", "yesterday")]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["code"], "parameter_invalid_integer");
    assert_eq!(bad.body["error"]["param"], "created[gte]");
}

#[tokio::test]
async fn events_page_with_cursors_and_limits() {
    let (sim, all) = history().await;
    let page = |query: Vec<(&'static str, String)>| {
        let sim = &sim;
        async move {
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = list(sim, &query).await;
            assert_eq!(r.status, 200, "{}", r.body);
            (ids(&r.body), r.body["has_more"].as_bool().unwrap())
        }
    };
    let two = || ("limit", "2".to_string());
    assert_eq!(page(vec![two()]).await, (all[..2].to_vec(), true));
    assert_eq!(
        page(vec![two(), ("starting_after", all[1].clone())]).await,
        (all[2..4].to_vec(), true)
    );
    assert_eq!(
        page(vec![two(), ("starting_after", all[3].clone())]).await,
        (all[4..].to_vec(), false)
    );
    // ending_before: the objects just newer than the cursor, still newest first.
    assert_eq!(
        page(vec![two(), ("ending_before", all[4].clone())]).await,
        (all[2..4].to_vec(), true)
    );
    assert_eq!(
        page(vec![two(), ("ending_before", all[1].clone())]).await,
        (all[..1].to_vec(), false)
    );
    // Filters apply after the cursor.
    assert_eq!(
        page(vec![
            ("starting_after", all[0].clone()),
            ("type", "payment_intent.*".to_string())
        ])
        .await,
        (vec![all[2].clone(), all[4].clone(), all[5].clone()], false)
    );
    assert_eq!(page(vec![("limit", "100".into())]).await.0, all);
    assert_eq!(
        page(vec![("limit", "1".into())]).await,
        (all[..1].to_vec(), true)
    );

    for (query, param) in [
        (vec![("limit", "0")], Some("limit")),
        (vec![("limit", "101")], Some("limit")),
        (
            vec![
                ("starting_after", all[0].as_str()),
                ("ending_before", all[5].as_str()),
            ],
            None,
        ),
    ] {
        let r = list(&sim, &query).await;
        assert_eq!(r.status, 400, "{query:?}: {}", r.body);
        assert_eq!(r.body["error"]["param"].as_str(), param, "{query:?}");
    }
    let missing = list(&sim, &[("starting_after", "evt_missing")]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"]["code"], "resource_missing");
    assert_eq!(missing.body["error"]["param"], "starting_after");
}

#[tokio::test]
async fn delivery_success_means_every_endpoint_that_should_get_the_event_answered_2xx() {
    let mut config = common::config();
    // Keep failing deliveries pending for the whole test.
    config.webhook_retry_schedule = vec![Duration::from_secs(30)];
    let sim = start_with(Simulator::in_memory(config)).await;
    let good = Receiver::start().await;
    common::subscribe(&sim, &good).await;
    // A second endpoint only for refunds, which always fails.
    let failing = Receiver::start().await;
    failing.fail_first.store(usize::MAX, Ordering::SeqCst);
    let endpoint = sim
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", &failing.url),
                ("enabled_events[]", "refund.created"),
            ],
        )
        .await
        .body;
    failing.trust(endpoint["secret"].as_str().unwrap());

    let pi = sim.create_pi("2000").await;
    let id = pi["id"].as_str().unwrap();
    sim.confirm(id, "pm_card_visa").await;
    sim.post("/v1/refunds", &[("payment_intent", id)]).await;
    good.wait_for("five events", |d| d.len() >= 5).await;
    failing
        .wait_for("a failed attempt", |d| !d.is_empty())
        .await;

    // The good endpoint's answers are recorded asynchronously: wait until only the refund
    // event (owed to the failing endpoint) is left.
    let mut undelivered = Vec::new();
    for _ in 0..100 {
        undelivered = types(&list(&sim, &[("delivery_success", "false")]).await.body);
        if undelivered == ["refund.created"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(undelivered, ["refund.created"]);
    let refund_event = &list(&sim, &[("type", "refund.created")]).await.body["data"][0];
    assert_eq!(refund_event["pending_webhooks"], 1);
    assert_eq!(
        types(&list(&sim, &[("delivery_success", "true")]).await.body),
        [
            "charge.refunded",
            "payment_intent.succeeded",
            "charge.succeeded",
            "payment_intent.created"
        ]
    );
    let bad = list(&sim, &[("delivery_success", "yes")]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["param"], "delivery_success");
}
