//! Refunds (https://docs.stripe.com/api/refunds), including test card 5126's refunds that fail
//! after looking successful (https://docs.stripe.com/testing#refunds).

use super::currency::format_amount;
use super::params::{newest_first, page};
use super::{Account, ApiResult, ObjectKind, Params, Scheduled};
use crate::model::{ApiError, PiStatus, Refund};
use serde_json::{json, Value};
use std::collections::BTreeMap;

impl Account {
    pub fn create_refund(&mut self, p: &Params) -> ApiResult {
        p.only(&[
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "expand",
            "instructions_email",
            "refund_application_fee",
            "reverse_transfer",
            "origin",
        ])?;
        let reason = p.one_of(
            "reason",
            &["duplicate", "fraudulent", "requested_by_customer"],
        )?;
        let charge_id = match (p.non_empty("payment_intent"), p.non_empty("charge")) {
            (Some(_), Some(_)) => return Err(ApiError::invalid("You can only pass one of payment_intent and charge.").param("charge")),
            (None, None) => return Err(ApiError::invalid("One of the following params should be provided for this request: payment_intent or charge.")),
            (None, Some(c)) => {
                self.charges.get(c).ok_or_else(|| ApiError::not_found("charge", c).param("charge"))?;
                c.to_string()
            }
            (Some(pi_id), None) => {
                let pi = self.payment_intents.get(pi_id).ok_or_else(|| ApiError::not_found("payment_intent", pi_id).param("payment_intent"))?;
                match pi.status {
                    PiStatus::Succeeded => pi.latest_charge.clone().unwrap_or_default(),
                    PiStatus::RequiresCapture => {
                        return Err(ApiError::invalid(format!("This PaymentIntent ({pi_id}) has not been captured yet. To release the funds, cancel the PaymentIntent instead.")).param("payment_intent"))
                    }
                    status => {
                        return Err(ApiError::invalid(format!(
                            "This PaymentIntent ({pi_id}) does not have a successful charge to refund (status: {}).",
                            status.as_str()
                        ))
                        .param("payment_intent"))
                    }
                }
            }
        };
        let charge = self
            .charges
            .get(&charge_id)
            .ok_or_else(|| ApiError::not_found("charge", &charge_id))?;
        if charge.status != "succeeded" || !charge.captured {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has not been captured successfully and cannot be refunded."
            ))
            .param("charge"));
        }
        let remaining = charge.amount_captured - charge.amount_refunded;
        if remaining <= 0 {
            return Err(ApiError::invalid(format!(
                "Charge {charge_id} has already been refunded."
            ))
            .code("charge_already_refunded"));
        }
        let amount = p.int("amount")?.unwrap_or(remaining);
        if amount < 1 {
            return Err(
                ApiError::invalid("This value must be greater than or equal to 1.").param("amount"),
            );
        }
        if amount > remaining {
            return Err(ApiError::invalid(format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({})",
                format_amount(amount, &charge.currency),
                format_amount(remaining, &charge.currency)
            ))
            .param("amount"));
        }
        let mut metadata = BTreeMap::new();
        p.metadata_into(&mut metadata)?;
        let (payment_intent, currency, refunds_fail) = (
            charge.payment_intent.clone(),
            charge.currency.clone(),
            charge.refunds_fail,
        );
        let refund = Refund {
            id: self.new_id("re"),
            charge: charge_id.clone(),
            payment_intent,
            amount,
            currency,
            created: self.now(),
            status: "succeeded".into(),
            reason,
            failure_reason: None,
            metadata,
            seq: self.refunds.values().map(|r| r.seq).max().unwrap_or(0) + 1,
        };
        let refund_id = refund.id.clone();
        self.refunds.insert(refund_id.clone(), refund);
        let charge = self
            .charges
            .get_mut(&charge_id)
            .ok_or_else(|| ApiError::not_found("charge", &charge_id))?;
        let previous = json!({"amount_refunded": charge.amount_refunded});
        charge.amount_refunded += amount;
        self.touch(ObjectKind::Refund, &refund_id);
        self.touch(ObjectKind::Charge, &charge_id);
        let refund_json = self.refunds[&refund_id].to_json();
        self.emit("refund.created", refund_json.clone(), None);
        let charge_json = self.charge_json(&charge_id);
        self.emit("charge.refunded", charge_json, Some(previous));
        if refunds_fail {
            self.scheduled
                .push(Scheduled::FailRefund { refund: refund_id });
        }
        Ok(refund_json)
    }

    /// `GET /v1/refunds` (https://docs.stripe.com/api/refunds/list): newest first, filtered by
    /// `payment_intent`, `charge` and `created`, paged like every list.
    pub fn list_refunds(&self, p: &Params) -> ApiResult {
        p.only(&[
            "charge",
            "created",
            "ending_before",
            "expand",
            "limit",
            "payment_intent",
            "starting_after",
        ])?;
        let created = p.created()?;
        let (pi, charge) = (p.non_empty("payment_intent"), p.non_empty("charge"));
        let mut all: Vec<&Refund> = self.refunds.values().collect();
        all.sort_by(|a, b| newest_first((a.created, a.seq, &a.id), (b.created, b.seq, &b.id)));
        let keep = |r: &Refund| {
            pi.is_none_or(|pi| r.payment_intent == pi)
                && charge.is_none_or(|c| r.charge == c)
                && created.matches(r.created)
        };
        let (data, has_more) = page(&all, |r| &r.id, keep, p, "refund")?;
        let data: Vec<Value> = data.into_iter().map(Refund::to_json).collect();
        Ok(json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/refunds"}))
    }

    /// A refund of test card 5126 fails.
    pub(super) fn fail_refund(&mut self, refund: &str) {
        let Some(r) = self.refunds.get_mut(refund) else {
            return;
        };
        if r.status != "succeeded" {
            return;
        }
        r.status = "failed".into();
        r.failure_reason = Some("expired_or_canceled_card".into());
        let (amount, charge_id) = (r.amount, r.charge.clone());
        if let Some(c) = self.charges.get_mut(&charge_id) {
            c.amount_refunded -= amount;
        }
        self.touch(ObjectKind::Refund, refund);
        self.touch(ObjectKind::Charge, &charge_id);
        let json = self.refunds[refund].to_json();
        let previous = json!({"status": "succeeded", "failure_reason": null});
        self.emit(
            "charge.refund.updated",
            json.clone(),
            Some(previous.clone()),
        );
        self.emit("refund.updated", json.clone(), Some(previous));
        self.emit("refund.failed", json, None);
    }
}
