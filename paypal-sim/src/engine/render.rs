//! JSON of orders, captures and refunds, as PayPal renders them (Orders v2 `order`, Payments
//! v2 `capture-2` and `refund`), with HATEOAS links under the simulator's public URL.

use super::money;
use super::{State, MERCHANT_EMAIL, PAYER_EMAIL};
use crate::model::{link, time, Funding};
use serde_json::{json, Value};

/// How much of an order a response shows (`Prefer: return=minimal|representation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderView {
    /// `id`, `status`, `links`.
    Minimal,
    /// Minimal plus the payments (the capture response's default: the captures are always there).
    Capture,
    Full,
}

impl State {
    fn payee(&self) -> Value {
        json!({"email_address": MERCHANT_EMAIL, "merchant_id": self.merchant_id})
    }

    fn order_links(&self, id: &str, status: &str) -> Vec<Value> {
        let href = format!("{}/v2/checkout/orders/{id}", self.base);
        match status {
            "CREATED" => vec![
                link(href.clone(), "self", "GET"),
                link(self.approve_url(id), "approve", "GET"),
                link(href.clone(), "update", "PATCH"),
                link(format!("{href}/capture"), "capture", "POST"),
            ],
            "PAYER_ACTION_REQUIRED" => vec![
                link(href, "self", "GET"),
                link(self.approve_url(id), "payer-action", "GET"),
            ],
            "APPROVED" => vec![
                link(href.clone(), "self", "GET"),
                link(href.clone(), "update", "PATCH"),
                link(format!("{href}/capture"), "capture", "POST"),
            ],
            _ => vec![link(href, "self", "GET")],
        }
    }

    pub fn render_order(&self, id: &str, view: OrderView) -> Value {
        let Some(order) = self.orders.get(id) else {
            return Value::Null;
        };
        let mut out = json!({
            "id": order.id,
            "status": order.status,
        });
        let payer = order.payer_id.as_ref().map(|payer_id| {
            (
                json!({"paypal": {
                    "email_address": PAYER_EMAIL,
                    "account_id": payer_id,
                    "account_status": "VERIFIED",
                    "name": {"given_name": "Sim", "surname": "Buyer"},
                    "address": {"country_code": "US"}
                }}),
                json!({
                    "name": {"given_name": "Sim", "surname": "Buyer"},
                    "email_address": PAYER_EMAIL,
                    "payer_id": payer_id,
                    "address": {"country_code": "US"}
                }),
            )
        });
        let captures: Vec<Value> = order
            .capture_id
            .iter()
            .map(|c| self.render_capture(c, false))
            .collect();
        let unit = &order.purchase_unit;
        match view {
            OrderView::Minimal => {}
            OrderView::Capture => {
                if let Some((source, payer)) = &payer {
                    out["payment_source"] = source.clone();
                    out["payer"] = payer.clone();
                }
                out["purchase_units"] = json!([{
                    "reference_id": unit.reference_id,
                    "payments": {"captures": captures}
                }]);
            }
            OrderView::Full => {
                out["intent"] = json!(order.intent);
                if let Some((source, payer)) = &payer {
                    out["payment_source"] = source.clone();
                    out["payer"] = payer.clone();
                }
                let mut amount = unit.amount.to_json();
                if let Some(b) = &unit.breakdown {
                    amount["breakdown"] = b.clone();
                }
                let mut pu = json!({
                    "reference_id": unit.reference_id,
                    "amount": amount,
                    "payee": self.payee(),
                });
                for (key, value) in [
                    ("custom_id", &unit.custom_id),
                    ("invoice_id", &unit.invoice_id),
                    ("description", &unit.description),
                    ("soft_descriptor", &unit.soft_descriptor),
                ] {
                    if let Some(v) = value {
                        pu[key] = json!(v);
                    }
                }
                if let Some(items) = &unit.items {
                    pu["items"] = items.clone();
                }
                if !captures.is_empty() {
                    pu["payments"] = json!({"captures": captures});
                }
                out["purchase_units"] = json!([pu]);
                out["create_time"] = json!(time(order.create_time));
                out["update_time"] = json!(time(order.update_time));
            }
        }
        out["links"] = json!(self.order_links(id, &order.status));
        out
    }

    /// A capture; `standalone` adds what `GET /v2/payments/captures/{id}` shows beyond the
    /// order's copy (`supplementary_data.related_ids.order_id`, `payee`).
    pub fn render_capture(&self, id: &str, standalone: bool) -> Value {
        let Some(c) = self.captures.get(id) else {
            return Value::Null;
        };
        let href = format!("{}/v2/payments/captures/{id}", self.base);
        let mut links = vec![link(href.clone(), "self", "GET")];
        if matches!(c.status.as_str(), "COMPLETED" | "PARTIALLY_REFUNDED") {
            links.push(link(format!("{href}/refund"), "refund", "POST"));
        }
        links.push(link(
            format!("{}/v2/checkout/orders/{}", self.base, c.order_id),
            "up",
            "GET",
        ));
        let mut out = json!({
            "id": c.id,
            "status": c.status,
            "amount": c.amount.to_json(),
            "final_capture": true,
            "disbursement_mode": "INSTANT",
            "seller_protection": {
                "status": "ELIGIBLE",
                "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]
            },
            "links": links,
            "create_time": time(c.create_time),
            "update_time": time(c.update_time),
        });
        if let Some(reason) = &c.reason {
            out["status_details"] = json!({"reason": reason});
        }
        if !matches!(c.status.as_str(), "PENDING" | "DECLINED") {
            let gross = money::parse(&c.amount).unwrap_or(0);
            let currency = &c.amount.currency_code;
            let fee = money::fee(gross, currency);
            out["seller_receivable_breakdown"] = json!({
                "gross_amount": c.amount.to_json(),
                "paypal_fee": money::money(fee, currency).to_json(),
                "net_amount": money::money(gross - fee, currency).to_json(),
            });
        }
        if let Some(v) = &c.custom_id {
            out["custom_id"] = json!(v);
        }
        if let Some(v) = &c.invoice_id {
            out["invoice_id"] = json!(v);
        }
        if standalone {
            out["supplementary_data"] = json!({"related_ids": {"order_id": c.order_id}});
            out["payee"] = self.payee();
        }
        out
    }

    /// A refund: `full` for `return=representation` and webhooks, else `id`, `status`, `links`.
    pub fn render_refund(&self, id: &str, full: bool) -> Value {
        let Some(r) = self.refunds.get(id) else {
            return Value::Null;
        };
        let links = vec![
            link(
                format!("{}/v2/payments/refunds/{id}", self.base),
                "self",
                "GET",
            ),
            link(
                format!("{}/v2/payments/captures/{}", self.base, r.capture_id),
                "up",
                "GET",
            ),
        ];
        let mut out = json!({"id": r.id, "status": r.status});
        if full {
            let currency = &r.amount.currency_code;
            let gross = money::parse(&r.amount).unwrap_or(0);
            let fee = (gross * 349 + 5_000) / 10_000;
            out["amount"] = r.amount.to_json();
            out["seller_payable_breakdown"] = json!({
                "gross_amount": r.amount.to_json(),
                "paypal_fee": money::money(fee, currency).to_json(),
                "net_amount": money::money(gross - fee, currency).to_json(),
                "total_refunded_amount": money::money(r.total_refunded, currency).to_json(),
            });
            for (key, value) in [
                ("note_to_payer", &r.note_to_payer),
                ("invoice_id", &r.invoice_id),
                ("custom_id", &r.custom_id),
            ] {
                if let Some(v) = value {
                    out[key] = json!(v);
                }
            }
            out["create_time"] = json!(time(r.create_time));
            out["update_time"] = json!(time(r.update_time));
        }
        out["links"] = json!(links);
        out
    }

    /// What the approval page and the JS stand-in may know of an order (no secrets: PayPal's
    /// own page shows the buyer the same).
    pub fn order_summary(&self, id: &str) -> Option<Value> {
        let o = self.orders.get(id)?;
        Some(json!({
            "id": o.id,
            "status": o.status,
            "intent": o.intent,
            "currency_code": o.purchase_unit.amount.currency_code,
            "value": o.purchase_unit.amount.value,
            "description": o.purchase_unit.description,
            "cancel_url": o.cancel_url,
            "funding": o.funding.map(|f| match f {
                Funding::Balance => "balance",
                Funding::Declined => "declined",
                Funding::Pending => "pending",
                Funding::PendingReview => "pending_review",
            }),
        }))
    }
}
