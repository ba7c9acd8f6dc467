//! Every (status, event) pair, and the orderings and repetitions webhooks arrive in.

use super::*;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("USD").unwrap())
}

const TOTAL: i64 = 5000;

fn refund(id: &str, amount: i64, status: RefundStatus) -> PaymentEvent {
    PaymentEvent::Refund {
        id: id.into(),
        refund: Refund { amount, status },
    }
}

/// A state showing each status, reached through events.
fn state_in(status: OrderStatus) -> OrderState {
    let mut s = OrderState::new(usd(TOTAL));
    let paid = PaymentEvent::Succeeded {
        received: usd(TOTAL),
    };
    let events: Vec<PaymentEvent> = match status {
        OrderStatus::Pending => vec![],
        OrderStatus::Processing => vec![PaymentEvent::Processing],
        OrderStatus::Paid => vec![paid],
        OrderStatus::PaymentFailed => vec![PaymentEvent::Failed {
            reason: "card_declined".into(),
        }],
        OrderStatus::Canceled => vec![PaymentEvent::Canceled],
        OrderStatus::PartiallyRefunded => {
            vec![paid, refund("re_1", 2000, RefundStatus::Succeeded)]
        }
        OrderStatus::Refunded => vec![paid, refund("re_1", TOTAL, RefundStatus::Succeeded)],
        OrderStatus::Disputed => vec![paid, PaymentEvent::DisputeOpened],
        OrderStatus::DisputeLost => vec![
            paid,
            PaymentEvent::DisputeOpened,
            PaymentEvent::DisputeClosed { won: false },
        ],
        OrderStatus::NeedsReview => vec![PaymentEvent::Succeeded {
            received: usd(TOTAL - 1),
        }],
    };
    for e in &events {
        s.apply(e, 100);
    }
    assert_eq!(s.status(), status);
    s
}

fn events() -> Vec<(&'static str, PaymentEvent)> {
    vec![
        ("attempt", PaymentEvent::AttemptStarted),
        ("requires_action", PaymentEvent::ActionRequired),
        ("processing", PaymentEvent::Processing),
        (
            "succeeded",
            PaymentEvent::Succeeded {
                received: usd(TOTAL),
            },
        ),
        (
            "succeeded_wrong_amount",
            PaymentEvent::Succeeded {
                received: usd(TOTAL - 1),
            },
        ),
        (
            "failed",
            PaymentEvent::Failed {
                reason: "card_declined".into(),
            },
        ),
        ("canceled", PaymentEvent::Canceled),
        ("refund_part", refund("re_2", 1000, RefundStatus::Succeeded)),
        (
            "refund_rest",
            refund("re_2", TOTAL, RefundStatus::Succeeded),
        ),
        ("refund_failed", refund("re_1", 2000, RefundStatus::Failed)),
        ("dispute", PaymentEvent::DisputeOpened),
        ("dispute_won", PaymentEvent::DisputeClosed { won: true }),
        ("dispute_lost", PaymentEvent::DisputeClosed { won: false }),
    ]
}

/// The expected status after each (status, event) pair, at a later time than the state.
fn expected(from: OrderStatus, event: &str) -> OrderStatus {
    use OrderStatus::*;
    match (from, event) {
        // A wrong amount taken is recorded for the merchant to review.
        (Pending | Processing | PaymentFailed | Canceled, "succeeded_wrong_amount") => NeedsReview,
        (s, "succeeded_wrong_amount") => s,
        // A new attempt reopens only a failed payment.
        (PaymentFailed, "attempt" | "requires_action") => Pending,
        (s, "attempt" | "requires_action") => s,
        (Pending | PaymentFailed, "processing") => Processing,
        (s, "processing") => s,
        (Pending | Processing | PaymentFailed | Canceled, "succeeded") => Paid,
        (s, "succeeded") => s,
        (Pending | Processing, "failed") => PaymentFailed,
        (s, "failed") => s,
        (Pending | Processing | PaymentFailed, "canceled") => Canceled,
        (s, "canceled") => s,
        // Refunds count once money was taken (and are kept for when it is).
        (Paid | PartiallyRefunded, "refund_part") => PartiallyRefunded,
        (Paid | PartiallyRefunded | Refunded | NeedsReview, "refund_rest") => Refunded,
        (s, "refund_part" | "refund_rest") => s,
        // re_1 failing gives its money back to the order.
        (PartiallyRefunded | Refunded, "refund_failed") => Paid,
        (s, "refund_failed") => s,
        (Paid | PartiallyRefunded | Refunded | Disputed | NeedsReview, "dispute") => Disputed,
        (s, "dispute") => s,
        // A won dispute gives the order back its refunds' status; a lost one takes the money.
        (Disputed, "dispute_won") => Paid,
        (Paid | PartiallyRefunded | Refunded | NeedsReview | DisputeLost, "dispute_won") => from,
        (s, "dispute_won") => s,
        (Paid | PartiallyRefunded | Refunded | Disputed | NeedsReview, "dispute_lost") => {
            DisputeLost
        }
        (s, "dispute_lost") => s,
        (s, other) => panic!("no expectation for {s:?} + {other}"),
    }
}

#[test]
fn every_status_and_event_pair() {
    for from in OrderStatus::ALL {
        for (name, event) in events() {
            let mut state = state_in(from);
            let outcome = state.apply(&event, 200);
            assert_eq!(
                state.status(),
                expected(from, name),
                "{from:?} + {name} ({outcome:?})"
            );
            if name == "succeeded_wrong_amount" && !from.was_paid() {
                assert!(matches!(outcome, Applied::Mismatch { .. }));
            }
        }
    }
}

#[test]
fn a_late_failure_never_unpays_an_order() {
    let mut s = state_in(OrderStatus::Paid);
    assert_eq!(
        s.apply(&PaymentEvent::Failed { reason: "x".into() }, 50),
        Applied::Ignored("the payment is already settled")
    );
    assert_eq!(s.status(), OrderStatus::Paid);
}

#[test]
fn older_events_do_not_override_newer_ones() {
    let mut s = OrderState::new(usd(TOTAL));
    s.apply(&PaymentEvent::Failed { reason: "x".into() }, 20);
    assert_eq!(
        s.apply(&PaymentEvent::Processing, 10),
        Applied::Ignored("an older event than the one already applied")
    );
    assert_eq!(s.status(), OrderStatus::PaymentFailed);
}

#[test]
fn duplicates_change_nothing() {
    let mut s = state_in(OrderStatus::PartiallyRefunded);
    let before = s.clone();
    s.apply(&refund("re_1", 2000, RefundStatus::Succeeded), 300);
    s.apply(
        &PaymentEvent::Succeeded {
            received: usd(TOTAL),
        },
        300,
    );
    assert_eq!(s, before);
}

/// Every order of the same events gives the same order state.
#[test]
fn event_order_does_not_matter() {
    let all = [
        (PaymentEvent::Processing, 10),
        (
            PaymentEvent::Succeeded {
                received: usd(TOTAL),
            },
            12,
        ),
        (refund("re_1", 1500, RefundStatus::Succeeded), 20),
        (refund("re_2", 500, RefundStatus::Pending), 21),
        (refund("re_2", 500, RefundStatus::Succeeded), 22),
        (refund("re_1", 1500, RefundStatus::Failed), 30),
    ];
    let mut reference: Option<OrderState> = None;
    permute(&mut all.to_vec(), 0, &mut |order| {
        let mut s = OrderState::new(usd(TOTAL));
        for (e, at) in order {
            s.apply(e, *at);
            s.apply(e, *at); // and every one twice
        }
        match &reference {
            None => reference = Some(s),
            Some(r) => assert_eq!(&s, r),
        }
    });
    let r = reference.unwrap();
    assert_eq!(r.status(), OrderStatus::PartiallyRefunded);
    assert_eq!(r.refunded(), 500);
    assert_eq!(refundable(&r), TOTAL - 500);
}

fn permute<T: Clone>(items: &mut Vec<T>, k: usize, f: &mut impl FnMut(&[T])) {
    if k == items.len() {
        f(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permute(items, k + 1, f);
        items.swap(k, i);
    }
}

#[test]
fn statuses_round_trip_their_names() {
    for s in OrderStatus::ALL {
        assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
    }
    assert!(OrderStatus::Refunded.was_paid());
    assert!(!OrderStatus::Canceled.was_paid());
    assert!(OrderStatus::NeedsReview.was_paid() && !OrderStatus::NeedsReview.fulfils());
}

#[test]
fn a_wrong_amount_taken_can_be_refunded_in_full() {
    let mut s = state_in(OrderStatus::NeedsReview);
    assert_eq!(refundable(&s), TOTAL - 1);
    s.apply(&refund("re_9", TOTAL - 1, RefundStatus::Succeeded), 300);
    assert_eq!(s.status(), OrderStatus::Refunded);
    assert_eq!(refundable(&s), 0);
}

#[test]
fn a_lost_dispute_leaves_nothing_to_refund_and_a_won_one_restores_the_order() {
    let mut lost = state_in(OrderStatus::Disputed);
    lost.apply(&PaymentEvent::DisputeClosed { won: false }, 300);
    assert_eq!(lost.status(), OrderStatus::DisputeLost);
    assert_eq!(refundable(&lost), 0);
    let mut won = state_in(OrderStatus::Disputed);
    won.apply(&PaymentEvent::DisputeClosed { won: true }, 300);
    assert_eq!(won.status(), OrderStatus::Paid);
    assert_eq!(refundable(&won), TOTAL);
}

#[test]
fn states_stored_before_disputes_closed_still_load() {
    let old = r#"{"total":{"minor":5000,"currency":"USD"},"payment":"succeeded","payment_at":1,"refunds":{},"disputed":true}"#;
    let s: OrderState = serde_json::from_str(old).unwrap();
    assert_eq!(s.status(), OrderStatus::Disputed);
}
