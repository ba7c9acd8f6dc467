//! Charges: what a payment attempt creates, whether it succeeds, fails or waits, and the
//! disputes opened on them (https://docs.stripe.com/api/charges, https://docs.stripe.com/testing#disputes).

use super::params::newest_first;
use super::{Account, ApiResult, ObjectKind, Scheduled};
use crate::cards::{self, Behaviour, Decline};
use crate::model::{ApiError, Charge, PaymentMethod, PiStatus, Refund};
use serde_json::{json, Value};

/// What a card that pays does afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardAfterPayment {
    /// Nothing more happens.
    Normal,
    /// A dispute opens shortly after the payment (`charge.dispute.created`), like test card 0259.
    Disputed,
    /// Its refunds look successful, then fail (`expired_or_canceled_card`), like test card 5126.
    RefundsFail,
}

impl CardAfterPayment {
    /// What a card with `behaviour` does once it has paid (`Normal` for any card that does not
    /// simply pay).
    pub(super) fn of(behaviour: &Behaviour) -> Self {
        match behaviour {
            Behaviour::SucceedThenDispute => CardAfterPayment::Disputed,
            Behaviour::SucceedRefundFails => CardAfterPayment::RefundsFail,
            _ => CardAfterPayment::Normal,
        }
    }
}

impl Account {
    /// The Charge as events and `GET /v1/charges/{id}` show it (without the `refunds` list).
    pub fn charge_json(&self, id: &str) -> Value {
        self.charges
            .get(id)
            .map(Charge::to_json)
            .unwrap_or(Value::Null)
    }

    /// `GET /v1/charges/{id}`, with `refunds` when `expand[]=refunds` asks for it.
    pub fn render_charge(&self, id: &str, expand: &[String]) -> ApiResult {
        let charge = self
            .charges
            .get(id)
            .ok_or_else(|| ApiError::not_found("charge", id))?;
        if !expand.iter().any(|e| e == "refunds") {
            return Ok(charge.to_json());
        }
        let mut refunds: Vec<&Refund> = self.refunds.values().filter(|r| r.charge == id).collect();
        refunds.sort_by(|a, b| newest_first((a.created, a.seq, &a.id), (b.created, b.seq, &b.id)));
        Ok(charge.with_refunds(refunds.into_iter().map(Refund::to_json).collect()))
    }

    fn new_charge(&mut self, pi_id: &str, pm_id: &str, status: &str) -> String {
        let charge_id = self.new_id("ch");
        let pi = &self.payment_intents[pi_id];
        let pm = self.payment_methods.get(pm_id);
        let charge = Charge {
            id: charge_id.clone(),
            payment_intent: pi_id.to_string(),
            payment_method: pm_id.to_string(),
            amount: pi.amount,
            amount_captured: 0,
            amount_refunded: 0,
            currency: pi.currency.clone(),
            created: self.now(),
            status: status.to_string(),
            captured: false,
            disputed: false,
            failure_code: None,
            failure_message: None,
            decline_code: None,
            receipt_email: pi.receipt_email.clone(),
            description: pi.description.clone(),
            metadata: pi.metadata.clone(),
            card_brand: pm.map(|p| p.brand.clone()).unwrap_or_default(),
            card_last4: pm.map(|p| p.last4.clone()).unwrap_or_default(),
            refunds_fail: false,
        };
        self.charges.insert(charge_id.clone(), charge);
        self.touch(ObjectKind::Charge, &charge_id);
        if let Some(pi) = self.payment_intents.get_mut(pi_id) {
            pi.latest_charge = Some(charge_id.clone());
        }
        charge_id
    }

    /// The payment goes through: a captured charge, or an authorised one under manual capture.
    pub(super) fn pay(&mut self, pi_id: &str, pm_id: &str, card: CardAfterPayment) {
        let charge_id = self.new_charge(pi_id, pm_id, "succeeded");
        self.settle(pi_id, &charge_id, card);
    }

    fn settle(&mut self, pi_id: &str, charge_id: &str, card: CardAfterPayment) {
        let Some(pi) = self.payment_intents.get_mut(pi_id) else {
            return;
        };
        let manual = pi.capture_method == "manual";
        let previous = json!({"status": pi.status.as_str()});
        pi.next_action = None;
        pi.pending_authentication = None;
        pi.last_payment_error = None;
        if manual {
            pi.status = PiStatus::RequiresCapture;
            pi.amount_capturable = pi.amount;
        } else {
            pi.status = PiStatus::Succeeded;
            pi.amount_received = pi.amount;
        }
        let amount = pi.amount;
        if let Some(charge) = self.charges.get_mut(charge_id) {
            charge.status = "succeeded".into();
            charge.captured = !manual;
            charge.amount_captured = if manual { 0 } else { amount };
            charge.refunds_fail = card == CardAfterPayment::RefundsFail;
        }
        self.touch(ObjectKind::PaymentIntent, pi_id);
        self.touch(ObjectKind::Charge, charge_id);
        let charge = self.charge_json(charge_id);
        self.emit("charge.succeeded", charge, None);
        let pi = self.pi_json(pi_id);
        if manual {
            self.emit(
                "payment_intent.amount_capturable_updated",
                pi,
                Some(previous),
            );
        } else {
            self.emit("payment_intent.succeeded", pi, Some(previous));
        }
        if card == CardAfterPayment::Disputed {
            self.scheduled.push(Scheduled::OpenDispute {
                charge: charge_id.to_string(),
            });
        }
        self.follow_checkout(pi_id);
    }

    pub(super) fn decline(&mut self, pi_id: &str, pm_id: &str, decline: &Decline) {
        let charge_id = self.new_charge(pi_id, pm_id, "failed");
        self.fail_charge(pi_id, &charge_id, decline);
    }

    fn fail_charge(&mut self, pi_id: &str, charge_id: &str, decline: &Decline) {
        if let Some(charge) = self.charges.get_mut(charge_id) {
            charge.status = "failed".into();
            charge.failure_code = Some(decline.code.clone());
            charge.failure_message = Some(decline.message.clone());
            charge.decline_code = Some(decline.decline_code.clone());
        }
        let pm_json = self
            .charges
            .get(charge_id)
            .and_then(|c| self.payment_methods.get(&c.payment_method))
            .map(PaymentMethod::to_json)
            .unwrap_or(Value::Null);
        let mut error = json!({
            "type": "card_error",
            "code": decline.code,
            "decline_code": decline.decline_code,
            "message": decline.message,
            "charge": charge_id,
            "payment_method": pm_json,
            "doc_url": format!("https://stripe.com/docs/error-codes/{}", decline.code.replace('_', "-")),
            "advice_code": if decline.decline_code == "insufficient_funds" { "try_again_later" } else { "do_not_try_again" },
        });
        if let Some(param) = &decline.param {
            error["param"] = json!(param);
        }
        let Some(pi) = self.payment_intents.get_mut(pi_id) else {
            return;
        };
        let previous = json!({"status": pi.status.as_str()});
        pi.status = PiStatus::RequiresPaymentMethod;
        pi.last_payment_error = Some(error);
        pi.next_action = None;
        pi.pending_authentication = None;
        self.touch(ObjectKind::PaymentIntent, pi_id);
        self.touch(ObjectKind::Charge, charge_id);
        let charge = self.charge_json(charge_id);
        self.emit("charge.failed", charge, None);
        let pi = self.pi_json(pi_id);
        self.emit("payment_intent.payment_failed", pi, Some(previous));
        self.follow_checkout(pi_id);
    }

    pub(super) fn start_processing(&mut self, pi_id: &str, pm_id: &str, succeeds: bool) {
        let charge_id = self.new_charge(pi_id, pm_id, "pending");
        let Some(pi) = self.payment_intents.get_mut(pi_id) else {
            return;
        };
        let previous = json!({"status": pi.status.as_str()});
        pi.status = PiStatus::Processing;
        self.touch(ObjectKind::PaymentIntent, pi_id);
        let charge = self.charge_json(&charge_id);
        self.emit("charge.pending", charge, None);
        let pi = self.pi_json(pi_id);
        self.emit("payment_intent.processing", pi, Some(previous));
        self.scheduled.push(Scheduled::FinishProcessing {
            payment_intent: pi_id.to_string(),
            succeeds,
        });
        self.follow_checkout(pi_id);
    }

    /// A payment left `processing` finishes.
    pub(super) fn finish_processing(&mut self, payment_intent: &str, succeeds: bool) {
        let Some(pi) = self.payment_intents.get(payment_intent) else {
            return;
        };
        if pi.status != PiStatus::Processing {
            return;
        }
        let charge_id = pi.latest_charge.clone().unwrap_or_default();
        if succeeds {
            self.settle(payment_intent, &charge_id, CardAfterPayment::Normal);
        } else {
            let decline = Decline::new(
                "card_declined",
                "generic_decline",
                cards::GENERIC_DECLINE,
                None,
            );
            self.fail_charge(payment_intent, &charge_id, &decline);
        }
    }
}
