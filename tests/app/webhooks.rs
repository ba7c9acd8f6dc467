//! The webhook route: signatures, exactly-once application, order independence, amount checks.

use crate::helpers::{order_status, place_order, product, spawn_app, TestApp, MUG};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use checkout::model::admin::TimelineKind;
use checkout::server::db;
use serde_json::{json, Value};

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An order of 2 × Stoneware Mug with PaymentIntent `pi`, made directly in the database.
pub(crate) async fn order(app: &TestApp, pi: &str) -> (String, i64) {
    let order_id = format!("ord_test_{pi}");
    let total = place_order(
        app,
        &order_id,
        &format!("cart_{pi}"),
        "ada@example.com",
        MUG,
        2,
        Some(pi),
    )
    .await;
    (order_id, total.minor)
}

/// The PaymentIntent's status in the object of an event of this type (the object is the
/// PaymentIntent as it was when the event happened).
fn status_after(kind: &str) -> &'static str {
    match kind {
        "payment_intent.succeeded" => "succeeded",
        "payment_intent.processing" => "processing",
        "payment_intent.canceled" => "canceled",
        "payment_intent.requires_action" => "requires_action",
        _ => "requires_payment_method",
    }
}

pub(crate) fn pi_event(id: &str, kind: &str, pi: &str, amount: i64, created: i64) -> Value {
    json!({
        "id": id, "object": "event", "type": kind, "created": created, "livemode": false, "pending_webhooks": 1,
        "api_version": "2026-07-29.dahlia", "request": {"id": null, "idempotency_key": null},
        "data": {"object": {"id": pi, "object": "payment_intent", "amount": amount, "amount_received": if kind.ends_with("succeeded") { amount } else { 0 },
                            "currency": "usd", "status": status_after(kind), "metadata": {},
                            "last_payment_error": {"message": "Your card was declined."}}}
    })
}

pub(crate) fn refund_event(
    id: &str,
    kind: &str,
    pi: &str,
    refund: &str,
    amount: i64,
    status: &str,
    created: i64,
) -> Value {
    json!({
        "id": id, "object": "event", "type": kind, "created": created,
        "data": {"object": {"id": refund, "object": "refund", "amount": amount, "currency": "usd", "payment_intent": pi, "status": status}}
    })
}

pub(crate) async fn deliver(app: &TestApp, body: &[u8], signature: &str) -> StatusCode {
    let request = Request::post("/webhooks/stripe")
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", signature)
        .body(Body::from(body.to_vec()))
        .unwrap();
    app.send(request).await.status
}

fn secret(app: &TestApp) -> String {
    app.state.payments.webhook_secrets[0].expose().to_string()
}

pub(crate) async fn send(app: &TestApp, event: &Value) -> StatusCode {
    let body = serde_json::to_vec_pretty(event).unwrap();
    let t = now();
    let sig = stripe_sim::webhooks::sign(&secret(app), t, &body);
    deliver(app, &body, &format!("t={t},v1={sig}")).await
}

async fn mug_stock(app: &TestApp) -> i64 {
    product(app, MUG).await.stock
}

pub(crate) async fn processed_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM webhook_events")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let (order_id, amount) = order(&app, "pi_sig").await;
    let body = serde_json::to_vec_pretty(&pi_event(
        "evt_sig",
        "payment_intent.succeeded",
        "pi_sig",
        amount,
        now(),
    ))
    .unwrap();
    let t = now();
    let good = stripe_sim::webhooks::sign(&secret(&app), t, &body);
    let cases = [
        ("forged", format!("t={t},v1={}", "0".repeat(64))),
        (
            "wrong secret",
            format!(
                "t={t},v1={}",
                stripe_sim::webhooks::sign("whsec_not_ours", t, &body)
            ),
        ),
        (
            "old timestamp",
            format!(
                "t={},v1={}",
                t - 301,
                stripe_sim::webhooks::sign(&secret(&app), t - 301, &body)
            ),
        ),
        ("v0 only", format!("t={t},v0={good}")),
        ("no header", String::new()),
    ];
    for (what, header) in cases {
        assert_eq!(
            deliver(&app, &body, &header).await,
            StatusCode::BAD_REQUEST,
            "{what}"
        );
    }
    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] = b' ';
    assert_eq!(
        deliver(&app, &tampered, &format!("t={t},v1={good}")).await,
        StatusCode::BAD_REQUEST,
        "tampered body"
    );
    assert_eq!(processed_events(&app).await, 0);
    assert_eq!(order_status(&app, &order_id).await, "pending");

    assert_eq!(
        deliver(&app, &body, &format!("t={t},v1={good}")).await,
        StatusCode::OK
    );
    assert_eq!(order_status(&app, &order_id).await, "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_five_times_is_applied_once() {
    let app = spawn_app().await;
    let before = mug_stock(&app).await;
    let (order_id, amount) = order(&app, "pi_dup").await;
    let event = pi_event(
        "evt_dup",
        "payment_intent.succeeded",
        "pi_dup",
        amount,
        now(),
    );
    for _ in 0..5 {
        assert_eq!(send(&app, &event).await, StatusCode::OK);
    }
    assert_eq!(order_status(&app, &order_id).await, "paid");
    assert_eq!(
        mug_stock(&app).await,
        before - 2,
        "stock taken exactly once"
    );
    let timeline = db::order_timeline(&app.state.pool, &order_id)
        .await
        .unwrap();
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e.stripe_event_id.as_deref() == Some("evt_dup"))
            .count(),
        1
    );
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e.kind == TimelineKind::Fulfilment)
            .count(),
        1
    );
    // A different event id saying the same thing changes nothing either.
    assert_eq!(
        send(
            &app,
            &pi_event(
                "evt_dup_2",
                "payment_intent.succeeded",
                "pi_dup",
                amount,
                now()
            )
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(mug_stock(&app).await, before - 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_in_every_order_give_the_same_order() {
    let app = spawn_app().await;
    let t = now();
    let mut finals = Vec::new();
    let names = [
        "processing",
        "failed",
        "succeeded",
        "refund",
        "refund_failed",
    ];
    let mut orders: Vec<Vec<usize>> = Vec::new();
    permutations(&mut (0..names.len()).collect(), 0, &mut orders);
    assert_eq!(orders.len(), 120);
    for (n, sequence) in orders.iter().enumerate().step_by(7) {
        let pi = format!("pi_perm_{n}");
        let (order_id, amount) = order(&app, &pi).await;
        let events = [
            pi_event(
                &format!("evt_{n}_p"),
                "payment_intent.processing",
                &pi,
                amount,
                t,
            ),
            pi_event(
                &format!("evt_{n}_f"),
                "payment_intent.payment_failed",
                &pi,
                amount,
                t + 1,
            ),
            pi_event(
                &format!("evt_{n}_s"),
                "payment_intent.succeeded",
                &pi,
                amount,
                t + 2,
            ),
            refund_event(
                &format!("evt_{n}_r"),
                "refund.created",
                &pi,
                &format!("re_{n}"),
                500,
                "succeeded",
                t + 3,
            ),
            refund_event(
                &format!("evt_{n}_rf"),
                "refund.failed",
                &pi,
                &format!("re_{n}_2"),
                300,
                "failed",
                t + 4,
            ),
        ];
        for i in sequence {
            assert_eq!(send(&app, &events[*i]).await, StatusCode::OK);
        }
        let row = db::order_by_id(&app.state.pool, &order_id)
            .await
            .unwrap()
            .unwrap();
        let state = row.state.0;
        finals.push((row.status, state.refunded()));
    }
    assert!(
        finals
            .iter()
            .all(|f| *f == (checkout::domain::order::OrderStatus::PartiallyRefunded, 500)),
        "{finals:?}"
    );
}

fn permutations(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k == items.len() {
        out.push(items.clone());
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, out);
        items.swap(k, i);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_for_the_wrong_amount_needs_review_and_is_not_fulfilled() {
    let app = spawn_app().await;
    let (order_id, amount) = order(&app, "pi_wrong").await;
    let before = mug_stock(&app).await;
    assert_eq!(
        send(
            &app,
            &pi_event(
                "evt_wrong",
                "payment_intent.succeeded",
                "pi_wrong",
                amount - 100,
                now()
            )
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(order_status(&app, &order_id).await, "needs_review");
    assert_eq!(mug_stock(&app).await, before);
    let timeline = db::order_timeline(&app.state.pool, &order_id)
        .await
        .unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == TimelineKind::AmountMismatch && e.detail.contains("not fulfilled")),
        "{timeline:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_event_types_and_unknown_orders_are_acknowledged() {
    let app = spawn_app().await;
    let odd = json!({"id": "evt_odd", "type": "customer.created", "created": now(), "data": {"object": {"id": "cus_1", "object": "customer"}}});
    assert_eq!(send(&app, &odd).await, StatusCode::OK);
    assert_eq!(
        send(
            &app,
            &pi_event(
                "evt_nobody",
                "payment_intent.succeeded",
                "pi_nobody",
                100,
                now()
            )
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(processed_events(&app).await, 2);
}

/// Webhooks arriving together are applied in shared transactions (group commit): each is
/// acknowledged, a duplicate in the same batch changes nothing, every order ends paid once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_are_each_applied_once() {
    let app = spawn_app().await;
    let before = mug_stock(&app).await;
    let mut orders = Vec::new();
    for i in 0..4 {
        orders.push(order(&app, &format!("pi_many_{i}")).await);
    }
    let mut events = Vec::new();
    for (i, (_, amount)) in orders.iter().enumerate() {
        let pi = format!("pi_many_{i}");
        for (n, kind) in ["payment_intent.processing", "payment_intent.succeeded"]
            .iter()
            .enumerate()
        {
            events.push(pi_event(
                &format!("evt_many_{i}_{n}"),
                kind,
                &pi,
                *amount,
                now() + n as i64,
            ));
        }
    }
    // Events for PaymentIntents the shop does not know: recorded and acknowledged.
    for i in 0..20 {
        events.push(pi_event(
            &format!("evt_unknown_{i}"),
            "payment_intent.succeeded",
            &format!("pi_unknown_{i}"),
            100,
            now(),
        ));
    }
    // Every event three times, all at once.
    let deliveries: Vec<_> = events
        .iter()
        .cycle()
        .take(events.len() * 3)
        .map(|event| send(&app, event))
        .collect();
    for status in futures::future::join_all(deliveries).await {
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(processed_events(&app).await, events.len() as i64);
    for (order_id, _) in &orders {
        assert_eq!(order_status(&app, order_id).await, "paid");
        let timeline = db::order_timeline(&app.state.pool, order_id).await.unwrap();
        assert_eq!(
            timeline
                .iter()
                .filter(|e| e.kind == TimelineKind::Fulfilment)
                .count(),
            1,
            "stock sold once"
        );
    }
    assert_eq!(mug_stock(&app).await, before - 2 * orders.len() as i64);
}
