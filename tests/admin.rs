#![cfg(feature = "ssr")]
//! The admin: every function checks the session itself; sign-in renews the session and slows
//! down wrong passwords; cross-site requests are refused; orders are listed and refunded.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use checkout::server::admin::auth::hash_password;
use checkout::server::db;
use common::{eventually, fresh_db_path, product, spawn_app_with, TestApp, Visitor};
use http_body_util::BodyExt;
use std::sync::OnceLock;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
}

async fn admin_app() -> TestApp {
    spawn_app_with(fresh_db_path(), &[("ADMIN_PASSWORD_HASH", password_hash())]).await
}

async fn signed_in(app: &TestApp) -> Visitor {
    let merchant = Visitor::new();
    let reply = merchant
        .call(
            app,
            "admin/sign-in",
            &format!("password={}", PASSWORD.replace(' ', "+")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    merchant
}

const ADMIN_CALLS: [(&str, &str); 4] = [
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
    assert_eq!(
        merchant.call(&app, "admin/orders", "").await.status,
        StatusCode::OK
    );
    // Sign-out ends the session on the server: the old cookie no longer works.
    let cookie = merchant.cookie().unwrap();
    assert_eq!(
        merchant.call(&app, "admin/sign-out", "").await.status,
        StatusCode::OK
    );
    let replayed = Visitor::with_cookie(cookie);
    assert_eq!(
        replayed.call(&app, "admin/orders", "").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_signed_out() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    sqlx::query("UPDATE tower_sessions SET expiry_date = 0")
        .execute(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(
        merchant.call(&app, "admin/orders", "").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_renews_the_session_id() {
    let app = admin_app().await;
    let merchant = Visitor::new();
    merchant.get_page(&app, "/").await;
    let before = merchant.cookie().unwrap();
    merchant
        .call(
            &app,
            "admin/sign-in",
            &format!("password={}", PASSWORD.replace(' ', "+")),
        )
        .await;
    let after = merchant.cookie().unwrap();
    assert_ne!(before, after, "a new session id at sign-in");
    assert_eq!(
        Visitor::with_cookie(before)
            .call(&app, "admin/orders", "")
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
        let reply = guesser.call(&app, "admin/sign-in", "password=guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(reply.body.contains("WrongPassword"));
    }
    let slowed = guesser
        .call(
            &app,
            "admin/sign-in",
            &format!("password={}", PASSWORD.replace(' ', "+")),
        )
        .await;
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
            .body(Body::from(format!(
                "password={}",
                PASSWORD.replace(' ', "+")
            )))
            .unwrap();
        let response = app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
        assert!(response.headers().get(header::SET_COOKIE).is_none());
    }
    // The same request from the site itself goes through.
    let request = Request::post("/api/admin/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(format!(
            "password={}",
            PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}

/// Makes `n` orders straight in the database (status set as given).
async fn make_orders(app: &TestApp, n: usize, status: &str, email: &str) -> Vec<String> {
    let (id, name, price, _) = product(app, "tea-tin").await;
    let usd = checkout::domain::money::Currency::parse("USD").unwrap();
    let cart = checkout::domain::cart::Cart {
        lines: vec![checkout::domain::cart::CartLine {
            product_id: id,
            slug: "tea-tin".into(),
            name,
            image: String::new(),
            unit_price: checkout::domain::money::Money::new(price, usd.clone()),
            quantity: 1,
            stock: 60,
        }],
        currency: usd.clone(),
    };
    let mut ids = Vec::new();
    for i in 0..n {
        let order_id = format!("ord_{status}_{email}_{i:03}").replace(['@', '.'], "_");
        let total = checkout::domain::money::Money::new(price, usd.clone());
        db::save_order(
            &app.state.pool,
            &order_id,
            &format!("cart_{i}"),
            email,
            &cart,
            &total,
            true,
        )
        .await
        .unwrap();
        sqlx::query("UPDATE orders SET status = ?, created_at = created_at - ? WHERE id = ?")
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

    let first = merchant.call(&app, "admin/orders", "").await.json();
    assert_eq!(first["orders"].as_array().unwrap().len(), 25);
    let counts: Vec<(String, i64)> = serde_json::from_value(first["counts"].clone()).unwrap();
    assert_eq!(
        counts,
        vec![("paid".to_string(), 30), ("payment_failed".to_string(), 4)]
    );
    let cursor = first["next"].as_str().unwrap();
    let second = merchant
        .call(&app, "admin/orders", &format!("after={cursor}"))
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
        .call(&app, "admin/orders", "status=payment_failed")
        .await
        .json();
    assert_eq!(failed["orders"].as_array().unwrap().len(), 4);
    let by_email = merchant.call(&app, "admin/orders", "q=bob%40").await.json();
    assert_eq!(by_email["orders"].as_array().unwrap().len(), 4);
    let one = &failed["orders"][0]["id"];
    let by_id = merchant
        .call(
            &app,
            "admin/orders",
            &format!("q={}", one.as_str().unwrap()),
        )
        .await
        .json();
    assert_eq!(by_id["orders"].as_array().unwrap().len(), 1);
    let future = merchant
        .call(&app, "admin/orders", "from=2099-01-01")
        .await
        .json();
    assert_eq!(future["orders"].as_array().unwrap().len(), 0);
    let bad = merchant.call(&app, "admin/orders", "from=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let unknown = merchant.call(&app, "admin/orders", "status=lost").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[test]
fn dates_are_read_as_utc_days() {
    use checkout::server::admin::parse_date;
    assert_eq!(parse_date("1970-01-01"), Some(0));
    assert_eq!(parse_date("2026-11-21"), Some(1_795_219_200));
    assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800));
    assert_eq!(parse_date("2026-13-01"), None);
    assert_eq!(parse_date("21/11/2026"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_half_then_the_rest_and_refuses_too_much() {
    // A real listener: the refund goes to the embedded simulator and comes back by webhook.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = spawn_app_with(
        fresh_db_path(),
        &[
            ("ADMIN_PASSWORD_HASH", password_hash()),
            ("CHECKOUT_ADDR", addr.as_str()),
        ],
    )
    .await;
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let shopper = Visitor::new();
    let (kettle, _, price, _) = product(&app, "copper-kettle").await;
    shopper
        .call(&app, "cart/add", &format!("product_id={kettle}&quantity=2"))
        .await;
    let session = shopper
        .call(&app, "checkout/start", "email=eve%40example.com")
        .await
        .json();
    let order_id = session["order_id"].as_str().unwrap().to_string();
    let merchant = signed_in(&app).await;

    let unpaid = merchant
        .call(
            &app,
            "admin/refund",
            &format!("order_id={order_id}&amount=1.00&attempt=attempt0001"),
        )
        .await;
    assert_eq!(unpaid.status, StatusCode::BAD_REQUEST);
    assert!(
        unpaid.body.contains("Only a paid order can be refunded"),
        "{}",
        unpaid.body
    );

    let pi = session["client_secret"]
        .as_str()
        .unwrap()
        .split("_secret_")
        .next()
        .unwrap()
        .to_string();
    let key = app.state.payments.secret_key.expose().to_string();
    reqwest::Client::new()
        .post(format!(
            "http://{addr}/stripe-sim/v1/payment_intents/{pi}/confirm"
        ))
        .bearer_auth(&key)
        .form(&[
            ("payment_method", "pm_card_visa"),
            ("return_url", "https://x.example"),
        ])
        .send()
        .await
        .unwrap();
    let status = |app: &TestApp| {
        let (pool, id) = (app.state.pool.clone(), order_id.clone());
        async move { db::order_by_id(&pool, &id).await.unwrap().unwrap().status }
    };
    eventually("paid", || async { status(&app).await == "paid" }).await;

    let total = 2 * price;
    let major = |minor: i64| format!("{}.{:02}", minor / 100, minor % 100);
    let too_much = merchant
        .call(
            &app,
            "admin/refund",
            &format!(
                "order_id={order_id}&amount={}&attempt=attempt0002",
                major(total + 1)
            ),
        )
        .await;
    assert_eq!(too_much.status, StatusCode::BAD_REQUEST);
    let half = format!(
        "order_id={order_id}&amount={}&reason=requested_by_customer&attempt=attempt0003",
        major(total / 2)
    );
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
        status(&app).await == "partially_refunded"
    })
    .await;
    let detail = merchant
        .call(&app, "admin/order", &format!("id={order_id}"))
        .await
        .json();
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
        .call(
            &app,
            "admin/refund",
            &format!(
                "order_id={order_id}&amount={}&attempt=attempt0004",
                major(total - total / 2)
            ),
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    eventually("refunded", || async { status(&app).await == "refunded" }).await;
}
