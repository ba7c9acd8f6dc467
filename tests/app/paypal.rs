//! PayPal beside Stripe, against the embedded PayPal simulator over HTTP: the order moves to
//! PayPal (its card payment canceled), approval and capture, a declined funding source and a new
//! approval, a pending capture settled by webhook, webhook signatures, refunds from the admin,
//! expiry, going back to cards, token expiry and faults.

use crate::admin::password_hash;
use crate::helpers::{
    count, eventually, form, order_status, product, spawn_server_with, Sim, TestApp, Visitor, MUG,
};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

/// The embedded PayPal simulator of a served app, called as PayPal's own clients call PayPal.
struct PayPalSim {
    api: String,
    token: String,
}

impl PayPalSim {
    async fn of(app: &TestApp, base: &str) -> Self {
        let (id, secret) = paypal_sim::embedded_credentials(&app.simulator_pool().await)
            .await
            .unwrap();
        let api = format!("{base}/paypal-sim");
        let token: Value = reqwest::Client::new()
            .post(format!("{api}/v1/oauth2/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        PayPalSim {
            api,
            token: token["access_token"].as_str().unwrap().to_string(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let text = response.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// What the approval page's "Pay now" does, with a funding source: balance, declined, pending.
    async fn approve(&self, paypal_order: &str, funding: &str) {
        let approved = self
            .call(
                reqwest::Method::POST,
                &format!("/_sim/orders/{paypal_order}/approve?funding={funding}"),
                None,
            )
            .await;
        assert_eq!(approved["status"], "APPROVED", "{approved}");
    }

    /// Sets the simulator's faults (retried: the faults may drop this call too).
    async fn faults(&self, faults: Value) {
        for _ in 0..20 {
            let set = self
                .call(reqwest::Method::POST, "/_sim/faults", Some(faults.clone()))
                .await;
            if set.get("error_rate").is_some() {
                return;
            }
        }
        panic!("faults not set");
    }

    async fn order(&self, paypal_order: &str) -> Value {
        self.call(
            reqwest::Method::GET,
            &format!("/v2/checkout/orders/{paypal_order}"),
            None,
        )
        .await
    }
}

async fn paypal_app() -> (TestApp, String, PayPalSim) {
    let (app, base) = spawn_server_with(&[("ADMIN_PASSWORD_HASH", password_hash())]).await;
    let paypal = PayPalSim::of(&app, &base).await;
    (app, base, paypal)
}

/// A shopper at the payment step: (shopper, order id, total in minor units).
async fn at_payment(app: &TestApp, email: &str) -> (Visitor, String, i64) {
    let shopper = Visitor::new();
    shopper.add_to_cart(app, &product(app, MUG).await, 2).await;
    let session = shopper.start_checkout(app, email).await.json();
    assert!(
        session["paypal_sdk_url"]
            .as_str()
            .unwrap()
            .starts_with("/paypal-sim/sdk/js?client-id="),
        "{session}"
    );
    (
        shopper,
        session["order_id"].as_str().unwrap().to_string(),
        session["total"]["minor"].as_i64().unwrap(),
    )
}

/// A shopper at the payment step who pressed Pay by card and left the bank's 3-D Secure
/// challenge open, then turned to PayPal: (shopper, order id, total, the card PaymentIntent).
async fn card_payment_left_open(
    app: &TestApp,
    base: &str,
    email: &str,
) -> (Visitor, String, i64, String) {
    let (shopper, order_id, total) = at_payment(app, email).await;
    let checkout = shopper.checkout(app, email).await;
    let reply = shopper
        .pay(
            app,
            &Sim::of(app, base),
            &checkout,
            "pm_card_authenticationRequired",
        )
        .await;
    assert!(reply.body.contains("Authenticate"), "{}", reply.body);
    let pi = crate::helpers::payment_intent_of(app, &order_id).await;
    (shopper, order_id, total, pi)
}

/// A shopper whose order has moved to PayPal: (shopper, order id, total, PayPal's order id).
async fn paying_with_paypal(app: &TestApp, email: &str) -> (Visitor, String, i64, String) {
    let (shopper, order_id, total) = at_payment(app, email).await;
    let created = create(app, &shopper, &order_id, total).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let paypal_order = created.json().as_str().unwrap().to_string();
    (shopper, order_id, total, paypal_order)
}

async fn create(
    app: &TestApp,
    shopper: &Visitor,
    order_id: &str,
    shown: i64,
) -> crate::helpers::Reply {
    shopper
        .call(
            app,
            "checkout/paypal/create",
            &form(&[("order_id", order_id), ("shown_minor", &shown.to_string())]),
        )
        .await
}

async fn capture(app: &TestApp, shopper: &Visitor, order_id: &str, attempt: &str) -> Value {
    let reply = shopper
        .call(
            app,
            "checkout/paypal/capture",
            &form(&[("order_id", order_id), ("attempt", attempt)]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()
}

async fn paypal_order_of(app: &TestApp, order_id: &str) -> String {
    sqlx::query_scalar("SELECT gateway_ref FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_with_paypal_cancels_the_card_payment_and_pays_once() {
    let (app, base, paypal) = paypal_app().await;
    let (shopper, order_id, total, pi) =
        card_payment_left_open(&app, &base, "pp@example.com").await;

    // A total the page does not show is refused, and nothing moves.
    let stale = create(&app, &shopper, &order_id, total - 1).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let created = create(&app, &shopper, &order_id, total).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let paypal_order: String = created.json().as_str().unwrap().to_string();
    assert_eq!(paypal_order_of(&app, &order_id).await, paypal_order);
    // Asking again (a second click) gives the same PayPal order.
    assert_eq!(
        create(&app, &shopper, &order_id, total).await.json(),
        json!(paypal_order)
    );
    // Another visitor cannot touch this order.
    assert_eq!(
        create(&app, &Visitor::new(), &order_id, total).await.status,
        StatusCode::NOT_FOUND
    );

    // PayPal has exactly the order's amount; the card payment is canceled at Stripe, and its
    // cancellation does not cancel the order.
    let at_paypal = paypal.order(&paypal_order).await;
    assert_eq!(
        at_paypal["purchase_units"][0]["amount"]["value"],
        format!("{}.{:02}", total / 100, total % 100)
    );
    assert_eq!(
        at_paypal["purchase_units"][0]["custom_id"],
        order_id.as_str()
    );
    assert_eq!(
        Sim::of(&app, &base).payment_intent(&pi).await["status"],
        "canceled"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(order_status(&app, &order_id).await, "pending");

    paypal.approve(&paypal_order, "balance").await;
    let captured = capture(&app, &shopper, &order_id, "attempt-1").await;
    assert_eq!(captured, json!({"status": "paid", "restart": false}));
    // The same approval again (a retry) captures nothing more.
    assert_eq!(
        capture(&app, &shopper, &order_id, "attempt-1").await["status"],
        "paid"
    );
    let at_paypal = paypal.order(&paypal_order).await;
    assert_eq!(
        at_paypal["purchase_units"][0]["payments"]["captures"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // PayPal's webhooks arrive, verified, and change nothing more.
    eventually("PayPal's webhooks", || async {
        let sql = "SELECT count(*) FROM webhook_events WHERE gateway = 'paypal' AND id LIKE 'WH-%'";
        count(&app, sql, &[]).await >= 2
    })
    .await;
    assert_eq!(order_status(&app, &order_id).await, "paid");
    let receipts = "SELECT count(*) FROM email_outbox WHERE order_id = $1 AND kind = 'receipt'";
    assert_eq!(count(&app, receipts, &[&order_id]).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_funding_source_is_chosen_again_and_paid_once() {
    let (app, _base, paypal) = paypal_app().await;
    let (shopper, order_id, _, paypal_order) =
        paying_with_paypal(&app, "declined@example.com").await;
    paypal.approve(&paypal_order, "declined").await;
    assert_eq!(
        capture(&app, &shopper, &order_id, "first").await,
        json!({"status": "payment_failed", "restart": true})
    );
    paypal.approve(&paypal_order, "balance").await;
    assert_eq!(
        capture(&app, &shopper, &order_id, "second").await["status"],
        "paid"
    );
    let captures =
        paypal.order(&paypal_order).await["purchase_units"][0]["payments"]["captures"].clone();
    assert_eq!(captures.as_array().unwrap().len(), 1, "{captures}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_capture_is_processing_until_its_webhook_completes_it() {
    let (app, _base, paypal) = paypal_app().await;
    let (shopper, order_id, _, paypal_order) = paying_with_paypal(&app, "echeck@example.com").await;
    paypal.approve(&paypal_order, "pending").await;
    assert_eq!(
        capture(&app, &shopper, &order_id, "a").await["status"],
        "processing"
    );
    let capture_id = paypal.order(&paypal_order).await["purchase_units"][0]["payments"]["captures"]
        [0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    paypal
        .call(
            reqwest::Method::POST,
            &format!("/_sim/captures/{capture_id}/complete"),
            None,
        )
        .await;
    eventually("the order paid by PAYMENT.CAPTURE.COMPLETED", || async {
        order_status(&app, &order_id).await == "paid"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_refunds_a_paypal_order_in_part_then_in_full() {
    let (app, _base, paypal) = paypal_app().await;
    let (shopper, order_id, total, paypal_order) =
        paying_with_paypal(&app, "refund@example.com").await;
    paypal.approve(&paypal_order, "balance").await;
    capture(&app, &shopper, &order_id, "a").await;
    let merchant = crate::admin::signed_in(&app).await;
    let refund = |amount: String, attempt: &'static str| {
        let (merchant, app, order_id) = (merchant.clone(), &app, order_id.clone());
        async move {
            merchant
                .call(
                    app,
                    "admin/refund",
                    &form(&[
                        ("order_id", &order_id),
                        ("amount", &amount),
                        ("attempt", attempt),
                    ]),
                )
                .await
        }
    };
    let part = refund("1.00".into(), "refundpart1").await;
    assert_eq!(part.status, StatusCode::OK, "{}", part.body);
    assert_eq!(order_status(&app, &order_id).await, "partially_refunded");
    // The same confirmation again refunds nothing more.
    assert_eq!(
        refund("1.00".into(), "refundpart1").await.status,
        StatusCode::OK
    );
    let rest = total - 100;
    let too_much = refund(
        format!("{}.{:02}", (rest + 1) / 100, (rest + 1) % 100),
        "refundmuch1",
    )
    .await;
    assert_eq!(too_much.status, StatusCode::BAD_REQUEST);
    let full = refund(format!("{}.{:02}", rest / 100, rest % 100), "refundrest1").await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.body);
    assert_eq!(order_status(&app, &order_id).await, "refunded");
    let at_paypal = paypal.order(&paypal_order).await;
    assert_eq!(
        at_paypal["purchase_units"][0]["payments"]["captures"][0]["status"],
        "REFUNDED"
    );
    let refunds =
        "SELECT count(*) FROM refund_requests WHERE order_id = $1 AND stripe_refund_id IS NOT NULL";
    assert_eq!(
        count(&app, refunds, &[&order_id]).await,
        2,
        "two refunds, each recorded with PayPal's id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_to_the_card_form_the_order_gets_a_new_payment_intent_and_paypal_cannot_capture() {
    let (app, base, paypal) = paypal_app().await;
    let (shopper, order_id, total, old_pi) =
        card_payment_left_open(&app, &base, "back@example.com").await;
    let paypal_order: String = create(&app, &shopper, &order_id, total)
        .await
        .json()
        .as_str()
        .unwrap()
        .into();
    paypal.approve(&paypal_order, "balance").await;
    let again = shopper
        .start_checkout(&app, "back@example.com")
        .await
        .json();
    assert_eq!(again["order_id"], order_id.as_str());
    // Back on cards the old card payment is forgotten; Pay makes a new one.
    let back = checkout::server::db::order_by_id(&app.state.pool, &order_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.payment_intent_id, None);
    let refused = shopper
        .call(
            &app,
            "checkout/paypal/capture",
            &form(&[("order_id", &order_id), ("attempt", "late")]),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY, "{}", refused.body);
    assert!(paypal.order(&paypal_order).await["purchase_units"][0]["payments"].is_null());
    let checkout = shopper.checkout(&app, "back@example.com").await;
    let paid = shopper
        .pay(&app, &Sim::of(&app, &base), &checkout, "pm_card_visa")
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    let new_pi = crate::helpers::payment_intent_of(&app, &order_id).await;
    assert_ne!(new_pi, old_pi);
    eventually("paid by card", || async {
        order_status(&app, &order_id).await == "paid"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_paypal_order_is_canceled_and_never_captured() {
    let (app, _base, paypal) = paypal_app().await;
    let (shopper, order_id, _, paypal_order) = paying_with_paypal(&app, "late@example.com").await;
    paypal.approve(&paypal_order, "balance").await;
    sqlx::query("UPDATE orders SET expires_at = 1 WHERE id = $1")
        .bind(&order_id)
        .execute(&app.state.pool)
        .await
        .unwrap();
    checkout::server::reconcile::run_once(&app.state, checkout::server::sync::now()).await;
    assert_eq!(order_status(&app, &order_id).await, "canceled");
    let refused = shopper
        .call(
            &app,
            "checkout/paypal/capture",
            &form(&[("order_id", &order_id), ("attempt", "late")]),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY);
    assert!(paypal.order(&paypal_order).await["purchase_units"][0]["payments"].is_null());
}

/// The order moved to PayPal as `create` does first, and the process died before the card
/// payment was canceled at Stripe.
async fn moved_to_paypal_without_canceling(app: &TestApp, order_id: &str) {
    use checkout::domain::gateway::Gateway;
    use checkout::server::db;
    let order = db::order_by_id(&app.state.pool, order_id)
        .await
        .unwrap()
        .unwrap();
    db::switch_gateway(&app.state.pool, &order, Gateway::Paypal)
        .await
        .unwrap()
        .expect("moved to PayPal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_to_paypal_interrupted_before_the_card_payment_was_canceled_cancels_it_first() {
    let (app, base, paypal) = paypal_app().await;
    let (shopper, order_id, total, pi) =
        card_payment_left_open(&app, &base, "crash@example.com").await;
    moved_to_paypal_without_canceling(&app, &order_id).await;
    let stripe = Sim::of(&app, &base);
    assert_eq!(
        stripe.payment_intent(&pi).await["status"],
        "requires_action"
    );

    // The shopper presses the PayPal button again: the card payment is canceled before PayPal
    // gets an order, so the card form can no longer pay it.
    let created = create(&app, &shopper, &order_id, total).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(stripe.payment_intent(&pi).await["status"], "canceled");
    let paypal_order: String = created.json().as_str().unwrap().into();
    paypal.approve(&paypal_order, "balance").await;
    assert_eq!(
        capture(&app, &shopper, &order_id, "after-crash").await["status"],
        "paid"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_move_to_paypal_that_expires_cancels_its_card_payment() {
    let (app, base, _paypal) = paypal_app().await;
    let (_shopper, order_id, _, pi) = card_payment_left_open(&app, &base, "gone@example.com").await;
    moved_to_paypal_without_canceling(&app, &order_id).await;
    sqlx::query("UPDATE orders SET expires_at = 1 WHERE id = $1")
        .bind(&order_id)
        .execute(&app.state.pool)
        .await
        .unwrap();
    // Back to cards, then expired as a card order: its PaymentIntent canceled with it.
    for _ in 0..2 {
        checkout::server::reconcile::run_once(&app.state, checkout::server::sync::now()).await;
    }
    assert_eq!(order_status(&app, &order_id).await, "canceled");
    assert_eq!(
        Sim::of(&app, &base).payment_intent(&pi).await["status"],
        "canceled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_capture_are_paid_once_through_errors_dropped_answers_and_an_expired_token() {
    let (app, base, paypal) = paypal_app().await;
    let (shopper, order_id, total) = at_payment(&app, "faults@example.com").await;
    // Every other call fails: some with 503, some with an answer lost after the work was done.
    for kind in ["503", "drop"] {
        paypal
            .faults(json!({"error_rate": 0.5, "error_kind": kind}))
            .await;
    }
    let mut paypal_order = None;
    for _ in 0..6 {
        let reply = create(&app, &shopper, &order_id, total).await;
        if reply.status == StatusCode::OK {
            paypal_order = reply.json().as_str().map(str::to_string);
            break;
        }
    }
    paypal.faults(json!({})).await;
    let paypal_order = paypal_order.expect("created through the faults");
    paypal.approve(&paypal_order, "balance").await;
    // The token the app holds runs out: it is renewed once, and the capture goes through.
    paypal
        .call(
            reqwest::Method::POST,
            "/_sim/clock",
            Some(json!({"advance_seconds": 40_000})),
        )
        .await;
    // (The test's own token ran out too.)
    let paypal = PayPalSim::of(&app, &base).await;
    paypal
        .faults(json!({"error_rate": 0.5, "error_kind": "drop"}))
        .await;
    let mut status = String::new();
    for _ in 0..6 {
        let reply = shopper
            .call(
                &app,
                "checkout/paypal/capture",
                &form(&[("order_id", &order_id), ("attempt", "one")]),
            )
            .await;
        if reply.status == StatusCode::OK {
            status = reply.json()["status"].as_str().unwrap().to_string();
            break;
        }
    }
    paypal.faults(json!({})).await;
    assert_eq!(status, "paid");
    let captures =
        paypal.order(&paypal_order).await["purchase_units"][0]["payments"]["captures"].clone();
    assert_eq!(captures.as_array().unwrap().len(), 1, "{captures}");
}

/// A PayPal webhook signed as the embedded simulator signs.
fn signed(app: &TestApp, body: &[u8], webhook_id: &str, cert_url: &str) -> Request<Body> {
    signed_but_sent(app, body, body, webhook_id, cert_url)
}

/// `sent`, with the signature of `body`.
fn signed_but_sent(
    app: &TestApp,
    body: &[u8],
    sent: &[u8],
    webhook_id: &str,
    cert_url: &str,
) -> Request<Body> {
    let id = format!("{:x}", rand_id());
    let time = "2026-11-26T00:00:00Z";
    let message = paypal_sim::signing::message(&id, time, webhook_id, body);
    let _ = app;
    let body = sent;
    Request::post("/webhooks/paypal")
        .header("content-type", "application/json")
        .header("paypal-transmission-id", id)
        .header("paypal-transmission-time", time)
        .header(
            "paypal-transmission-sig",
            paypal_sim::signing::sign(&message),
        )
        .header("paypal-cert-url", cert_url)
        .header("paypal-auth-algo", "SHA256withRSA")
        .header("paypal-auth-version", "v2")
        .body(Body::from(body.to_vec()))
        .unwrap()
}

fn rand_id() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_verified_and_applied_once() {
    let (app, base, paypal) = paypal_app().await;
    let (_shopper, order_id, total, paypal_order) =
        paying_with_paypal(&app, "hooks@example.com").await;
    let webhook_id = app
        .state
        .payments
        .paypal
        .as_ref()
        .unwrap()
        .verifier
        .webhook_id()
        .to_string();
    let cert = format!(
        "{base}/paypal-sim/v1/notifications/certs/{}",
        paypal_sim::signing::CERT_ID
    );
    let value = format!("{}.{:02}", total / 100, total % 100);
    let event = json!({
        "id": "WH-TEST0000000000001-00000000000000001", "event_version": "1.0", "create_time": "2026-11-26T00:00:01.000Z",
        "resource_type": "capture", "resource_version": "2.0", "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "summary": "Payment completed", "resource": {"id": "CAPTURE0000000001", "status": "COMPLETED",
            "amount": {"currency_code": "USD", "value": value}, "custom_id": order_id,
            "supplementary_data": {"related_ids": {"order_id": paypal_order}}}
    });
    let body = serde_json::to_vec(&event).unwrap();
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'1').unwrap();
    tampered[at] = b'2';
    let refused = [
        (
            "tampered body",
            signed_but_sent(&app, &body, &tampered, &webhook_id, &cert),
        ),
        (
            "another webhook's id",
            signed(&app, &body, "WEBHOOK_ID", &cert),
        ),
        (
            "certificate from elsewhere",
            signed(
                &app,
                &body,
                &webhook_id,
                "https://evil.example/v1/notifications/certs/CERT-1",
            ),
        ),
        (
            "certificate over plain http elsewhere",
            signed(
                &app,
                &body,
                &webhook_id,
                "http://127.0.0.1:9/v1/notifications/certs/x",
            ),
        ),
    ];
    for (what, request) in refused {
        assert_eq!(
            app.send(request).await.status,
            StatusCode::BAD_REQUEST,
            "{what}"
        );
    }
    let mut unsigned = signed(&app, &body, &webhook_id, &cert);
    unsigned.headers_mut().remove("paypal-transmission-sig");
    assert_eq!(app.send(unsigned).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        order_status(&app, &order_id).await,
        "pending",
        "nothing refused changed the order"
    );

    assert_eq!(
        app.send(signed(&app, &body, &webhook_id, &cert))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(order_status(&app, &order_id).await, "paid");
    // Replayed (PayPal delivers again, or someone resends it): acknowledged, changes nothing.
    assert_eq!(
        app.send(signed(&app, &body, &webhook_id, &cert))
            .await
            .status,
        StatusCode::OK
    );
    let recorded = "SELECT count(*) FROM order_events WHERE stripe_event_id = 'WH-TEST0000000000001-00000000000000001'";
    assert_eq!(count(&app, recorded, &[]).await, 1);
    let _ = paypal;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_compare_the_gateways() {
    let (app, base, paypal) = paypal_app().await;
    // By card.
    let (card_shopper, card_order, card_total) = at_payment(&app, "card@example.com").await;
    let card_checkout = card_shopper.checkout(&app, "card@example.com").await;
    card_shopper
        .pay(&app, &Sim::of(&app, &base), &card_checkout, "pm_card_visa")
        .await;
    eventually("the card order paid", || async {
        order_status(&app, &card_order).await == "paid"
    })
    .await;
    // By PayPal: declined once, then paid.
    let (shopper, order_id, total, paypal_order) =
        paying_with_paypal(&app, "both@example.com").await;
    paypal.approve(&paypal_order, "declined").await;
    capture(&app, &shopper, &order_id, "first").await;
    paypal.approve(&paypal_order, "balance").await;
    capture(&app, &shopper, &order_id, "second").await;
    eventually("PayPal's completed capture recorded", || async {
        let sql = "SELECT count(*) FROM webhook_events WHERE type = 'PAYMENT.CAPTURE.COMPLETED'";
        count(&app, sql, &[]).await == 1
    })
    .await;

    let merchant = crate::admin::signed_in(&app).await;
    let figures = merchant.call(&app, "admin/analytics", "").await.json();
    let of = |gateway: &str| {
        figures["by_gateway"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["gateway"] == gateway)
            .cloned()
            .unwrap_or_else(|| panic!("no {gateway} in {figures}"))
    };
    let (card, pp) = (of("stripe"), of("paypal"));
    assert_eq!(card["revenue"]["minor"], card_total);
    assert_eq!(card["orders_paid"], 1);
    assert_eq!(card["success_permille"], 1000);
    assert_eq!(pp["revenue"]["minor"], total);
    assert_eq!(pp["orders_paid"], 1);
    assert_eq!(pp["success_permille"], 500, "one declined, one paid: {pp}");
    assert_eq!(pp["failure_permille"], 500);
    assert_eq!(figures["revenue"]["minor"], card_total + total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_whose_answer_was_lost_is_found_on_the_next_approval() {
    let (app, _base, paypal) = paypal_app().await;
    let (shopper, order_id, _, paypal_order) =
        paying_with_paypal(&app, "lost-answer@example.com").await;
    paypal.approve(&paypal_order, "balance").await;
    // Captured at PayPal by a call whose answer the shop never got (its process died, say),
    // and no webhook tells it.
    paypal.faults(json!({"webhook_loss_rate": 1.0})).await;
    let captured = paypal
        .call(
            reqwest::Method::POST,
            &format!("/v2/checkout/orders/{paypal_order}/capture"),
            Some(json!({})),
        )
        .await;
    assert_eq!(captured["status"], "COMPLETED", "{captured}");
    // Another approval's capture: PayPal says ORDER_ALREADY_CAPTURED, the order is read back.
    assert_eq!(order_status(&app, &order_id).await, "pending");
    let found = capture(&app, &shopper, &order_id, "second").await;
    assert_eq!(found["status"], "paid", "{found}");
    let read_back = "SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = 'reconciled'";
    assert_eq!(
        count(&app, read_back, &[&order_id]).await,
        1,
        "paid from PayPal's ORDER_ALREADY_CAPTURED and a read-back"
    );
    let captures =
        paypal.order(&paypal_order).await["purchase_units"][0]["payments"]["captures"].clone();
    assert_eq!(captures.as_array().unwrap().len(), 1, "{captures}");
}
