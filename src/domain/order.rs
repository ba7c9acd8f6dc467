//! The order's payment state machine. Pure: webhook handling turns Stripe's events into
//! [`PaymentEvent`]s and stores the [`OrderState`]; this module decides.
//!
//! Stripe delivers events at least once and in any order (https://docs.stripe.com/webhooks#event-ordering), so the state is built
//! from facts that only move forward, and the same set of events gives the same order whatever
//! their order or repetition:
//! - the PaymentIntent's progress (`Pending`, `Processing`, `Failed` are ordered by the event's
//!   time; `Succeeded` and `Canceled` are final, and money taken beats a cancellation);
//! - each refund's own status (`pending` → `succeeded` → `failed`/`canceled`, never back);
//! - whether a dispute was opened.

#[cfg(test)]
use super::money::Currency;
use super::money::Money;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the shopper and the merchant see. Stored as its snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "snake_case"))]
pub enum OrderStatus {
    Pending,
    Processing,
    Paid,
    PaymentFailed,
    Canceled,
    PartiallyRefunded,
    Refunded,
    Disputed,
    /// The bank decided the dispute for the cardholder: the money is gone.
    DisputeLost,
    /// Paid, but not the amount or currency of the order: the merchant decides (refund).
    NeedsReview,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Paid,
        OrderStatus::PaymentFailed,
        OrderStatus::Canceled,
        OrderStatus::PartiallyRefunded,
        OrderStatus::Refunded,
        OrderStatus::Disputed,
        OrderStatus::DisputeLost,
        OrderStatus::NeedsReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Paid => "paid",
            OrderStatus::PaymentFailed => "payment_failed",
            OrderStatus::Canceled => "canceled",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Disputed => "disputed",
            OrderStatus::DisputeLost => "dispute_lost",
            OrderStatus::NeedsReview => "needs_review",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// In words, for the shopper.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Awaiting payment",
            OrderStatus::Processing => "Payment processing",
            OrderStatus::Paid => "Paid",
            OrderStatus::PaymentFailed => "Payment failed",
            OrderStatus::Canceled => "Canceled",
            OrderStatus::PartiallyRefunded => "Partially refunded",
            OrderStatus::Refunded => "Refunded",
            OrderStatus::Disputed => "Disputed",
            OrderStatus::DisputeLost => "Dispute lost",
            OrderStatus::NeedsReview => "Needs review",
        }
    }

    /// Money has been taken for this order (it may since have been refunded or disputed).
    pub fn was_paid(self) -> bool {
        self.fulfils() || self == OrderStatus::NeedsReview
    }

    /// Paid as ordered: the order's stock is taken and its goods go out.
    pub fn fulfils(self) -> bool {
        matches!(
            self,
            OrderStatus::Paid
                | OrderStatus::PartiallyRefunded
                | OrderStatus::Refunded
                | OrderStatus::Disputed
                | OrderStatus::DisputeLost
        )
    }

    /// The shopper can still pay (or is paying) this order.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::Pending | OrderStatus::Processing | OrderStatus::PaymentFailed
        )
    }
}

/// Where the PaymentIntent is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payment {
    Pending,
    Processing,
    Failed,
    Succeeded,
    Canceled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
    Canceled,
}

impl RefundStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" | "requires_action" => Some(RefundStatus::Pending),
            "succeeded" => Some(RefundStatus::Succeeded),
            "failed" => Some(RefundStatus::Failed),
            "canceled" => Some(RefundStatus::Canceled),
            _ => None,
        }
    }

    fn counts(self) -> bool {
        matches!(self, RefundStatus::Pending | RefundStatus::Succeeded)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub amount: i64,
    pub status: RefundStatus,
}

/// Something Stripe (or the shopper) did, as far as the order is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The shopper started another payment attempt (after a failure).
    AttemptStarted,
    ActionRequired,
    Processing,
    Succeeded {
        received: Money,
    },
    Failed {
        reason: String,
    },
    Canceled,
    Refund {
        id: String,
        refund: Refund,
    },
    DisputeOpened,
    /// The dispute ended: `won` keeps the money with the merchant.
    DisputeClosed {
        won: bool,
    },
}

/// How a dispute ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeOutcome {
    Won,
    Lost,
}

/// The order's payment facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub total: Money,
    pub payment: Payment,
    /// Time (unix seconds) of the event that set `payment`.
    pub payment_at: i64,
    pub refunds: BTreeMap<String, Refund>,
    pub disputed: bool,
    #[serde(default)]
    pub dispute_outcome: Option<DisputeOutcome>,
    /// What was taken, when it differs from `total` (the order then needs review).
    #[serde(default)]
    pub received: Option<Money>,
}

/// What applying an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The state changed.
    Changed,
    /// Recorded in the timeline only: it would move the order backwards, or says nothing new.
    Ignored(&'static str),
    /// A payment whose amount or currency differs from the order: recorded, flagged for
    /// review, not fulfilled.
    Mismatch { expected: Money, received: Money },
}

impl OrderState {
    pub fn new(total: Money) -> Self {
        OrderState {
            total,
            payment: Payment::Pending,
            payment_at: 0,
            refunds: BTreeMap::new(),
            disputed: false,
            dispute_outcome: None,
            received: None,
        }
    }

    /// Sum of the refunds that stand (pending or succeeded).
    pub fn refunded(&self) -> i64 {
        self.refunds
            .values()
            .filter(|r| r.status.counts())
            .map(|r| r.amount)
            .sum()
    }

    /// What was taken: the order's total, unless Stripe took something else.
    pub fn paid(&self) -> &Money {
        self.received.as_ref().unwrap_or(&self.total)
    }

    pub fn status(&self) -> OrderStatus {
        match self.payment {
            Payment::Succeeded if self.dispute_outcome == Some(DisputeOutcome::Lost) => {
                OrderStatus::DisputeLost
            }
            Payment::Succeeded if self.disputed && self.dispute_outcome.is_none() => {
                OrderStatus::Disputed
            }
            Payment::Succeeded => {
                let refunded = self.refunded();
                if refunded >= self.paid().minor {
                    OrderStatus::Refunded
                } else if self.received.is_some() {
                    OrderStatus::NeedsReview
                } else if refunded <= 0 {
                    OrderStatus::Paid
                } else {
                    OrderStatus::PartiallyRefunded
                }
            }
            Payment::Canceled => OrderStatus::Canceled,
            Payment::Failed => OrderStatus::PaymentFailed,
            Payment::Processing => OrderStatus::Processing,
            Payment::Pending => OrderStatus::Pending,
        }
    }

    /// Applies one event that happened at `at` (unix seconds).
    pub fn apply(&mut self, event: &PaymentEvent, at: i64) -> Applied {
        match event {
            PaymentEvent::Succeeded { received } => {
                if self.payment == Payment::Succeeded {
                    return Applied::Ignored("already paid");
                }
                // Money taken is final, even over a cancellation seen first.
                self.set_payment(Payment::Succeeded, at);
                if *received != self.total {
                    self.received = Some(received.clone());
                    return Applied::Mismatch {
                        expected: self.total.clone(),
                        received: received.clone(),
                    };
                }
                Applied::Changed
            }
            PaymentEvent::Canceled => match self.payment {
                Payment::Succeeded => Applied::Ignored("a paid order cannot be canceled"),
                Payment::Canceled => Applied::Ignored("already canceled"),
                _ => self.set_payment(Payment::Canceled, at),
            },
            PaymentEvent::Processing => self.progress(Payment::Processing, at),
            PaymentEvent::Failed { .. } => self.progress(Payment::Failed, at),
            PaymentEvent::AttemptStarted | PaymentEvent::ActionRequired => {
                if self.payment == Payment::Failed {
                    self.progress(Payment::Pending, at)
                } else {
                    Applied::Ignored("the payment is not waiting for a new attempt")
                }
            }
            PaymentEvent::Refund { id, refund } => {
                if let Some(known) = self.refunds.get(id) {
                    if known.status >= refund.status {
                        return Applied::Ignored("this refund already reached that status");
                    }
                }
                self.refunds.insert(id.clone(), refund.clone());
                Applied::Changed
            }
            PaymentEvent::DisputeOpened => {
                if self.disputed {
                    Applied::Ignored("already disputed")
                } else {
                    self.disputed = true;
                    Applied::Changed
                }
            }
            PaymentEvent::DisputeClosed { won } => {
                if self.dispute_outcome.is_some() {
                    return Applied::Ignored("the dispute is already closed");
                }
                // A close seen before its opening still tells us a dispute happened.
                self.disputed = true;
                self.dispute_outcome = Some(if *won {
                    DisputeOutcome::Won
                } else {
                    DisputeOutcome::Lost
                });
                Applied::Changed
            }
        }
    }

    /// Pending, processing and failed follow each other in time; a final state stays.
    fn progress(&mut self, to: Payment, at: i64) -> Applied {
        match self.payment {
            Payment::Succeeded | Payment::Canceled => {
                Applied::Ignored("the payment is already settled")
            }
            current if current == to => Applied::Ignored("no change"),
            _ if at < self.payment_at => {
                Applied::Ignored("an older event than the one already applied")
            }
            _ => self.set_payment(to, at),
        }
    }

    fn set_payment(&mut self, to: Payment, at: i64) -> Applied {
        self.payment = to;
        self.payment_at = self.payment_at.max(at);
        Applied::Changed
    }
}

/// What can still be refunded, in minor units of what was paid: nothing before the payment
/// succeeded or once a dispute took the money.
pub fn refundable(state: &OrderState) -> i64 {
    if state.payment != Payment::Succeeded || state.status() == OrderStatus::DisputeLost {
        return 0;
    }
    (state.paid().minor - state.refunded()).max(0)
}

#[cfg(test)]
mod tests {
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
            (Pending | Processing | PaymentFailed | Canceled, "succeeded_wrong_amount") => {
                NeedsReview
            }
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
            (Paid | PartiallyRefunded | Refunded | NeedsReview | DisputeLost, "dispute_won") => {
                from
            }
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
}
