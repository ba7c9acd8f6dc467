//! Fulfilment beside the payment status: the merchant's queue, shipments (one parcel and one
//! email per form, whatever the double clicks), partial shipments, deliveries, returns that
//! restock, canceling an unshipped paid order (refunded, restocked), and invoice numbers that
//! follow the payments without gaps or repeats.

use crate::admin::{admin_app, password_hash, signed_in};
use crate::helpers::{
    count, eventually, form, order_status, place_order, product, spawn_server_with, Sim, TestApp,
    Visitor, KETTLE, MUG, TEA_TIN,
};
use axum::http::StatusCode;
use checkout::server::db;

/// A paid order of `quantity` × product (through the payment events path, as a webhook
/// applies them). Returns its id.
async fn paid(app: &TestApp, name: &str, slug: &str, quantity: i64) -> String {
    let order_id = format!("ord_ful_{name}");
    let pi = format!("pi_ful_{name}");
    let total = place_order(
        app,
        &order_id,
        &format!("cart_ful_{name}"),
        "kim@example.com",
        slug,
        quantity,
        Some(&pi),
    )
    .await;
    pay_event(app, &order_id, &pi, total.minor, &format!("evt_ful_{name}")).await;
    assert_eq!(order_status(app, &order_id).await, "paid");
    order_id
}

/// `payment_intent.succeeded` for the order, as its webhook delivers it (`event_id` names it:
/// the same id again is a replay).
async fn pay_event(app: &TestApp, _order_id: &str, pi: &str, amount: i64, event_id: &str) {
    let object = serde_json::json!({"id": pi, "object": "payment_intent", "status": "succeeded", "amount_received": amount, "currency": "usd"});
    let fact = db::PaymentFact {
        event_id,
        event_type: "payment_intent.succeeded",
        gateway: checkout::domain::gateway::Gateway::Stripe,
        reference: Some(pi),
        order_hint: None,
        origin: db::Origin::Webhook,
    };
    let events = checkout::server::sync::events_of(&object);
    db::apply_stripe_event(&app.state.pool, fact, |s| {
        (s.apply(&events[0], 1), "Payment succeeded".into())
    })
    .await
    .unwrap();
}

/// The same, through the webhooks' writer: events arriving together share one transaction,
/// each in its own savepoint (group commit).
async fn pay_event_batched(app: &TestApp, pi: &str, amount: i64, event_id: &str) {
    let object = serde_json::json!({"id": pi, "object": "payment_intent", "status": "succeeded", "amount_received": amount, "currency": "usd"});
    let fact = db::OwnedFact::of(db::PaymentFact {
        event_id,
        event_type: "payment_intent.succeeded",
        gateway: checkout::domain::gateway::Gateway::Stripe,
        reference: Some(pi),
        order_hint: None,
        origin: db::Origin::Webhook,
    });
    let events = checkout::server::sync::events_of(&object);
    app.state
        .writer
        .apply(fact, move |s| {
            (s.apply(&events[0], 1), "Payment succeeded".into())
        })
        .await
        .unwrap();
}

/// The "Mark shipped" form as the admin's order page sends it.
fn ship_form(order_id: &str, key: &str, lines: &str) -> String {
    form(&[
        ("order_id", order_id),
        ("key", key),
        ("carrier", "UPS"),
        ("tracking_number", "1Z999AA10123456784"),
        (
            "tracking_url",
            "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        ),
        ("lines", lines),
    ])
}

impl Visitor {
    async fn queue(&self, app: &TestApp) -> Vec<String> {
        let reply = self.call(app, "admin/fulfilment/queue", "").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["order_id"].as_str().unwrap().to_string())
            .collect()
    }

    async fn fulfilment(&self, app: &TestApp, order_id: &str) -> serde_json::Value {
        let reply = self
            .call(app, "admin/fulfilment/order", &form(&[("id", order_id)]))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()
    }
}

async fn shipped_emails(app: &TestApp, order_id: &str) -> i64 {
    count(
        app,
        "SELECT count(*) FROM email_outbox WHERE kind = 'shipped' AND order_id = $1",
        &[order_id],
    )
    .await
}

async fn shipments(app: &TestApp, order_id: &str) -> i64 {
    count(
        app,
        "SELECT count(*) FROM shipments WHERE order_id = $1",
        &[order_id],
    )
    .await
}

async fn stock(app: &TestApp, slug: &str) -> i64 {
    product(app, slug).await.stock
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_orders_wait_in_the_queue_oldest_first_and_unpaid_ones_do_not() {
    let app = admin_app().await;
    let newest = paid(&app, "q_new", TEA_TIN, 1).await;
    let oldest = paid(&app, "q_old", MUG, 2).await;
    let middle = paid(&app, "q_mid", TEA_TIN, 1).await;
    place_order(
        &app,
        "ord_ful_q_unpaid",
        "cart_ful_q_unpaid",
        "kim@example.com",
        TEA_TIN,
        1,
        Some("pi_ful_q_unpaid"),
    )
    .await;
    for (id, age) in [(&newest, 100), (&oldest, 300), (&middle, 200)] {
        sqlx::query("UPDATE orders SET created_at = unixepoch() - $1 WHERE id = $2")
            .bind(age)
            .bind(id)
            .execute(&app.state.pool)
            .await
            .unwrap();
    }
    let merchant = signed_in(&app).await;
    assert_eq!(
        merchant.queue(&app).await,
        vec![oldest.clone(), middle.clone(), newest.clone()]
    );
    let reply = merchant.call(&app, "admin/fulfilment/queue", "").await;
    let first = &reply.json()[0];
    assert_eq!(first["fulfilment"], "unfulfilled");
    assert_eq!(first["lines"][0]["remaining"], 2);

    // Shipped in full, it leaves the queue; half shipped, it stays.
    let mug = product(&app, MUG).await;
    let ship = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form(&oldest, "queuekey0001", &format!("{}:1", mug.id)),
        )
        .await;
    assert_eq!(ship.status, StatusCode::OK, "{}", ship.body);
    assert_eq!(merchant.queue(&app).await[0], oldest);
    merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form(&oldest, "queuekey0002", &format!("{}:1", mug.id)),
        )
        .await;
    assert_eq!(merchant.queue(&app).await, vec![middle, newest]);

    // The packing slip and the invoice have the order's lines; the invoice its number.
    let doc = merchant
        .call(&app, "admin/fulfilment/document", &form(&[("id", &oldest)]))
        .await
        .json();
    assert_eq!(doc["lines"][0]["quantity"], 2);
    assert!(doc["invoice"][0].as_i64().unwrap() >= 1);
    // Both pages render on the server for the merchant (printable without the wasm).
    let slip = merchant
        .get_page(&app, &format!("/admin/orders/{oldest}/packing-slip"))
        .await;
    assert_eq!(slip.status, StatusCode::OK);
    assert!(
        slip.body.contains("data-testid=\"packing-slip\""),
        "{}",
        slip.body
    );
    assert!(slip.body.contains("Stoneware Mug"));
    let invoice = merchant
        .get_page(&app, &format!("/admin/orders/{oldest}/invoice"))
        .await;
    assert!(
        invoice.body.contains("data-testid=\"invoice-number\""),
        "{}",
        invoice.body
    );
    // A stranger gets the sign-in form, not the slip.
    let stranger = Visitor::new()
        .get_page(&app, &format!("/admin/orders/{oldest}/packing-slip"))
        .await;
    assert!(!stranger.body.contains("data-testid=\"packing-slip\""));
    assert!(!stranger.body.contains("Stoneware Mug"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipment_sends_exactly_one_email_whatever_the_double_clicks() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let mug = product(&app, MUG).await;
    let lines = format!("{}:2", mug.id);

    // The same form twice, one after the other.
    let order = paid(&app, "dbl_seq", MUG, 2).await;
    let shipped = ship_form(&order, "doubleclick01", &lines);
    for _ in 0..2 {
        let reply = merchant.call(&app, "admin/fulfilment/ship", &shipped).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    assert_eq!(shipments(&app, &order).await, 1);
    assert_eq!(shipped_emails(&app, &order).await, 1);

    // The same form twice at once.
    let order = paid(&app, "dbl_par", MUG, 2).await;
    let shipped = ship_form(&order, "doubleclick02", &lines);
    let (a, b) = tokio::join!(
        merchant.call(&app, "admin/fulfilment/ship", &shipped),
        merchant.call(&app, "admin/fulfilment/ship", &shipped)
    );
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(shipments(&app, &order).await, 1);
    assert_eq!(shipped_emails(&app, &order).await, 1);

    // Two forms (two tabs) shipping everything at once: one parcel; the other is refused.
    let order = paid(&app, "two_tabs", MUG, 2).await;
    let (one, two) = (
        ship_form(&order, "tabonekey01", &lines),
        ship_form(&order, "tabtwokey01", &lines),
    );
    let (a, b) = tokio::join!(
        merchant.call(&app, "admin/fulfilment/ship", &one),
        merchant.call(&app, "admin/fulfilment/ship", &two)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    assert_eq!(shipments(&app, &order).await, 1);
    assert_eq!(shipped_emails(&app, &order).await, 1);

    // A key already used for another order is refused.
    let other = paid(&app, "other_key", MUG, 2).await;
    let reused = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form(&other, "doubleclick01", &lines),
        )
        .await;
    assert_eq!(reused.status, StatusCode::CONFLICT, "{}", reused.body);
    assert_eq!(shipments(&app, &other).await, 0);

    // The email says it shipped, with the carrier, the tracking number and its link.
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM email_outbox WHERE kind = 'shipped' AND order_id = $1")
            .bind(&order)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let email = merchant
        .call(&app, "admin/email", &form(&[("id", &id.to_string())]))
        .await
        .json();
    assert!(email["row"]["subject"]
        .as_str()
        .unwrap()
        .starts_with("Your order has shipped"));
    let text = email["text"].as_str().unwrap();
    assert!(
        text.contains("UPS") && text.contains("1Z999AA10123456784"),
        "{text}"
    );
    assert!(email["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "https://www.ups.com/track?tracknum=1Z999AA10123456784"));
    // And the timeline says so.
    let timeline: i64 = count(
        &app,
        "SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = 'shipped'",
        &[&order],
    )
    .await;
    assert_eq!(timeline, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_shipment_then_the_rest_then_delivered() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let mug = product(&app, MUG).await;
    let order = paid(&app, "partial", MUG, 3).await;
    assert_eq!(
        merchant.fulfilment(&app, &order).await["fulfilment"],
        "unfulfilled"
    );

    let first = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form(&order, "partialkey1", &format!("{}:1", mug.id)),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let panel = merchant.fulfilment(&app, &order).await;
    assert_eq!(panel["fulfilment"], "partially_shipped");
    assert_eq!(panel["lines"][0]["remaining"], 2);
    assert_eq!(panel["can_ship"], true);
    assert_eq!(panel["can_cancel"], false);

    let rest = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form(&order, "partialkey2", &format!("{}:2", mug.id)),
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
    let panel = merchant.fulfilment(&app, &order).await;
    assert_eq!(panel["fulfilment"], "shipped");
    assert_eq!(panel["can_ship"], false);
    assert_eq!(
        shipped_emails(&app, &order).await,
        2,
        "one email per parcel"
    );

    // Nothing left: a third parcel is refused.
    let more = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form(&order, "partialkey3", &format!("{}:1", mug.id)),
        )
        .await;
    assert_eq!(more.status, StatusCode::CONFLICT, "{}", more.body);

    let ids: Vec<i64> = panel["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let deliver = |id: i64| {
        form(&[
            ("order_id", order.as_str()),
            ("shipment_id", &id.to_string()),
        ])
    };
    let one = merchant
        .call(&app, "admin/fulfilment/deliver", &deliver(ids[0]))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(
        merchant.fulfilment(&app, &order).await["fulfilment"],
        "shipped"
    );
    merchant
        .call(&app, "admin/fulfilment/deliver", &deliver(ids[1]))
        .await;
    // A double click on "Mark delivered" changes nothing more.
    let again = merchant
        .call(&app, "admin/fulfilment/deliver", &deliver(ids[1]))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(
        merchant.fulfilment(&app, &order).await["fulfilment"],
        "delivered"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = 'delivered'",
            &[&order]
        )
        .await,
        2
    );
    // Another order's parcel is not this order's.
    let stranger = merchant
        .call(
            &app,
            "admin/fulfilment/deliver",
            &form(&[
                ("order_id", "ord_nope"),
                ("shipment_id", &ids[0].to_string()),
            ]),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND, "{}", stranger.body);

    // The shopper sees both parcels, delivered, with their tracking (no sign-in: the order id).
    let shopper = Visitor::new();
    let seen = shopper
        .call(&app, "orders/shipments", &form(&[("id", &order)]))
        .await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    let seen = seen.json();
    assert_eq!(seen["fulfilment"], "delivered");
    assert_eq!(seen["shipments"].as_array().unwrap().len(), 2);
    assert_eq!(
        seen["shipments"][0]["tracking_number"],
        "1Z999AA10123456784"
    );
    // The payment status never moved.
    assert_eq!(order_status(&app, &order).await, "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_order_cannot_be_shipped_or_canceled() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let tin = product(&app, TEA_TIN).await;
    place_order(
        &app,
        "ord_ful_unpaid",
        "cart_ful_unpaid",
        "kim@example.com",
        TEA_TIN,
        1,
        Some("pi_ful_unpaid"),
    )
    .await;
    let reply = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form("ord_ful_unpaid", "unpaidkey01", &format!("{}:1", tin.id)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert!(reply.body.contains("NotPaid"), "{}", reply.body);
    assert_eq!(shipments(&app, "ord_ful_unpaid").await, 0);
    assert_eq!(shipped_emails(&app, "ord_ful_unpaid").await, 0);
    let cancel = merchant
        .call(
            &app,
            "admin/fulfilment/cancel",
            &form(&[("order_id", "ord_ful_unpaid")]),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::CONFLICT, "{}", cancel.body);
    let missing = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form("ord_none", "missingkey1", &format!("{}:1", tin.id)),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipment_lines_over_the_order_are_refused_and_nothing_changes() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let mug = product(&app, MUG).await;
    let kettle = product(&app, KETTLE).await;
    let order = paid(&app, "over", MUG, 2).await;
    let timeline_before = count(
        &app,
        "SELECT count(*) FROM order_events WHERE order_id = $1",
        &[&order],
    )
    .await;
    let refused = [
        (
            format!("{}:3", mug.id),
            r#""TooMany":{"name":"Stoneware Mug","left":2}"#,
        ),
        (format!("{}:1", kettle.id), "UnknownLine"),
        (format!("{}:0", mug.id), "NoLines"),
        (String::new(), "NoLines"),
        (format!("{}:-1", mug.id), "TooMany"),
        (format!("{0}:1,{0}:1", mug.id), "DuplicateLine"),
        ("junk".to_string(), "UnknownLine"),
    ];
    for (n, (lines, says)) in refused.iter().enumerate() {
        let reply = merchant
            .call(
                &app,
                "admin/fulfilment/ship",
                &ship_form(&order, &format!("overkey{n:04}"), lines),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{lines}: {}",
            reply.body
        );
        assert!(reply.body.contains(says), "{lines}: {}", reply.body);
    }
    // Carrier, tracking number and link are checked too.
    for (field, value) in [
        ("carrier", ""),
        ("tracking_number", &"9".repeat(81)),
        ("tracking_url", "http://ups.example/track"),
        ("tracking_url", "javascript:alert(1)"),
    ] {
        let mut fields = vec![
            ("order_id", order.as_str()),
            ("key", "fieldkey001"),
            ("carrier", "UPS"),
            ("tracking_number", "1Z1"),
            ("tracking_url", ""),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let lines = format!("{}:1", mug.id);
        fields.push(("lines", &lines));
        let reply = merchant
            .call(&app, "admin/fulfilment/ship", &form(&fields))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{field}: {}",
            reply.body
        );
    }
    assert_eq!(shipments(&app, &order).await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM shipment_lines", &[]).await,
        0
    );
    assert_eq!(shipped_emails(&app, &order).await, 0);
    assert_eq!(
        merchant.fulfilment(&app, &order).await["fulfilment"],
        "unfulfilled"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM order_events WHERE order_id = $1",
            &[&order]
        )
        .await,
        timeline_before
    );
}

/// The admin app on a real port: refunds go to the embedded simulator and come back by webhook.
async fn served() -> (TestApp, Sim) {
    let (app, base) = spawn_server_with(&[("ADMIN_PASSWORD_HASH", password_hash())]).await;
    let sim = Sim::of(&app, &base);
    (app, sim)
}

/// A shopper buys `quantity` × product and pays by card through the simulator.
async fn bought(app: &TestApp, sim: &Sim, slug: &str, quantity: i64) -> String {
    let shopper = Visitor::new();
    let p = product(app, slug).await;
    shopper.add_to_cart(app, &p, quantity).await;
    let checkout = shopper.checkout(app, "lee@example.com").await;
    let paid = shopper.pay(app, sim, &checkout, "pm_card_visa").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    eventually("paid", || async {
        order_status(app, &checkout.order_id).await == "paid"
    })
    .await;
    checkout.order_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canceling_an_unshipped_paid_order_refunds_it_and_restocks() {
    let (app, sim) = served().await;
    let before = stock(&app, KETTLE).await;
    let order = bought(&app, &sim, KETTLE, 2).await;
    assert_eq!(stock(&app, KETTLE).await, before - 2, "sold when paid");
    let merchant = signed_in(&app).await;
    assert!(merchant.queue(&app).await.contains(&order));

    let cancel = form(&[("order_id", &order)]);
    let (a, b) = tokio::join!(
        merchant.call(&app, "admin/fulfilment/cancel", &cancel),
        merchant.call(&app, "admin/fulfilment/cancel", &cancel)
    );
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    eventually("refunded", || async {
        order_status(&app, &order).await == "refunded"
    })
    .await;
    assert_eq!(stock(&app, KETTLE).await, before, "restocked once");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM refund_requests WHERE order_id = $1",
            &[&order]
        )
        .await,
        1,
        "one refund for the double click"
    );
    let panel = merchant.fulfilment(&app, &order).await;
    assert_eq!(panel["fulfilment"], "canceled");
    assert_eq!(panel["can_ship"], false);
    assert_eq!(panel["can_cancel"], false, "refunded: nothing more to send");
    assert!(!merchant.queue(&app).await.contains(&order));

    // Pressed again later: nothing more is restocked or refunded.
    let again = merchant
        .call(&app, "admin/fulfilment/cancel", &cancel)
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(
        again.body.contains("nothing is left to refund"),
        "{}",
        again.body
    );
    assert_eq!(stock(&app, KETTLE).await, before);
    // Nor can it ship now.
    let kettle = product(&app, KETTLE).await;
    let ship = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form(&order, "aftercancel1", &format!("{}:1", kettle.id)),
        )
        .await;
    assert_eq!(ship.status, StatusCode::CONFLICT, "{}", ship.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunding_a_shipped_order_does_not_restock_but_marking_it_returned_does() {
    let (app, sim) = served().await;
    let before = stock(&app, MUG).await;
    let order = bought(&app, &sim, MUG, 2).await;
    let merchant = signed_in(&app).await;
    let mug = product(&app, MUG).await;
    let ship = merchant
        .call(
            &app,
            "admin/fulfilment/ship",
            &ship_form(&order, "returnkey01", &format!("{}:2", mug.id)),
        )
        .await;
    assert_eq!(ship.status, StatusCode::OK, "{}", ship.body);
    // Shipped: it cannot be canceled any more.
    let cancel = merchant
        .call(
            &app,
            "admin/fulfilment/cancel",
            &form(&[("order_id", &order)]),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::CONFLICT, "{}", cancel.body);

    let detail = merchant
        .call(&app, "admin/order", &form(&[("id", &order)]))
        .await
        .json();
    let refundable = detail["refundable"]["minor"].as_i64().unwrap();
    let amount = format!("{}.{:02}", refundable / 100, refundable % 100);
    let refund = merchant
        .call(
            &app,
            "admin/refund",
            &form(&[
                ("order_id", &order),
                ("amount", &amount),
                ("attempt", "refundshipped1"),
            ]),
        )
        .await;
    assert_eq!(refund.status, StatusCode::OK, "{}", refund.body);
    eventually("refunded", || async {
        order_status(&app, &order).await == "refunded"
    })
    .await;
    assert_eq!(
        stock(&app, MUG).await,
        before - 2,
        "a refund does not restock"
    );
    assert_eq!(
        merchant.fulfilment(&app, &order).await["fulfilment"],
        "shipped"
    );

    let shipment: i64 = sqlx::query_scalar("SELECT id FROM shipments WHERE order_id = $1")
        .bind(&order)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let returned = form(&[("order_id", &order), ("shipment_id", &shipment.to_string())]);
    for _ in 0..2 {
        let reply = merchant
            .call(&app, "admin/fulfilment/return", &returned)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    assert_eq!(stock(&app, MUG).await, before, "the return restocked, once");
    assert_eq!(
        merchant.fulfilment(&app, &order).await["fulfilment"],
        "returned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_numbers_follow_the_payments_without_gaps_or_repeats() {
    let app = admin_app().await;
    let n = 10;
    let mut orders = Vec::new();
    for i in 0..n {
        let order_id = format!("ord_inv_{i:02}");
        let pi = format!("pi_inv_{i:02}");
        let total = place_order(
            &app,
            &order_id,
            &format!("cart_inv_{i:02}"),
            "inv@example.com",
            TEA_TIN,
            1,
            Some(&pi),
        )
        .await;
        orders.push((order_id, pi, total.minor));
    }
    // An unpaid order has no invoice.
    assert_eq!(count(&app, "SELECT count(*) FROM invoices", &[]).await, 0);
    // All ten paid at once, each event delivered three times (replays), concurrently, as the
    // webhooks deliver them (batched in shared transactions) and one by one.
    let app = &app;
    let deliveries = orders.iter().flat_map(|(order_id, pi, amount)| {
        (0..3).map(move |i| async move {
            let event = format!("evt_inv_{order_id}");
            if i == 1 {
                pay_event(app, order_id, pi, *amount, &event).await;
            } else {
                pay_event_batched(app, pi, *amount, &event).await;
            }
        })
    });
    futures::future::join_all(deliveries).await;
    // And a second event saying the same (another id: a reconciled read-back, say).
    let again = orders.iter().map(|(order_id, pi, amount)| async move {
        pay_event(
            app,
            order_id,
            pi,
            *amount,
            &format!("evt_inv_again_{order_id}"),
        )
        .await;
    });
    futures::future::join_all(again).await;

    let numbers: Vec<(i64, String)> =
        sqlx::query_as("SELECT number, order_id FROM invoices ORDER BY number")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(
        numbers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        (1..=n as i64).collect::<Vec<_>>(),
        "1 to {n}, no gap, none twice"
    );
    let mut invoiced: Vec<&str> = numbers.iter().map(|(_, o)| o.as_str()).collect();
    invoiced.sort();
    let mut expected: Vec<&str> = orders.iter().map(|(o, _, _)| o.as_str()).collect();
    expected.sort();
    assert_eq!(invoiced, expected, "each paid order has one invoice");

    // Invoices are never deleted or renumbered, so a number never comes back.
    assert!(sqlx::query("DELETE FROM invoices WHERE number = $1")
        .bind(n as i64)
        .execute(&app.state.pool)
        .await
        .is_err());
    assert!(
        sqlx::query("UPDATE invoices SET number = 99 WHERE number = 1")
            .execute(&app.state.pool)
            .await
            .is_err()
    );
    // The next paid order gets the next number.
    let next = paid(app, "inv_next", TEA_TIN, 1).await;
    let number: i64 = sqlx::query_scalar("SELECT number FROM invoices WHERE order_id = $1")
        .bind(&next)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(number, n as i64 + 1);
    // The merchant's invoice shows it; the timeline says it was issued.
    let merchant = signed_in(app).await;
    let doc = merchant
        .call(app, "admin/fulfilment/document", &form(&[("id", &next)]))
        .await
        .json();
    assert_eq!(doc["invoice"][0], n as i64 + 1);
    // The shopper's copy, by the order's id.
    let shopper = Visitor::new();
    let copy = shopper
        .call(app, "orders/invoice", &form(&[("id", &next)]))
        .await
        .json();
    assert_eq!(copy["invoice"][0], n as i64 + 1);
    let page = shopper
        .get_page(app, &format!("/orders/{next}/invoice"))
        .await;
    assert!(
        page.body.contains(&format!("Invoice {}", n + 1)),
        "{}",
        page.body
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = 'invoiced'",
            &[&next]
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fulfilment_functions_need_a_signed_in_session() {
    let app = admin_app().await;
    let order = paid(&app, "auth", TEA_TIN, 1).await;
    let stranger = Visitor::new();
    for (endpoint, body) in [
        ("admin/fulfilment/queue", String::new()),
        ("admin/fulfilment/order", form(&[("id", &order)])),
        (
            "admin/fulfilment/ship",
            ship_form(&order, "strangerkey1", "1:1"),
        ),
        (
            "admin/fulfilment/deliver",
            form(&[("order_id", &order), ("shipment_id", "1")]),
        ),
        (
            "admin/fulfilment/return",
            form(&[("order_id", &order), ("shipment_id", "1")]),
        ),
        ("admin/fulfilment/cancel", form(&[("order_id", &order)])),
        ("admin/fulfilment/document", form(&[("id", &order)])),
    ] {
        let reply = stranger.call(&app, endpoint, &body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{endpoint}: {}",
            reply.body
        );
    }
    assert_eq!(shipments(&app, &order).await, 0);
}

/// The embedded PayPal simulator's approval ("Pay now" with the PayPal balance), as the
/// approval window does.
async fn approve_with_paypal(app: &TestApp, base: &str, paypal_order: &str) {
    let (id, secret) = paypal_sim::embedded_credentials(&app.simulator_pool().await)
        .await
        .unwrap();
    let api = format!("{base}/paypal-sim");
    let client = reqwest::Client::new();
    let token: serde_json::Value = client
        .post(format!("{api}/v1/oauth2/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let approved: serde_json::Value = client
        .post(format!(
            "{api}/_sim/orders/{paypal_order}/approve?funding=balance"
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(approved["status"], "APPROVED", "{approved}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canceling_an_unshipped_paypal_order_refunds_it_through_paypal_and_restocks() {
    let (app, base) = spawn_server_with(&[("ADMIN_PASSWORD_HASH", password_hash())]).await;
    let before = stock(&app, MUG).await;
    let shopper = Visitor::new();
    shopper
        .add_to_cart(&app, &product(&app, MUG).await, 2)
        .await;
    let session = shopper.start_checkout(&app, "pat@example.com").await.json();
    let order = session["order_id"].as_str().unwrap().to_string();
    let total = session["total"]["minor"].as_i64().unwrap();
    let created = shopper
        .call(
            &app,
            "checkout/paypal/create",
            &form(&[("order_id", &order), ("shown_minor", &total.to_string())]),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    approve_with_paypal(&app, &base, created.json().as_str().unwrap()).await;
    let captured = shopper
        .call(
            &app,
            "checkout/paypal/capture",
            &form(&[("order_id", &order), ("attempt", "a")]),
        )
        .await;
    assert_eq!(captured.status, StatusCode::OK, "{}", captured.body);
    eventually("paid", || async {
        order_status(&app, &order).await == "paid"
    })
    .await;
    assert_eq!(stock(&app, MUG).await, before - 2);

    let merchant = signed_in(&app).await;
    let cancel = merchant
        .call(
            &app,
            "admin/fulfilment/cancel",
            &form(&[("order_id", &order)]),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.body);
    assert!(cancel.body.contains("PayPal"), "{}", cancel.body);
    eventually("refunded", || async {
        order_status(&app, &order).await == "refunded"
    })
    .await;
    assert_eq!(stock(&app, MUG).await, before, "restocked");
    assert_eq!(
        merchant.fulfilment(&app, &order).await["fulfilment"],
        "canceled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_whose_refund_got_no_answer_is_sent_again_once() {
    let (app, sim) = served().await;
    let before = stock(&app, TEA_TIN).await;
    let order = bought(&app, &sim, TEA_TIN, 3).await;
    let merchant = signed_in(&app).await;
    let cancel = form(&[("order_id", &order)]);
    // Stripe fails every call (a 500 before doing anything): the refund did not happen.
    sim.post(
        "/_sim/faults",
        &[("failure_rate", "1"), ("failure_kind", "500")],
    )
    .await;
    let lost = merchant
        .call(&app, "admin/fulfilment/cancel", &cancel)
        .await;
    sim.post("/_sim/faults", &[]).await;
    assert_eq!(lost.status, StatusCode::BAD_REQUEST, "{}", lost.body);
    assert!(lost.body.contains("Stripe did not answer"), "{}", lost.body);
    // Canceled and restocked already; the panel offers to send the refund again.
    assert_eq!(stock(&app, TEA_TIN).await, before);
    let panel = merchant.fulfilment(&app, &order).await;
    assert_eq!(panel["fulfilment"], "canceled");
    assert_eq!(panel["can_cancel"], true);

    let again = merchant
        .call(&app, "admin/fulfilment/cancel", &cancel)
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    eventually("refunded", || async {
        order_status(&app, &order).await == "refunded"
    })
    .await;
    assert_eq!(stock(&app, TEA_TIN).await, before, "restocked once");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM refund_requests WHERE order_id = $1",
            &[&order]
        )
        .await,
        1,
        "one refund attempt, sent twice with its key"
    );
    let refunds: i64 = sim.get("/v1/refunds").await["data"]
        .as_array()
        .map(|r| r.len() as i64)
        .unwrap_or(0);
    assert_eq!(refunds, 1, "Stripe refunded once");
    assert_eq!(merchant.fulfilment(&app, &order).await["can_cancel"], false);
}
