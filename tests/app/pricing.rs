//! Addresses, shipping rates, tax and discount codes at checkout: the total is worked out on the
//! server from the database and the merchant's settings, and what is charged is exactly it.

use crate::helpers::{
    count, order_status, payment_intent_of, product, spawn_server_with, Checkout, ShipTo, Sim,
    TestApp, Visitor, KETTLE, MUG, TEA_TIN,
};
use axum::http::StatusCode;
use checkout::server::db;
use checkout::server::reconcile;
use checkout::server::sync::now;

async fn order(app: &TestApp, id: &str) -> db::OrderRow {
    db::order_by_id(&app.state.pool, id).await.unwrap().unwrap()
}

async fn sql(app: &TestApp, statement: &str) {
    sqlx::query(statement)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

/// A code as the merchant makes it in the admin.
async fn add_code(app: &TestApp, code: &str, columns: &str, values: &str) {
    sql(
        app,
        &format!("INSERT INTO discount_codes (code, {columns}) VALUES ('{code}', {values})"),
    )
    .await;
}

async fn rate_id(app: &TestApp, zone: &str, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT r.id FROM shipping_rates r JOIN shipping_zones z ON z.id = r.zone_id WHERE z.name = $1 AND r.name = $2",
    )
    .bind(zone)
    .bind(name)
    .fetch_one(&app.state.pool)
    .await
    .unwrap()
}

/// What the shopper reads for an error answer.
fn message(reply: &crate::helpers::Reply) -> String {
    serde_json::from_str::<checkout::error::AppError>(&reply.body)
        .map(|e| e.to_string())
        .unwrap_or_else(|_| reply.body.clone())
}

fn minor(session: &serde_json::Value, part: &str) -> i64 {
    session["pricing"][part]["minor"].as_i64().unwrap()
}

#[tokio::test]
async fn an_address_the_shop_does_not_ship_to_is_refused_before_any_order() {
    let (app, _) = spawn_server_with(&[]).await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 1)
        .await;
    let japan = ShipTo {
        city: "Tokyo".into(),
        region: String::new(),
        postal_code: "100-0001".into(),
        country: "JP".into(),
        ..ShipTo::default()
    };
    let refused = shopper
        .start_checkout_to(&app, "a@example.com", &japan)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        message(&refused).contains("we don't ship to Japan"),
        "{}",
        refused.body
    );
    assert_eq!(count(&app, "SELECT count(*) FROM orders", &[]).await, 0);

    // A postal code of the wrong shape, and a control character: clear errors, nothing made.
    let bad_zip = ShipTo {
        postal_code: "1011".into(),
        ..ShipTo::default()
    };
    let refused = shopper
        .start_checkout_to(&app, "a@example.com", &bad_zip)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        message(&refused).contains("is not a postal code in United States"),
        "{}",
        refused.body
    );
    let control = ShipTo {
        line1: "1 Main St\u{7}".into(),
        ..ShipTo::default()
    };
    let refused = shopper
        .start_checkout_to(&app, "a@example.com", &control)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        message(&refused).contains("cannot be printed"),
        "{}",
        refused.body
    );
    let long = ShipTo {
        city: "x".repeat(5000),
        ..ShipTo::default()
    };
    assert_eq!(
        shopper
            .start_checkout_to(&app, "a@example.com", &long)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(count(&app, "SELECT count(*) FROM orders", &[]).await, 0);
    assert_eq!(product(&app, MUG).await.stock, 40, "nothing held");
}

/// Items + shipping − discount, with VAT inside, stored with the order, charged to the cent,
/// and the address sent to Stripe as the PaymentIntent's shipping.
#[tokio::test]
async fn the_total_has_shipping_discount_and_vat_and_is_what_is_charged() {
    let (app, base) = spawn_server_with(&[]).await;
    let sim = Sim::of(&app, &base);
    add_code(&app, "TENOFF", "kind, percent_bp", "'percent', 1000").await;
    let shopper = Visitor::new();
    let kettle = product(&app, KETTLE).await;
    shopper.add_to_cart(&app, &kettle, 1).await;
    let checkout = shopper
        .checkout_to(
            &app,
            "ada@example.com",
            &ShipTo::berlin().with_code("tenoff"),
        )
        .await;
    let s = &checkout.session;
    // $98.00, 10 % off = $88.20; Europe Standard: $9.00 + $2.50 per started kg (1.1 kg → 2).
    assert_eq!(minor(s, "items"), 9800);
    assert_eq!(minor(s, "discount"), 980);
    assert_eq!(minor(s, "shipping"), 1400);
    // 19 % VAT inside: 8820 × 19/119 = 1408.2 → 1408; 1400 × 19/119 = 223.53 → 224.
    assert_eq!(minor(s, "tax"), 1408 + 224);
    assert_eq!(checkout.total_minor, 8820 + 1400);
    assert_eq!(s["pricing"]["discount_code"], "TENOFF");
    assert_eq!(s["address"]["country"], "DE");

    let paid = shopper.pay(&app, &sim, &checkout, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    let pi = sim
        .payment_intent(&payment_intent_of(&app, &checkout.order_id).await)
        .await;
    assert_eq!(pi["amount"], 8820 + 1400);
    assert_eq!(pi["shipping"]["address"]["postal_code"], "10117");
    assert_eq!(pi["shipping"]["name"], "Ada Lovelace");
    crate::helpers::eventually("paid", || async {
        order_status(&app, &checkout.order_id).await == "paid"
    })
    .await;
    // Each line keeps its share of the discount and its tax.
    let (discount, tax): (i64, i64) =
        sqlx::query_as("SELECT discount_minor, tax_minor FROM order_items WHERE order_id = $1")
            .bind(&checkout.order_id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!((discount, tax), (980, 1408));
    // The order page shows every line.
    let page = shopper
        .get_page(&app, &format!("/orders/{}", checkout.order_id))
        .await;
    for want in [
        "Discount (TENOFF)",
        "Shipping (Standard)",
        "Includes VAT 19%",
        "Unter den Linden 1",
    ] {
        assert!(page.body.contains(want), "{want} on the order page");
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM discount_redemptions WHERE order_id = $1 AND state = 'taken'",
            &[&checkout.order_id]
        )
        .await,
        1
    );
}

/// US sales-tax style: tax is added on top, per line, halves up, and not on shipping when the
/// rate says so.
#[tokio::test]
async fn exclusive_tax_is_added_to_the_total() {
    let (app, base) = spawn_server_with(&[("TAX_MODE", "exclusive")]).await;
    let sim = Sim::of(&app, &base);
    sql(
        &app,
        "INSERT INTO tax_rates (country, region, name, rate_bp, applies_to_shipping) VALUES ('US', 'NY', 'Sales tax', 888, 0), ('US', '', 'Sales tax', 500, 0)",
    )
    .await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, TEA_TIN).await, 2)
        .await;
    let ny = shopper.checkout(&app, "a@example.com").await;
    // 2 × $14.25 = $28.50; 8.88 % = 253.08 → 253; Standard shipping $5.95 (under $75).
    assert_eq!(minor(&ny.session, "tax"), 253);
    assert_eq!(minor(&ny.session, "shipping"), 595);
    assert_eq!(ny.total_minor, 2850 + 595 + 253);
    // Another state: the country's rate.
    let texas = ShipTo {
        city: "Austin".into(),
        region: "TX".into(),
        postal_code: "73301".into(),
        ..ShipTo::default()
    };
    let tx = shopper.checkout_to(&app, "a@example.com", &texas).await;
    assert_eq!(tx.order_id, ny.order_id, "the same order, revised");
    assert!(tx.revision > ny.revision);
    assert_eq!(
        minor(&tx.session, "tax"),
        143,
        "5 % of $28.50 = 142.5 → 143"
    );
    // Paying the page that still shows New York is refused: nothing charged.
    let token = sim.confirmation_token("pm_card_visa").await;
    let stale = shopper.pay_with(&app, &ny, ny.revision, &token).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let paid = shopper.pay(&app, &sim, &tx, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    let pi = sim
        .payment_intent(&payment_intent_of(&app, &tx.order_id).await)
        .await;
    assert_eq!(pi["amount"], 2850 + 595 + 143);
}

/// Picking a rate makes a new revision with that rate's price; one not in the zone picks the
/// cheapest; free over the threshold.
#[tokio::test]
async fn the_shopper_picks_a_rate() {
    let (app, _) = spawn_server_with(&[]).await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 1)
        .await;
    let standard = shopper.checkout(&app, "a@example.com").await;
    let rates = standard.session["rates"].as_array().unwrap();
    assert_eq!(rates.len(), 2, "{rates:?}");
    assert_eq!(minor(&standard.session, "shipping"), 595);
    let express = rate_id(&app, "United States", "Express").await;
    let fast = shopper
        .checkout_to(&app, "a@example.com", &ShipTo::default().with_rate(express))
        .await;
    assert_eq!(fast.session["rate_id"], express);
    // $12.00 + $3.00 per started kg (0.4 kg → 1).
    assert_eq!(minor(&fast.session, "shipping"), 1500);
    assert_eq!(fast.total_minor, 1850 + 1500);
    assert!(fast.revision > standard.revision);
    let europe = rate_id(&app, "Europe", "Standard").await;
    let back = shopper
        .checkout_to(&app, "a@example.com", &ShipTo::default().with_rate(europe))
        .await;
    assert_eq!(
        minor(&back.session, "shipping"),
        595,
        "not a US rate: the cheapest"
    );
    // Over $75.00 of items, Standard is free.
    shopper
        .update_cart(&app, &product(&app, MUG).await, 5)
        .await;
    let free = shopper.checkout(&app, "a@example.com").await;
    assert_eq!(minor(&free.session, "shipping"), 0);
    assert_eq!(free.total_minor, 5 * 1850);
}

/// The last redemption of a limited code under 20 checkouts at once: exactly one gets it; the
/// others are told it is used up and get no order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_redemption_goes_to_exactly_one_of_twenty() {
    let (app, _) = spawn_server_with(&[]).await;
    add_code(
        &app,
        "LAST",
        "kind, amount_minor, max_redemptions",
        "'fixed', 500, 1",
    )
    .await;
    let mug = product(&app, MUG).await;
    let mut shoppers = Vec::new();
    for _ in 0..20 {
        let shopper = Visitor::new();
        shopper.add_to_cart(&app, &mug, 1).await;
        shoppers.push(shopper);
    }
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = shoppers
        .into_iter()
        .enumerate()
        .map(|(i, shopper)| {
            let app = app.clone();
            tokio::spawn(async move {
                shopper
                    .start_checkout_to(
                        &app,
                        &format!("s{i}@example.com"),
                        &ShipTo::default().with_code("LAST"),
                    )
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            StatusCode::OK => won += 1,
            StatusCode::BAD_REQUEST => {
                assert!(
                    message(&reply).contains("has been used up"),
                    "{}",
                    reply.body
                )
            }
            other => panic!("{other}: {}", reply.body),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        db::redemptions_counted(&app.state.pool, "LAST")
            .await
            .unwrap(),
        1
    );
    assert_eq!(count(&app, "SELECT count(*) FROM orders", &[]).await, 1);
}

/// An order that expires unpaid gives its redemption back; a per-email limit counts the same
/// shopper's orders.
#[tokio::test]
async fn an_expired_order_gives_its_redemption_back() {
    let (app, _) = spawn_server_with(&[("CHECKOUT_HOLD_SECONDS", "60")]).await;
    add_code(
        &app,
        "ONCE",
        "kind, percent_bp, max_redemptions, per_email_limit",
        "'percent', 500, 5, 1",
    )
    .await;
    let mug = product(&app, MUG).await;
    let first = Visitor::new();
    first.add_to_cart(&app, &mug, 1).await;
    let held = first
        .checkout_to(
            &app,
            "same@example.com",
            &ShipTo::default().with_code("ONCE"),
        )
        .await;
    assert_eq!(
        db::redemptions_counted(&app.state.pool, "ONCE")
            .await
            .unwrap(),
        1
    );
    // The same email in another browser: already used (held) by them.
    let second = Visitor::new();
    second.add_to_cart(&app, &mug, 1).await;
    let refused = second
        .start_checkout_to(
            &app,
            "SAME@example.com",
            &ShipTo::default().with_code("ONCE"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        message(&refused).contains("already used"),
        "{}",
        refused.body
    );

    reconcile::run_once(&app.state, now() + 61).await;
    assert_eq!(order_status(&app, &held.order_id).await, "canceled");
    assert_eq!(
        db::redemptions_counted(&app.state.pool, "ONCE")
            .await
            .unwrap(),
        0
    );
    let again = second
        .start_checkout_to(
            &app,
            "same@example.com",
            &ShipTo::default().with_code("ONCE"),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
}

/// Codes out of their dates, under their minimum or unknown are refused with the reason; a
/// code removed from the order gives the redemption back at once.
#[tokio::test]
async fn codes_that_do_not_apply_are_refused_with_the_reason() {
    let (app, _) = spawn_server_with(&[]).await;
    let t = now();
    add_code(
        &app,
        "LATER",
        "kind, percent_bp, starts_at",
        &format!("'percent', 1000, {}", t + 3600),
    )
    .await;
    add_code(
        &app,
        "GONE",
        "kind, percent_bp, ends_at",
        &format!("'percent', 1000, {}", t - 1),
    )
    .await;
    add_code(
        &app,
        "BIG",
        "kind, amount_minor, min_subtotal_minor",
        "'fixed', 1000, 10000",
    )
    .await;
    add_code(&app, "OK", "kind, amount_minor", "'fixed', 1000").await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 1)
        .await;
    let long = "X".repeat(10_000);
    for (code, why) in [
        ("LATER", "is not valid yet"),
        ("GONE", "has expired"),
        ("BIG", "needs a subtotal of at least $100.00"),
        ("NOPE", "does not exist"),
        (long.as_str(), "does not exist"),
    ] {
        let reply = shopper
            .start_checkout_to(&app, "a@example.com", &ShipTo::default().with_code(code))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{code}");
        assert!(message(&reply).contains(why), "{code}: {}", reply.body);
        assert!(reply.body.len() < 200, "what was sent is not echoed whole");
    }
    let with: Checkout = shopper
        .checkout_to(&app, "a@example.com", &ShipTo::default().with_code("ok"))
        .await;
    assert_eq!(minor(&with.session, "discount"), 1000);
    assert_eq!(
        db::redemptions_counted(&app.state.pool, "OK")
            .await
            .unwrap(),
        1
    );
    let without = shopper.checkout(&app, "a@example.com").await;
    assert_eq!(minor(&without.session, "discount"), 0);
    assert_eq!(without.total_minor, with.total_minor + 1000);
    assert_eq!(
        db::redemptions_counted(&app.state.pool, "OK")
            .await
            .unwrap(),
        0
    );
}

/// A tax rate changed after an order was paid does not touch it; an open order the shopper is
/// looking at is re-priced when they pay, and the page is told (nothing charged).
#[tokio::test]
async fn a_tax_rate_change_never_rewrites_a_past_order() {
    let (app, base) = spawn_server_with(&[]).await;
    let sim = Sim::of(&app, &base);
    let mug = product(&app, MUG).await;
    let shopper = Visitor::new();
    shopper.add_to_cart(&app, &mug, 1).await;
    let paid = shopper
        .checkout_to(&app, "a@example.com", &ShipTo::berlin())
        .await;
    shopper.pay(&app, &sim, &paid, "pm_card_visa").await;
    crate::helpers::eventually("paid", || async {
        order_status(&app, &paid.order_id).await == "paid"
    })
    .await;
    let before = order(&app, &paid.order_id).await.breakdown();

    let open = Visitor::new();
    open.add_to_cart(&app, &mug, 1).await;
    let shown = open
        .checkout_to(&app, "b@example.com", &ShipTo::berlin())
        .await;
    sql(
        &app,
        "UPDATE tax_rates SET rate_bp = 700 WHERE country = 'DE'",
    )
    .await;
    sql(
        &app,
        "UPDATE shipping_rates SET amount_minor = 1900 WHERE name = 'Standard' AND zone_id = 2",
    )
    .await;

    assert_eq!(order(&app, &paid.order_id).await.breakdown(), before);
    let (tax,): (i64,) = sqlx::query_as("SELECT tax_minor FROM order_items WHERE order_id = $1")
        .bind(&paid.order_id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(tax, before.lines[0].tax);
    assert_eq!(before.tax_label.as_deref(), Some("VAT 19%"));

    let stale = open.pay(&app, &sim, &shown, "pm_card_visa").await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let revised = order(&app, &shown.order_id).await;
    assert_eq!(revised.breakdown().tax_label.as_deref(), Some("VAT 7%"));
    assert_eq!(revised.total_minor, 1850 + 1900 + 250);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payment_attempts WHERE order_id = $1",
            &[&shown.order_id]
        )
        .await,
        0,
        "nothing was sent to Stripe"
    );
}

/// Back at checkout with an open order, the form is filled with its email, address and code;
/// another visitor's session gets nothing of it.
#[tokio::test]
async fn coming_back_fills_the_form_with_the_open_orders_address() {
    let (app, _) = spawn_server_with(&[]).await;
    add_code(&app, "BACK", "kind, amount_minor", "'fixed', 100").await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 1)
        .await;
    assert_eq!(
        shopper.call(&app, "checkout/resume", "").await.json()["email"],
        ""
    );
    shopper
        .checkout_to(
            &app,
            "back@example.com",
            &ShipTo::berlin().with_code("back"),
        )
        .await;
    let resumed = shopper.call(&app, "checkout/resume", "").await.json();
    assert_eq!(resumed["email"], "back@example.com");
    assert_eq!(resumed["address"]["line1"], "Unter den Linden 1");
    assert_eq!(resumed["address"]["country"], "DE");
    assert_eq!(resumed["code"], "BACK");
    let stranger = Visitor::new();
    let theirs = stranger.call(&app, "checkout/resume", "").await.json();
    assert_eq!(theirs["email"], "");
    assert_eq!(theirs["address"]["line1"], "");
}

/// A merchant's zone may list any ISO country: the checkout offers it (by its code) and ships
/// there; one in no zone is still refused.
#[tokio::test]
async fn a_country_the_merchant_adds_can_be_shipped_to() {
    let (app, _) = spawn_server_with(&[]).await;
    sql(
        &app,
        "INSERT INTO shipping_zones (id, name) VALUES (9, 'Korea')",
    )
    .await;
    sql(
        &app,
        "INSERT INTO shipping_zone_countries (country, zone_id) VALUES ('KR', 9)",
    )
    .await;
    sql(&app, "INSERT INTO shipping_rates (zone_id, name, kind, amount_minor) VALUES (9, 'EMS', 'flat', 2500)").await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 1)
        .await;
    let offered = shopper.call(&app, "checkout/resume", "").await.json();
    assert_eq!(offered["more_countries"], serde_json::json!(["KR"]));
    let seoul = ShipTo {
        city: "Seoul".into(),
        region: String::new(),
        postal_code: "04524".into(),
        country: "KR".into(),
        ..ShipTo::default()
    };
    let korea = shopper.checkout_to(&app, "kr@example.com", &seoul).await;
    assert_eq!(minor(&korea.session, "shipping"), 2500);
    let vietnam = ShipTo {
        country: "VN".into(),
        ..seoul
    };
    let refused = shopper
        .start_checkout_to(&app, "kr@example.com", &vietnam)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        message(&refused).contains("we don't ship to VN"),
        "{}",
        refused.body
    );
}
