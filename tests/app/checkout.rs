//! Checkout through the real HTTP path: server functions, the Stripe client, the embedded
//! simulator, its signed webhooks back to the app.

use crate::helpers::{
    eventually, form, lines, order_status, product, spawn_server, Sim, Visitor, BOARD, KETTLE, MUG,
    TEA_TIN,
};
use axum::http::StatusCode;
use checkout::server::db;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_builds_one_order_and_one_payment_intent_from_database_prices() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    let tin = product(&app, TEA_TIN).await;
    shopper.add_to_cart(&app, &mug, 2).await;
    shopper.add_to_cart(&app, &tin, 1).await;

    let bad = shopper.start_checkout(&app, "not-an-email").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("missing an @"), "{}", bad.body);

    let first = shopper.start_checkout(&app, "ada@example.com").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let session = first.json();
    let order_id = session["order_id"].as_str().unwrap().to_string();
    assert!(order_id.starts_with("ord_") && order_id.len() == 28);
    assert_eq!(
        session["total"]["minor"],
        2 * mug.price_minor + tin.price_minor
    );
    let secret = session["client_secret"].as_str().unwrap();
    let pi_id = secret.split("_secret_").next().unwrap().to_string();
    let pi = sim.payment_intent(&pi_id).await;
    assert_eq!(pi["amount"], 2 * mug.price_minor + tin.price_minor);
    assert_eq!(pi["currency"], "usd");
    assert_eq!(pi["metadata"]["order_id"], order_id.as_str());
    assert_eq!(pi["receipt_email"], "ada@example.com");

    // Back to checkout after changing the cart: the same order and PaymentIntent, new amount.
    let again = shopper.start_checkout(&app, "ada@example.com").await.json();
    assert_eq!(again["order_id"], order_id.as_str());
    shopper.update_cart(&app, &mug, 3).await;
    let changed = shopper.start_checkout(&app, "ada@example.com").await.json();
    assert_eq!(changed["order_id"], order_id.as_str());
    assert!(changed["client_secret"]
        .as_str()
        .unwrap()
        .starts_with(&pi_id));
    let pi = sim.payment_intent(&pi_id).await;
    assert_eq!(pi["amount"], 3 * mug.price_minor + tin.price_minor);
    let items = db::order_items(&app.state.pool, &order_id).await.unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| (i.product_id, i.quantity))
            .collect::<Vec<_>>(),
        vec![(mug.id, 3), (tin.id, 1)]
    );

    let empty = Visitor::new().start_checkout(&app, "ada@example.com").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("EmptyCart"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_then_a_good_one_pays_the_same_order_once() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let kettle = product(&app, KETTLE).await;
    shopper.add_to_cart(&app, &kettle, 2).await;
    let checkout = shopper.checkout(&app, "bob@example.com").await;
    let (order_id, pi_id) = (checkout.order_id, checkout.payment_intent);
    let return_url = format!("{base}/orders/{order_id}");

    let declined = sim
        .confirm_returning_to(&pi_id, "pm_card_chargeDeclined", &return_url)
        .await;
    assert_eq!(declined["error"]["message"], "Your card was declined.");
    eventually("payment_failed", || async {
        order_status(&app, &order_id).await == "payment_failed"
    })
    .await;

    let shown = db::order_by_id(&app.state.pool, &order_id)
        .await
        .unwrap()
        .unwrap()
        .total_minor
        .to_string();
    let retry = shopper
        .call(
            &app,
            "checkout/attempt",
            &form(&[("order_id", &order_id), ("shown_minor", &shown)]),
        )
        .await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
    assert_eq!(order_status(&app, &order_id).await, "pending");

    let paid = sim
        .confirm_returning_to(&pi_id, "pm_card_visa", &return_url)
        .await;
    assert_eq!(paid["status"], "succeeded");
    eventually("paid", || async {
        order_status(&app, &order_id).await == "paid"
    })
    .await;

    assert_eq!(
        product(&app, KETTLE).await.stock,
        kettle.stock - 2,
        "stock taken once"
    );
    assert!(
        lines(&shopper.cart(&app).await).is_empty(),
        "the cart is emptied once paid"
    );
    let view = shopper
        .call(&app, "orders/get", &form(&[("id", &order_id)]))
        .await
        .json();
    assert_eq!(view["status"], "paid");
    assert_eq!(view["total"]["minor"], 2 * kettle.price_minor);
    // One PaymentIntent, one successful charge.
    let events = sim.get("/v1/events?limit=100").await;
    let succeeded: Vec<&Value> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "charge.succeeded")
        .collect();
    assert_eq!(succeeded.len(), 1);
    let timeline = db::order_timeline(&app.state.pool, &order_id)
        .await
        .unwrap();
    assert!(timeline.iter().any(|e| e
        .detail
        .starts_with("Payment failed: Your card was declined.")));
    assert!(timeline
        .iter()
        .any(|e| e.new_status == Some(checkout::domain::order::OrderStatus::Paid)));
    // A new checkout for this visitor starts a new order.
    shopper.add_to_cart(&app, &kettle, 1).await;
    let next = shopper.start_checkout(&app, "bob@example.com").await.json();
    assert_ne!(next["order_id"], order_id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_stream_sends_the_current_status_then_changes() {
    let (app, base) = spawn_server().await;
    let shopper = Visitor::new();
    let tin = product(&app, TEA_TIN).await;
    shopper.add_to_cart(&app, &tin, 4).await;
    let checkout = shopper.checkout(&app, "cy@example.com").await;
    let (order_id, pi_id) = (checkout.order_id, checkout.payment_intent);

    let mut stream = reqwest::get(format!("{base}/orders/{order_id}/events"))
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("data: pending"));
    Sim::of(&app, &base).confirm(&pi_id, "pm_card_visa").await;
    let mut seen = String::new();
    while !seen.contains("data: paid") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("an update")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert_eq!(
        reqwest::get(format!("{base}/orders/ord_nope/events"))
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_and_checkout_pages_render_on_any_server_thread() {
    let (app, _base) = spawn_server().await;
    let shopper = Visitor::new();
    let board = product(&app, BOARD).await;
    shopper.add_to_cart(&app, &board, 1).await;
    let order_id = shopper.checkout(&app, "dee@example.com").await.order_id;
    // Browser-only handles must never be touched by the server, whichever thread renders.
    for _ in 0..20 {
        let page = shopper.get_page(&app, &format!("/orders/{order_id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Awaiting payment"));
        let checkout = shopper.get_page(&app, "/checkout").await;
        assert_eq!(checkout.status, StatusCode::OK);
        assert!(checkout.body.contains("Email for your receipt"));
    }
    let missing = shopper.get_page(&app, "/orders/ord_missing").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
