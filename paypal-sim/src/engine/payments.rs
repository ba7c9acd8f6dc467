//! Payments v2 (https://developer.paypal.com/docs/api/payments/v2/): captures, refunds, and
//! pending captures settling.

use super::money;
use super::{new_id, Kind, State};
use crate::model::{ApiError, Refund};
use serde_json::Value;

fn summary_amount(m: &crate::model::Money) -> String {
    format!("{} {}", m.value, m.currency_code)
}

impl State {
    /// The webhook a capture's current status calls for.
    pub(crate) fn emit_capture(&mut self, capture_id: &str) {
        let Some(capture) = self.captures.get(capture_id) else {
            return;
        };
        let amount = summary_amount(&capture.amount);
        let (event_type, summary) = match capture.status.as_str() {
            "COMPLETED" => (
                "PAYMENT.CAPTURE.COMPLETED",
                format!("Payment completed for {amount}"),
            ),
            "PENDING" => (
                "PAYMENT.CAPTURE.PENDING",
                format!("Payment pending for {amount}"),
            ),
            "DECLINED" => (
                "PAYMENT.CAPTURE.DENIED",
                format!("A payment capture for {amount} was denied"),
            ),
            _ => return,
        };
        let resource = self.render_capture(capture_id, true);
        self.emit(event_type, "capture", summary, resource);
    }

    pub(crate) fn capture_or_404(&self, id: &str) -> Result<&crate::model::Capture, ApiError> {
        self.captures
            .get(id)
            .ok_or_else(|| ApiError::not_found("capture_id", id, "payments"))
    }

    /// `POST /v2/payments/captures/{id}/refund`: the new refund's id.
    pub fn refund_capture(&mut self, capture_id: &str, body: &Value) -> Result<String, ApiError> {
        let op = "captures.refund";
        let capture = self.capture_or_404(capture_id)?;
        match capture.status.as_str() {
            "PENDING" => return Err(ApiError::unprocessable(op, "PENDING_CAPTURE")),
            "REFUNDED" => return Err(ApiError::unprocessable(op, "CAPTURE_FULLY_REFUNDED")),
            "COMPLETED" | "PARTIALLY_REFUNDED" => {}
            _ => return Err(ApiError::unprocessable(op, "REFUND_NOT_ALLOWED")),
        }
        let currency = capture.amount.currency_code.clone();
        let total = money::parse(&capture.amount).unwrap_or(0);
        let remaining = total - capture.refunded;
        let amount = match body.get("amount") {
            None | Some(Value::Null) => remaining,
            Some(a) => {
                let (m, minor) = super::orders::read_money(a, "/amount", op)?;
                if m.currency_code != currency {
                    return Err(ApiError::unprocessable(
                        op,
                        "REFUND_CAPTURE_CURRENCY_MISMATCH",
                    ));
                }
                if minor > remaining {
                    return Err(ApiError::unprocessable(op, "REFUND_AMOUNT_EXCEEDED"));
                }
                minor
            }
        };
        let text = |key: &str, max: usize| -> Result<Option<String>, ApiError> {
            match body.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => {
                    Ok(Some(s.clone()))
                }
                Some(v) => Err(ApiError::invalid_value(&format!("/{key}"), &v.to_string())),
            }
        };
        let note_to_payer = text("note_to_payer", 255)?;
        let invoice_id = text("invoice_id", 127)?;
        let custom_id = text("custom_id", 127)?;
        let now = self.now();
        let refunded = capture.refunded + amount;
        let id = new_id();
        self.refunds.insert(
            id.clone(),
            Refund {
                id: id.clone(),
                capture_id: capture_id.into(),
                status: "COMPLETED".into(),
                amount: money::money(amount, &currency),
                total_refunded: refunded,
                note_to_payer,
                invoice_id: invoice_id.or_else(|| capture.invoice_id.clone()),
                custom_id: custom_id.or_else(|| capture.custom_id.clone()),
                create_time: now,
                update_time: now,
            },
        );
        self.touch(Kind::Refund, &id);
        if let Some(c) = self.captures.get_mut(capture_id) {
            c.refunded = refunded;
            c.status = if refunded >= total {
                "REFUNDED".into()
            } else {
                "PARTIALLY_REFUNDED".into()
            };
            c.update_time = now;
        }
        self.touch(Kind::Capture, capture_id);
        let resource = self.render_refund(&id, true);
        let summary = format!(
            "A {} {} capture payment was refunded",
            money::format(amount, &currency),
            currency
        );
        self.emit("PAYMENT.CAPTURE.REFUNDED", "refund", summary, resource);
        Ok(id)
    }

    /// A pending capture settles: COMPLETED (`complete`) or DECLINED, with its webhook.
    pub fn settle_capture(&mut self, capture_id: &str, complete: bool) -> Result<(), ApiError> {
        let capture = self.capture_or_404(capture_id)?;
        if capture.status != "PENDING" {
            return Err(ApiError::unprocessable_with(
                "captures.refund",
                crate::model::Detail::new(
                    "CAPTURE_NOT_PENDING",
                    "Only a PENDING capture can be completed or denied (simulator control API).",
                ),
            ));
        }
        let now = self.now();
        if let Some(c) = self.captures.get_mut(capture_id) {
            c.status = if complete { "COMPLETED" } else { "DECLINED" }.into();
            c.reason = None;
            c.update_time = now;
        }
        self.touch(Kind::Capture, capture_id);
        self.emit_capture(capture_id);
        Ok(())
    }
}
