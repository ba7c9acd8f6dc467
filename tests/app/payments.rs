//! Where payments go: with no Stripe keys, the simulator embedded in the app, announced on
//! every page; with keys, Stripe itself and no simulator.

use crate::helpers::{fresh_db_path, spawn_app, spawn_app_on, spawn_app_with, Visitor};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keys_the_embedded_simulator_serves_and_every_page_says_so() {
    let app = spawn_app().await;
    for path in ["/", "/cart", "/products/tea-tin"] {
        let page = Visitor::new().get_page(&app, path).await;
        assert!(
            page.body.contains("Simulated payments"),
            "{path} has no banner"
        );
    }

    let js = app
        .send(Request::get("/stripe-sim/v3/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.contains("Stripe"), "Stripe.js stand-in served");

    // The app's keys work against it, over its REST API, like Stripe's.
    let key = app.state.payments.secret_key.expose().to_string();
    assert!(key.starts_with("sk_test_"));
    let create = Request::post("/stripe-sim/v1/payment_intents")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("amount=2000&currency=usd"))
        .unwrap();
    let created = app.send(create).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(created
        .body
        .contains("\"status\": \"requires_payment_method\""));
    assert!(app.state.payments.js_url.ends_with("/stripe-sim/v3/"));

    // The embedded simulator keeps its keys across a restart.
    let db = app.db_path.clone();
    app.state.pool.close().await;
    let again = spawn_app_on(db).await;
    assert_eq!(again.state.payments.secret_key.expose(), key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_stripe_keys_there_is_no_simulator() {
    let app = spawn_app_with(
        fresh_db_path(),
        &[
            ("STRIPE_SECRET_KEY", "sk_test_realkey123"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_realkey123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_realsecret"),
        ],
    )
    .await;
    let js = app
        .send(Request::get("/stripe-sim/v3/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(js.status, StatusCode::NOT_FOUND);
    let page = Visitor::new().get_page(&app, "/").await;
    assert!(page.body.contains("Stripe test mode"));
    assert!(!page.body.contains("Simulated payments"));
    assert!(
        !page.body.contains("sk_test_realkey123"),
        "the secret key never reaches a page"
    );
    assert_eq!(app.state.payments.api_base, "https://api.stripe.com");
}

/// The mode follows the keys, never the URL: test keys pointed at another server (a standalone
/// simulator, a proxy) are still Stripe test mode, with no "no card is charged" banner and no
/// printed admin password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_api_base_does_not_make_real_keys_simulated() {
    let app = spawn_app_with(
        fresh_db_path(),
        &[
            ("STRIPE_SECRET_KEY", "sk_test_realkey123"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_realkey123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_realsecret"),
            ("STRIPE_API_BASE", "http://127.0.0.1:9"),
        ],
    )
    .await;
    assert_eq!(
        app.state.payments.mode,
        checkout::model::site::PaymentsMode::StripeTest
    );
    let page = Visitor::new().get_page(&app, "/").await;
    assert!(!page.body.contains("Simulated payments"));
}
