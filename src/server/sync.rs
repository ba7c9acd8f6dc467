//! One way to apply what Stripe says. A webhook, the events sweep and a PaymentIntent read back
//! from the API all come here: each Stripe object (PaymentIntent, Refund, Dispute, Charge) is
//! mapped to the domain's [`PaymentEvent`]s by its own status, and applied to its order in one
//! transaction that dedupes on the event's id.

use super::db::{self, Origin, PaymentFact, WebhookOutcome};
use super::AppState;
use crate::domain::money::{Currency, Money};
use crate::domain::order::{Applied, OrderState, PaymentEvent, Refund, RefundStatus};
use serde_json::Value;

/// The Stripe event types the checkout applies (the webhook endpoint and the events sweep ask
/// for these). https://docs.stripe.com/api/events/types
pub const EVENT_TYPES: [&str; 19] = [
    "payment_intent.processing",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
    "charge.refunded",
    "charge.refund.updated",
    "refund.created",
    "refund.updated",
    "refund.failed",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    // Stripe's hosted Checkout. https://docs.stripe.com/checkout/fulfillment
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
];

/// What a Stripe object says about its order, by the object's own status. The object of a
/// `payment_intent.*` event is the PaymentIntent as it was then, so a webhook and a PaymentIntent
/// read back later map the same way.
pub fn events_of(object: &Value) -> Vec<PaymentEvent> {
    let status = object["status"].as_str().unwrap_or_default();
    match object["object"].as_str().unwrap_or_default() {
        "payment_intent" => match status {
            "processing" => vec![PaymentEvent::Processing],
            "succeeded" => money(object, "amount_received")
                .map(|received| PaymentEvent::Succeeded { received })
                .into_iter()
                .collect(),
            // A failed attempt leaves the PaymentIntent waiting for another payment method,
            // with the failure recorded. https://docs.stripe.com/payments/paymentintents/lifecycle
            "requires_payment_method" if object["last_payment_error"].is_object() => {
                vec![PaymentEvent::Failed {
                    reason: object["last_payment_error"]["message"]
                        .as_str()
                        .unwrap_or("The payment failed.")
                        .to_string(),
                }]
            }
            "requires_action" => vec![PaymentEvent::ActionRequired],
            "canceled" => vec![PaymentEvent::Canceled],
            _ => Vec::new(),
        },
        "refund" => refund(object).into_iter().collect(),
        // Since API version 2022-11-15 a Charge no longer lists its refunds; the `refund.*`
        // events (and the refunds list) carry them. Older payloads still do.
        "charge" => object["refunds"]["data"]
            .as_array()
            .map(|list| list.iter().filter_map(refund).collect())
            .unwrap_or_default(),
        // A hosted Checkout's session: paid, paid later (a delayed method), or expired unpaid.
        // https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-payment_status
        "checkout.session" => match (status, object["payment_status"].as_str()) {
            ("complete", Some("paid")) => money(object, "amount_total")
                .map(|received| PaymentEvent::Succeeded { received })
                .into_iter()
                .collect(),
            ("complete", Some("unpaid")) => vec![PaymentEvent::Processing],
            ("expired", _) => vec![PaymentEvent::Canceled],
            _ => Vec::new(),
        },
        // https://docs.stripe.com/disputes/how-disputes-work
        "dispute" => match status {
            "won" | "warning_closed" => vec![PaymentEvent::DisputeClosed { won: true }],
            "lost" => vec![PaymentEvent::DisputeClosed { won: false }],
            _ => vec![PaymentEvent::DisputeOpened],
        },
        _ => Vec::new(),
    }
}

fn money(object: &Value, key: &str) -> Option<Money> {
    let currency = Currency::parse(object["currency"].as_str()?).ok()?;
    Some(Money::new(object[key].as_i64()?, currency))
}

fn refund(r: &Value) -> Option<PaymentEvent> {
    Some(PaymentEvent::Refund {
        id: r["id"].as_str()?.to_string(),
        refund: Refund {
            amount: r["amount"].as_i64()?,
            status: RefundStatus::parse(r["status"].as_str()?)?,
        },
    })
}

/// One line for the order's timeline.
pub fn describe(kind: &str, object: &Value) -> String {
    let amount = |key: &str| {
        money(object, key)
            .map(|m| m.to_string())
            .unwrap_or_default()
    };
    let text = |key: &str| object[key].as_str().unwrap_or("").to_string();
    match kind {
        "payment_intent.succeeded" => format!("Payment succeeded: {}", amount("amount_received")),
        "payment_intent.payment_failed" => format!(
            "Payment failed: {}",
            object["last_payment_error"]["message"]
                .as_str()
                .unwrap_or("no reason given")
        ),
        "payment_intent.processing" => "Payment processing".into(),
        "payment_intent.requires_action" => "The bank asked the shopper to authenticate".into(),
        "payment_intent.canceled" => format!(
            "Payment canceled ({})",
            object["cancellation_reason"]
                .as_str()
                .unwrap_or("no reason given")
        ),
        "charge.refunded" => format!("Refunded so far: {}", amount("amount_refunded")),
        "refund.created" | "refund.updated" | "charge.refund.updated" => format!(
            "Refund {} {}: {}",
            text("id"),
            text("status"),
            amount("amount")
        ),
        "refund.failed" => format!(
            "Refund {} failed ({})",
            text("id"),
            object["failure_reason"].as_str().unwrap_or("unknown")
        ),
        "checkout.session.completed" => format!(
            "Checkout completed: {} ({})",
            amount("amount_total"),
            text("payment_status")
        ),
        "checkout.session.async_payment_succeeded" => {
            format!("Checkout payment succeeded: {}", amount("amount_total"))
        }
        "checkout.session.async_payment_failed" => "Checkout payment failed".into(),
        "checkout.session.expired" => "Checkout Session expired".into(),
        "charge.dispute.created" => format!("Dispute opened: {}", amount("amount")),
        "charge.dispute.closed" => format!("Dispute closed: {}", text("status")),
        other => other.to_string(),
    }
}

/// The PaymentIntent an object belongs to.
fn payment_intent_of(object: &Value) -> Option<&str> {
    match object["object"].as_str() {
        Some("payment_intent") => object["id"].as_str(),
        _ => object["payment_intent"].as_str(),
    }
}

/// Applies a Stripe event (`evt_…`, verified, or read from the events list by reconciliation).
pub async fn apply_event(
    state: &AppState,
    event: &Value,
    now: i64,
    origin: Origin,
) -> Result<WebhookOutcome, sqlx::Error> {
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Ok(WebhookOutcome::NoOrder);
    };
    let object = &event["data"]["object"];
    let at = event["created"].as_i64().unwrap_or(now);
    let fact = PaymentFact {
        event_id: id,
        event_type: kind,
        gateway: crate::domain::gateway::Gateway::Stripe,
        reference: payment_intent_of(object),
        order_hint: object["metadata"]["order_id"].as_str(),
        origin,
    };
    let events = if kind == "checkout.session.async_payment_failed" {
        vec![PaymentEvent::Failed {
            reason: "The payment failed.".into(),
        }]
    } else if kind.starts_with("payment_intent.")
        || kind.starts_with("refund.")
        || kind.starts_with("charge.")
        || kind.starts_with("checkout.session.")
    {
        events_of(object)
    } else {
        Vec::new()
    };
    let events = of_current_session(state, object, events).await?;
    if events.is_empty() {
        tracing::info!(event = %id, %kind, "Stripe event not used by the checkout");
    }
    apply(state, fact, &events, at, describe(kind, object)).await
}

/// Applies a Stripe object read back from the API (a PaymentIntent, a Refund, a Dispute) as it
/// is now. Its id for deduplication names the object and the status observed, so reading the
/// same state twice records it once.
pub async fn apply_object(
    state: &AppState,
    object: &Value,
    now: i64,
    origin: Origin,
) -> Result<WebhookOutcome, sqlx::Error> {
    let kind = object["object"].as_str().unwrap_or("object");
    let status = match (object["status"].as_str(), object["payment_status"].as_str()) {
        (Some(status), Some(paid)) => format!("{status}/{paid}"),
        (status, _) => status.unwrap_or("").to_string(),
    };
    let status = status.as_str();
    let id = format!(
        "recon:{}:{status}:{}",
        object["id"].as_str().unwrap_or(""),
        object["latest_charge"].as_str().unwrap_or("")
    );
    let event_type = format!("reconciled.{kind}.{status}");
    let described = match (kind, status) {
        ("payment_intent", "succeeded") => "payment_intent.succeeded",
        ("payment_intent", "processing") => "payment_intent.processing",
        ("payment_intent", "requires_payment_method") => "payment_intent.payment_failed",
        ("payment_intent", "canceled") => "payment_intent.canceled",
        ("refund", _) => "refund.updated",
        ("dispute", "won" | "lost" | "warning_closed") => "charge.dispute.closed",
        ("dispute", _) => "charge.dispute.created",
        ("checkout.session", "expired/unpaid") => "checkout.session.expired",
        ("checkout.session", _) => "checkout.session.completed",
        _ => kind,
    };
    let fact = PaymentFact {
        event_id: &id,
        event_type: &event_type,
        gateway: crate::domain::gateway::Gateway::Stripe,
        reference: payment_intent_of(object),
        order_hint: object["metadata"]["order_id"].as_str(),
        origin,
    };
    let events = of_current_session(state, object, events_of(object)).await?;
    apply(state, fact, &events, now, describe(described, object)).await
}

/// What a Checkout Session says moves its order only while it is the order's current session
/// (one of an older revision, or forgotten before it was expired, no longer does), except money
/// taken, which is never ignored.
async fn of_current_session(
    state: &AppState,
    object: &Value,
    events: Vec<PaymentEvent>,
) -> Result<Vec<PaymentEvent>, sqlx::Error> {
    if object["object"] != "checkout.session" {
        return Ok(events);
    }
    let current = match object["metadata"]["order_id"].as_str() {
        Some(order) => db::order_by_id(&state.pool, order)
            .await?
            .is_some_and(|o| o.checkout_session_id.as_deref() == object["id"].as_str()),
        None => false,
    };
    Ok(if current {
        events
    } else {
        events
            .into_iter()
            .filter(|e| matches!(e, PaymentEvent::Succeeded { .. }))
            .collect()
    })
}

/// Applies payment events (of any gateway) through the writer and publishes the change.
pub(crate) async fn apply(
    state: &AppState,
    fact: PaymentFact<'_>,
    events: &[PaymentEvent],
    at: i64,
    description: String,
) -> Result<WebhookOutcome, sqlx::Error> {
    // Through the writer: applied in a batch with whatever else arrived, in its own savepoint,
    // and answered once the batch has committed.
    let events = events.to_vec();
    let apply = move |order: &mut OrderState| {
        let mut result = Applied::Ignored("event type not used by the checkout");
        for e in &events {
            match order.apply(e, at) {
                Applied::Changed => result = Applied::Changed,
                mismatch @ Applied::Mismatch { .. } => return (mismatch, description),
                ignored if result != Applied::Changed => result = ignored,
                _ => {}
            }
        }
        (result, description)
    };
    let outcome = state.writer.apply(db::OwnedFact::of(fact), apply).await?;
    super::live::publish(state, &outcome);
    Ok(outcome)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pi(status: &str) -> Value {
        json!({"object": "payment_intent", "id": "pi_1", "status": status, "amount": 1850,
               "amount_received": 1850, "currency": "usd"})
    }

    #[test]
    fn a_payment_intent_maps_by_its_own_status() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            events_of(&pi("succeeded")),
            vec![PaymentEvent::Succeeded {
                received: Money::new(1850, usd)
            }]
        );
        assert_eq!(events_of(&pi("processing")), vec![PaymentEvent::Processing]);
        assert_eq!(events_of(&pi("canceled")), vec![PaymentEvent::Canceled]);
        // Waiting for a first payment method is not a failure; after a decline it is.
        assert!(events_of(&pi("requires_payment_method")).is_empty());
        let mut declined = pi("requires_payment_method");
        declined["last_payment_error"] = json!({"message": "Your card was declined."});
        assert_eq!(
            events_of(&declined),
            vec![PaymentEvent::Failed {
                reason: "Your card was declined.".into()
            }]
        );
    }

    #[test]
    fn refunds_come_from_refund_objects_not_from_a_charge_without_its_list() {
        let charge =
            json!({"object": "charge", "id": "ch_1", "amount_refunded": 500, "currency": "usd"});
        assert!(events_of(&charge).is_empty());
        let refund =
            json!({"object": "refund", "id": "re_1", "amount": 500, "status": "succeeded"});
        assert_eq!(
            events_of(&refund),
            vec![PaymentEvent::Refund {
                id: "re_1".into(),
                refund: Refund {
                    amount: 500,
                    status: RefundStatus::Succeeded
                }
            }]
        );
    }

    #[test]
    fn disputes_open_and_close_won_or_lost() {
        let dispute = |status: &str| json!({"object": "dispute", "id": "dp_1", "status": status});
        assert_eq!(
            events_of(&dispute("needs_response")),
            vec![PaymentEvent::DisputeOpened]
        );
        assert_eq!(
            events_of(&dispute("won")),
            vec![PaymentEvent::DisputeClosed { won: true }]
        );
        assert_eq!(
            events_of(&dispute("lost")),
            vec![PaymentEvent::DisputeClosed { won: false }]
        );
    }

    #[test]
    fn arbitrary_objects_map_to_nothing() {
        for v in [
            json!(null),
            json!({}),
            json!({"object": "payment_intent"}),
            json!([1, 2]),
        ] {
            assert!(events_of(&v).is_empty(), "{v}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::domain::order::{OrderState, OrderStatus};
    use proptest::prelude::*;
    use serde_json::json;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z_]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Objects shaped like Stripe's, with any status and any amounts.
    fn stripe_like() -> impl Strategy<Value = Value> {
        (
            prop::sample::select(vec!["payment_intent", "refund", "dispute", "charge", "x"]),
            prop::sample::select(vec![
                "succeeded",
                "processing",
                "requires_payment_method",
                "canceled",
                "requires_action",
                "won",
                "lost",
                "pending",
                "failed",
                "needs_response",
                "",
            ]),
            any::<i64>(),
            json_value(),
        )
            .prop_map(|(object, status, amount, extra)| {
                json!({"object": object, "id": "x_1", "status": status, "amount": amount,
                       "amount_received": amount, "currency": "usd", "extra": extra,
                       "last_payment_error": extra})
            })
    }

    proptest! {
        /// Any JSON at all maps to events without panicking.
        #[test]
        fn arbitrary_json_never_panics(value in json_value()) {
            let _ = events_of(&value);
            let _ = describe("payment_intent.succeeded", &value);
        }

        /// Whatever Stripe-like objects say, an order is paid only by a succeeded PaymentIntent
        /// for its exact total; any other amount leaves it for review, never plainly paid.
        #[test]
        fn only_the_exact_amount_pays(objects in prop::collection::vec(stripe_like(), 0..6)) {
            let total = Money::new(1850, Currency::parse("USD").unwrap());
            let mut state = OrderState::new(total);
            for (at, object) in objects.iter().enumerate() {
                for event in events_of(object) {
                    state.apply(&event, at as i64);
                }
            }
            let paid_exactly = objects.iter().any(|o| o["object"] == "payment_intent"
                && o["status"] == "succeeded" && o["amount_received"] == 1850);
            if state.status() == OrderStatus::Paid {
                prop_assert!(paid_exactly, "{objects:?}");
            }
        }
    }
}
