//! Disputes (https://docs.stripe.com/api/disputes): test card 0259's dispute opens after the
//! payment (https://docs.stripe.com/testing#disputes) and stays `needs_response` until the
//! simulator's control API closes it as won or lost, with the events Stripe sends along the
//! way (https://docs.stripe.com/disputes/how-disputes-work).

use super::params::{newest_first, page};
use super::{Account, ApiResult, ObjectKind, Params};
use crate::model::{ApiError, Dispute, DisputeFunds, EvidenceDetails};
use serde_json::{json, Value};

/// Stripe's dispute fee for a US account, $15.00 (https://stripe.com/pricing). The simulator
/// has no fee table for other currencies and charges none there.
const USD_DISPUTE_FEE: i64 = 1500;

/// Statuses of a dispute that has not been decided yet.
const OPEN: &[&str] = &[
    "needs_response",
    "under_review",
    "warning_needs_response",
    "warning_under_review",
];

impl Account {
    /// Test card 0259's dispute opens: the disputed amount (and the dispute fee) leave the
    /// balance at once, announced by `charge.dispute.created` then
    /// `charge.dispute.funds_withdrawn`, each carrying the Dispute.
    pub(super) fn open_dispute(&mut self, charge: &str) {
        let Some(c) = self.charges.get_mut(charge) else {
            return;
        };
        c.disputed = true;
        let (amount, currency, pi, brand) = (
            c.amount_captured,
            c.currency.clone(),
            c.payment_intent.clone(),
            c.card_brand.clone(),
        );
        let id = self.new_id("dp");
        let txn = self.new_id("txn");
        let now = self.now();
        let dispute = Dispute {
            id: id.clone(),
            amount,
            charge: charge.to_string(),
            currency: currency.clone(),
            created: now,
            payment_intent: Some(pi),
            reason: "fraudulent".into(),
            status: "needs_response".into(),
            metadata: Default::default(),
            balance_transactions: vec![DisputeFunds {
                id: txn,
                amount: -amount,
                fee: if currency == "usd" {
                    USD_DISPUTE_FEE
                } else {
                    0
                },
                currency,
                created: now,
                description: format!("Chargeback withdrawal for {charge}"),
                reporting_category: "dispute".into(),
                source: id.clone(),
            }],
            evidence_details: EvidenceDetails {
                due_by: Some(now.saturating_add(7 * 86_400)),
                ..Default::default()
            },
            is_charge_refundable: false,
            card_brand: Some(brand).filter(|b| !b.is_empty()),
            seq: self.disputes.values().map(|d| d.seq).max().unwrap_or(0) + 1,
        };
        let json = dispute.to_json();
        self.disputes.insert(id.clone(), dispute);
        self.touch(ObjectKind::Dispute, &id);
        self.touch(ObjectKind::Charge, charge);
        self.emit("charge.dispute.created", json.clone(), None);
        self.emit("charge.dispute.funds_withdrawn", json, None);
    }

    /// The card network decides an open dispute (`POST /_sim/disputes/{id}/close`). Won: the
    /// funds come back (`charge.dispute.funds_reinstated`) and the dispute closes as `won`;
    /// lost: it closes as `lost`. Either way `charge.dispute.closed` carries the Dispute.
    pub fn close_dispute(&mut self, id: &str, outcome: Option<&str>) -> ApiResult {
        let won = match outcome {
            Some("won") => true,
            Some("lost") => false,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "Invalid outcome: must be one of won, lost (got {other})"
                ))
                .param("outcome"))
            }
            None => return Err(ApiError::missing("outcome")),
        };
        let dispute = self
            .disputes
            .get(id)
            .ok_or_else(|| ApiError::not_found("dispute", id))?;
        if !OPEN.contains(&dispute.status.as_str()) {
            return Err(ApiError::invalid(format!(
                "Dispute {id} is already closed: its status is {}.",
                dispute.status
            )));
        }
        let txn = self.new_id("txn");
        let now = self.now();
        let Some(dispute) = self.disputes.get_mut(id) else {
            return Err(ApiError::not_found("dispute", id));
        };
        dispute.status = if won { "won" } else { "lost" }.into();
        if won {
            dispute.balance_transactions.push(DisputeFunds {
                id: txn,
                amount: dispute.amount,
                fee: 0,
                currency: dispute.currency.clone(),
                created: now,
                description: format!("Chargeback reversal for {}", dispute.charge),
                reporting_category: "dispute_reversal".into(),
                source: id.to_string(),
            });
        }
        let json = dispute.to_json();
        self.touch(ObjectKind::Dispute, id);
        if won {
            self.emit("charge.dispute.funds_reinstated", json.clone(), None);
        }
        self.emit("charge.dispute.closed", json.clone(), None);
        Ok(json)
    }

    /// `GET /v1/disputes/{id}`, expanding `charge` and `payment_intent` when asked.
    pub fn render_dispute(&self, id: &str, expand: &[String]) -> ApiResult {
        let dispute = self
            .disputes
            .get(id)
            .ok_or_else(|| ApiError::not_found("dispute", id))?;
        Ok(self.expand_dispute(dispute, expand, ""))
    }

    fn expand_dispute(&self, dispute: &Dispute, expand: &[String], prefix: &str) -> Value {
        let mut v = dispute.to_json();
        let wants = |field: &str| expand.iter().any(|e| *e == format!("{prefix}{field}"));
        if wants("charge") {
            v["charge"] = self.charge_json(&dispute.charge);
        }
        if wants("payment_intent") {
            if let Some(pi) = &dispute.payment_intent {
                v["payment_intent"] = self.pi_json(pi);
            }
        }
        v
    }

    /// `GET /v1/disputes` (https://docs.stripe.com/api/disputes/list): newest first, filtered by
    /// `charge`, `payment_intent` and `created`.
    pub fn list_disputes(&self, p: &Params) -> ApiResult {
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
        let (charge, pi) = (p.non_empty("charge"), p.non_empty("payment_intent"));
        let mut all: Vec<&Dispute> = self.disputes.values().collect();
        all.sort_by(|a, b| newest_first((a.created, a.seq, &a.id), (b.created, b.seq, &b.id)));
        let keep = |d: &Dispute| {
            charge.is_none_or(|c| d.charge == c)
                && pi.is_none_or(|pi| d.payment_intent.as_deref() == Some(pi))
                && created.matches(d.created)
        };
        let (data, has_more) = page(&all, |d| &d.id, keep, p, "dispute")?;
        let expand = p.expand();
        let data: Vec<Value> = data
            .into_iter()
            .map(|d| self.expand_dispute(d, &expand, "data."))
            .collect();
        Ok(json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/disputes"}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disputes_stored_before_the_struct_still_load() {
        // What a stored account held for a 0259 dispute before disputes had their own type.
        let stored = json!({
            "id": "dp_old", "object": "dispute", "amount": 2000, "charge": "ch_old", "currency": "usd",
            "created": 1_700_000_000, "livemode": false, "metadata": {}, "payment_intent": "pi_old",
            "reason": "fraudulent", "status": "needs_response", "is_charge_refundable": false,
            "balance_transactions": [], "evidence_details": {"due_by": 1_700_604_800, "has_evidence": false, "past_due": false, "submission_count": 0}
        });
        let dispute: Dispute = serde_json::from_value(stored).unwrap();
        assert_eq!(dispute.status, "needs_response");
        assert_eq!(dispute.evidence_details.due_by, Some(1_700_604_800));
        let rendered = dispute.to_json();
        assert_eq!(rendered["payment_intent"], "pi_old");
        assert_eq!(rendered["evidence_details"]["due_by"], 1_700_604_800);
        assert_eq!(rendered["payment_method_details"]["type"], "card");
    }
}
