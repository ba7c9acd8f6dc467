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
mod tests;
