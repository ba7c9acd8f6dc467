//! Fault knobs of the control API: slow, failing and dropped requests; lost, duplicated and
//! delayed webhooks.

use crate::common::{receiver, start};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn failing_slow_and_dropped_requests() {
    let s = start().await;
    let r = s
        .call(
            "POST",
            "/_sim/faults",
            Some(json!({"error_rate": 1.0, "error_kind": "500"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s.call("GET", "/v2/checkout/orders/NOPE", None, &[]).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.body["name"], "INTERNAL_SERVER_ERROR");
    // The control API itself is never faulted.
    let r = s
        .call(
            "POST",
            "/_sim/faults",
            Some(json!({"error_rate": 1.0, "error_kind": "503"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        s.call("GET", "/v2/checkout/orders/NOPE", None, &[])
            .await
            .status,
        503
    );
    s.call(
        "POST",
        "/_sim/faults",
        Some(json!({"error_rate": 1.0, "error_kind": "429"})),
        &[],
    )
    .await;
    let r = s.call("GET", "/v2/checkout/orders/NOPE", None, &[]).await;
    assert_eq!(
        (r.status, r.body["name"].as_str()),
        (429, Some("RATE_LIMIT_REACHED"))
    );

    // A dropped connection: the client sees an error, but the order was made.
    s.call(
        "POST",
        "/_sim/faults",
        Some(json!({"error_rate": 1.0, "error_kind": "drop"})),
        &[],
    )
    .await;
    let r = s
        .http
        .post(format!("{}/v2/checkout/orders", s.base))
        .bearer_auth(&s.token)
        .header("content-type", "application/json")
        .header("PayPal-Request-Id", "dropped-1")
        .body(crate::common::order_body("USD", "1.00").to_string())
        .send()
        .await;
    let failed = match r {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(failed, "the connection was cut");
    s.call(
        "POST",
        "/_sim/faults",
        Some(json!({"latency_ms": 300})),
        &[],
    )
    .await;
    let started = Instant::now();
    let r = s
        .call(
            "POST",
            "/v2/checkout/orders",
            Some(crate::common::order_body("USD", "1.00")),
            &[("PayPal-Request-Id", "dropped-1")],
        )
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        r.status, 200,
        "the retry replays the order made before the drop: {}",
        r.body
    );
    s.call(
        "POST",
        "/_sim/faults",
        Some(json!({"error_rate": 1.0})),
        &[],
    )
    .await;
    let r = s
        .http
        .post(format!("{}/v1/oauth2/token", s.base))
        .basic_auth(crate::common::CLIENT_ID, Some(crate::common::SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500, "the token endpoint fails too");
    s.call("POST", "/_sim/faults", Some(json!({})), &[]).await;
    let r = s.call("GET", "/_sim/faults", None, &[]).await;
    assert_eq!(r.body["error_rate"], 0.0);
}

#[tokio::test]
async fn lost_and_duplicated_webhooks() {
    let s = start().await;
    let rx = receiver(0).await;
    s.sim.ensure_webhook(&rx.url).await.unwrap();
    s.call(
        "POST",
        "/_sim/faults",
        Some(json!({"webhook_loss_rate": 1.0})),
        &[],
    )
    .await;
    let id = s.order("1.00").await;
    s.approve(&id, "balance").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.all().is_empty(), "lost events are never sent");
    let events = s.call("GET", "/_sim/events", None, &[]).await;
    assert_eq!(
        events.body["events"][0]["event_type"],
        "CHECKOUT.ORDER.APPROVED"
    );

    s.call(
        "POST",
        "/_sim/faults",
        Some(json!({"webhook_duplicate_rate": 1.0, "webhook_delay_ms": 50})),
        &[],
    )
    .await;
    s.capture(&id).await;
    rx.wait_for("PAYMENT.CAPTURE.COMPLETED").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let copies: Vec<_> = rx
        .all()
        .into_iter()
        .filter(|d| d.json()["event_type"] == "PAYMENT.CAPTURE.COMPLETED")
        .collect();
    assert_eq!(copies.len(), 2, "sent twice");
    assert_eq!(copies[0].json()["id"], copies[1].json()["id"]);
    let deliveries = s.call("GET", "/_sim/deliveries", None, &[]).await;
    assert_eq!(deliveries.body["deliveries"].as_array().unwrap().len(), 2);
}
