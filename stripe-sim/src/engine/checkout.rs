//! Checkout Sessions in `payment` mode (https://docs.stripe.com/api/checkout/sessions): the
//! API, and what the hosted page does when the shopper pays
//! (https://docs.stripe.com/checkout/fulfillment for the events).

use super::currency::{check_amount, check_currency};
use super::params::{check_email, newest_first, page};
use super::{Account, ApiResult, ObjectKind, Params, Scheduled};
use crate::model::{ApiError, CheckoutSession, LineItem, PiStatus, SessionStatus, View};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `expires_at` bounds (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-expires_at):
/// 30 minutes to 24 hours after creation; 24 hours by default.
pub const MIN_EXPIRY_SECS: i64 = 30 * 60;
pub const MAX_EXPIRY_SECS: i64 = 24 * 3600;

const CREATE_PARAMS: &[&str] = &[
    "mode",
    "line_items",
    "customer_email",
    "client_reference_id",
    "metadata",
    "payment_intent_data",
    "success_url",
    "cancel_url",
    "expires_at",
    "shipping_address_collection",
    "payment_method_types",
    "ui_mode",
    "locale",
    "expand",
];

/// What the shopper typed on the hosted page.
pub struct PageForm<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub number: &'a str,
    /// `MM / YY` (or `MM/YYYY`).
    pub expiry: &'a str,
    pub cvc: &'a str,
    pub country: &'a str,
    pub postal_code: &'a str,
    pub shipping: Option<ShippingForm<'a>>,
}

pub struct ShippingForm<'a> {
    pub name: &'a str,
    pub line1: &'a str,
    pub line2: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub postal_code: &'a str,
    pub country: &'a str,
}

/// Where a payment attempt on the hosted page leads.
#[derive(Debug, PartialEq, Eq)]
pub enum PageOutcome {
    /// Send the shopper there (the success URL, or a 3-D Secure page).
    Redirect(String),
    /// Show the page again with this message (a decline, a bad field): the Session stays open.
    Retry { status: u16, message: String },
    /// The Session cannot be paid (complete without a success URL, expired).
    Show,
}

fn url_param(p: &Params, key: &str) -> Result<Option<String>, ApiError> {
    match p.non_empty(key) {
        None => Ok(None),
        Some(url) => {
            let valid = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 5000
                && !url.chars().any(|c| c.is_control() || c == ' ');
            if valid {
                Ok(Some(url.to_string()))
            } else {
                Err(ApiError::invalid(format!("Not a valid URL: {key}")).param(key))
            }
        }
    }
}

impl Account {
    fn session(&self, id: &str) -> Result<&CheckoutSession, ApiError> {
        self.checkout_sessions
            .get(id)
            .ok_or_else(|| ApiError::not_found("checkout.session", id))
    }

    /// `POST /v1/checkout/sessions`.
    pub fn create_checkout_session(&mut self, p: &Params, base_url: &str) -> ApiResult {
        p.only(CREATE_PARAMS)?;
        match p.non_empty("mode") {
            None => return Err(ApiError::missing("mode")),
            Some("payment") => {}
            Some("subscription" | "setup") => return Err(ApiError::invalid(
                "Only mode=payment is simulated: subscription and setup Checkout Sessions are not.",
            )
            .param("mode")),
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "Invalid mode: must be one of payment, setup or subscription (got {other})"
                ))
                .param("mode"))
            }
        }
        if let Some(ui) = p.non_empty("ui_mode") {
            if ui != "hosted_page" {
                return Err(ApiError::invalid(
                    "Only ui_mode=hosted_page is simulated (API version 2026-03-25.dahlia renamed `hosted` to `hosted_page`).",
                )
                .param("ui_mode"));
            }
        }
        match p.0.get("payment_method_types") {
            None => {}
            Some(Value::Array(items)) if items.iter().all(|t| t.as_str() == Some("card")) => {}
            Some(_) => {
                return Err(
                    ApiError::invalid("Only payment_method_types[]=card is simulated.")
                        .param("payment_method_types"),
                )
            }
        }
        let now = self.now();
        let items = self.line_items_of(p)?;
        let currency = items
            .first()
            .map(|i| i.currency.clone())
            .ok_or_else(|| ApiError::missing("line_items"))?;
        if items.iter().any(|i| i.currency != currency) {
            return Err(
                ApiError::invalid("All line items must have the same currency.")
                    .param("line_items"),
            );
        }
        let total = items
            .iter()
            .fold(0i64, |sum, item| sum.saturating_add(item.amount()));
        check_amount(total, &currency).map_err(|e| e.param("line_items"))?;
        let customer_email = match p.non_empty("customer_email") {
            Some(email) => {
                check_email(email).map_err(|e| e.param("customer_email"))?;
                Some(email.to_string())
            }
            None => None,
        };
        let client_reference_id = p.non_empty("client_reference_id").map(String::from);
        if client_reference_id.as_ref().is_some_and(|c| c.len() > 200) {
            return Err(ApiError::invalid(
                "client_reference_id must be at most 200 characters long.",
            )
            .param("client_reference_id"));
        }
        let mut metadata = BTreeMap::new();
        p.metadata_into(&mut metadata)?;
        let mut payment_intent_metadata = BTreeMap::new();
        let mut payment_intent_description = None;
        let mut payment_intent_shipping = None;
        if let Some(data) = p.0.get("payment_intent_data") {
            let data = Params(data);
            data.only(&["metadata", "description", "shipping"])
                .map_err(|e| {
                    let param = e.body["error"]["param"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    e.param(&format!("payment_intent_data[{param}]"))
                })?;
            data.metadata_into(&mut payment_intent_metadata)?;
            payment_intent_description = data.non_empty("description").map(String::from);
            // https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-payment_intent_data-shipping
            if let Some(shipping) = data.0.get("shipping") {
                if shipping["name"].as_str().is_none_or(str::is_empty)
                    || shipping["address"]["line1"]
                        .as_str()
                        .is_none_or(str::is_empty)
                {
                    return Err(ApiError::invalid(
                        "Missing required param: payment_intent_data[shipping][name] and [address][line1].",
                    )
                    .param("payment_intent_data[shipping]"));
                }
                payment_intent_shipping = Some(shipping.clone());
            }
        }
        let success_url = url_param(p, "success_url")?;
        let cancel_url = url_param(p, "cancel_url")?;
        let expires_at = match p.int("expires_at")? {
            None => now + MAX_EXPIRY_SECS,
            Some(t) if t < now + MIN_EXPIRY_SECS => {
                return Err(ApiError::invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                )
                .param("expires_at"))
            }
            Some(t) if t > now + MAX_EXPIRY_SECS => {
                return Err(ApiError::invalid(
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                )
                .param("expires_at"))
            }
            Some(t) => t,
        };
        let allowed_countries = match p.0.get("shipping_address_collection") {
            None => None,
            Some(v) => {
                let countries = match v.get("allowed_countries") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_ascii_uppercase)
                        .collect::<Vec<_>>(),
                    _ => {
                        return Err(ApiError::missing(
                            "shipping_address_collection[allowed_countries]",
                        ))
                    }
                };
                if countries.is_empty()
                    || countries
                        .iter()
                        .any(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()))
                {
                    return Err(ApiError::invalid(
                        "Invalid shipping_address_collection[allowed_countries]: two-letter country codes are expected.",
                    )
                    .param("shipping_address_collection[allowed_countries]"));
                }
                Some(countries)
            }
        };
        let id = self.new_id_of_length("cs_test", 58);
        let seq = self
            .checkout_sessions
            .values()
            .map(|s| s.seq)
            .max()
            .unwrap_or(0)
            + 1;
        let session = CheckoutSession {
            url: format!("{base_url}/c/pay/{id}"),
            id: id.clone(),
            seq,
            created: now,
            expires_at,
            status: SessionStatus::Open,
            payment_status: "unpaid".into(),
            currency,
            line_items: items,
            customer_email,
            client_reference_id,
            metadata,
            payment_intent_metadata,
            payment_intent_description,
            payment_intent_shipping,
            success_url,
            cancel_url,
            payment_intent: None,
            allowed_countries,
            customer_details: None,
            shipping_details: None,
        };
        self.checkout_sessions.insert(id.clone(), session);
        self.touch(ObjectKind::CheckoutSession, &id);
        self.scheduled.push(Scheduled::ExpireCheckoutSession {
            session: id.clone(),
            at: expires_at,
            generation: self.checkout_timer_generation,
        });
        self.render_checkout_session(&id, &p.expand())
    }

    fn line_items_of(&mut self, p: &Params) -> Result<Vec<LineItem>, ApiError> {
        let raw = match p.0.get("line_items") {
            None => return Err(ApiError::missing("line_items")),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(ApiError::invalid("Invalid array").param("line_items")),
        };
        if raw.is_empty() {
            return Err(ApiError::missing("line_items"));
        }
        if raw.len() > 100 {
            return Err(ApiError::invalid(
                "A Checkout Session in payment mode can have at most 100 line items.",
            )
            .param("line_items"));
        }
        let mut items = Vec::new();
        for (n, item) in raw.iter().enumerate() {
            let at = |k: &str| format!("line_items[{n}][{k}]");
            let line = Params(item);
            if let Some(unknown) = item.as_object().and_then(|m| {
                m.keys()
                    .find(|k| !["price_data", "price", "quantity"].contains(&k.as_str()))
            }) {
                return Err(ApiError::invalid(format!(
                    "Received unknown parameter: {}",
                    at(unknown)
                ))
                .param(&at(unknown)));
            }
            if let Some(price) = line.non_empty("price") {
                return Err(ApiError::invalid(format!(
                    "No such price: '{price}' (the simulator has no Prices API: use line_items[{n}][price_data])"
                ))
                .code("resource_missing")
                .param(&at("price")));
            }
            let data = item
                .get("price_data")
                .ok_or_else(|| ApiError::missing(&at("price_data")))?;
            let pd = Params(data);
            let pd_at = |k: &str| format!("line_items[{n}][price_data][{k}]");
            if let Some(unknown) = data.as_object().and_then(|m| {
                m.keys().find(|k| {
                    !["currency", "unit_amount", "product_data", "tax_behavior"]
                        .contains(&k.as_str())
                })
            }) {
                return Err(ApiError::invalid(format!(
                    "Received unknown parameter: {}",
                    pd_at(unknown)
                ))
                .param(&pd_at(unknown)));
            }
            let currency = check_currency(
                pd.non_empty("currency")
                    .ok_or_else(|| ApiError::missing(&pd_at("currency")))?,
            )
            .map_err(|e| e.param(&pd_at("currency")))?;
            let unit_amount = pd
                .int("unit_amount")
                .map_err(|e| e.param(&pd_at("unit_amount")))?
                .ok_or_else(|| ApiError::missing(&pd_at("unit_amount")))?;
            if !(0..=99_999_999).contains(&unit_amount) {
                return Err(
                    ApiError::invalid("This value must be between 0 and 99999999.")
                        .param(&pd_at("unit_amount")),
                );
            }
            let name = data
                .get("product_data")
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ApiError::missing(&pd_at("product_data][name")))?
                .to_string();
            let quantity = line
                .int("quantity")
                .map_err(|e| e.param(&at("quantity")))?
                .ok_or_else(|| ApiError::missing(&at("quantity")))?;
            if !(1..=999_999).contains(&quantity) {
                return Err(ApiError::invalid("Quantity must be between 1 and 999999.")
                    .param(&at("quantity")));
            }
            items.push(LineItem {
                id: self.new_id("li"),
                price: self.new_id("price"),
                product: self.new_id_of_length("prod", 14),
                name,
                unit_amount,
                quantity,
                currency,
            });
        }
        Ok(items)
    }

    /// A Session with `expand[]` applied: `payment_intent`, `line_items`.
    pub fn render_checkout_session(&self, id: &str, expand: &[String]) -> ApiResult {
        let session = self.session(id)?;
        let mut v = session.to_json();
        for e in expand {
            match e.as_str() {
                "payment_intent" => {
                    if let Some(pi) = &session.payment_intent {
                        v["payment_intent"] = self.render_pi(pi, View::Secret, &[])?;
                    }
                }
                "line_items" => v["line_items"] = self.session_line_items(session),
                other => {
                    return Err(ApiError::invalid(format!(
                        "This property cannot be expanded ({other})."
                    ))
                    .param("expand"))
                }
            }
        }
        Ok(v)
    }

    fn session_line_items(&self, session: &CheckoutSession) -> Value {
        let data: Vec<Value> = session
            .line_items
            .iter()
            .map(|i| i.to_json(session.created))
            .collect();
        json!({
            "object": "list",
            "data": data,
            "has_more": false,
            "url": format!("/v1/checkout/sessions/{}/line_items", session.id),
        })
    }

    /// `GET /v1/checkout/sessions/{id}/line_items`.
    pub fn list_session_line_items(&self, id: &str, p: &Params) -> ApiResult {
        p.only(&["limit", "starting_after", "ending_before", "expand"])?;
        let session = self.session(id)?;
        let all: Vec<&LineItem> = session.line_items.iter().collect();
        let (data, has_more) = page(&all, |i| &i.id, |_| true, p, "item")?;
        Ok(json!({
            "object": "list",
            "data": data.into_iter().map(|i| i.to_json(session.created)).collect::<Vec<_>>(),
            "has_more": has_more,
            "url": format!("/v1/checkout/sessions/{id}/line_items"),
        }))
    }

    /// `GET /v1/checkout/sessions`: newest first, filtered by `payment_intent`, `status`,
    /// `created`.
    pub fn list_checkout_sessions(&self, p: &Params) -> ApiResult {
        p.only(&[
            "created",
            "payment_intent",
            "status",
            "customer",
            "customer_details",
            "ending_before",
            "expand",
            "limit",
            "starting_after",
        ])?;
        let created = p.created()?;
        let pi = p.non_empty("payment_intent");
        let status = p.one_of("status", &["open", "complete", "expired"])?;
        let email =
            p.0.get("customer_details")
                .and_then(|d| d.get("email"))
                .and_then(Value::as_str);
        let customer = p.non_empty("customer");
        let mut all: Vec<&CheckoutSession> = self.checkout_sessions.values().collect();
        all.sort_by(|a, b| newest_first((a.created, a.seq, &a.id), (b.created, b.seq, &b.id)));
        let keep = |s: &CheckoutSession| {
            pi.is_none_or(|pi| s.payment_intent.as_deref() == Some(pi))
                && status.as_deref().is_none_or(|st| s.status.as_str() == st)
                && created.matches(s.created)
                && customer.is_none()
                && email.is_none_or(|e| {
                    s.customer_details
                        .as_ref()
                        .is_some_and(|d| d["email"].as_str() == Some(e))
                })
        };
        let (data, has_more) = page(&all, |s| &s.id, keep, p, "checkout.session")?;
        let data: Vec<Value> = data.into_iter().map(CheckoutSession::to_json).collect();
        Ok(
            json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/checkout/sessions"}),
        )
    }

    /// `POST /v1/checkout/sessions/{id}/expire`: only an open Session.
    pub fn expire_checkout_session(&mut self, id: &str, p: &Params) -> ApiResult {
        p.only(&["expand"])?;
        let session = self.session(id)?;
        if session.status != SessionStatus::Open {
            return Err(ApiError::invalid(format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of {}.",
                session.status.as_str()
            ))
            .code("checkout_session_unexpected_state"));
        }
        self.expire_session(id);
        self.render_checkout_session(id, &p.expand())
    }

    fn expire_session(&mut self, id: &str) {
        let Some(session) = self.checkout_sessions.get_mut(id) else {
            return;
        };
        if session.status != SessionStatus::Open {
            return;
        }
        session.status = SessionStatus::Expired;
        let json = session.to_json();
        self.touch(ObjectKind::CheckoutSession, id);
        self.emit("checkout.session.expired", json, None);
    }

    /// Expires every open Session whose `expires_at` has passed on the simulator's clock
    /// (which `POST /_sim/clock` moves). Run by the expiry job and before any Session is read.
    pub fn expire_due_checkout_sessions(&mut self) {
        let now = self.now();
        let due: Vec<String> = self
            .checkout_sessions
            .values()
            .filter(|s| s.status == SessionStatus::Open && s.expires_at <= now)
            .map(|s| s.id.clone())
            .collect();
        for id in due {
            self.expire_session(&id);
        }
    }

    /// The expiry job came due: expires what is due, and waits again for a Session that the
    /// clock has not reached yet. A job planned before the clock last moved does nothing: the
    /// move planned new ones.
    pub(super) fn expire_checkout_job(&mut self, id: &str, generation: u64) {
        if generation != self.checkout_timer_generation {
            return;
        }
        self.expire_due_checkout_sessions();
        if let Some(session) = self
            .checkout_sessions
            .get(id)
            .filter(|s| s.status == SessionStatus::Open)
        {
            self.scheduled.push(Scheduled::ExpireCheckoutSession {
                session: id.to_string(),
                at: session.expires_at,
                generation,
            });
        }
    }

    /// The clock moved (`POST /_sim/clock`): what is now due expires, and the open Sessions'
    /// expiry jobs are planned again for the new time.
    pub fn checkout_clock_moved(&mut self) {
        self.expire_due_checkout_sessions();
        self.checkout_timer_generation += 1;
        let generation = self.checkout_timer_generation;
        let open: Vec<(String, i64)> = self
            .checkout_sessions
            .values()
            .filter(|s| s.status == SessionStatus::Open)
            .map(|s| (s.id.clone(), s.expires_at))
            .collect();
        for (session, at) in open {
            self.scheduled.push(Scheduled::ExpireCheckoutSession {
                session,
                at,
                generation,
            });
        }
    }

    /// The shopper pays on the hosted page: a PaymentMethod from the card, then the Session's
    /// PaymentIntent (made now, with `payment_intent_data`) confirmed with it.
    pub fn pay_checkout_session(
        &mut self,
        id: &str,
        form: &PageForm,
        base_url: &str,
    ) -> Result<PageOutcome, ApiError> {
        self.expire_due_checkout_sessions();
        let session = self.session(id)?.clone();
        match session.status {
            SessionStatus::Open => {}
            SessionStatus::Complete => {
                return Ok(match session.success_target() {
                    Some(url) => PageOutcome::Redirect(url),
                    None => PageOutcome::Show,
                })
            }
            SessionStatus::Expired => return Ok(PageOutcome::Show),
        }
        let retry = |message: &str| {
            Ok(PageOutcome::Retry {
                status: 400,
                message: message.to_string(),
            })
        };
        let email = session
            .customer_email
            .as_deref()
            .unwrap_or(form.email)
            .trim();
        if email.is_empty() || check_email(email).is_err() {
            return retry("Your email is incomplete.");
        }
        let (Some(exp_month), Some(exp_year)) = expiry_parts(form.expiry) else {
            return retry("Your card's expiration date is incomplete.");
        };
        let mut shipping_details = None;
        if let Some(allowed) = &session.allowed_countries {
            let Some(s) = &form.shipping else {
                return retry("Your shipping address is incomplete.");
            };
            if s.name.trim().is_empty() || s.line1.trim().is_empty() || s.country.is_empty() {
                return retry("Your shipping address is incomplete.");
            }
            if !allowed.iter().any(|c| c == s.country) {
                return retry("We cannot ship to this country.");
            }
            let or_null = |v: &str| {
                let v = v.trim();
                if v.is_empty() {
                    Value::Null
                } else {
                    json!(v)
                }
            };
            shipping_details = Some(json!({
                "address": {
                    "city": or_null(s.city), "country": s.country, "line1": s.line1.trim(),
                    "line2": or_null(s.line2), "postal_code": or_null(s.postal_code), "state": or_null(s.state)
                },
                "name": s.name.trim(),
            }));
        }
        let mut card = json!({
            "number": form.number,
            "exp_month": exp_month.to_string(),
            "exp_year": exp_year.to_string(),
        });
        if !form.cvc.trim().is_empty() {
            card["cvc"] = json!(form.cvc.trim());
        }
        let mut pm_params = json!({"type": "card", "card": card});
        let (postal, country) = (form.postal_code.trim(), form.country.trim());
        pm_params["billing_details"] = json!({"address": {}});
        if !postal.is_empty() {
            pm_params["billing_details"]["address"]["postal_code"] = json!(postal);
        }
        let pm = match self.create_payment_method(&Params(&pm_params)) {
            Ok(pm) => pm["id"].as_str().unwrap_or_default().to_string(),
            Err(e) => {
                return Ok(PageOutcome::Retry {
                    status: e.status,
                    message: error_message(&e),
                })
            }
        };
        let or_null = |v: &str| {
            if v.trim().is_empty() {
                Value::Null
            } else {
                json!(v.trim())
            }
        };
        let customer_details = json!({
            "address": {
                "city": null, "country": or_null(country), "line1": null, "line2": null,
                "postal_code": or_null(postal), "state": null
            },
            "business_name": null,
            "email": email,
            "individual_name": null,
            "name": or_null(form.name),
            "phone": null,
            "tax_exempt": "none",
            "tax_ids": [],
        });
        if let Some(s) = self.checkout_sessions.get_mut(id) {
            s.customer_details = Some(customer_details);
            s.shipping_details = shipping_details.clone();
        }
        self.touch(ObjectKind::CheckoutSession, id);

        // The PaymentIntent: made on the first attempt, confirmed again on a retry.
        let pi_id = match session
            .payment_intent
            .as_ref()
            .filter(|pi| self.payment_intents.contains_key(*pi))
        {
            Some(pi) => pi.clone(),
            None => {
                let mut params = json!({
                    "amount": session.amount_subtotal().to_string(),
                    "currency": session.currency,
                    "payment_method_types": ["card"],
                    "metadata": session.payment_intent_metadata,
                });
                if let Some(d) = &session.payment_intent_description {
                    params["description"] = json!(d);
                }
                if let Some(shipping) = &session.payment_intent_shipping {
                    params["shipping"] = shipping.clone();
                }
                let pi = self.create_payment_intent(&Params(&params), base_url)?;
                let pi_id = pi["id"].as_str().unwrap_or_default().to_string();
                if let Some(s) = self.checkout_sessions.get_mut(id) {
                    s.payment_intent = Some(pi_id.clone());
                }
                pi_id
            }
        };
        if self
            .payment_intents
            .get(&pi_id)
            .is_some_and(|pi| pi.status == PiStatus::RequiresAction)
        {
            // Back from a challenge left unanswered: the new card replaces the old one.
            self.update_payment_intent(&pi_id, &Params(&json!({"payment_method": pm})))?;
        }
        let mut confirm = json!({
            "payment_method": pm,
            "return_url": format!("{base_url}/c/pay/{id}/return"),
        });
        if let Some(shipping) = &shipping_details {
            let mut shipping = shipping.clone();
            shipping["carrier"] = Value::Null;
            shipping["phone"] = Value::Null;
            shipping["tracking_number"] = Value::Null;
            confirm["shipping"] = shipping;
        }
        let result = self.confirm_payment_intent(&pi_id, &Params(&confirm), View::Secret, base_url);
        match result {
            Err(e) if e.status == 402 => Ok(PageOutcome::Retry {
                status: 402,
                message: error_message(&e),
            }),
            Err(e) => Err(e),
            Ok(pi) => Ok(self.after_attempt(id, &pi)),
        }
    }

    /// After the shopper's bank answered a 3-D Secure challenge (the redirect flow returns to
    /// `/c/pay/{id}/return`).
    pub fn checkout_return(&mut self, id: &str) -> Result<PageOutcome, ApiError> {
        let session = self.session(id)?.clone();
        if session.status != SessionStatus::Open {
            return self.pay_checkout_session(id, &PageForm::empty(), "");
        }
        let Some(pi) = session
            .payment_intent
            .as_ref()
            .and_then(|pi| self.payment_intents.get(pi))
        else {
            return Ok(PageOutcome::Show);
        };
        let pi = pi.to_json(View::Secret);
        Ok(self.after_attempt(id, &pi))
    }

    fn after_attempt(&mut self, id: &str, pi: &Value) -> PageOutcome {
        let session = self.checkout_sessions.get(id);
        match pi["status"].as_str() {
            Some("succeeded" | "processing" | "requires_capture") => {
                match session.and_then(CheckoutSession::success_target) {
                    Some(url) => PageOutcome::Redirect(url),
                    None => PageOutcome::Show,
                }
            }
            Some("requires_action") => match pi["next_action"]["redirect_to_url"]["url"].as_str() {
                Some(url) => PageOutcome::Redirect(url.to_string()),
                None => PageOutcome::Show,
            },
            _ => PageOutcome::Retry {
                status: 402,
                message: pi["last_payment_error"]["message"]
                    .as_str()
                    .unwrap_or("Your card was declined.")
                    .to_string(),
            },
        }
    }

    /// Keeps a Session in step with its PaymentIntent; called whenever a payment succeeds,
    /// fails or starts processing. Open → complete (`paid`, or `unpaid` while processing) with
    /// `checkout.session.completed`; complete and unpaid → `async_payment_succeeded` (now
    /// `paid`) or `async_payment_failed`.
    pub(super) fn follow_checkout(&mut self, pi_id: &str) {
        let Some(status) = self.payment_intents.get(pi_id).map(|pi| pi.status) else {
            return;
        };
        let Some(id) = self
            .checkout_sessions
            .values()
            .find(|s| s.payment_intent.as_deref() == Some(pi_id))
            .map(|s| s.id.clone())
        else {
            return;
        };
        let Some(session) = self.checkout_sessions.get_mut(&id) else {
            return;
        };
        let event = match (session.status, session.payment_status.as_str(), status) {
            (
                SessionStatus::Open,
                _,
                PiStatus::Succeeded | PiStatus::RequiresCapture | PiStatus::Processing,
            ) => {
                session.status = SessionStatus::Complete;
                session.payment_status = if status == PiStatus::Processing {
                    "unpaid".into()
                } else {
                    "paid".into()
                };
                "checkout.session.completed"
            }
            (
                SessionStatus::Complete,
                "unpaid",
                PiStatus::Succeeded | PiStatus::RequiresCapture,
            ) => {
                session.payment_status = "paid".into();
                "checkout.session.async_payment_succeeded"
            }
            (SessionStatus::Complete, "unpaid", PiStatus::RequiresPaymentMethod) => {
                "checkout.session.async_payment_failed"
            }
            _ => return,
        };
        let json = session.to_json();
        self.touch(ObjectKind::CheckoutSession, &id);
        self.emit(event, json, None);
    }
}

impl PageForm<'_> {
    fn empty() -> PageForm<'static> {
        PageForm {
            email: "",
            name: "",
            number: "",
            expiry: "",
            cvc: "",
            country: "",
            postal_code: "",
            shipping: None,
        }
    }
}

/// `MM / YY`, `MM/YY` or `MM/YYYY` → month and four-digit year.
fn expiry_parts(expiry: &str) -> (Option<i64>, Option<i64>) {
    let digits: String = expiry.chars().filter(char::is_ascii_digit).collect();
    let (mm, yy) = match digits.len() {
        4 => (&digits[..2], &digits[2..]),
        6 => (&digits[..2], &digits[2..]),
        _ => return (None, None),
    };
    let month = mm.parse::<i64>().ok();
    let year = yy
        .parse::<i64>()
        .ok()
        .map(|y| if y < 100 { 2000 + y } else { y });
    (month, year)
}

fn error_message(e: &ApiError) -> String {
    e.body["error"]["message"]
        .as_str()
        .unwrap_or("Something went wrong. Please try again.")
        .to_string()
}
