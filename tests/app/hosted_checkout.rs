//! Stripe's hosted Checkout (`STRIPE_UI=checkout`) against the embedded simulator over HTTP: a
//! Checkout Session made for the order as the page shows it, paid on the simulator's hosted page,
//! its events through the same apply path, expiry with the hold, read back when webhooks are lost.

use crate::helpers::{
    eventually, form, order_status, payment_intent_of, product, shipped, spawn_server_with,
    Checkout, Sim, TestApp, Visitor, KETTLE, MUG, TRIVET,
};
use axum::http::StatusCode;
use checkout::server::{db, reconcile, sync::now};
use serde_json::Value;

async fn hosted_shop() -> (TestApp, String, Sim) {
    let (app, base) = spawn_server_with(&[("STRIPE_UI", "checkout")]).await;
    let sim = Sim::of(&app, &base);
    (app, base, sim)
}

/// Pay with Stripe Checkout, as the page does: the Checkout Session's URL.
async fn pay_hosted(
    app: &TestApp,
    shopper: &Visitor,
    checkout: &Checkout,
    revision: i64,
) -> crate::helpers::Reply {
    let form = form(&[
        ("order_id", &checkout.order_id),
        ("revision", &revision.to_string()),
    ]);
    shopper.call(app, "checkout/hosted", &form).await
}

/// The shopper on the hosted page: their card, submitted. Returns (status, where it sends
/// them, the page).
async fn submit_card(url: &str, number: &str) -> (u16, Option<String>, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(url)
        .form(&[
            ("email", "hosted@example.com"),
            ("name", "Ada Lovelace"),
            ("number", number),
            ("expiry", "12 / 34"),
            ("cvc", "123"),
            ("country", "US"),
            ("postal_code", "10001"),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    (status, location, response.text().await.unwrap_or_default())
}

fn session_id(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_on_stripes_hosted_page_pays_the_order_once() {
    let (app, base, sim) = hosted_shop().await;
    let shopper = Visitor::new();
    let (mug, kettle) = (product(&app, MUG).await, product(&app, KETTLE).await);
    shopper.add_to_cart(&app, &mug, 2).await;
    shopper.add_to_cart(&app, &kettle, 1).await;
    let checkout = shopper.checkout(&app, "hosted@example.com").await;
    let session = shopper
        .start_checkout(&app, "hosted@example.com")
        .await
        .json();
    assert_eq!(session["ui"], "Checkout");

    let reply = pay_hosted(&app, &shopper, &checkout, checkout.revision).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let url: String = serde_json::from_str(&reply.body).unwrap();
    assert!(url.starts_with(&format!("{base}/stripe-sim/")), "{url}");
    let id = session_id(&url);
    // The session is the order, at database prices.
    let cs = sim.get(&format!("/v1/checkout/sessions/{id}")).await;
    let total = 2 * mug.price_minor + kettle.price_minor;
    assert_eq!(cs["amount_total"], total);
    assert_eq!(cs["client_reference_id"], checkout.order_id.as_str());
    assert_eq!(cs["metadata"]["order_id"], checkout.order_id.as_str());
    assert_eq!(cs["customer_email"], "hosted@example.com");
    assert_eq!(
        cs["success_url"],
        format!("{base}/orders/{}", checkout.order_id)
    );
    assert_eq!(cs["cancel_url"], format!("{base}/cart"));
    let lines = sim
        .get(&format!("/v1/checkout/sessions/{id}/line_items"))
        .await;
    let quantities: Vec<(i64, i64)> = lines["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["price"]["unit_amount"].as_i64().unwrap(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        quantities,
        vec![(mug.price_minor, 2), (kettle.price_minor, 1)]
    );
    // The hold lasts at least as long as the session.
    let order = db::order_by_id(&app.state.pool, &checkout.order_id)
        .await
        .unwrap()
        .unwrap();
    assert!(order.expires_at.unwrap() >= cs["expires_at"].as_i64().unwrap());
    // Pressed again (back from the hosted page): the same session.
    let again = pay_hosted(&app, &shopper, &checkout, checkout.revision).await;
    assert_eq!(serde_json::from_str::<String>(&again.body).unwrap(), url);

    // Declined on the hosted page, then paid there.
    let (status, _, page) = submit_card(&url, "4000000000000002").await;
    assert_eq!(status, 402, "{page}");
    assert!(page.contains("Your card was declined."), "{page}");
    let (status, location, page) = submit_card(&url, "4242424242424242").await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some(cs["success_url"].as_str().unwrap())),
        "{page}"
    );
    eventually("paid", || async {
        order_status(&app, &checkout.order_id).await == "paid"
    })
    .await;
    let cs = sim.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(
        payment_intent_of(&app, &checkout.order_id).await,
        cs["payment_intent"].as_str().unwrap()
    );
    let events = sim.get("/v1/events?limit=100").await;
    let charged = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "charge.succeeded")
        .count();
    assert_eq!(charged, 1);
    let recorded = crate::helpers::count(
        &app,
        "SELECT count(*) FROM webhook_events WHERE order_id = $1 AND type = 'checkout.session.completed'",
        &[&checkout.order_id],
    )
    .await;
    assert_eq!(recorded, 1);
    // Paid: Pay again leads to the order page, nothing new.
    let after = pay_hosted(&app, &shopper, &checkout, checkout.revision).await;
    assert_eq!(
        serde_json::from_str::<String>(&after.body).unwrap(),
        format!("{base}/orders/{}", checkout.order_id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_cart_expires_the_open_session_and_a_stale_page_is_refused() {
    let (app, _base, sim) = hosted_shop().await;
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    shopper.add_to_cart(&app, &mug, 1).await;
    let first = shopper.checkout(&app, "tabs@example.com").await;
    let url: String = pay_hosted(&app, &shopper, &first, first.revision)
        .await
        .json()
        .as_str()
        .unwrap()
        .into();
    // Another tab changes the cart: the page that shows the first total is refused.
    shopper.update_cart(&app, &mug, 3).await;
    let stale = pay_hosted(&app, &shopper, &first, first.revision).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let changed: Value = stale.json();
    assert_eq!(
        changed["OrderChanged"]["total"]["minor"],
        shipped(3 * mug.price_minor)
    );
    // The session of the old total can no longer be paid.
    let old = sim
        .get(&format!("/v1/checkout/sessions/{}", session_id(&url)))
        .await;
    assert_eq!(old["status"], "expired");
    let (_, location, _) = submit_card(&url, "4242424242424242").await;
    assert_eq!(location, None, "an expired session takes no payment");
    // Its expiry did not cancel the order.
    eventually("the expiry's webhook", || async {
        crate::helpers::count(
            &app,
            "SELECT count(*) FROM webhook_events WHERE type = 'checkout.session.expired'",
            &[],
        )
        .await
            == 1
    })
    .await;
    assert_eq!(order_status(&app, &first.order_id).await, "pending");
    // The page with the new revision gets a new session for the new total, and pays it.
    let revision = changed["OrderChanged"]["revision"].as_i64().unwrap();
    let url: String = pay_hosted(&app, &shopper, &first, revision)
        .await
        .json()
        .as_str()
        .unwrap()
        .into();
    let cs = sim
        .get(&format!("/v1/checkout/sessions/{}", session_id(&url)))
        .await;
    assert_eq!(cs["amount_total"], shipped(3 * mug.price_minor));
    let (status, _, _) = submit_card(&url, "4242424242424242").await;
    assert_eq!(status, 303);
    eventually("paid", || async {
        order_status(&app, &first.order_id).await == "paid"
    })
    .await;
    let pi = sim
        .payment_intent(&payment_intent_of(&app, &first.order_id).await)
        .await;
    assert_eq!(pi["amount_received"], shipped(3 * mug.price_minor));
    assert_eq!(
        pi["shipping"]["address"]["postal_code"], "10118",
        "the address went with the session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_session_expires_with_the_hold_and_the_stock_comes_back() {
    let (app, _base, sim) = hosted_shop().await;
    let shopper = Visitor::new();
    let trivet = product(&app, TRIVET).await;
    shopper.add_to_cart(&app, &trivet, 2).await;
    let checkout = shopper.checkout(&app, "late@example.com").await;
    let url: String = pay_hosted(&app, &shopper, &checkout, checkout.revision)
        .await
        .json()
        .as_str()
        .unwrap()
        .into();
    assert_eq!(product(&app, TRIVET).await.stock, trivet.stock - 2, "held");
    // The hold (and so the session) runs out.
    reconcile::run_once(&app.state, now() + 3 * 3600).await;
    assert_eq!(order_status(&app, &checkout.order_id).await, "canceled");
    let cs = sim
        .get(&format!("/v1/checkout/sessions/{}", session_id(&url)))
        .await;
    assert_eq!(cs["status"], "expired");
    assert_eq!(
        product(&app, TRIVET).await.stock,
        trivet.stock,
        "back on sale"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_payment_whose_webhooks_are_lost_is_read_back() {
    let (app, _base, sim) = hosted_shop().await;
    sim.lose_webhooks().await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 1)
        .await;
    let checkout = shopper.checkout(&app, "lost@example.com").await;
    let url: String = pay_hosted(&app, &shopper, &checkout, checkout.revision)
        .await
        .json()
        .as_str()
        .unwrap()
        .into();
    let (status, _, _) = submit_card(&url, "4242424242424242").await;
    assert_eq!(status, 303);
    assert_eq!(
        order_status(&app, &checkout.order_id).await,
        "pending",
        "no webhook came"
    );
    reconcile::run_once(&app.state, now()).await;
    assert_eq!(order_status(&app, &checkout.order_id).await, "paid");
}
