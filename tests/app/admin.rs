//! The admin: every function checks the session itself; sign-in renews the session and slows
//! down wrong passwords; cross-site requests are refused; orders are listed and refunded.

use crate::helpers::{
    eventually, form, fresh_db_path, order_status, place_order, product, spawn_app_with,
    spawn_server_with, Reply, Sim, TestApp, Visitor, KETTLE, MUG, TEA_TIN,
};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use checkout::server::admin::auth::hash_password;
use checkout::server::db;
use std::sync::OnceLock;

const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
}

pub(crate) async fn admin_app() -> TestApp {
    spawn_app_with(fresh_db_path(), &[("ADMIN_PASSWORD_HASH", password_hash())]).await
}

pub(crate) async fn signed_in(app: &TestApp) -> Visitor {
    let merchant = Visitor::new();
    let reply = merchant.sign_in(app, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    merchant
}

/// The admin's server functions, as its pages call them.
impl Visitor {
    async fn sign_in(&self, app: &TestApp, password: &str) -> Reply {
        self.call(app, "admin/sign-in", &form(&[("password", password)]))
            .await
    }

    /// One page of the order list; `filter` as the list's form sends it (status, q, from, after).
    async fn list_orders(&self, app: &TestApp, filter: &[(&str, &str)]) -> Reply {
        self.call(app, "admin/orders", &form(filter)).await
    }

    async fn order_detail(&self, app: &TestApp, order_id: &str) -> serde_json::Value {
        self.call(app, "admin/order", &form(&[("id", order_id)]))
            .await
            .json()
    }

    /// Refunds `amount` (minor units) of the order, once per `attempt` key.
    async fn refund(&self, app: &TestApp, order_id: &str, amount: i64, attempt: &str) -> Reply {
        let form = form(&[
            ("order_id", order_id),
            ("amount", &major(amount)),
            ("attempt", attempt),
        ]);
        self.call(app, "admin/refund", &form).await
    }
}

/// An amount in minor units as the refund form takes it: 1234 → "12.34".
fn major(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Every admin function with a well-formed body, for the tests that must be refused.
pub(crate) const ADMIN_CALLS: [(&str, &str); 4] = [
    ("admin/orders", ""),
    ("admin/order", "id=ord_x"),
    (
        "admin/refund",
        "order_id=ord_x&amount=1.00&attempt=abcdefgh12",
    ),
    ("admin/sign-out", ""),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_function_needs_a_signed_in_session() {
    let app = admin_app().await;
    let stranger = Visitor::new();
    stranger.get_page(&app, "/").await; // an ordinary shopper's session
    let forged = Visitor::with_cookie("hk_session=forgedforgedforgedforged".into());
    for visitor in [&stranger, &forged] {
        for (endpoint, form) in ADMIN_CALLS {
            let reply = visitor.call(&app, endpoint, form).await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{endpoint}: {}",
                reply.body
            );
        }
    }
    let merchant = signed_in(&app).await;
    assert_eq!(merchant.list_orders(&app, &[]).await.status, StatusCode::OK);
    // Sign-out ends the session on the server: the old cookie no longer works.
    let cookie = merchant.cookie().unwrap();
    assert_eq!(
        merchant.call(&app, "admin/sign-out", "").await.status,
        StatusCode::OK
    );
    let replayed = Visitor::with_cookie(cookie);
    assert_eq!(
        replayed.list_orders(&app, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_signed_out() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    app.expire_sessions().await;
    assert_eq!(
        merchant.list_orders(&app, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_renews_the_session_id() {
    let app = admin_app().await;
    let merchant = Visitor::new();
    merchant.get_page(&app, "/").await;
    let before = merchant.cookie().unwrap();
    merchant.sign_in(&app, PASSWORD).await;
    let after = merchant.cookie().unwrap();
    assert_ne!(before, after, "a new session id at sign-in");
    assert_eq!(
        Visitor::with_cookie(before)
            .list_orders(&app, &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_slowed_down() {
    let app = admin_app().await;
    let guesser = Visitor::new();
    for _ in 0..3 {
        let reply = guesser.sign_in(&app, "guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(reply.body.contains("WrongPassword"));
    }
    let slowed = guesser.sign_in(&app, PASSWORD).await;
    assert_eq!(
        slowed.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password must wait now"
    );
    assert!(slowed.body.contains("SlowDown"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused() {
    let app = admin_app().await;
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let request = Request::post("/api/admin/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:3000")
            .header(name, value)
            .body(Body::from(form(&[("password", PASSWORD)])))
            .unwrap();
        let refused = app.send(request).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{name}");
        assert!(refused.headers.get(header::SET_COOKIE).is_none());
    }
    // The same request from the site itself goes through.
    let request = Request::post("/api/admin/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(form(&[("password", PASSWORD)])))
        .unwrap();
    let allowed = app.send(request).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
}

/// Makes `n` orders straight in the database (status set as given).
async fn make_orders(app: &TestApp, n: usize, status: &str, email: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let order_id = format!("ord_{status}_{email}_{i:03}").replace(['@', '.'], "_");
        place_order(
            app,
            &order_id,
            &format!("cart_{order_id}"),
            email,
            TEA_TIN,
            1,
            None,
        )
        .await;
        sqlx::query("UPDATE orders SET status = $1, created_at = created_at - $2 WHERE id = $3")
            .bind(status)
            .bind(i as i64)
            .bind(&order_id)
            .execute(&app.state.pool)
            .await
            .unwrap();
        ids.push(order_id);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_paged_filtered_searched_and_counted() {
    let app = admin_app().await;
    make_orders(&app, 30, "paid", "ann@example.com").await;
    make_orders(&app, 4, "payment_failed", "bob@example.com").await;
    let merchant = signed_in(&app).await;

    let first = merchant.list_orders(&app, &[]).await.json();
    assert_eq!(first["orders"].as_array().unwrap().len(), 25);
    let counts: Vec<(String, i64)> = serde_json::from_value(first["counts"].clone()).unwrap();
    assert_eq!(
        counts,
        vec![("paid".to_string(), 30), ("payment_failed".to_string(), 4)]
    );
    let cursor = first["next"].as_str().unwrap();
    let second = merchant
        .list_orders(&app, &[("after", cursor)])
        .await
        .json();
    assert_eq!(second["orders"].as_array().unwrap().len(), 9);
    assert!(second["next"].is_null());
    let mut all: Vec<String> = first["orders"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["orders"].as_array().unwrap())
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    all.dedup();
    assert_eq!(all.len(), 34, "no order twice, none missed");

    let failed = merchant
        .list_orders(&app, &[("status", "payment_failed")])
        .await
        .json();
    assert_eq!(failed["orders"].as_array().unwrap().len(), 4);
    let by_email = merchant.list_orders(&app, &[("q", "bob@")]).await.json();
    assert_eq!(by_email["orders"].as_array().unwrap().len(), 4);
    let one = &failed["orders"][0]["id"];
    let by_id = merchant
        .list_orders(&app, &[("q", one.as_str().unwrap())])
        .await
        .json();
    assert_eq!(by_id["orders"].as_array().unwrap().len(), 1);
    let future = merchant
        .list_orders(&app, &[("from", "2099-01-01")])
        .await
        .json();
    assert_eq!(future["orders"].as_array().unwrap().len(), 0);
    let bad = merchant.list_orders(&app, &[("from", "yesterday")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let unknown = merchant.list_orders(&app, &[("status", "lost")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

/// The admin app on a real port: refunds go to the embedded simulator and come back by webhook.
async fn served_admin_app() -> (TestApp, Sim) {
    let (app, base) = spawn_server_with(&[("ADMIN_PASSWORD_HASH", password_hash())]).await;
    let sim = Sim::of(&app, &base);
    (app, sim)
}

/// A shopper's order for `slug`, paid with `card` through the simulator: (order id, total).
async fn bought_with(app: &TestApp, sim: &Sim, slug: &str, card: &str) -> (String, i64) {
    let shopper = Visitor::new();
    let product = product(app, slug).await;
    shopper.add_to_cart(app, &product, 1).await;
    let checkout = shopper.checkout(app, "fay@example.com").await;
    shopper.pay(app, sim, &checkout, card).await;
    (checkout.order_id, checkout.total_minor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_that_fails_later_is_shown_as_failed() {
    let (app, sim) = served_admin_app().await;
    let (order_id, price) = bought_with(&app, &sim, TEA_TIN, "pm_card_refundFail").await;
    eventually("paid", || async {
        order_status(&app, &order_id).await == "paid"
    })
    .await;
    let merchant = signed_in(&app).await;
    let sent = merchant.refund(&app, &order_id, price, "attempt5126").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    eventually("the refund to fail", || async {
        let detail = merchant.order_detail(&app, &order_id).await;
        detail["refunds"][0]["state"] == "failed"
    })
    .await;
    // The simulator sends charge.refund.updated, refund.updated, then refund.failed; the first
    // already shows the refund failed, and only the last carries the reason the timeline shows.
    eventually("refund.failed to be applied", || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM webhook_events WHERE type = 'refund.failed' AND order_id = $1",
        )
        .bind(&order_id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
            == 1
    })
    .await;
    assert_eq!(
        order_status(&app, &order_id).await,
        "paid",
        "a failed refund gives the money back to the order"
    );
    let detail = merchant.order_detail(&app, &order_id).await;
    assert_eq!(detail["refundable"]["minor"], price);
    assert!(detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["detail"]
            .as_str()
            .unwrap_or("")
            .contains("failed (expired_or_canceled_card)")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_half_then_the_rest_and_refuses_too_much() {
    let (app, sim) = served_admin_app().await;
    let shopper = Visitor::new();
    let kettle = product(&app, KETTLE).await;
    shopper.add_to_cart(&app, &kettle, 2).await;
    let checkout = shopper.checkout(&app, "eve@example.com").await;
    let order_id = checkout.order_id.clone();
    let merchant = signed_in(&app).await;

    let unpaid = merchant.refund(&app, &order_id, 100, "attempt0001").await;
    assert_eq!(unpaid.status, StatusCode::BAD_REQUEST);
    assert!(
        unpaid.body.contains("Only a paid order can be refunded"),
        "{}",
        unpaid.body
    );

    shopper.pay(&app, &sim, &checkout, "pm_card_visa").await;
    eventually("paid", || async {
        order_status(&app, &order_id).await == "paid"
    })
    .await;

    let total = 2 * kettle.price_minor;
    let too_much = merchant
        .refund(&app, &order_id, total + 1, "attempt0002")
        .await;
    assert_eq!(too_much.status, StatusCode::BAD_REQUEST);
    let half = form(&[
        ("order_id", &order_id),
        ("amount", &major(total / 2)),
        ("reason", "requested_by_customer"),
        ("attempt", "attempt0003"),
    ]);
    let (a, b) = tokio::join!(
        merchant.call(&app, "admin/refund", &half),
        merchant.call(&app, "admin/refund", &half)
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::OK, StatusCode::OK),
        "{} / {}",
        a.body,
        b.body
    );
    eventually("partially refunded", || async {
        order_status(&app, &order_id).await == "partially_refunded"
    })
    .await;
    let detail = merchant.order_detail(&app, &order_id).await;
    assert_eq!(
        detail["refundable"]["minor"],
        total - total / 2,
        "the double click refunded once"
    );
    assert_eq!(detail["refunds"].as_array().unwrap().len(), 1);
    assert!(detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "refund_requested"));

    let rest = merchant
        .refund(&app, &order_id, total - total / 2, "attempt0004")
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    eventually("refunded", || async {
        order_status(&app, &order_id).await == "refunded"
    })
    .await;
}

/// A paid order of `quantity` × product, through the webhook route like Stripe's events.
async fn paid_order(app: &TestApp, slug: &str, quantity: i64, n: usize) -> (String, i64) {
    let order_id = format!("ord_analytics_{slug}_{n}");
    let pi = format!("pi_analytics_{n}");
    let total = place_order(
        app,
        &order_id,
        &format!("cart_a{n}"),
        "an@example.com",
        slug,
        quantity,
        Some(&pi),
    )
    .await;
    let object = serde_json::json!({"id": pi, "object": "payment_intent", "status": "succeeded", "amount_received": total.minor, "currency": "usd"});
    let fact = db::PaymentFact {
        event_id: &format!("evt_a{n}"),
        event_type: "payment_intent.succeeded",
        gateway: checkout::domain::gateway::Gateway::Stripe,
        reference: Some(&pi),
        order_hint: None,
        origin: db::Origin::Webhook,
    };
    let events = checkout::server::sync::events_of(&object);
    db::apply_stripe_event(&app.state.pool, fact, |s| {
        (s.apply(&events[0], 1), String::new())
    })
    .await
    .unwrap();
    (order_id, total.minor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_add_up_to_the_orders_made() {
    let app = admin_app().await;
    let (_, a) = paid_order(&app, MUG, 2, 1).await;
    let (_, b) = paid_order(&app, MUG, 1, 2).await;
    let (refunded_id, c) = paid_order(&app, KETTLE, 1, 3).await;
    // One failed attempt, one refund of 10.00 on the kettle order, one unpaid order.
    sqlx::query("INSERT INTO webhook_events (id, type, order_id) VALUES ('evt_fail', 'payment_intent.payment_failed', $1)")
        .bind(&refunded_id)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let refund = checkout::domain::order::PaymentEvent::Refund {
        id: "re_a".into(),
        refund: checkout::domain::order::Refund {
            amount: 1000,
            status: checkout::domain::order::RefundStatus::Succeeded,
        },
    };
    let fact = db::PaymentFact {
        event_id: "evt_refund",
        event_type: "refund.created",
        gateway: checkout::domain::gateway::Gateway::Stripe,
        reference: Some("pi_analytics_3"),
        order_hint: None,
        origin: db::Origin::Webhook,
    };
    db::apply_stripe_event(&app.state.pool, fact, |s| {
        (s.apply(&refund, 2), String::new())
    })
    .await
    .unwrap();
    make_orders(&app, 1, "pending", "unpaid@example.com").await;

    let merchant = signed_in(&app).await;
    let figures = merchant.call(&app, "admin/analytics", "").await.json();
    assert_eq!(figures["revenue"]["minor"], a + b + c);
    assert_eq!(figures["orders_placed"], 4);
    assert_eq!(figures["orders_paid"], 3);
    assert_eq!(figures["success_permille"], 750, "3 succeeded, 1 failed");
    assert_eq!(figures["failure_permille"], 250);
    assert_eq!(figures["average_order"]["minor"], (a + b + c + 1) / 3);
    assert_eq!(figures["refunded"]["minor"], 1000);
    assert_eq!(figures["days"].as_array().unwrap().len(), 30);
    assert_eq!(
        figures["days"][29]["revenue"]["minor"],
        a + b + c,
        "today is the last day"
    );
    let top = figures["top_products"].as_array().unwrap();
    assert_eq!(top[0]["name"], "Copper Kettle");
    assert_eq!(top[1]["name"], "Stoneware Mug");
    assert_eq!(top[1]["quantity"], 3);

    let page = merchant.get_page(&app, "/admin/analytics").await;
    assert!(page.body.contains("data-testid=\"revenue-chart\""));
    assert!(page.body.contains("Copper Kettle"));
    assert_eq!(
        Visitor::new()
            .call(&app, "admin/analytics", "")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_export_streams_the_filtered_orders_to_the_merchant_only() {
    let app = admin_app().await;
    make_orders(&app, 3, "paid", "csv@example.com").await;
    make_orders(&app, 2, "canceled", "other@example.com").await;
    assert_eq!(
        csv(&app, &Visitor::new(), "").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        csv(&app, &Visitor::with_cookie("hk_session=forged".into()), "")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let merchant = signed_in(&app).await;
    let paid = csv(&app, &merchant, "?status=paid").await;
    assert_eq!(paid.status, StatusCode::OK);
    let body = paid.body;
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "id,placed_utc,email,status,currency,total,payment_intent,items,discount,discount_code,shipping,shipping_rate,tax,tax_mode,ship_to"
    );
    assert_eq!(lines.len(), 4);
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(",csv@example.com,paid,USD,14.25,")),
        "{body}"
    );
    let everything = csv(&app, &merchant, "").await.body;
    assert_eq!(everything.lines().count(), 6);
}

/// The CSV export, downloaded with the visitor's cookie (a plain link, not a server function).
pub(crate) async fn csv(app: &TestApp, visitor: &Visitor, query: &str) -> Reply {
    let request = Request::get(format!("/admin/orders.csv{query}"));
    let request = match visitor.cookie() {
        Some(c) => request.header(header::COOKIE, c),
        None => request,
    };
    app.send(request.body(Body::empty()).unwrap()).await
}

/// Stripe made the refund but its answer never came (the connection dropped after the work):
/// the attempt is not forgotten, its amount cannot be refunded again meanwhile, and
/// reconciliation matches the refund Stripe made to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_whose_answer_is_lost_is_kept_and_matched_later() {
    let (app, sim) = served_admin_app().await;
    let (order_id, price) = bought_with(&app, &sim, TEA_TIN, "pm_card_visa").await;
    eventually("paid", || async {
        order_status(&app, &order_id).await == "paid"
    })
    .await;
    let merchant = signed_in(&app).await;
    sim.post(
        "/_sim/faults",
        &[("failure_rate", "1"), ("failure_kind", "drop")],
    )
    .await;
    let lost = merchant
        .refund(&app, &order_id, price, "attemptlost1")
        .await;
    sim.post("/_sim/faults", &[]).await;
    assert_eq!(lost.status, StatusCode::BAD_REQUEST, "{}", lost.body);
    assert!(lost.body.contains("Stripe did not answer"), "{}", lost.body);
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM refund_requests WHERE attempt_key = 'attemptlost1'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(kept, 1, "the attempt is not forgotten");
    // Another attempt for the same money is refused while the first one's fate is unknown.
    let again = merchant
        .refund(&app, &order_id, price, "attemptlost2")
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);

    checkout::server::reconcile::refresh_order(&app.state, &order_id, 0)
        .await
        .unwrap();
    let matched: Option<String> = sqlx::query_scalar(
        "SELECT stripe_refund_id FROM refund_requests WHERE attempt_key = 'attemptlost1'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert!(matched.is_some_and(|id| id.starts_with("re_")));
    eventually("refunded", || async {
        order_status(&app, &order_id).await == "refunded"
    })
    .await;
}

/// The counts per status come from a table kept by triggers (no scan): they must equal a scan
/// of the orders after inserts, status changes (by SQL and by a Stripe event), a change rolled
/// back, and a delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_per_status_follow_every_insert_and_status_change() {
    use checkout::domain::order::OrderStatus;
    let app = admin_app().await;
    let pool = &app.state.pool;
    let kept = || async {
        db::status_counts(pool, &db::OrderFilter::default())
            .await
            .unwrap()
    };
    // A date range counts by scanning the orders themselves.
    let scanned = || async {
        let all_time = db::OrderFilter {
            from: Some(0),
            ..Default::default()
        };
        db::status_counts(pool, &all_time).await.unwrap()
    };
    assert_eq!(kept().await, vec![]);

    let paid = make_orders(&app, 5, "paid", "ann@example.com").await;
    make_orders(&app, 3, "payment_failed", "bob@example.com").await;
    place_order(
        &app,
        "ord_pending_0",
        "cart_p0",
        "cy@example.com",
        TEA_TIN,
        1,
        Some("pi_counts_0"),
    )
    .await;
    assert_eq!(kept().await, scanned().await);
    assert_eq!(
        kept().await,
        vec![
            (OrderStatus::Paid, 5),
            (OrderStatus::PaymentFailed, 3),
            (OrderStatus::Pending, 1)
        ]
    );

    // A status change through a Stripe event, and the same event again (a duplicate).
    for _ in 0..2 {
        db::apply_stripe_event(
            pool,
            db::PaymentFact {
                event_id: "evt_counts_processing",
                event_type: "payment_intent.processing",
                gateway: checkout::domain::gateway::Gateway::Stripe,
                reference: Some("pi_counts_0"),
                order_hint: None,
                origin: db::Origin::Webhook,
            },
            |state| {
                (
                    state.apply(&checkout::domain::order::PaymentEvent::Processing, 1),
                    "Payment processing".into(),
                )
            },
        )
        .await
        .unwrap();
    }
    assert_eq!(kept().await, scanned().await);
    assert!(kept().await.contains(&(OrderStatus::Processing, 1)));
    assert!(!kept().await.iter().any(|(s, _)| *s == OrderStatus::Pending));

    // An update that keeps the status, one that changes it, and one rolled back.
    sqlx::query("UPDATE orders SET status = status, email = 'x@example.com' WHERE id = $1")
        .bind(&paid[0])
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE orders SET status = 'refunded' WHERE id = $1")
        .bind(&paid[1])
        .execute(pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE orders SET status = 'canceled'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(kept().await, scanned().await);
    assert!(kept().await.contains(&(OrderStatus::Paid, 4)));
    assert!(kept().await.contains(&(OrderStatus::Refunded, 1)));

    sqlx::query("DELETE FROM orders WHERE id = $1")
        .bind(&paid[2])
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(kept().await, scanned().await);
    assert!(kept().await.contains(&(OrderStatus::Paid, 3)));
}
