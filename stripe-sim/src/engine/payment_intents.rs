//! PaymentIntents: create, update, cancel, capture, and how they render
//! (https://docs.stripe.com/api/payment_intents). Confirming one is in `confirm`.

use super::confirm::{automatic_enabled, redirects_allowed, return_url_required};
use super::confirmation_tokens::TokenTarget;
use super::currency::{check_amount, check_currency};
use super::params::{check_email, newest_first, page};
use super::{Account, ApiResult, ObjectKind, Params};
use crate::model::{ApiError, PaymentIntent, PiStatus, View};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const CREATE_PARAMS: &[&str] = &[
    "amount",
    "currency",
    "automatic_payment_methods",
    "metadata",
    "receipt_email",
    "description",
    "capture_method",
    "confirmation_method",
    "customer",
    "payment_method",
    "payment_method_types",
    "confirm",
    "return_url",
    "error_on_requires_action",
    "off_session",
    "use_stripe_sdk",
    "setup_future_usage",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "expand",
    "payment_method_options",
    "mandate_data",
    "confirmation_token",
];

const CANCEL_REASONS: &[&str] = &[
    "abandoned",
    "duplicate",
    "fraudulent",
    "requested_by_customer",
];

impl Account {
    pub fn pi_json(&self, id: &str) -> Value {
        self.payment_intents
            .get(id)
            .map(|pi| pi.to_json(View::Secret))
            .unwrap_or(Value::Null)
    }

    pub fn payment_intent(&self, id: &str) -> Result<&PaymentIntent, ApiError> {
        self.payment_intents
            .get(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id))
    }

    /// Renders a PaymentIntent, expanding `latest_charge` / `payment_method` when asked.
    pub fn render_pi(&self, id: &str, view: View, expand: &[String]) -> ApiResult {
        let pi = self.payment_intent(id)?;
        let mut v = pi.to_json(view);
        if view == View::Secret {
            if expand.iter().any(|e| e == "latest_charge") {
                if let Some(c) = &pi.latest_charge {
                    v["latest_charge"] = self.charge_json(c);
                }
            }
            if expand.iter().any(|e| e == "payment_method") {
                if let Some(pm) = pi
                    .payment_method
                    .as_ref()
                    .and_then(|p| self.payment_methods.get(p))
                {
                    v["payment_method"] = pm.to_json();
                }
            }
        }
        Ok(v)
    }

    pub fn create_payment_intent(&mut self, p: &Params, base_url: &str) -> ApiResult {
        p.only(CREATE_PARAMS)?;
        let currency = check_currency(
            p.non_empty("currency")
                .ok_or_else(|| ApiError::missing("currency"))?,
        )?;
        let amount = p
            .int("amount")?
            .ok_or_else(|| ApiError::missing("amount"))?;
        check_amount(amount, &currency)?;
        let capture_method = p
            .one_of(
                "capture_method",
                &["automatic", "automatic_async", "manual"],
            )?
            .unwrap_or_else(|| "automatic_async".into());
        let confirmation_method = p
            .one_of("confirmation_method", &["automatic", "manual"])?
            .unwrap_or_else(|| "automatic".into());
        let automatic = match p.0.get("automatic_payment_methods") {
            Some(v) => {
                let ap = Params(v);
                let enabled = ap
                    .bool("enabled")?
                    .ok_or_else(|| ApiError::missing("automatic_payment_methods[enabled]"))?;
                let redirects = ap
                    .one_of("allow_redirects", &["always", "never"])?
                    .unwrap_or_else(|| "always".into());
                Some(json!({"allow_redirects": redirects, "enabled": enabled}))
            }
            None => None,
        };
        let payment_method_types = match p.0.get("payment_method_types") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => vec!["card".to_string()],
        };
        if let Some(email) = p.non_empty("receipt_email") {
            check_email(email)?;
        }
        let mut metadata = BTreeMap::new();
        p.metadata_into(&mut metadata)?;
        if let Some(token_id) = p.non_empty("confirmation_token") {
            // Everything the confirmation will check, before the PaymentIntent exists: a bad
            // token creates nothing.
            if p.bool("confirm")? != Some(true) {
                return Err(ApiError::invalid(
                    "A confirmation_token can only be used with confirm=true.",
                )
                .param("confirmation_token"));
            }
            let target = TokenTarget {
                currency: &currency,
                setup_future_usage: p.non_empty("setup_future_usage"),
                capture_method: &capture_method,
                payment_method_types: &payment_method_types,
                automatic_payment_methods: automatic_enabled(&automatic),
            };
            let token = self.usable_token(token_id, &target)?;
            p.bool("error_on_requires_action")?;
            p.bool("use_stripe_sdk")?;
            if redirects_allowed(&automatic)
                && p.non_empty("return_url").is_none()
                && token.return_url.is_none()
            {
                return Err(return_url_required());
            }
        }
        let payment_method = match p.non_empty("payment_method") {
            Some(pm) => Some(self.resolve_payment_method(pm)?),
            None => None,
        };
        let id = self.new_id("pi");
        let secret_tail = self.new_id("secret");
        let seq = self
            .payment_intents
            .values()
            .map(|pi| pi.seq)
            .max()
            .unwrap_or(0)
            + 1;
        let pi = PaymentIntent {
            seq,
            client_secret: format!("{id}_{secret_tail}"),
            id: id.clone(),
            amount,
            currency,
            status: if payment_method.is_some() {
                PiStatus::RequiresConfirmation
            } else {
                PiStatus::RequiresPaymentMethod
            },
            capture_method,
            confirmation_method,
            created: self.now(),
            metadata,
            description: p.non_empty("description").map(String::from),
            receipt_email: p.non_empty("receipt_email").map(String::from),
            automatic_payment_methods: automatic,
            payment_method_types,
            payment_method,
            last_payment_error: None,
            next_action: None,
            latest_charge: None,
            amount_received: 0,
            amount_capturable: 0,
            canceled_at: None,
            cancellation_reason: None,
            shipping: p.0.get("shipping").cloned(),
            statement_descriptor: p.non_empty("statement_descriptor").map(String::from),
            statement_descriptor_suffix: p
                .non_empty("statement_descriptor_suffix")
                .map(String::from),
            setup_future_usage: p.non_empty("setup_future_usage").map(String::from),
            customer: p.non_empty("customer").map(String::from),
            pending_authentication: None,
        };
        self.payment_intents.insert(id.clone(), pi);
        self.touch(ObjectKind::PaymentIntent, &id);
        let created = self.pi_json(&id);
        self.emit("payment_intent.created", created, None);
        if p.bool("confirm")? == Some(true) {
            return self.confirm_payment_intent(&id, p, View::Secret, base_url);
        }
        self.render_pi(&id, View::Secret, &p.expand())
    }

    /// `GET /v1/payment_intents` (https://docs.stripe.com/api/payment_intents/list): newest
    /// first, filtered by `created` and `customer`, paged with `starting_after`/`ending_before`
    /// and `limit` like every list.
    pub fn list_payment_intents(&self, p: &Params) -> ApiResult {
        p.only(&[
            "created",
            "customer",
            "ending_before",
            "expand",
            "limit",
            "starting_after",
        ])?;
        let created = p.created()?;
        let customer = p.non_empty("customer");
        let mut all: Vec<&PaymentIntent> = self.payment_intents.values().collect();
        all.sort_by(|a, b| newest_first((a.created, a.seq, &a.id), (b.created, b.seq, &b.id)));
        let keep = |pi: &PaymentIntent| {
            customer.is_none_or(|c| pi.customer.as_deref() == Some(c))
                && created.matches(pi.created)
        };
        let (data, has_more) = page(&all, |pi| &pi.id, keep, p, "payment_intent")?;
        let data: Vec<Value> = data
            .into_iter()
            .map(|pi| pi.to_json(View::Secret))
            .collect();
        Ok(
            json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/payment_intents"}),
        )
    }

    pub fn update_payment_intent(&mut self, id: &str, p: &Params) -> ApiResult {
        p.only(&[
            "amount",
            "currency",
            "metadata",
            "description",
            "receipt_email",
            "payment_method",
            "capture_method",
            "shipping",
            "setup_future_usage",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "expand",
            "payment_method_types",
            "customer",
        ])?;
        let status = self.payment_intent(id)?.status;
        if matches!(
            status,
            PiStatus::Succeeded | PiStatus::Canceled | PiStatus::Processing
        ) {
            return Err(ApiError::invalid(format!(
                "This PaymentIntent's {} could not be updated because it has a status of {}. You may only update the {} of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.",
                "amount", status.as_str(), "amount"
            ))
            .code("payment_intent_unexpected_state"));
        }
        let currency = match p.non_empty("currency") {
            Some(c) => Some(check_currency(c)?),
            None => None,
        };
        let amount = p.int("amount")?;
        let pm = match p.non_empty("payment_method") {
            Some(pm) => Some(self.resolve_payment_method(pm)?),
            None => None,
        };
        if let Some(email) = p.non_empty("receipt_email") {
            check_email(email)?;
        }
        let capture = p.one_of(
            "capture_method",
            &["automatic", "automatic_async", "manual"],
        )?;
        let pi = self
            .payment_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id))?;
        let new_currency = currency.unwrap_or_else(|| pi.currency.clone());
        let new_amount = amount.unwrap_or(pi.amount);
        check_amount(new_amount, &new_currency)?;
        let mut metadata = pi.metadata.clone();
        p.metadata_into(&mut metadata)?;
        pi.metadata = metadata;
        pi.amount = new_amount;
        pi.currency = new_currency;
        if let Some(d) = p.str("description") {
            pi.description = (!d.is_empty()).then(|| d.to_string());
        }
        if let Some(e) = p.str("receipt_email") {
            pi.receipt_email = (!e.is_empty()).then(|| e.to_string());
        }
        if let Some(c) = capture {
            pi.capture_method = c;
        }
        if let Some(s) = p.0.get("shipping") {
            pi.shipping = Some(s.clone());
        }
        if let Some(s) = p.str("statement_descriptor_suffix") {
            pi.statement_descriptor_suffix = (!s.is_empty()).then(|| s.to_string());
        }
        pi.last_payment_error = None;
        if let Some(pm) = pm {
            pi.payment_method = Some(pm);
            pi.status = PiStatus::RequiresConfirmation;
            pi.next_action = None;
            pi.pending_authentication = None;
        } else if pi.status == PiStatus::RequiresAction && (amount.is_some() || currency_changed(p))
        {
            // The authentication was for the old amount.
            pi.status = PiStatus::RequiresPaymentMethod;
            pi.next_action = None;
            pi.pending_authentication = None;
            pi.payment_method = None;
        }
        self.touch(ObjectKind::PaymentIntent, id);
        self.render_pi(id, View::Secret, &p.expand())
    }

    pub fn cancel_payment_intent(&mut self, id: &str, p: &Params) -> ApiResult {
        p.only(&["cancellation_reason", "expand"])?;
        let reason = p.one_of("cancellation_reason", CANCEL_REASONS)?;
        let now = self.now();
        let pi = self
            .payment_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id))?;
        if matches!(
            pi.status,
            PiStatus::Succeeded | PiStatus::Canceled | PiStatus::Processing
        ) {
            let message = format!(
                "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action.",
                pi.status.as_str()
            );
            let pi_json = pi.to_json(View::Secret);
            return Err(ApiError::invalid(message)
                .code("payment_intent_unexpected_state")
                .with("payment_intent", pi_json));
        }
        let previous = json!({"status": pi.status.as_str()});
        let released = pi.status == PiStatus::RequiresCapture;
        pi.status = PiStatus::Canceled;
        pi.canceled_at = Some(now);
        pi.cancellation_reason = reason;
        pi.next_action = None;
        pi.pending_authentication = None;
        pi.amount_capturable = 0;
        let charge_id = pi.latest_charge.clone();
        self.touch(ObjectKind::PaymentIntent, id);
        if released {
            // The authorisation is released: the uncaptured charge shows as refunded.
            if let Some(charge) = charge_id.as_ref().and_then(|c| self.charges.get_mut(c)) {
                charge.amount_refunded = charge.amount;
                let cid = charge.id.clone();
                self.touch(ObjectKind::Charge, &cid);
            }
        }
        let pi_json = self.pi_json(id);
        self.emit("payment_intent.canceled", pi_json, Some(previous));
        self.render_pi(id, View::Secret, &p.expand())
    }

    pub fn capture_payment_intent(&mut self, id: &str, p: &Params) -> ApiResult {
        p.only(&[
            "amount_to_capture",
            "metadata",
            "expand",
            "statement_descriptor",
            "statement_descriptor_suffix",
        ])?;
        let to_capture = p.int("amount_to_capture")?;
        let pi = self
            .payment_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id))?;
        if pi.status != PiStatus::RequiresCapture {
            let message = format!(
                "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                pi.status.as_str()
            );
            return Err(ApiError::invalid(message).code("payment_intent_unexpected_state"));
        }
        let amount = to_capture.unwrap_or(pi.amount_capturable);
        if amount < 1 || amount > pi.amount_capturable {
            return Err(ApiError::invalid(format!(
                "The amount to capture must be between 1 and {} (the amount capturable).",
                pi.amount_capturable
            ))
            .param("amount_to_capture"));
        }
        let previous = json!({"status": "requires_capture", "amount_received": 0});
        pi.status = PiStatus::Succeeded;
        pi.amount_received = amount;
        pi.amount_capturable = 0;
        let mut metadata = pi.metadata.clone();
        p.metadata_into(&mut metadata)?;
        pi.metadata = metadata;
        let charge_id = pi.latest_charge.clone().unwrap_or_default();
        if let Some(charge) = self.charges.get_mut(&charge_id) {
            charge.captured = true;
            charge.amount_captured = amount;
            // A partial capture releases the rest.
            charge.amount_refunded = charge.amount - amount;
        }
        self.touch(ObjectKind::PaymentIntent, id);
        self.touch(ObjectKind::Charge, &charge_id);
        let charge = self.charge_json(&charge_id);
        self.emit("charge.captured", charge, None);
        let pi_json = self.pi_json(id);
        self.emit("payment_intent.succeeded", pi_json, Some(previous));
        self.render_pi(id, View::Secret, &p.expand())
    }
}

fn currency_changed(p: &Params) -> bool {
    p.non_empty("currency").is_some()
}
