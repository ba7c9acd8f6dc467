//! Orders v2 (https://developer.paypal.com/docs/api/orders/v2/): create, patch, approve (what
//! the buyer does on the approval page) and capture.

use super::money::{self, AmountIssue};
use super::{new_id, new_payer_id, Kind, State};
use crate::model::{ApiError, Capture, Detail, Funding, Money, Order, PurchaseUnit};
use serde_json::{json, Value};

const UNIT_PATH: &str = "/purchase_units/@reference_id=='default'";

/// Reads a `money` object at `field`, answering PayPal's errors for what is wrong with it.
pub(crate) fn read_money(
    v: &Value,
    field: &str,
    operation: &str,
) -> Result<(Money, i64), ApiError> {
    if !v.is_object() {
        return Err(ApiError::missing(field));
    }
    let currency = match v.get("currency_code") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => {
            return Err(ApiError::missing(&format!("{field}/currency_code")))
        }
        Some(other) => {
            return Err(ApiError::invalid_value(
                &format!("{field}/currency_code"),
                &other.to_string(),
            ))
        }
    };
    let value = match v.get("value") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(ApiError::missing(&format!("{field}/value"))),
        Some(other) => {
            return Err(ApiError::invalid_value(
                &format!("{field}/value"),
                &other.to_string(),
            ))
        }
    };
    let m = Money {
        currency_code: currency.clone(),
        value: value.clone(),
    };
    let payments = operation.starts_with("captures");
    let issue = |issue: &str, sub: &str, val: &str| {
        let description = crate::model::error::issue_description(operation, issue)
            .unwrap_or("The value of a field is invalid.");
        ApiError::unprocessable_with(
            operation,
            Detail::new(issue, description)
                .field(&format!("{field}/{sub}"), "body")
                .value(val),
        )
    };
    match money::parse(&m) {
        Ok(minor) => Ok((m, minor)),
        Err(AmountIssue::Syntax) => Err(ApiError::invalid_request(
            Detail::new(
                "INVALID_PARAMETER_SYNTAX",
                "The value of a field does not conform to the expected format.",
            )
            .field(&format!("{field}/value"), "body")
            .value(&value),
        )),
        Err(AmountIssue::InvalidCurrency) => {
            Err(issue("INVALID_CURRENCY_CODE", "currency_code", &currency))
        }
        Err(AmountIssue::DecimalsNotSupported) if payments => {
            Err(issue("DECIMALS_NOT_SUPPORTED", "value", &value))
        }
        Err(AmountIssue::DecimalsNotSupported | AmountIssue::DecimalPrecision) => {
            Err(issue("DECIMAL_PRECISION", "value", &value))
        }
        Err(AmountIssue::ZeroOrNegative) => {
            Err(issue("CANNOT_BE_ZERO_OR_NEGATIVE", "value", &value))
        }
    }
}

fn optional_string(
    v: &Value,
    key: &str,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(ApiError::invalid_request(
            Detail::new(
                "INVALID_STRING_LENGTH",
                "The value of a field is either too short or too long.",
            )
            .field(&format!("{field}/{key}"), "body")
            .value(s),
        )),
        Some(other) => Err(ApiError::invalid_value(
            &format!("{field}/{key}"),
            &other.to_string(),
        )),
    }
}

/// Checks `amount.breakdown` and `items` like PayPal: AMOUNT_MISMATCH, ITEM_TOTAL_REQUIRED,
/// ITEM_TOTAL_MISMATCH.
fn check_breakdown(
    amount: &Value,
    total: i64,
    currency: &str,
    unit: &Value,
    op: &str,
) -> Result<(), ApiError> {
    let breakdown = amount.get("breakdown").filter(|b| b.is_object());
    let part = |name: &str| -> Result<Option<i64>, ApiError> {
        match breakdown.and_then(|b| b.get(name)) {
            None | Some(Value::Null) => Ok(None),
            Some(m) => {
                let (money, minor) =
                    read_money(m, &format!("{UNIT_PATH}/amount/breakdown/{name}"), op)?;
                if money.currency_code != currency {
                    return Err(ApiError::unprocessable(op, "CURRENCY_MISMATCH"));
                }
                Ok(Some(minor))
            }
        }
    };
    let item_total = part("item_total")?;
    if let Some(b) = breakdown {
        let mut sum = 0;
        for name in [
            "item_total",
            "tax_total",
            "shipping",
            "handling",
            "insurance",
        ] {
            sum += part(name)?.unwrap_or(0);
        }
        for name in ["shipping_discount", "discount"] {
            sum -= part(name)?.unwrap_or(0);
        }
        if b.as_object().is_some_and(|o| !o.is_empty()) && sum != total {
            return Err(ApiError::unprocessable_with(
                op,
                Detail::new(
                    "AMOUNT_MISMATCH",
                    crate::model::error::issue_description(op, "AMOUNT_MISMATCH").unwrap_or(""),
                )
                .field(&format!("{UNIT_PATH}/amount/value"), "body")
                .value(&money::format(total, currency)),
            ));
        }
    }
    if let Some(items) = unit.get("items").and_then(Value::as_array) {
        let Some(item_total) = item_total else {
            return Err(ApiError::unprocessable(op, "ITEM_TOTAL_REQUIRED"));
        };
        let mut sum = 0i64;
        for (i, item) in items.iter().enumerate() {
            let quantity: i64 = item
                .get("quantity")
                .and_then(Value::as_str)
                .and_then(|q| q.parse().ok())
                .ok_or_else(|| ApiError::missing(&format!("{UNIT_PATH}/items/@{i}/quantity")))?;
            let unit_amount = item
                .get("unit_amount")
                .ok_or_else(|| ApiError::missing(&format!("{UNIT_PATH}/items/@{i}/unit_amount")))?;
            let (_, minor) = read_money(
                unit_amount,
                &format!("{UNIT_PATH}/items/@{i}/unit_amount"),
                op,
            )?;
            sum += minor * quantity;
        }
        if sum != item_total {
            return Err(ApiError::unprocessable(op, "ITEM_TOTAL_MISMATCH"));
        }
    }
    Ok(())
}

fn read_unit(unit: &Value, op: &str) -> Result<PurchaseUnit, ApiError> {
    let reference_id = optional_string(unit, "reference_id", "/purchase_units/0", 256)?
        .unwrap_or_else(|| "default".into());
    let amount = unit
        .get("amount")
        .filter(|a| !a.is_null())
        .ok_or_else(|| ApiError::missing(&format!("{UNIT_PATH}/amount")))?;
    let (money, minor) = read_money(amount, &format!("{UNIT_PATH}/amount"), op)?;
    check_breakdown(amount, minor, &money.currency_code, unit, op)?;
    Ok(PurchaseUnit {
        reference_id,
        amount: money,
        breakdown: amount.get("breakdown").filter(|b| b.is_object()).cloned(),
        custom_id: optional_string(unit, "custom_id", UNIT_PATH, 127)?,
        invoice_id: optional_string(unit, "invoice_id", UNIT_PATH, 127)?,
        description: optional_string(unit, "description", UNIT_PATH, 127)?,
        soft_descriptor: optional_string(unit, "soft_descriptor", UNIT_PATH, 22)?,
        items: unit.get("items").filter(|i| i.is_array()).cloned(),
    })
}

impl State {
    /// `POST /v2/checkout/orders`: the new order's id.
    pub fn create_order(&mut self, body: &Value) -> Result<String, ApiError> {
        let op = "orders.create";
        let intent = match body.get("intent") {
            Some(Value::String(s)) if s == "CAPTURE" || s == "AUTHORIZE" => s.clone(),
            None | Some(Value::Null) => return Err(ApiError::missing("/intent")),
            Some(other) => {
                return Err(ApiError::invalid_value(
                    "/intent",
                    other.as_str().unwrap_or(&other.to_string()),
                ))
            }
        };
        let units = match body.get("purchase_units") {
            Some(Value::Array(u)) if !u.is_empty() => u,
            None | Some(Value::Null) => return Err(ApiError::missing("/purchase_units")),
            Some(_) => return Err(ApiError::invalid_value("/purchase_units", "")),
        };
        if units.len() > 1 {
            // The simulator keeps one purchase unit per order (a checkout needs no more).
            return Err(ApiError::invalid_request(
                Detail::new(
                    "INVALID_PARAMETER_VALUE",
                    "The PayPal simulator supports one purchase unit per order.",
                )
                .field("/purchase_units", "body"),
            ));
        }
        let unit = read_unit(&units[0], op)?;
        let experience = body
            .pointer("/payment_source/paypal/experience_context")
            .or_else(|| body.get("application_context"));
        let (return_url, cancel_url) = (
            experience
                .and_then(|e| e.get("return_url"))
                .and_then(Value::as_str)
                .map(String::from),
            experience
                .and_then(|e| e.get("cancel_url"))
                .and_then(Value::as_str)
                .map(String::from),
        );
        let status = if body.pointer("/payment_source/paypal").is_some() {
            "PAYER_ACTION_REQUIRED"
        } else {
            "CREATED"
        };
        let now = self.now();
        let id = new_id();
        self.orders.insert(
            id.clone(),
            Order {
                id: id.clone(),
                intent,
                status: status.into(),
                purchase_unit: unit,
                payer_id: None,
                funding: None,
                capture_id: None,
                return_url,
                cancel_url,
                create_time: now,
                update_time: now,
            },
        );
        self.touch(Kind::Order, &id);
        Ok(id)
    }

    pub(crate) fn order_or_404(&self, id: &str) -> Result<&Order, ApiError> {
        self.orders
            .get(id)
            .ok_or_else(|| ApiError::not_found("order_id", id, "orders"))
    }

    /// `PATCH /v2/checkout/orders/{id}`: JSON Patch `replace`/`add` of the purchase unit's
    /// amount, custom_id, invoice_id, description, soft_descriptor.
    pub fn patch_order(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        let op = "orders.patch";
        let order = self.order_or_404(id)?;
        if order.status == "COMPLETED" {
            return Err(ApiError::unprocessable(op, "ORDER_ALREADY_COMPLETED"));
        }
        let Some(patches) = body.as_array() else {
            return Err(ApiError::malformed_json());
        };
        let mut unit = order.purchase_unit.clone();
        for (i, p) in patches.iter().enumerate() {
            let verb = p.get("op").and_then(Value::as_str).unwrap_or("");
            let path = p.get("path").and_then(Value::as_str).unwrap_or("");
            if !matches!(verb, "replace" | "add" | "remove") {
                return Err(ApiError::invalid_value(&format!("/{i}/op"), verb));
            }
            // `/purchase_units/@reference_id=='default'/amount` (or with the unit's own reference id).
            let rest = path
                .strip_prefix("/purchase_units/@reference_id=='")
                .and_then(|r| r.split_once("'"))
                .filter(|(r, _)| *r == unit.reference_id)
                .map(|(_, rest)| rest.trim_start_matches('/'));
            let Some(target) = rest else {
                return Err(ApiError::unprocessable_with(
                    op,
                    Detail::new(
                        "INVALID_PATCH_PATH",
                        "The specified field cannot be patched.",
                    )
                    .field(&format!("/{i}/path"), "body")
                    .value(path),
                ));
            };
            let value = p.get("value").cloned().unwrap_or(Value::Null);
            let text = |v: &Value| -> Result<Option<String>, ApiError> {
                if verb == "remove" {
                    return Ok(None);
                }
                optional_string(&json!({"v": v}), "v", path, 127)
            };
            match target {
                "amount" => {
                    if verb == "remove" {
                        return Err(ApiError::unprocessable(op, "PATCH_VALUE_REQUIRED"));
                    }
                    let probe = json!({"amount": value, "items": unit.items});
                    let mut new_unit = read_unit(&probe, op)?;
                    new_unit.reference_id = unit.reference_id.clone();
                    unit.amount = new_unit.amount;
                    unit.breakdown = new_unit.breakdown;
                }
                "custom_id" => unit.custom_id = text(&value)?,
                "invoice_id" => unit.invoice_id = text(&value)?,
                "description" => unit.description = text(&value)?,
                "soft_descriptor" => unit.soft_descriptor = text(&value)?,
                _ => {
                    return Err(ApiError::unprocessable_with(
                        op,
                        Detail::new(
                            "INVALID_PATCH_PATH",
                            "The specified field cannot be patched.",
                        )
                        .field(&format!("/{i}/path"), "body")
                        .value(path),
                    ))
                }
            }
        }
        let now = self.now();
        if let Some(order) = self.orders.get_mut(id) {
            order.purchase_unit = unit;
            order.update_time = now;
        }
        self.touch(Kind::Order, id);
        Ok(())
    }

    /// The buyer approves on the approval page, paying with `funding`: the payer id.
    /// A declined funding source can be replaced by approving again (`actions.restart()`).
    pub fn approve(&mut self, id: &str, funding: Funding) -> Result<String, ApiError> {
        let order = self.order_or_404(id)?;
        if order.status == "COMPLETED" {
            return Err(ApiError::unprocessable(
                "orders.capture",
                "ORDER_ALREADY_CAPTURED",
            ));
        }
        let now = self.now();
        let order = self.orders.get_mut(id).expect("checked above");
        let payer_id = order.payer_id.clone().unwrap_or_else(new_payer_id);
        order.payer_id = Some(payer_id.clone());
        order.funding = Some(funding);
        order.status = "APPROVED".into();
        order.update_time = now;
        self.touch(Kind::Order, id);
        let resource = self.render_order(id, super::OrderView::Full);
        self.emit(
            "CHECKOUT.ORDER.APPROVED",
            "checkout-order",
            "An order has been approved by buyer".into(),
            resource,
        );
        Ok(payer_id)
    }

    /// `POST /v2/checkout/orders/{id}/capture`.
    pub fn capture_order(&mut self, id: &str) -> Result<(), ApiError> {
        let op = "orders.capture";
        let order = self.order_or_404(id)?;
        if order.intent != "CAPTURE" {
            return Err(ApiError::unprocessable(op, "ACTION_DOES_NOT_MATCH_INTENT"));
        }
        match order.status.as_str() {
            "COMPLETED" => return Err(ApiError::unprocessable(op, "ORDER_ALREADY_CAPTURED")),
            "APPROVED" => {}
            _ => return Err(ApiError::unprocessable(op, "ORDER_NOT_APPROVED")),
        }
        let funding = order.funding.unwrap_or(Funding::Balance);
        if funding == Funding::Declined {
            return Err(ApiError::unprocessable(op, "INSTRUMENT_DECLINED")
                .with_link(&self.approve_url(id), "redirect"));
        }
        if let Some(invoice) = order
            .purchase_unit
            .invoice_id
            .as_ref()
            .filter(|_| self.unique_invoice_ids)
        {
            let duplicate = self.captures.values().any(|c| {
                c.invoice_id.as_ref() == Some(invoice) && c.status != "DECLINED" && c.order_id != id
            });
            if duplicate {
                return Err(ApiError::unprocessable(op, "DUPLICATE_INVOICE_ID"));
            }
        }
        let (status, reason) = match funding {
            Funding::Pending => ("PENDING", Some("ECHECK")),
            Funding::PendingReview => ("PENDING", Some("PENDING_REVIEW")),
            _ => ("COMPLETED", None),
        };
        let now = self.now();
        let capture_id = new_id();
        let unit = order.purchase_unit.clone();
        self.captures.insert(
            capture_id.clone(),
            Capture {
                id: capture_id.clone(),
                order_id: id.into(),
                status: status.into(),
                reason: reason.map(String::from),
                amount: unit.amount.clone(),
                refunded: 0,
                custom_id: unit.custom_id.clone(),
                invoice_id: unit.invoice_id.clone(),
                create_time: now,
                update_time: now,
            },
        );
        self.touch(Kind::Capture, &capture_id);
        if let Some(order) = self.orders.get_mut(id) {
            order.status = "COMPLETED".into();
            order.capture_id = Some(capture_id.clone());
            order.update_time = now;
        }
        self.touch(Kind::Order, id);
        self.emit_capture(&capture_id);
        Ok(())
    }

    pub fn approve_url(&self, id: &str) -> String {
        format!("{}/checkoutnow?token={id}", self.base)
    }
}
