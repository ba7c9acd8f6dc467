//! Orders that cannot be lost or mis-charged: the sequences that once stranded an order or
//! charged another amount than the one shown, each driven through the app and its embedded
//! simulator over HTTP.

use crate::helpers::{
    order_status, payment_intent_of, product, shipped, spawn_server_with, Sim, TestApp, Visitor,
    KETTLE, MUG, TRIVET,
};
use checkout::server::db;
use checkout::server::reconcile;
use checkout::server::sync::now;

async fn order(app: &TestApp, id: &str) -> db::OrderRow {
    db::order_by_id(&app.state.pool, id).await.unwrap().unwrap()
}

/// Faults: every API answer lost after the work is done, and every webhook lost.
const LOST_ANSWERS_AND_WEBHOOKS: [(&str, &str); 3] = [
    ("failure_rate", "1"),
    ("failure_kind", "drop"),
    ("webhook_drop_rate", "1"),
];

/// A shop whose webhooks are all lost, and one mug checked out and paid with `card`; with
/// `answer_lost`, Stripe's answer to Pay is lost too (the attempt stays in doubt).
async fn one_mug_paid_without_webhooks(
    vars: &[(&str, &str)],
    card: &str,
    answer_lost: bool,
) -> (TestApp, crate::helpers::Checkout) {
    let (app, base) = spawn_server_with(vars).await;
    let sim = Sim::of(&app, &base);
    sim.lose_webhooks().await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 1)
        .await;
    let checkout = shopper.checkout(&app, "ada@example.com").await;
    let token = sim.confirmation_token(card).await;
    if answer_lost {
        sim.post("/_sim/faults", &LOST_ANSWERS_AND_WEBHOOKS).await;
    }
    shopper
        .pay_with(&app, &checkout, checkout.revision, &token)
        .await;
    if answer_lost {
        // Webhooks stay lost; the API answers again.
        sim.post("/_sim/faults", &[("webhook_drop_rate", "1")])
            .await;
    }
    (app, checkout)
}

/// Cart A, then B, then A again: Pay charges A, as the page says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_back_to_an_earlier_cart_charges_what_the_page_shows() {
    let (app, base) = spawn_server_with(&[]).await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let (mug, kettle) = (product(&app, MUG).await, product(&app, KETTLE).await);
    shopper.add_to_cart(&app, &mug, 1).await;
    let first = shopper.checkout(&app, "ada@example.com").await;
    shopper.checkout(&app, "ada@example.com").await;
    shopper.add_to_cart(&app, &kettle, 1).await;
    let with_kettle = shopper.checkout(&app, "ada@example.com").await;
    assert_eq!(
        with_kettle.total_minor,
        shipped(mug.price_minor + kettle.price_minor)
    );
    shopper.remove_from_cart(&app, &kettle).await;
    let back = shopper.checkout(&app, "ada@example.com").await;
    assert_eq!(back.order_id, first.order_id);
    assert_eq!(
        back.total_minor,
        shipped(mug.price_minor),
        "the page's total"
    );
    let paid = shopper.pay(&app, &sim, &back, "pm_card_visa").await;
    assert_eq!(paid.status, axum::http::StatusCode::OK, "{}", paid.body);
    let pi = sim
        .payment_intent(&payment_intent_of(&app, &first.order_id).await)
        .await;
    assert_eq!(
        pi["amount"],
        shipped(mug.price_minor),
        "what Stripe charged"
    );
    assert_eq!(
        order(&app, &first.order_id).await.total_minor,
        shipped(mug.price_minor)
    );
}

/// Paid, the webhook not here yet (Stripe's answer to Pay says it), then the cart changes: the
/// paid order keeps its items and total, and the new items get an order of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_cart_after_paying_never_touches_the_paid_order() {
    let (app, base) = spawn_server_with(&[]).await;
    let sim = Sim::of(&app, &base);
    sim.lose_webhooks().await;
    let shopper = Visitor::new();
    let (mug, kettle) = (product(&app, MUG).await, product(&app, KETTLE).await);
    shopper.add_to_cart(&app, &mug, 2).await;
    let paid = shopper.checkout(&app, "ada@example.com").await;
    shopper.pay(&app, &sim, &paid, "pm_card_visa").await;

    shopper.add_to_cart(&app, &kettle, 1).await;
    let next = shopper.checkout(&app, "ada@example.com").await;
    assert_ne!(next.order_id, paid.order_id);
    let first = order(&app, &paid.order_id).await;
    assert_eq!(first.status.as_str(), "paid");
    assert_eq!(first.total_minor, shipped(2 * mug.price_minor));
    assert_eq!(
        order(&app, &next.order_id).await.total_minor,
        shipped(kettle.price_minor),
        "the paid mugs left the cart; the kettle is the new order"
    );
}

/// Every webhook lost, and Stripe's answer to Pay too: the reconciler reads Stripe's events
/// back and the order is paid, with the correction in its timeline and in the admin's count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_whose_webhooks_never_come_is_healed() {
    let (app, checkout) = one_mug_paid_without_webhooks(&[], "pm_card_visa", true).await;
    assert_eq!(order_status(&app, &checkout.order_id).await, "pending");

    let round = reconcile::run_once(&app.state, now()).await;
    assert!(round.events_read > 0, "{round:?}");
    assert_eq!(order_status(&app, &checkout.order_id).await, "paid");
    // The payment Stripe's events named is the order's now.
    assert!(order(&app, &checkout.order_id)
        .await
        .payment_intent_id
        .is_some());
    let timeline = db::order_timeline(&app.state.pool, &checkout.order_id)
        .await
        .unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.detail.starts_with("Webhook missing, reconciled")),
        "{timeline:?}"
    );
    assert_eq!(
        db::sync_value(&app.state.pool, "reconciled_corrections")
            .await
            .unwrap(),
        Some(1)
    );
    // A second round finds nothing new to correct.
    reconcile::run_once(&app.state, now()).await;
    assert_eq!(
        db::sync_value(&app.state.pool, "reconciled_corrections")
            .await
            .unwrap(),
        Some(1)
    );
}

/// A payment_failed and a processing event of the same second, processing last: the order
/// would stay processing for ever; reading the PaymentIntent back settles it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processing_order_is_settled_from_its_payment_intent() {
    let (app, checkout) = one_mug_paid_without_webhooks(
        &[("RECONCILE_STALE_SECONDS", "1")],
        "pm_card_chargeDeclined",
        false,
    )
    .await;
    let pi = payment_intent_of(&app, &checkout.order_id).await;
    let t = now();
    for (id, kind) in [
        ("evt_fail", "payment_intent.payment_failed"),
        ("evt_proc", "payment_intent.processing"),
    ] {
        let fact = db::PaymentFact {
            event_id: id,
            event_type: kind,
            gateway: checkout::domain::gateway::Gateway::Stripe,
            reference: Some(&pi),
            order_hint: None,
            origin: db::Origin::Webhook,
        };
        let event = if kind.ends_with("processing") {
            checkout::domain::order::PaymentEvent::Processing
        } else {
            checkout::domain::order::PaymentEvent::Failed {
                reason: "declined".into(),
            }
        };
        db::apply_stripe_event(&app.state.pool, fact, |s| {
            (s.apply(&event, t), String::new())
        })
        .await
        .unwrap();
    }
    assert_eq!(order_status(&app, &checkout.order_id).await, "processing");
    let round = reconcile::run_once(&app.state, now() + 2).await;
    assert!(round.orders_checked >= 1, "{round:?}");
    assert_eq!(
        order_status(&app, &checkout.order_id).await,
        "payment_failed"
    );
}

/// The last three trivets: the first shopper's checkout holds them, the second cannot add
/// them; when the hold runs out unpaid (a card declined meanwhile) its PaymentIntent is canceled
/// and they are back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_items_are_held_then_released_when_the_hold_runs_out() {
    let (app, base) = spawn_server_with(&[("CHECKOUT_HOLD_SECONDS", "60")]).await;
    let sim = Sim::of(&app, &base);
    let trivet = product(&app, TRIVET).await;
    let (first, second) = (Visitor::new(), Visitor::new());
    first.add_to_cart(&app, &trivet, trivet.stock).await;
    second.add_to_cart(&app, &trivet, 1).await;
    let held = first.checkout(&app, "first@example.com").await;
    assert_eq!(
        product(&app, TRIVET).await.stock,
        0,
        "the shop shows none left"
    );
    let refused = second.start_checkout(&app, "second@example.com").await;
    assert_eq!(
        refused.status,
        axum::http::StatusCode::BAD_REQUEST,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Wool Felt Trivet"),
        "{}",
        refused.body
    );
    // The holder's own hold is theirs: checkout again still works.
    first.checkout(&app, "first@example.com").await;
    let declined = first.pay(&app, &sim, &held, "pm_card_chargeDeclined").await;
    assert!(declined.body.contains("Declined"), "{}", declined.body);

    reconcile::run_once(&app.state, now() + 61).await;
    assert_eq!(order_status(&app, &held.order_id).await, "canceled");
    let pi = sim
        .payment_intent(&payment_intent_of(&app, &held.order_id).await)
        .await;
    assert_eq!(pi["status"], "canceled");
    assert_eq!(pi["cancellation_reason"], "abandoned");
    assert_eq!(
        product(&app, TRIVET).await.stock,
        trivet.stock,
        "back on sale"
    );
    second.checkout(&app, "second@example.com").await;
}

/// A hold that runs out while the payment succeeded (its webhook and Stripe's answer lost): the
/// attempt is sent again first, and the order is paid, not canceled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_hold_whose_payment_succeeded_is_paid_not_canceled() {
    let (app, base) = spawn_server_with(&[("CHECKOUT_HOLD_SECONDS", "60")]).await;
    let sim = Sim::of(&app, &base);
    sim.lose_webhooks().await;
    let shopper = Visitor::new();
    let mug = product(&app, MUG).await;
    shopper.add_to_cart(&app, &mug, 1).await;
    let checkout = shopper.checkout(&app, "ada@example.com").await;
    let token = sim.confirmation_token("pm_card_visa").await;
    // Stripe's answer to Pay is lost as well: the attempt is in doubt when the hold runs out.
    sim.post("/_sim/faults", &LOST_ANSWERS_AND_WEBHOOKS).await;
    shopper
        .pay_with(&app, &checkout, checkout.revision, &token)
        .await;
    reconcile::expire(&app.state, now() + 61).await.unwrap();
    assert_eq!(
        order_status(&app, &checkout.order_id).await,
        "pending",
        "not canceled while the payment is in doubt"
    );
    sim.post("/_sim/faults", &[("webhook_drop_rate", "1")])
        .await;
    reconcile::expire(&app.state, now() + 61).await.unwrap();
    assert_eq!(order_status(&app, &checkout.order_id).await, "paid");
    assert_eq!(product(&app, MUG).await.stock, mug.stock - 1, "sold once");
}

/// Two checkout starts for one cart at once: one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_checkout_starts_at_once_make_one_order() {
    let (app, _base) = spawn_server_with(&[]).await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 1)
        .await;
    let (a, b) = tokio::join!(
        shopper.start_checkout(&app, "ada@example.com"),
        shopper.start_checkout(&app, "ada@example.com")
    );
    let (a, b) = (a.json(), b.json());
    assert_eq!(a["order_id"], b["order_id"]);
    assert_eq!(a["revision"], b["revision"]);
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(orders, 1);
}

/// Two tabs: the first shows the mug's total, the second adds the kettle. The first tab's Pay
/// is refused before anything is charged, so nobody is charged a total they were not shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_tab_cannot_pay_a_total_it_does_not_show() {
    let (app, base) = spawn_server_with(&[]).await;
    let sim = Sim::of(&app, &base);
    let shopper = Visitor::new();
    let (mug, kettle) = (product(&app, MUG).await, product(&app, KETTLE).await);
    shopper.add_to_cart(&app, &mug, 1).await;
    let first_tab = shopper.checkout(&app, "ada@example.com").await;
    shopper.add_to_cart(&app, &kettle, 1).await;
    let second_tab = shopper.checkout(&app, "ada@example.com").await;

    let stale = shopper.pay(&app, &sim, &first_tab, "pm_card_visa").await;
    assert_eq!(
        stale.status,
        axum::http::StatusCode::CONFLICT,
        "{}",
        stale.body
    );
    assert!(stale.body.contains("OrderChanged"), "{}", stale.body);
    let listed = sim.get("/v1/payment_intents?limit=100").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
    let fresh = shopper.pay(&app, &sim, &second_tab, "pm_card_visa").await;
    assert_eq!(fresh.status, axum::http::StatusCode::OK, "{}", fresh.body);
    let pi = sim
        .payment_intent(&payment_intent_of(&app, &second_tab.order_id).await)
        .await;
    assert_eq!(pi["amount"], mug.price_minor + kettle.price_minor);
}

/// Reconciliation reads orders back one by one: one that Stripe does not answer for (here every
/// read of its PaymentIntent fails) does not hold up the others, whose lost payments are found in
/// the same run; the one that failed is tried again on the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_order_stripe_does_not_answer_for_does_not_hold_up_the_others() {
    let (app, base) = spawn_server_with(&[]).await;
    let sim = Sim::of(&app, &base);
    sim.lose_webhooks().await;
    let mug = product(&app, MUG).await;
    let stuck = Visitor::new();
    stuck.add_to_cart(&app, &mug, 1).await;
    let waiting = stuck.checkout(&app, "stuck@example.com").await;
    stuck
        .pay(&app, &sim, &waiting, "pm_card_authenticationRequired")
        .await;
    let stuck_pi = payment_intent_of(&app, &waiting.order_id).await;

    let lost = Visitor::new();
    lost.add_to_cart(&app, &mug, 1).await;
    let paid = lost.checkout(&app, "lost@example.com").await;
    let token = sim.confirmation_token("pm_card_visa").await;
    sim.post("/_sim/faults", &LOST_ANSWERS_AND_WEBHOOKS).await;
    lost.pay_with(&app, &paid, paid.revision, &token).await;
    assert_eq!(
        order_status(&app, &paid.order_id).await,
        "pending",
        "its answer was lost"
    );

    let path = format!("/v1/payment_intents/{stuck_pi}");
    sim.post(
        "/_sim/faults",
        &[
            ("failure_rate", "1"),
            ("failure_kind", "500"),
            ("failure_path", path.as_str()),
            ("webhook_drop_rate", "1"),
        ],
    )
    .await;
    let run = reconcile::check_unsettled(&app.state, now() + 10_000).await;
    assert!(run.is_err(), "the stuck order's failure is still reported");
    assert_eq!(order_status(&app, &paid.order_id).await, "paid");
    assert_eq!(order_status(&app, &waiting.order_id).await, "pending");
}
