//! What PayPal's objects say about an order, as the domain's payment events: an order (read
//! back, or the answer to a capture), a capture, a refund, by their own status
//! (https://developer.paypal.com/docs/api/orders/v2/, https://developer.paypal.com/docs/api/payments/v2/).
//! Pure: no I/O.

use super::amount::from_paypal;
use crate::domain::money::Money;
use crate::domain::order::{PaymentEvent, Refund, RefundStatus};
use serde_json::Value;

/// The webhook events the checkout applies
/// (https://developer.paypal.com/api/rest/webhooks/event-names/).
pub const EVENT_TYPES: [&str; 7] = [
    "CHECKOUT.ORDER.APPROVED",
    "PAYMENT.CAPTURE.COMPLETED",
    "PAYMENT.CAPTURE.PENDING",
    "PAYMENT.CAPTURE.DENIED",
    "PAYMENT.CAPTURE.DECLINED",
    "PAYMENT.CAPTURE.REFUNDED",
    "PAYMENT.CAPTURE.REVERSED",
];

fn amount(object: &Value) -> Option<Money> {
    from_paypal(
        object["amount"]["currency_code"].as_str()?,
        object["amount"]["value"].as_str()?,
    )
}

/// A capture, by its status.
pub fn capture_events(capture: &Value) -> Vec<PaymentEvent> {
    match capture["status"].as_str().unwrap_or_default() {
        "COMPLETED" | "PARTIALLY_REFUNDED" | "REFUNDED" => amount(capture)
            .map(|received| vec![PaymentEvent::Succeeded { received }])
            .unwrap_or_default(),
        "PENDING" => vec![PaymentEvent::Processing],
        "DECLINED" | "FAILED" => vec![PaymentEvent::Failed {
            reason: capture["status_details"]["reason"]
                .as_str()
                .unwrap_or("declined")
                .to_string(),
        }],
        _ => Vec::new(),
    }
}

/// A refund, by its status.
pub fn refund_event(refund: &Value) -> Option<PaymentEvent> {
    let status = match refund["status"].as_str()? {
        "COMPLETED" => RefundStatus::Succeeded,
        "PENDING" => RefundStatus::Pending,
        "FAILED" => RefundStatus::Failed,
        "CANCELLED" => RefundStatus::Canceled,
        _ => return None,
    };
    Some(PaymentEvent::Refund {
        id: refund["id"].as_str()?.to_string(),
        refund: Refund {
            amount: amount(refund)?.minor,
            status,
        },
    })
}

/// An order as PayPal has it now: approved means the shopper is paying again; completed, its
/// capture and refunds say the rest.
pub fn order_events(order: &Value) -> Vec<PaymentEvent> {
    let payments = &order["purchase_units"][0]["payments"];
    match order["status"].as_str().unwrap_or_default() {
        "APPROVED" => vec![PaymentEvent::ActionRequired],
        "VOIDED" => vec![PaymentEvent::Canceled],
        "COMPLETED" => {
            let mut events: Vec<PaymentEvent> = payments["captures"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(capture_events)
                .collect();
            events.extend(
                payments["refunds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(refund_event),
            );
            events
        }
        _ => Vec::new(),
    }
}

/// The capture in an order (the answer to a capture, or an order read back).
pub fn capture_of(order: &Value) -> Option<&Value> {
    order["purchase_units"][0]["payments"]["captures"]
        .as_array()?
        .first()
}

/// What a webhook event's resource says.
pub fn webhook_events(event_type: &str, resource: &Value) -> Vec<PaymentEvent> {
    match event_type {
        "CHECKOUT.ORDER.APPROVED" => vec![PaymentEvent::ActionRequired],
        "PAYMENT.CAPTURE.COMPLETED"
        | "PAYMENT.CAPTURE.PENDING"
        | "PAYMENT.CAPTURE.DENIED"
        | "PAYMENT.CAPTURE.DECLINED" => capture_events(resource),
        "PAYMENT.CAPTURE.REFUNDED" | "PAYMENT.CAPTURE.REVERSED" => {
            refund_event(resource).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// Where a webhook event's resource points: (PayPal order id, capture id, our order id).
pub fn references(
    event_type: &str,
    resource: &Value,
) -> (Option<String>, Option<String>, Option<String>) {
    let text = |v: &Value| v.as_str().map(str::to_string);
    match event_type {
        "CHECKOUT.ORDER.APPROVED" => (
            text(&resource["id"]),
            None,
            text(&resource["purchase_units"][0]["custom_id"]),
        ),
        t if t.starts_with("PAYMENT.CAPTURE.")
            && resource["status"].is_string()
            && !is_refund(t) =>
        {
            (
                text(&resource["supplementary_data"]["related_ids"]["order_id"]),
                text(&resource["id"]),
                text(&resource["custom_id"]),
            )
        }
        t if is_refund(t) => {
            // A refund links "up" to its capture.
            let capture = resource["links"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["rel"] == "up")
                .and_then(|l| l["href"].as_str())
                .and_then(|href| href.rsplit('/').next())
                .map(str::to_string);
            (None, capture, text(&resource["custom_id"]))
        }
        _ => (None, None, None),
    }
}

fn is_refund(event_type: &str) -> bool {
    matches!(
        event_type,
        "PAYMENT.CAPTURE.REFUNDED" | "PAYMENT.CAPTURE.REVERSED"
    )
}

/// One line for the order's timeline.
pub fn describe(event_type: &str, resource: &Value) -> String {
    let money = amount(resource).map(|m| m.to_string()).unwrap_or_default();
    match event_type {
        "CHECKOUT.ORDER.APPROVED" => "PayPal: the shopper approved the payment".into(),
        "PAYMENT.CAPTURE.COMPLETED" => format!("PayPal payment completed: {money}"),
        "PAYMENT.CAPTURE.PENDING" => format!(
            "PayPal payment pending ({})",
            resource["status_details"]["reason"]
                .as_str()
                .unwrap_or("no reason given")
        ),
        "PAYMENT.CAPTURE.DENIED" | "PAYMENT.CAPTURE.DECLINED" => {
            format!("PayPal payment declined: {money}")
        }
        "PAYMENT.CAPTURE.REFUNDED" => format!(
            "PayPal refund {} {}: {money}",
            resource["id"].as_str().unwrap_or(""),
            resource["status"].as_str().unwrap_or("")
        ),
        "PAYMENT.CAPTURE.REVERSED" => format!("PayPal reversed the payment: {money}"),
        other => format!("PayPal {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use serde_json::json;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::parse("USD").unwrap())
    }

    fn capture(status: &str) -> Value {
        json!({"id": "3C679366HH908993F", "status": status, "amount": {"currency_code": "USD", "value": "100.00"},
               "custom_id": "ord_1", "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
               "status_details": {"reason": "PENDING_REVIEW"}})
    }

    #[test]
    fn captures_map_by_status() {
        assert_eq!(
            capture_events(&capture("COMPLETED")),
            vec![PaymentEvent::Succeeded {
                received: usd(10000)
            }]
        );
        assert_eq!(
            capture_events(&capture("PENDING")),
            vec![PaymentEvent::Processing]
        );
        assert!(matches!(
            capture_events(&capture("DECLINED"))[..],
            [PaymentEvent::Failed { .. }]
        ));
        assert_eq!(capture_events(&capture("SOMETHING_NEW")), vec![]);
    }

    #[test]
    fn a_completed_order_carries_its_capture_and_refunds() {
        let order = json!({"id": "5O190127TN364715T", "status": "COMPLETED", "purchase_units": [{"payments": {
            "captures": [capture("PARTIALLY_REFUNDED")],
            "refunds": [{"id": "1JU08902781691411", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "25.00"}}]}}]});
        assert_eq!(
            order_events(&order),
            vec![
                PaymentEvent::Succeeded {
                    received: usd(10000)
                },
                PaymentEvent::Refund {
                    id: "1JU08902781691411".into(),
                    refund: Refund {
                        amount: 2500,
                        status: RefundStatus::Succeeded
                    }
                },
            ]
        );
        assert_eq!(order_events(&json!({"status": "CREATED"})), vec![]);
        assert_eq!(
            order_events(&json!({"status": "APPROVED"})),
            vec![PaymentEvent::ActionRequired]
        );
    }

    #[test]
    fn webhook_resources_point_at_their_order() {
        assert_eq!(
            references("PAYMENT.CAPTURE.COMPLETED", &capture("COMPLETED")),
            (
                Some("5O190127TN364715T".into()),
                Some("3C679366HH908993F".into()),
                Some("ord_1".into())
            )
        );
        let refund = json!({"id": "1JU08902781691411", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "1.00"},
            "links": [{"rel": "self", "href": "https://api.paypal.com/v2/payments/refunds/1JU08902781691411"},
                      {"rel": "up", "href": "https://api.paypal.com/v2/payments/captures/3C679366HH908993F"}]});
        assert_eq!(
            references("PAYMENT.CAPTURE.REFUNDED", &refund),
            (None, Some("3C679366HH908993F".into()), None)
        );
        assert_eq!(
            webhook_events("PAYMENT.CAPTURE.REFUNDED", &refund),
            vec![PaymentEvent::Refund {
                id: "1JU08902781691411".into(),
                refund: Refund {
                    amount: 100,
                    status: RefundStatus::Succeeded
                }
            }]
        );
    }
}
