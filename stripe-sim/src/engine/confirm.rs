//! Confirming a PaymentIntent: what the card does, and 3-D Secure
//! (https://docs.stripe.com/api/payment_intents/confirm, https://docs.stripe.com/payments/3d-secure).

use super::charges::CardAfterPayment;
use super::confirmation_tokens::TokenTarget;
use super::params::check_email;
use super::{Account, ApiResult, ObjectKind, Params};
use crate::cards::{self, Behaviour, Decline};
use crate::model::{ApiError, PaymentMethod, PiStatus, View};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const AUTH_FAILURE_MESSAGE: &str =
    "We are unable to authenticate your payment method. Please choose a different payment method and try again.";

/// What completing a 3-D Secure challenge leads to.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "StoredAfterAuth", into = "StoredAfterAuth")]
pub enum AfterAuth {
    Succeed(CardAfterPayment),
    Decline(Decline),
}

impl AfterAuth {
    fn into_behaviour(self) -> Behaviour {
        match self {
            AfterAuth::Succeed(CardAfterPayment::Normal) => Behaviour::Succeed,
            AfterAuth::Succeed(CardAfterPayment::Disputed) => Behaviour::SucceedThenDispute,
            AfterAuth::Succeed(CardAfterPayment::RefundsFail) => Behaviour::SucceedRefundFails,
            AfterAuth::Decline(decline) => Behaviour::Decline(decline),
        }
    }
}

/// `AfterAuth` as it is persisted with a PaymentIntent awaiting 3-D Secure. This shape is what
/// stored accounts hold, so it stays as it is.
#[derive(Serialize, Deserialize)]
enum StoredAfterAuth {
    Succeed { dispute: bool, refunds_fail: bool },
    Decline(Decline),
}

impl From<StoredAfterAuth> for AfterAuth {
    fn from(stored: StoredAfterAuth) -> Self {
        match stored {
            StoredAfterAuth::Succeed { dispute: true, .. } => {
                AfterAuth::Succeed(CardAfterPayment::Disputed)
            }
            StoredAfterAuth::Succeed {
                refunds_fail: true, ..
            } => AfterAuth::Succeed(CardAfterPayment::RefundsFail),
            StoredAfterAuth::Succeed { .. } => AfterAuth::Succeed(CardAfterPayment::Normal),
            StoredAfterAuth::Decline(decline) => AfterAuth::Decline(decline),
        }
    }
}

impl From<AfterAuth> for StoredAfterAuth {
    fn from(after: AfterAuth) -> Self {
        match after {
            AfterAuth::Succeed(card) => StoredAfterAuth::Succeed {
                dispute: card == CardAfterPayment::Disputed,
                refunds_fail: card == CardAfterPayment::RefundsFail,
            },
            AfterAuth::Decline(decline) => StoredAfterAuth::Decline(decline),
        }
    }
}

impl Account {
    pub fn confirm_payment_intent(
        &mut self,
        id: &str,
        p: &Params,
        view: View,
        base_url: &str,
    ) -> ApiResult {
        let pi = self.payment_intent(id)?;
        if !matches!(
            pi.status,
            PiStatus::RequiresPaymentMethod | PiStatus::RequiresConfirmation
        ) {
            let pi_json = pi.to_json(view);
            let message = match pi.status {
                PiStatus::Succeeded => "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.".to_string(),
                status => format!(
                    "You cannot confirm this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method.",
                    status.as_str()
                ),
            };
            return Err(ApiError::invalid(message)
                .code("payment_intent_unexpected_state")
                .with("payment_intent", pi_json));
        }
        // A ConfirmationToken is checked before anything changes; request parameters beat
        // its values (https://docs.stripe.com/api/payment_intents/confirm#confirm_payment_intent-confirmation_token).
        let token = match p.non_empty("confirmation_token") {
            Some(token_id) => {
                let pi = self.payment_intent(id)?;
                let target = TokenTarget {
                    currency: &pi.currency,
                    setup_future_usage: pi.setup_future_usage.as_deref(),
                    capture_method: &pi.capture_method,
                    payment_method_types: &pi.payment_method_types,
                    automatic_payment_methods: automatic_enabled(&pi.automatic_payment_methods),
                };
                Some(self.usable_token(token_id, &target)?)
            }
            None => None,
        };
        let requested_pm = match p
            .non_empty("payment_method")
            .or(token.as_ref().map(|t| t.payment_method.as_str()))
        {
            Some(pm) => Some(self.resolve_payment_method(pm)?),
            None => None,
        };
        let pi = self.payment_intent(id)?;
        let Some(pm_id) = requested_pm.or_else(|| pi.payment_method.clone()) else {
            return Err(ApiError::invalid("You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with cus_, specify a payment method attached to this customer along with the customer ID.")
                .code("payment_intent_unexpected_state")
                .with("payment_intent", pi.to_json(view)));
        };
        let return_url = p
            .non_empty("return_url")
            .map(String::from)
            .or_else(|| token.as_ref().and_then(|t| t.return_url.clone()));
        let redirects_allowed = redirects_allowed(&pi.automatic_payment_methods);
        let use_stripe_sdk = p.bool("use_stripe_sdk")?;
        // A token's `use_stripe_sdk` does not stand in for the `return_url`: the token or the
        // request must bring one.
        if view == View::Secret
            && redirects_allowed
            && return_url.is_none()
            && (token.is_some() || use_stripe_sdk != Some(true))
        {
            return Err(return_url_required());
        }
        if let Some(email) = p.non_empty("receipt_email") {
            check_email(email)?;
        }
        let number = self
            .payment_methods
            .get(&pm_id)
            .map(|pm| pm.number.clone())
            .unwrap_or_default();
        // With manual confirmation, a completed challenge waits for the server to confirm again.
        let authenticated = self
            .payment_intents
            .get(id)
            .filter(|pi| {
                pi.status == PiStatus::RequiresConfirmation
                    && pi.payment_method.as_deref() == Some(pm_id.as_str())
            })
            .and_then(|pi| pi.pending_authentication.clone());
        let behaviour = match authenticated {
            Some(after) => after.into_behaviour(),
            None => cards::by_number(&number)
                .map(|c| c.behaviour())
                .unwrap_or(Behaviour::Succeed),
        };
        let error_on_requires_action = p.bool("error_on_requires_action")? == Some(true);
        let token_sdk =
            token.as_ref().is_some_and(|t| t.use_stripe_sdk) && use_stripe_sdk != Some(false);
        let use_sdk = view == View::Publishable
            || use_stripe_sdk == Some(true)
            || token_sdk
            || return_url.is_none();
        // From here on the confirmation happens: the token is spent even if the card declines.
        if let Some(token) = &token {
            self.use_token(&token.id, id);
        }
        {
            let pi = self
                .payment_intents
                .get_mut(id)
                .ok_or_else(|| ApiError::not_found("payment_intent", id))?;
            pi.payment_method = Some(pm_id.clone());
            pi.last_payment_error = None;
            pi.next_action = None;
            if let Some(email) = p.non_empty("receipt_email") {
                pi.receipt_email = Some(email.to_string());
            }
            if let Some(shipping) = p.0.get("shipping") {
                pi.shipping = Some(shipping.clone());
            } else if let Some(shipping) = token.as_ref().and_then(|t| t.shipping.clone()) {
                let mut shipping = shipping;
                shipping["carrier"] = Value::Null;
                shipping["tracking_number"] = Value::Null;
                pi.shipping = Some(shipping);
            }
            if pi.setup_future_usage.is_none() {
                if let Some(sfu) = token.as_ref().and_then(|t| t.setup_future_usage.clone()) {
                    pi.setup_future_usage = Some(sfu);
                }
            }
        }
        self.touch(ObjectKind::PaymentIntent, id);
        match behaviour {
            Behaviour::Succeed => self.pay(id, &pm_id, CardAfterPayment::Normal),
            Behaviour::SucceedThenDispute => self.pay(id, &pm_id, CardAfterPayment::Disputed),
            Behaviour::SucceedRefundFails => self.pay(id, &pm_id, CardAfterPayment::RefundsFail),
            Behaviour::Decline(decline) => self.decline(id, &pm_id, &decline),
            Behaviour::Processing { succeeds } => self.start_processing(id, &pm_id, succeeds),
            Behaviour::ThreeDSecure(then) => {
                if error_on_requires_action {
                    let decline = Decline::new(
                        "authentication_required",
                        "authentication_not_handled",
                        "Your card was declined. This transaction requires authentication.",
                        None,
                    );
                    self.decline(id, &pm_id, &decline)
                } else {
                    self.require_action(id, *then, use_sdk, return_url, base_url)
                }
            }
        }
        let pi = self.payment_intent(id)?;
        match &pi.last_payment_error {
            // Declines answer 402 with the error and the PaymentIntent inside it.
            Some(error) if pi.status == PiStatus::RequiresPaymentMethod => {
                let mut body = json!({"error": error.clone()});
                body["error"]["payment_intent"] = pi.to_json(view);
                Err(ApiError { status: 402, body })
            }
            _ => self.render_pi(id, view, &p.expand()),
        }
    }

    fn require_action(
        &mut self,
        pi_id: &str,
        then: Behaviour,
        use_sdk: bool,
        return_url: Option<String>,
        base_url: &str,
    ) {
        let after = match then {
            Behaviour::Decline(d) => AfterAuth::Decline(d),
            other => AfterAuth::Succeed(CardAfterPayment::of(&other)),
        };
        let source = self.new_id("src");
        let Some(pi) = self.payment_intents.get_mut(pi_id) else {
            return;
        };
        let previous = json!({"status": pi.status.as_str()});
        pi.status = PiStatus::RequiresAction;
        pi.pending_authentication = Some(after);
        pi.next_action = Some(match (use_sdk, return_url) {
            (false, Some(return_url)) => json!({
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": format!("{base_url}/_sim/3ds/{pi_id}/redirect?client_secret={}&return_url={}", pi.client_secret, urlencode(&return_url)),
                    "return_url": return_url
                }
            }),
            _ => json!({
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "source": source, "stripe_js": format!("{base_url}/v3/three-ds-challenge.html")}
            }),
        });
        self.touch(ObjectKind::PaymentIntent, pi_id);
        let pi = self.pi_json(pi_id);
        self.emit("payment_intent.requires_action", pi, Some(previous));
    }

    /// The shopper completes (`true`) or fails the 3-D Secure challenge.
    pub fn authenticate(&mut self, pi_id: &str, complete: bool, view: View) -> ApiResult {
        let pi = self.payment_intent(pi_id)?;
        if pi.status != PiStatus::RequiresAction {
            return Err(ApiError::invalid(format!(
                "This PaymentIntent has no authentication to complete: its status is {}.",
                pi.status.as_str()
            ))
            .code("payment_intent_unexpected_state"));
        }
        let after = pi
            .pending_authentication
            .clone()
            .unwrap_or(AfterAuth::Succeed(CardAfterPayment::Normal));
        let pm_id = pi.payment_method.clone().unwrap_or_default();
        if !complete {
            let pm_json = self
                .payment_methods
                .get(&pm_id)
                .map(PaymentMethod::to_json)
                .unwrap_or(Value::Null);
            let pi = self
                .payment_intents
                .get_mut(pi_id)
                .ok_or_else(|| ApiError::not_found("payment_intent", pi_id))?;
            let previous = json!({"status": pi.status.as_str()});
            pi.status = PiStatus::RequiresPaymentMethod;
            pi.next_action = None;
            pi.pending_authentication = None;
            pi.last_payment_error = Some(json!({
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "message": AUTH_FAILURE_MESSAGE,
                "payment_method": pm_json,
                "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
            }));
            self.touch(ObjectKind::PaymentIntent, pi_id);
            let pi = self.pi_json(pi_id);
            self.emit("payment_intent.payment_failed", pi, Some(previous));
        } else if pi.confirmation_method == "manual" {
            let pi = self
                .payment_intents
                .get_mut(pi_id)
                .ok_or_else(|| ApiError::not_found("payment_intent", pi_id))?;
            pi.status = PiStatus::RequiresConfirmation;
            pi.next_action = None;
            self.touch(ObjectKind::PaymentIntent, pi_id);
        } else {
            match after {
                AfterAuth::Decline(decline) => self.decline(pi_id, &pm_id, &decline),
                AfterAuth::Succeed(card) => self.pay(pi_id, &pm_id, card),
            }
        }
        self.render_pi(pi_id, view, &[])
    }
}

/// Whether `automatic_payment_methods[enabled]` is on.
pub(super) fn automatic_enabled(automatic: &Option<Value>) -> bool {
    automatic
        .as_ref()
        .is_some_and(|a| a["enabled"] == json!(true))
}

/// Whether the PaymentIntent may use redirect-based methods (so a server confirm needs a
/// `return_url`).
pub(super) fn redirects_allowed(automatic: &Option<Value>) -> bool {
    automatic
        .as_ref()
        .is_some_and(|a| a["enabled"] == json!(true) && a["allow_redirects"] != json!("never"))
}

pub(super) fn return_url_required() -> ApiError {
    ApiError::invalid("This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.")
        .param("return_url")
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_authentication_is_stored_in_its_original_shape() {
        let cases = [
            (
                CardAfterPayment::Normal,
                json!({"Succeed": {"dispute": false, "refunds_fail": false}}),
            ),
            (
                CardAfterPayment::Disputed,
                json!({"Succeed": {"dispute": true, "refunds_fail": false}}),
            ),
            (
                CardAfterPayment::RefundsFail,
                json!({"Succeed": {"dispute": false, "refunds_fail": true}}),
            ),
        ];
        for (card, stored) in cases {
            assert_eq!(
                serde_json::to_value(AfterAuth::Succeed(card)).unwrap(),
                stored
            );
            let back: AfterAuth = serde_json::from_value(stored).unwrap();
            assert!(matches!(back, AfterAuth::Succeed(c) if c == card));
        }
        let decline = Decline::new("card_declined", "generic_decline", "Declined.", None);
        let stored = serde_json::to_value(AfterAuth::Decline(decline.clone())).unwrap();
        assert_eq!(stored["Decline"]["decline_code"], "generic_decline");
        let back: AfterAuth = serde_json::from_value(stored).unwrap();
        assert!(matches!(back, AfterAuth::Decline(d) if d == decline));
    }
}
