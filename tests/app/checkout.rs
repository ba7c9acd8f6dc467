//! Checkout through the real HTTP path: server functions, the Stripe client, the embedded
//! simulator, its signed webhooks back to the app.

use crate::helpers::{
    eventually, form, lines, order_status, payment_intent_of, product, shipped, spawn_server,
    Checkout, Sim, Visitor, BOARD, KETTLE, MUG, TEA_TIN, TRIVET,
};
use axum::http::StatusCode;
use checkout::server::db;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_builds_one_order_from_database_prices_and_no_payment_intent_until_pay() {
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
        shipped(2 * mug.price_minor + tin.price_minor)
    );
    assert!(session.get("client_secret").is_none(), "{session}");
    let revision = session["revision"].as_i64().unwrap();

    // Back to checkout after changing the cart: the same order, a new revision.
    let again = shopper.start_checkout(&app, "ada@example.com").await.json();
    assert_eq!(again["order_id"], order_id.as_str());
    assert_eq!(again["revision"], revision, "nothing changed");
    shopper.update_cart(&app, &mug, 3).await;
    let changed = shopper.start_checkout(&app, "ada@example.com").await.json();
    assert_eq!(changed["order_id"], order_id.as_str());
    assert_eq!(changed["revision"], revision + 1);
    assert_eq!(
        changed["total"]["minor"],
        shipped(3 * mug.price_minor + tin.price_minor)
    );
    let items = db::order_items(&app.state.pool, &order_id).await.unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| (i.product_id, i.quantity))
            .collect::<Vec<_>>(),
        vec![(mug.id, 3), (tin.id, 1)]
    );
    // Opening and changing the checkout made nothing at Stripe.
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0, "{listed}");

    // Pay: one PaymentIntent for exactly the order, created and confirmed by the server.
    let checkout = shopper.checkout(&app, "ada@example.com").await;
    let paid = shopper.pay(&app, &sim, &checkout, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    assert_eq!(paid.json(), serde_json::json!("Submitted"));
    let pi = sim
        .payment_intent(&payment_intent_of(&app, &order_id).await)
        .await;
    assert_eq!(pi["amount"], shipped(3 * mug.price_minor + tin.price_minor));
    assert_eq!(pi["shipping"]["address"]["state"], "NY");
    assert_eq!(pi["currency"], "usd");
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["metadata"]["order_id"], order_id.as_str());
    assert_eq!(pi["receipt_email"], "ada@example.com");
    eventually("paid", || async {
        order_status(&app, &order_id).await == "paid"
    })
    .await;

    let empty = Visitor::new().start_checkout(&app, "ada@example.com").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("EmptyCart"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_showing_an_old_revision_is_refused_and_nothing_is_charged() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    shopper.add_to_cart(&app, &mug, 1).await;
    let tab_a = shopper.checkout(&app, "tabs@example.com").await;
    // Tab B changes the cart and opens the checkout: the order moves to a new revision.
    shopper.update_cart(&app, &mug, 2).await;
    let tab_b = shopper.checkout(&app, "tabs@example.com").await;
    assert_eq!(tab_b.order_id, tab_a.order_id);
    assert_eq!(tab_b.revision, tab_a.revision + 1);

    let refused = shopper.pay(&app, &sim, &tab_a, "pm_card_visa").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    let changed = refused.json();
    assert_eq!(changed["OrderChanged"]["revision"], tab_b.revision);
    assert_eq!(
        changed["OrderChanged"]["total"]["minor"],
        shipped(2 * mug.price_minor)
    );
    // Tab B changes the cart again without opening the checkout: tab B's Pay finds out too.
    shopper.update_cart(&app, &mug, 3).await;
    let refused = shopper.pay(&app, &sim, &tab_b, "pm_card_visa").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    let now = refused.json()["OrderChanged"].clone();
    assert_eq!(now["total"]["minor"], shipped(3 * mug.price_minor));
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        0,
        "nothing charged"
    );
    assert_eq!(order_status(&app, &tab_a.order_id).await, "pending");

    // With the revision the server answered, Pay charges exactly what that page shows.
    let shown = Checkout {
        revision: now["revision"].as_i64().unwrap(),
        total_minor: now["total"]["minor"].as_i64().unwrap(),
        ..tab_a.clone()
    };
    let paid = shopper.pay(&app, &sim, &shown, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    let pi = sim
        .payment_intent(&payment_intent_of(&app, &shown.order_id).await)
        .await;
    assert_eq!(pi["amount"], shown.total_minor);
    assert_eq!(pi["metadata"]["order_revision"], shown.revision.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_confirmations_of_one_revision_give_one_payment_intent() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let board = product(&app, BOARD).await;
    shopper.add_to_cart(&app, &board, 1).await;
    let checkout = shopper.checkout(&app, "twice@example.com").await;
    // Two tabs (or a double click), each with its own token, at once.
    let (a, b) = tokio::join!(
        shopper.pay(&app, &sim, &checkout, "pm_card_visa"),
        shopper.pay(&app, &sim, &checkout, "pm_card_visa")
    );
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(a.json(), serde_json::json!("Submitted"));
    assert_eq!(b.json(), serde_json::json!("Submitted"));
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    eventually("paid", || async {
        order_status(&app, &checkout.order_id).await == "paid"
    })
    .await;
    // Pay again once paid: nothing new.
    let again = shopper.pay(&app, &sim, &checkout, "pm_card_visa").await;
    assert_eq!(again.json(), serde_json::json!("Submitted"));
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_token_used_twice_is_refused_and_charges_once() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let tin = product(&app, TEA_TIN).await;
    shopper.add_to_cart(&app, &tin, 1).await;
    let checkout = shopper.checkout(&app, "once@example.com").await;
    let token = sim.confirmation_token("pm_card_chargeDeclined").await;
    let declined = shopper
        .pay_with(&app, &checkout, checkout.revision, &token)
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.body);
    assert_eq!(
        declined.json()["Declined"]["message"],
        "Your card was declined."
    );
    // The same token again (a replayed request from the page): Stripe refuses a used token.
    let reused = shopper
        .pay_with(&app, &checkout, checkout.revision, &token)
        .await;
    assert_eq!(reused.status, StatusCode::BAD_GATEWAY, "{}", reused.body);
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    let attempts = db::attempts_of(&app.state.pool, &checkout.order_id)
        .await
        .unwrap();
    let outcomes: Vec<_> = attempts.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        vec![db::AttemptOutcome::Declined, db::AttemptOutcome::Refused]
    );
    // Junk where a token goes: refused before anything is sent.
    for junk in [
        "",
        "ctoken_",
        "tok_visa",
        "ctoken_a b",
        &"ctoken_x".repeat(60),
    ] {
        let reply = shopper
            .pay_with(&app, &checkout, checkout.revision, junk)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{junk}: {}",
            reply.body
        );
    }
    assert_eq!(
        db::attempts_of(&app.state.pool, &checkout.order_id)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_then_a_good_one_pays_the_same_order_once() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let kettle = product(&app, KETTLE).await;
    shopper.add_to_cart(&app, &kettle, 2).await;
    let checkout = shopper.checkout(&app, "bob@example.com").await;
    let order_id = checkout.order_id.clone();

    let declined = shopper
        .pay(&app, &sim, &checkout, "pm_card_chargeDeclined")
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.body);
    assert_eq!(
        declined.json()["Declined"]["message"],
        "Your card was declined."
    );
    eventually("payment_failed", || async {
        order_status(&app, &order_id).await == "payment_failed"
    })
    .await;
    let first_pi = payment_intent_of(&app, &order_id).await;

    // The Card Element's way: a PaymentMethod, confirmed on the server too.
    let paid = shopper
        .pay_with(&app, &checkout, checkout.revision, "pm_card_visa")
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    assert_eq!(paid.json(), serde_json::json!("Submitted"));
    eventually("paid", || async {
        order_status(&app, &order_id).await == "paid"
    })
    .await;
    let second_pi = payment_intent_of(&app, &order_id).await;
    assert_ne!(first_pi, second_pi, "a new attempt, a new PaymentIntent");
    assert_eq!(
        sim.payment_intent(&second_pi).await["amount"],
        2 * kettle.price_minor
    );

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
    // One successful charge.
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
async fn three_d_secure_comes_back_to_the_browser_and_pays_once_authenticated() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    shopper.add_to_cart(&app, &mug, 1).await;
    let checkout = shopper.checkout(&app, "sca@example.com").await;
    let reply = shopper
        .pay(&app, &sim, &checkout, "pm_card_authenticationRequired")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let secret = reply.json()["Authenticate"]["client_secret"]
        .as_str()
        .expect("a client secret for handleNextAction")
        .to_string();
    let pi = payment_intent_of(&app, &checkout.order_id).await;
    assert!(secret.starts_with(&format!("{pi}_secret_")));
    assert_eq!(sim.payment_intent(&pi).await["status"], "requires_action");
    // Pay pressed again meanwhile (another tab): the same authentication, nothing new.
    let again = shopper
        .pay(&app, &sim, &checkout, "pm_card_visa")
        .await
        .json();
    assert_eq!(again["Authenticate"]["client_secret"], secret.as_str());
    // The shopper fails the challenge, then pays with another card.
    sim.authenticate(&pi, false).await;
    eventually("payment_failed", || async {
        order_status(&app, &checkout.order_id).await == "payment_failed"
    })
    .await;
    let reply = shopper
        .pay(&app, &sim, &checkout, "pm_card_authenticationRequired")
        .await
        .json();
    let second = payment_intent_of(&app, &checkout.order_id).await;
    assert_ne!(second, pi);
    assert!(reply["Authenticate"]["client_secret"]
        .as_str()
        .unwrap()
        .starts_with(&second));
    sim.authenticate(&second, true).await;
    eventually("paid", || async {
        order_status(&app, &checkout.order_id).await == "paid"
    })
    .await;
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    let succeeded = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "succeeded")
        .count();
    assert_eq!(succeeded, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_create_and_confirm_never_charge_twice() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let trivet = product(&app, TRIVET).await;
    shopper.add_to_cart(&app, &trivet, 1).await;
    let checkout = shopper.checkout(&app, "faults@example.com").await;
    let tokens = [
        sim.confirmation_token("pm_card_visa").await,
        sim.confirmation_token("pm_card_visa").await,
        sim.confirmation_token("pm_card_visa").await,
    ];
    // Every answer is lost after Stripe did the work (the client retries with the same key, and
    // each retry's answer is lost too).
    let drop = [("failure_rate", "1"), ("failure_kind", "drop")];
    sim.post("/_sim/faults", &drop).await;
    let lost = shopper
        .pay_with(&app, &checkout, checkout.revision, &tokens[0])
        .await;
    assert_eq!(lost.status, StatusCode::BAD_GATEWAY, "{}", lost.body);
    let attempts = db::attempts_of(&app.state.pool, &checkout.order_id)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, db::AttemptOutcome::InDoubt);
    // While Stripe still does not answer, pressing Pay again makes nothing new.
    let still = shopper
        .pay_with(&app, &checkout, checkout.revision, &tokens[1])
        .await;
    assert_eq!(still.status, StatusCode::BAD_GATEWAY, "{}", still.body);
    assert_eq!(
        db::attempts_of(&app.state.pool, &checkout.order_id)
            .await
            .unwrap()
            .len(),
        1
    );
    // Stripe answers again: the shopper presses Pay with a new token; the lost attempt is sent
    // again first, with its key, and it had paid: nothing new is charged.
    sim.post("/_sim/faults", &[("failure_rate", "0")]).await;
    let again = shopper
        .pay_with(&app, &checkout, checkout.revision, &tokens[2])
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json(), serde_json::json!("Submitted"));
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    let attempts = db::attempts_of(&app.state.pool, &checkout.order_id)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, db::AttemptOutcome::Succeeded);
    eventually("paid", || async {
        order_status(&app, &checkout.order_id).await == "paid"
    })
    .await;

    // 5xx on every try for another shopper: nothing was created, and the next Pay pays once.
    let other = Visitor::new();
    other.add_to_cart(&app, &trivet, 1).await;
    let theirs = other.checkout(&app, "other@example.com").await;
    let token = sim.confirmation_token("pm_card_visa").await;
    sim.post(
        "/_sim/faults",
        &[("failure_rate", "1"), ("failure_kind", "500")],
    )
    .await;
    let failed = other.pay_with(&app, &theirs, theirs.revision, &token).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.body);
    sim.post("/_sim/faults", &[("failure_rate", "0")]).await;
    let paid = other.pay(&app, &sim, &theirs, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    let theirs_paid = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["order_id"] == theirs.order_id.as_str())
        .count();
    assert_eq!(theirs_paid, 1, "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_stream_sends_the_current_status_then_changes() {
    let (app, base) = spawn_server().await;
    let shopper = Visitor::new();
    let tin = product(&app, TEA_TIN).await;
    shopper.add_to_cart(&app, &tin, 4).await;
    let checkout = shopper.checkout(&app, "cy@example.com").await;
    let order_id = checkout.order_id.clone();

    let mut stream = reqwest::get(format!("{base}/orders/{order_id}/events"))
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("data: pending"));
    shopper
        .pay(&app, &Sim::of(&app, &base), &checkout, "pm_card_visa")
        .await;
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

/// A cart change while the bank waits for 3-D Secure cancels that payment before the order is
/// revised; when Stripe does not answer the cancellation, the order keeps the payment (and says
/// so), and the next try cancels it: no confirmable payment of the old amount is ever forgotten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_without_an_answer_keeps_the_payment_until_it_is_canceled() {
    let (app, base) = spawn_server().await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    shopper.add_to_cart(&app, &mug, 1).await;
    let checkout = shopper.checkout(&app, "cancel@example.com").await;
    let asked = shopper
        .pay(&app, &sim, &checkout, "pm_card_authenticationRequired")
        .await
        .json();
    assert!(asked["Authenticate"].is_object(), "{asked}");
    let pi = payment_intent_of(&app, &checkout.order_id).await;

    sim.post(
        "/_sim/faults",
        &[
            ("failure_rate", "1"),
            ("failure_kind", "429"),
            ("failure_path", "/cancel"),
        ],
    )
    .await;
    shopper.add_to_cart(&app, &mug, 1).await;
    let failed = shopper.start_checkout(&app, "cancel@example.com").await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.body);
    assert_eq!(
        payment_intent_of(&app, &checkout.order_id).await,
        pi,
        "still the order's"
    );
    assert_eq!(sim.payment_intent(&pi).await["status"], "requires_action");

    sim.post("/_sim/faults", &[("failure_rate", "0")]).await;
    let revised = shopper.checkout(&app, "cancel@example.com").await;
    assert_eq!(revised.order_id, checkout.order_id);
    assert_eq!(revised.revision, checkout.revision + 1);
    assert_eq!(sim.payment_intent(&pi).await["status"], "canceled");
}
