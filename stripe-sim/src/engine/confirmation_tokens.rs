//! ConfirmationTokens (https://docs.stripe.com/api/confirmation_tokens): created by Stripe.js
//! from a deferred-intent Elements group (https://docs.stripe.com/payments/finalize-payments-on-the-server)
//! or by the test helper (https://docs.stripe.com/api/confirmation_tokens/test_create), then
//! used once to confirm a PaymentIntent on the server.

use super::{Account, ApiResult, ObjectKind, Params};
use crate::model::{ApiError, ConfirmationToken, ElementsConfig};
use serde_json::{json, Map, Value};

/// How long an unused token lives by default: "if unused, it expires after 12 hours"
/// (https://docs.stripe.com/api/confirmation_tokens/object#confirmation_token_object-expires_at).
pub const DEFAULT_LIFETIME_SECS: i64 = 12 * 3600;

pub const ALREADY_USED_MESSAGE: &str = "This ConfirmationToken has already been used.";
pub const EXPIRED_MESSAGE: &str = "This ConfirmationToken has expired.";

const ADDRESS_KEYS: &[&str] = &["city", "country", "line1", "line2", "postal_code", "state"];
const BILLING_KEYS: &[&str] = &["address", "email", "name", "phone", "tax_id"];

/// What a PaymentIntent confirmed with a token will be: the token must fit it.
pub(super) struct TokenTarget<'a> {
    pub currency: &'a str,
    pub setup_future_usage: Option<&'a str>,
    pub capture_method: &'a str,
    pub payment_method_types: &'a [String],
    pub automatic_payment_methods: bool,
}

impl Account {
    fn confirmation_token(&self, id: &str) -> Result<&ConfirmationToken, ApiError> {
        self.confirmation_tokens
            .get(id)
            .ok_or_else(|| missing_token(id, 404))
    }

    pub fn render_confirmation_token(&self, id: &str) -> ApiResult {
        let token = self.confirmation_token(id)?;
        Ok(token.to_json(self.payment_methods.get(&token.payment_method)))
    }

    /// `GET /v1/confirmation_tokens/{id}`.
    pub fn retrieve_confirmation_token(&self, id: &str, p: &Params) -> ApiResult {
        p.only(&["expand"])?;
        self.render_confirmation_token(id)
    }

    /// The route Stripe.js uses (publishable key): the PaymentMethod its card frame just
    /// created, what `params` of `stripe.createConfirmationToken()` gave, and the Elements
    /// group's options as `elements[...]`.
    pub fn create_confirmation_token_from_elements(&mut self, p: &Params) -> ApiResult {
        p.only(&[
            "payment_method",
            "payment_method_data",
            "return_url",
            "shipping",
            "elements",
            "expand",
        ])?;
        let pm = p
            .non_empty("payment_method")
            .ok_or_else(|| ApiError::missing("payment_method"))?
            .to_string();
        let elements = elements_config(p)?;
        let billing = billing_details_of(p)?;
        let shipping = shipping_of(p)?;
        let return_url = p.non_empty("return_url").map(String::from);
        let pm = self.resolve_payment_method(&pm)?;
        let sfu = elements.setup_future_usage.clone();
        self.store_token(pm, billing, return_url, sfu, shipping, None, Some(elements))
    }

    /// `POST /v1/test_helpers/confirmation_tokens` (secret test key).
    pub fn create_test_confirmation_token(&mut self, p: &Params) -> ApiResult {
        p.only(&[
            "payment_method",
            "payment_method_data",
            "payment_method_options",
            "return_url",
            "setup_future_usage",
            "shipping",
            "expand",
        ])?;
        let setup_future_usage = match p.str("setup_future_usage") {
            None | Some("") => None,
            Some(_) => p.one_of("setup_future_usage", &["off_session", "on_session"])?,
        };
        let billing = billing_details_of(p)?;
        let shipping = shipping_of(p)?;
        let options = payment_method_options_of(p)?;
        let return_url = p.non_empty("return_url").map(String::from);
        let data = p.0.get("payment_method_data");
        let pm = match (p.non_empty("payment_method"), data) {
            (Some(pm), _) => self.resolve_payment_method(pm)?,
            (None, Some(data)) => {
                let data = Params(data);
                data.only(&[
                    "type",
                    "card",
                    "billing_details",
                    "allow_redisplay",
                    "metadata",
                    "radar_options",
                ])?;
                if data.str("type") != Some("card") {
                    return Err(ApiError::invalid(
                        "Only payment_method_data[type]=card is simulated.",
                    )
                    .param("payment_method_data[type]"));
                }
                let card = data
                    .0
                    .get("card")
                    .ok_or_else(|| ApiError::missing("payment_method_data[card]"))?;
                if !card.is_object() {
                    return Err(
                        ApiError::invalid("Invalid hash").param("payment_method_data[card]")
                    );
                }
                let mut pm_params = json!({"type": "card", "card": card.clone()});
                if let Some(b) = data.0.get("billing_details") {
                    pm_params["billing_details"] = b.clone();
                }
                let created = self.create_payment_method(&Params(&pm_params))?;
                created["id"].as_str().unwrap_or_default().to_string()
            }
            (None, None) => return Err(ApiError::missing("payment_method")),
        };
        self.store_token(
            pm,
            billing,
            return_url,
            setup_future_usage,
            shipping,
            options,
            None,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn store_token(
        &mut self,
        payment_method: String,
        billing_details: Option<Value>,
        return_url: Option<String>,
        setup_future_usage: Option<String>,
        shipping: Option<Value>,
        payment_method_options: Option<Value>,
        elements: Option<ElementsConfig>,
    ) -> ApiResult {
        let id = self.new_id("ctoken");
        let created = self.now();
        let token = ConfirmationToken {
            id: id.clone(),
            created,
            expires_at: Some(created.saturating_add(self.confirmation_token_lifetime)),
            payment_method,
            billing_details,
            payment_intent: None,
            return_url,
            setup_future_usage,
            shipping,
            payment_method_options,
            use_stripe_sdk: true,
            elements,
        };
        self.confirmation_tokens.insert(id.clone(), token);
        self.touch(ObjectKind::ConfirmationToken, &id);
        self.render_confirmation_token(&id)
    }

    /// The token `id` if a PaymentIntent like `target` may be confirmed with it now: it exists,
    /// is unused and unexpired, and its Elements options match the PaymentIntent's
    /// (https://docs.stripe.com/payments/finalize-payments-on-the-server#create-pi: "the
    /// PaymentIntent must have the same … as the Elements instance"). Changes nothing.
    pub(super) fn usable_token(
        &self,
        id: &str,
        target: &TokenTarget,
    ) -> Result<ConfirmationToken, ApiError> {
        let token = self
            .confirmation_tokens
            .get(id)
            .ok_or_else(|| missing_token(id, 400))?;
        if token.payment_intent.is_some() {
            return Err(ApiError::invalid(ALREADY_USED_MESSAGE)
                .code("confirmation_token_already_used")
                .param("confirmation_token"));
        }
        if token.expires_at.is_some_and(|t| self.now() >= t) {
            return Err(ApiError::invalid(EXPIRED_MESSAGE)
                .code("confirmation_token_expired")
                .param("confirmation_token"));
        }
        if !self.payment_methods.contains_key(&token.payment_method) {
            return Err(ApiError::not_found("PaymentMethod", &token.payment_method)
                .param("confirmation_token"));
        }
        if let Some(elements) = &token.elements {
            check_elements(elements, target)?;
        }
        Ok(token.clone())
    }

    /// Marks a token used by PaymentIntent `pi`: from now on it confirms nothing else.
    pub(super) fn use_token(&mut self, id: &str, pi: &str) {
        if let Some(token) = self.confirmation_tokens.get_mut(id) {
            token.payment_intent = Some(pi.to_string());
            token.expires_at = None;
            self.touch(ObjectKind::ConfirmationToken, id);
        }
    }
}

fn missing_token(id: &str, status: u16) -> ApiError {
    let mut e = ApiError::not_found("confirmationtoken", id).param("confirmation_token");
    e.status = status;
    e
}

/// The mismatch errors Stripe answers when the PaymentIntent differs from the Elements options
/// the token was made with.
fn mismatch(field: &str, provided: Option<&str>, expected: Option<&str>) -> ApiError {
    let show = |v: Option<&str>| v.unwrap_or("null").to_string();
    let message = if field == "currency" {
        format!(
            "The provided currency ({}) does not match the expected currency ({}).",
            show(provided),
            show(expected)
        )
    } else {
        format!(
            "The provided {field} ({}) does not match the expected {field} ({}). Try confirming with a Payment Intent that is configured to use the same parameters as the Stripe Elements.",
            show(provided),
            show(expected)
        )
    };
    ApiError::invalid(message)
}

fn check_elements(elements: &ElementsConfig, target: &TokenTarget) -> Result<(), ApiError> {
    if let Some(currency) = &elements.currency {
        if currency != target.currency {
            return Err(mismatch(
                "currency",
                Some(target.currency),
                Some(currency.as_str()),
            ));
        }
    }
    if elements.setup_future_usage.as_deref() != target.setup_future_usage {
        return Err(mismatch(
            "setup_future_usage",
            target.setup_future_usage,
            elements.setup_future_usage.as_deref(),
        ));
    }
    // Elements' `captureMethod` defaults to automatic; `automatic` and `automatic_async`
    // both capture at once, so only manual against not-manual is a mismatch.
    let expected = elements.capture_method.as_deref().unwrap_or("automatic");
    if (expected == "manual") != (target.capture_method == "manual") {
        return Err(mismatch(
            "capture_method",
            Some(target.capture_method),
            Some(expected),
        ));
    }
    if let Some(types) = &elements.payment_method_types {
        let offered = !target.automatic_payment_methods
            && types
                .iter()
                .any(|t| !target.payment_method_types.contains(t));
        if offered {
            return Err(mismatch(
                "payment_method_types",
                Some(&format!("[{}]", target.payment_method_types.join(", "))),
                Some(&format!("[{}]", types.join(", "))),
            ));
        }
    }
    Ok(())
}

/// `elements[mode|amount|currency|capture_method|setup_future_usage|payment_method_types][]`.
fn elements_config(p: &Params) -> Result<ElementsConfig, ApiError> {
    let Some(raw) = p.0.get("elements") else {
        return Ok(ElementsConfig::default());
    };
    let e = Params(raw);
    if !raw.is_object() {
        return Err(ApiError::invalid("Invalid hash").param("elements"));
    }
    e.only(&[
        "mode",
        "amount",
        "currency",
        "capture_method",
        "setup_future_usage",
        "payment_method_types",
    ])
    .map_err(|err| prefixed(err, "elements"))?;
    let nested = |r: Result<Option<String>, ApiError>| r.map_err(|err| prefixed(err, "elements"));
    let mode = nested(e.one_of("mode", &["payment", "setup", "subscription"]))?;
    let amount = e.int("amount").map_err(|err| prefixed(err, "elements"))?;
    let currency = match e.non_empty("currency") {
        Some(c) => {
            Some(super::currency::check_currency(c).map_err(|err| prefixed(err, "elements"))?)
        }
        None => None,
    };
    let capture_method = match e.non_empty("capture_method") {
        Some(_) => nested(e.one_of(
            "capture_method",
            &["automatic", "automatic_async", "manual"],
        ))?,
        None => None,
    };
    let setup_future_usage = match e.non_empty("setup_future_usage") {
        Some(_) => nested(e.one_of("setup_future_usage", &["off_session", "on_session"]))?,
        None => None,
    };
    let payment_method_types = match raw.get("payment_method_types") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        ),
        Some(Value::String(s)) if s.is_empty() => None,
        Some(_) => {
            return Err(ApiError::invalid("Invalid array").param("elements[payment_method_types]"))
        }
    };
    Ok(ElementsConfig {
        mode,
        amount,
        currency,
        capture_method,
        setup_future_usage,
        payment_method_types,
    })
}

/// An error about a nested parameter, named in full (`elements[currency]`).
fn prefixed(err: ApiError, prefix: &str) -> ApiError {
    match err.body["error"]["param"].as_str() {
        Some(param) => {
            let full = match param.split_once('[') {
                Some((head, rest)) => format!("{prefix}[{head}][{rest}"),
                None => format!("{prefix}[{param}]"),
            };
            err.param(&full)
        }
        None => err,
    }
}

/// A flat hash of strings with only `keys`, named `name` in errors.
fn string_hash(value: &Value, keys: &[&str], name: &str) -> Result<Map<String, Value>, ApiError> {
    let Value::Object(map) = value else {
        return Err(ApiError::invalid("Invalid hash").param(name));
    };
    let mut out = Map::new();
    for (k, v) in map {
        if !keys.contains(&k.as_str()) {
            return Err(
                ApiError::invalid(format!("Received unknown parameter: {name}[{k}]"))
                    .param(&format!("{name}[{k}]")),
            );
        }
        if k == "address" {
            continue;
        }
        match v {
            Value::String(s) if s.is_empty() => out.insert(k.clone(), Value::Null),
            Value::String(s) => out.insert(k.clone(), json!(s)),
            _ => {
                return Err(ApiError::invalid("Invalid string").param(&format!("{name}[{k}]")));
            }
        };
    }
    Ok(out)
}

fn address_of(value: Option<&Value>, name: &str) -> Result<Option<Value>, ApiError> {
    // `address=` (what Stripe.js sends for `address: null`) is no address.
    let Some(value) = value.filter(|v| v.as_str() != Some("")) else {
        return Ok(None);
    };
    let given = string_hash(value, ADDRESS_KEYS, name)?;
    let mut address = Map::new();
    for k in ADDRESS_KEYS {
        address.insert(k.to_string(), given.get(*k).cloned().unwrap_or(Value::Null));
    }
    Ok(Some(Value::Object(address)))
}

/// `payment_method_data[billing_details][...]`: only what was given.
fn billing_details_of(p: &Params) -> Result<Option<Value>, ApiError> {
    let Some(data) = p.0.get("payment_method_data") else {
        return Ok(None);
    };
    if !data.is_object() {
        return Err(ApiError::invalid("Invalid hash").param("payment_method_data"));
    }
    let Some(billing) = data
        .get("billing_details")
        .filter(|v| v.as_str() != Some(""))
    else {
        return Ok(None);
    };
    let name = "payment_method_data[billing_details]";
    let mut out = string_hash(billing, BILLING_KEYS, name)?;
    if let Some(address) = address_of(billing.get("address"), &format!("{name}[address]"))? {
        // Only the address lines given replace the PaymentMethod's.
        let given: Map<String, Value> = address
            .as_object()
            .map(|a| {
                a.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        out.insert("address".into(), Value::Object(given));
    }
    Ok(Some(Value::Object(out)))
}

/// `shipping[name|phone]`, `shipping[address][...]`, rendered as Stripe does.
fn shipping_of(p: &Params) -> Result<Option<Value>, ApiError> {
    let Some(shipping) = p.0.get("shipping") else {
        return Ok(None);
    };
    if shipping.as_str() == Some("") {
        return Ok(None);
    }
    let given = string_hash(shipping, &["address", "name", "phone"], "shipping")?;
    let name = given
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("shipping[name]"))?;
    let address = address_of(shipping.get("address"), "shipping[address]")?
        .ok_or_else(|| ApiError::missing("shipping[address]"))?;
    Ok(Some(json!({
        "address": address,
        "name": name,
        "phone": given.get("phone").cloned().unwrap_or(Value::Null),
    })))
}

/// `payment_method_options[card][installments][plan][type|count|interval]`.
fn payment_method_options_of(p: &Params) -> Result<Option<Value>, ApiError> {
    let Some(options) = p.0.get("payment_method_options") else {
        return Ok(None);
    };
    let o = Params(options);
    o.only(&["card"])
        .map_err(|e| prefixed(e, "payment_method_options"))?;
    let Some(card) = options.get("card") else {
        return Ok(Some(json!({"card": null})));
    };
    let c = Params(card);
    c.only(&["installments"])
        .map_err(|e| prefixed(e, "payment_method_options[card]"))?;
    let plan = card.get("installments").and_then(|i| i.get("plan"));
    let installments = match plan {
        None => json!({}),
        Some(plan) => {
            let plan_p = Params(plan);
            let name = "payment_method_options[card][installments][plan]";
            plan_p
                .only(&["type", "count", "interval"])
                .map_err(|e| prefixed(e, name))?;
            let kind = plan_p
                .one_of("type", &["bonus", "fixed_count", "revolving"])
                .map_err(|e| prefixed(e, name))?
                .ok_or_else(|| ApiError::missing(&format!("{name}[type]")))?;
            let count = plan_p.int("count").map_err(|e| prefixed(e, name))?;
            let interval = plan_p
                .one_of("interval", &["month"])
                .map_err(|e| prefixed(e, name))?;
            json!({"plan": {"type": kind, "count": count, "interval": interval}})
        }
    };
    Ok(Some(
        json!({"card": {"cvc_token": null, "installments": installments}}),
    ))
}
