//! Which changes send which emails, and what the emails say.

use super::*;
use crate::domain::money::Currency;
use crate::domain::order::{PaymentEvent, Refund};

fn money(minor: i64, code: &str) -> Money {
    Money::new(minor, Currency::parse(code).unwrap())
}

fn usd(minor: i64) -> Money {
    money(minor, "USD")
}

fn after(state: &OrderState, event: PaymentEvent) -> OrderState {
    let mut next = state.clone();
    next.apply(&event, 1);
    next
}

fn keys(before: &OrderState, after: &OrderState) -> Vec<String> {
    messages_for(before, after, "evt_1")
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

fn paid_state() -> OrderState {
    after(
        &OrderState::new(usd(5000)),
        PaymentEvent::Succeeded {
            received: usd(5000),
        },
    )
}

fn refund(id: &str, amount: i64, status: RefundStatus) -> PaymentEvent {
    PaymentEvent::Refund {
        id: id.into(),
        refund: Refund { amount, status },
    }
}

#[test]
fn paying_sends_one_receipt_and_nothing_after() {
    let new = OrderState::new(usd(5000));
    let paid = paid_state();
    assert_eq!(
        messages_for(&new, &paid, "evt_1"),
        vec![("receipt".to_string(), Trigger::Receipt { paid: usd(5000) })]
    );
    // The same success seen again changes nothing and sends nothing.
    assert!(keys(
        &paid,
        &after(
            &paid,
            PaymentEvent::Succeeded {
                received: usd(5000)
            }
        )
    )
    .is_empty());
}

#[test]
fn a_payment_of_another_amount_sends_no_receipt() {
    let new = OrderState::new(usd(5000));
    let odd = after(
        &new,
        PaymentEvent::Succeeded {
            received: usd(4000),
        },
    );
    assert!(keys(&new, &odd).is_empty());
}

#[test]
fn only_a_failure_after_processing_is_emailed() {
    let new = OrderState::new(usd(5000));
    let declined = after(
        &new,
        PaymentEvent::Failed {
            reason: "card_declined".into(),
        },
    );
    assert!(
        keys(&new, &declined).is_empty(),
        "the shopper saw the decline on the page"
    );
    let processing = after(&new, PaymentEvent::Processing);
    let failed = after(&processing, PaymentEvent::Failed { reason: "x".into() });
    assert_eq!(keys(&processing, &failed), vec!["payment_failed:evt_1"]);
}

#[test]
fn cancellation_is_emailed_once() {
    let new = OrderState::new(usd(5000));
    let canceled = after(&new, PaymentEvent::Canceled);
    assert_eq!(keys(&new, &canceled), vec!["canceled"]);
    assert!(keys(&canceled, &after(&canceled, PaymentEvent::Canceled)).is_empty());
}

#[test]
fn a_refund_is_emailed_when_it_succeeds_once_per_refund() {
    let paid = paid_state();
    let pending = after(&paid, refund("re_1", 2000, RefundStatus::Pending));
    assert!(keys(&paid, &pending).is_empty(), "not yet happened");
    let done = after(&pending, refund("re_1", 2000, RefundStatus::Succeeded));
    assert_eq!(
        messages_for(&pending, &done, "evt_2"),
        vec![(
            "refund:re_1".to_string(),
            Trigger::Refund {
                amount: usd(2000),
                full: false
            }
        )]
    );
    let rest = after(&done, refund("re_2", 3000, RefundStatus::Succeeded));
    assert_eq!(
        messages_for(&done, &rest, "evt_3"),
        vec![(
            "refund:re_2".to_string(),
            Trigger::Refund {
                amount: usd(3000),
                full: true
            }
        )]
    );
    // A failed refund sends nothing.
    let failed = after(&paid, refund("re_3", 100, RefundStatus::Failed));
    assert!(keys(&paid, &failed).is_empty());
}

fn summary(currency: &str, unit: i64) -> OrderSummary {
    OrderSummary {
        order_id: "ord_123".into(),
        lines: vec![Line {
            name: "Cast <iron> pan & lid".into(),
            quantity: 2,
            unit_price: money(unit, currency),
            line_total: money(unit * 2, currency),
        }],
        total: money(unit * 2, currency),
        pricing: None,
        ship_to: Vec::new(),
    }
}

#[test]
fn a_receipt_shows_shipping_discount_tax_and_the_address() {
    use crate::domain::pricing::{
        price, Choices, Discount, DiscountKind, PricedLine, RateKind, ShippingRate, TaxMode,
        TaxRate,
    };
    let usd = crate::domain::money::Currency::parse("USD").unwrap();
    let rate = ShippingRate {
        id: 1,
        name: "Standard".into(),
        kind: RateKind::Flat { amount: 595 },
    };
    let tax = TaxRate {
        name: "Sales tax".into(),
        rate_bp: 800,
        applies_to_shipping: false,
    };
    let code = Discount {
        code: "SAVE10".into(),
        kind: DiscountKind::Percent { bp: 1000 },
        min_subtotal: 0,
        starts_at: None,
        ends_at: None,
    };
    let lines = [PricedLine {
        product_id: 1,
        unit_price: 2000,
        quantity: 2,
        weight_grams: 0,
    }];
    let pricing = price(
        &lines,
        &usd,
        TaxMode::Exclusive,
        &Choices {
            shipping: Some(&rate),
            tax: Some(&tax),
            discount: Some(&code),
        },
    )
    .unwrap();
    let mut order = summary("USD", 2000);
    order.total = pricing.total.clone();
    order.pricing = Some(pricing);
    order.ship_to = vec![
        "Grace Hopper".into(),
        "350 Fifth Avenue".into(),
        "New York NY 10118".into(),
    ];
    let paid = order.total.clone();
    let r = render(&Message::Receipt { order, paid }, &SHOP);
    // $40.00 − $4.00 + $5.95 + 8 % of $36.00 ($2.88) = $44.83
    for want in [
        "Subtotal: $40.00",
        "Discount SAVE10: −$4.00",
        "Shipping (Standard): $5.95",
        "Sales tax 8%: $2.88",
        "Total: $44.83",
        "New York NY 10118",
    ] {
        assert!(r.text.contains(want), "{want} in {}", r.text);
    }
    assert!(r.html.contains("Shipping to:<br>Grace Hopper"));
}

const SHOP: Shop = Shop {
    name: "Hearth & Kettle",
    base_url: "https://shop.example",
};

#[test]
fn a_receipt_shows_what_was_bought_and_paid_and_links_the_order() {
    let message = Message::Receipt {
        order: summary("USD", 4500),
        paid: usd(9000),
    };
    let out = render(&message, &SHOP);
    assert_eq!(
        out.subject,
        "Your receipt from Hearth & Kettle: order ord_123"
    );
    assert!(out.text.contains("$90.00"), "{}", out.text);
    assert!(
        out.text
            .contains("2 × Cast <iron> pan & lid at $45.00 = $90.00"),
        "{}",
        out.text
    );
    assert!(out.text.contains("https://shop.example/orders/ord_123"));
    // HTML escapes what the shop typed.
    assert!(
        out.html.contains("Cast &lt;iron&gt; pan &amp; lid"),
        "{}",
        out.html
    );
    assert!(!out.html.contains("<iron>"));
    assert!(out
        .html
        .contains("href=\"https://shop.example/orders/ord_123\""));
}

#[test]
fn amounts_are_shown_in_the_orders_currency() {
    let message = Message::Receipt {
        order: summary("JPY", 1500),
        paid: money(3000, "JPY"),
    };
    let out = render(&message, &SHOP);
    assert!(out.text.contains("payment of ¥3,000"), "{}", out.text);
    assert!(!out.text.contains("30.00"), "{}", out.text);
}

#[test]
fn a_failure_links_back_to_paying_and_a_refund_says_when_it_arrives() {
    let failed = render(
        &Message::PaymentFailed {
            order: summary("USD", 100),
        },
        &SHOP,
    );
    assert!(failed.text.contains("https://shop.example/checkout"));
    let refund = render(
        &Message::Refund {
            order: summary("USD", 100),
            amount: usd(150),
            full: false,
        },
        &SHOP,
    );
    assert_eq!(refund.subject, "Refund of $1.50 for order ord_123");
    assert!(refund.text.contains("5 to 10 business days"));
    assert!(refund.text.contains("Part of your order"));
}

#[test]
fn order_links_point_at_the_token_not_the_order() {
    let message = Message::OrderLinks {
        links: vec![OrderLink {
            order_id: "ord_9".into(),
            placed_at: 1_700_000_000,
            total: usd(2500),
            status: OrderStatus::Paid,
            token: "tok123".into(),
        }],
        valid_hours: 24,
    };
    let out = render(&message, &SHOP);
    assert!(
        out.text.contains("https://shop.example/orders/open/tok123"),
        "{}",
        out.text
    );
    assert!(out.text.contains("24 hours"));
    assert!(out.text.contains("$25.00"));
}

#[test]
fn messages_survive_the_outbox() {
    let message = Message::Refund {
        order: summary("EUR", 999),
        amount: money(999, "EUR"),
        full: false,
    };
    let json = serde_json::to_string(&message).unwrap();
    assert!(json.contains("\"kind\":\"refund\""));
    assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), message);
}
