//! The emails an order's changes call for, and what they say. Pure: the database inserts what
//! [`messages_for`] decides in the transaction that changes the order (the outbox), and the
//! sender renders it with [`render`] when it goes out.

use super::money::Money;
use super::order::{OrderState, OrderStatus, Payment, RefundStatus};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One line of an order, as the message shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub name: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub line_total: Money,
}

/// The order a message is about, as it stood when the message was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub order_id: String,
    pub lines: Vec<Line>,
    pub total: Money,
    /// Items, discount, shipping, tax (messages queued before these existed have none).
    #[serde(default)]
    pub pricing: Option<super::pricing::Breakdown>,
    /// Where the goods go, one line each.
    #[serde(default)]
    pub ship_to: Vec<String>,
}

/// A link sent by "find my order".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLink {
    pub order_id: String,
    /// Unix seconds.
    pub placed_at: i64,
    pub total: Money,
    pub status: OrderStatus,
    /// Opens the order once; only its hash is stored.
    pub token: String,
}

/// What an email says: stored in the outbox as JSON, rendered when sent or shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// The payment succeeded.
    Receipt { order: OrderSummary, paid: Money },
    /// A payment that was processing failed: the shopper can pay again.
    PaymentFailed { order: OrderSummary },
    /// Money went back to the card.
    Refund {
        order: OrderSummary,
        amount: Money,
        /// Everything paid has now been refunded.
        full: bool,
    },
    /// Not paid in time: the items went back on sale.
    Canceled { order: OrderSummary },
    /// A parcel of the order went out (one email per shipment).
    Shipped {
        order: OrderSummary,
        shipment: super::fulfilment::ShipmentNotice,
    },
    /// Links to the shopper's recent orders, asked for on "find my order".
    OrderLinks {
        links: Vec<OrderLink>,
        /// How long the links work, in hours.
        valid_hours: i64,
    },
}

/// Which email an order's change calls for (the order's contents are added by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    Receipt { paid: Money },
    PaymentFailed,
    Refund { amount: Money, full: bool },
    Canceled,
    Shipped(super::fulfilment::ShipmentNotice),
}

impl Trigger {
    pub fn message(self, order: OrderSummary) -> Message {
        match self {
            Trigger::Receipt { paid } => Message::Receipt { order, paid },
            Trigger::PaymentFailed => Message::PaymentFailed { order },
            Trigger::Refund { amount, full } => Message::Refund {
                order,
                amount,
                full,
            },
            Trigger::Canceled => Message::Canceled { order },
            Trigger::Shipped(shipment) => Message::Shipped { order, shipment },
        }
    }
}

/// The emails the change from `before` to `after` calls for, each with a key that names the
/// change, so the same change never makes two: the payment (once per order), each refund (by
/// its id), each failure after processing (by the event that reported it), the cancellation.
/// Nothing is sent for what did not happen: a refund counts once it succeeded, a payment of
/// another amount than the order's waits for the merchant's review.
pub fn messages_for(
    before: &OrderState,
    after: &OrderState,
    event_id: &str,
) -> Vec<(String, Trigger)> {
    let mut out = Vec::new();
    if before.payment != Payment::Succeeded
        && after.payment == Payment::Succeeded
        && after.received.is_none()
    {
        out.push((
            "receipt".to_string(),
            Trigger::Receipt {
                paid: after.paid().clone(),
            },
        ));
    }
    if before.payment == Payment::Processing && after.payment == Payment::Failed {
        out.push((format!("payment_failed:{event_id}"), Trigger::PaymentFailed));
    }
    if before.payment != Payment::Canceled && after.payment == Payment::Canceled {
        out.push(("canceled".to_string(), Trigger::Canceled));
    }
    for (id, refund) in &after.refunds {
        let was = before.refunds.get(id).map(|r| r.status);
        if refund.status == RefundStatus::Succeeded && was != Some(RefundStatus::Succeeded) {
            out.push((
                format!("refund:{id}"),
                Trigger::Refund {
                    amount: Money::new(refund.amount, after.paid().currency.clone()),
                    full: after.status() == OrderStatus::Refunded,
                },
            ));
        }
    }
    out
}

/// Who sends, and where the links point.
pub struct Shop<'a> {
    pub name: &'a str,
    /// `https://shop.example` (no trailing slash).
    pub base_url: &'a str,
}

/// A message ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Card refunds reach the cardholder's statement in 5–10 business days
/// (https://docs.stripe.com/refunds#refund-timing).
const REFUND_TIMING: &str = "Refunds usually reach your card within 5 to 10 business days.";

/// Plain text and HTML of a message. Carries no secrets and no card data: what was bought and
/// paid, and links to this shop.
pub fn render(message: &Message, shop: &Shop) -> Rendered {
    let mut doc = Doc::default();
    let subject = match message {
        Message::Receipt { order, paid } => {
            doc.para(&format!(
                "Thank you for your order. We received your payment of {paid} and are preparing your items."
            ));
            doc.order(order);
            doc.link("See your order and its status", &order_url(shop, order));
            doc.para("We will email you again if anything changes.");
            format!("Your receipt from {}: order {}", shop.name, order.order_id)
        }
        Message::PaymentFailed { order } => {
            doc.para("Your bank did not accept the payment for your order, so nothing was charged. Your items are still in your cart.");
            doc.order(order);
            doc.link("Pay again", &format!("{}/checkout", shop.base_url));
            doc.link("See your order", &order_url(shop, order));
            format!("Your payment did not go through: order {}", order.order_id)
        }
        Message::Refund {
            order,
            amount,
            full,
        } => {
            let what = if *full {
                "Your order has been refunded in full"
            } else {
                "Part of your order has been refunded"
            };
            doc.para(&format!(
                "{what}: {amount} is on its way back to the card you paid with. {REFUND_TIMING}"
            ));
            doc.order(order);
            doc.link("See your order", &order_url(shop, order));
            format!("Refund of {amount} for order {}", order.order_id)
        }
        Message::Canceled { order } => {
            doc.para("Your order was canceled because it was not paid in time, so nothing was charged and the items went back on sale.");
            doc.order(order);
            doc.link("Shop again", &format!("{}/", shop.base_url));
            format!("Your order {} was canceled", order.order_id)
        }
        Message::Shipped { order, shipment } => {
            doc.para(&format!(
                "Good news: your order is on its way with {}. Tracking number: {}.",
                shipment.carrier, shipment.tracking_number
            ));
            if let Some(url) = &shipment.tracking_url {
                doc.link("Track your parcel", url);
            }
            for (name, quantity) in &shipment.items {
                doc.para(&format!("In this parcel: {quantity} × {name}"));
            }
            doc.link("See your order", &order_url(shop, order));
            format!("Your order has shipped: order {}", order.order_id)
        }
        Message::OrderLinks { links, valid_hours } => {
            doc.para("Here are your recent orders. Each link opens the order's page.");
            for link in links {
                doc.link(
                    &format!(
                        "Order {} of {}: {} ({})",
                        link.order_id,
                        super::calendar::day(link.placed_at),
                        link.total,
                        link.status.label()
                    ),
                    &format!("{}/orders/open/{}", shop.base_url, link.token),
                );
            }
            doc.para(&format!(
                "These links work for {valid_hours} hours. If you did not ask for them, you can ignore this email."
            ));
            format!("Your orders at {}", shop.name)
        }
    };
    doc.para(&format!("{} · {}", shop.name, shop.base_url));
    Rendered {
        subject,
        text: doc.text,
        html: format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif;line-height:1.5\">{}</body></html>",
            doc.html
        ),
    }
}

fn order_url(shop: &Shop, order: &OrderSummary) -> String {
    format!("{}/orders/{}", shop.base_url, order.order_id)
}

/// The text and HTML versions, written side by side.
#[derive(Default)]
struct Doc {
    text: String,
    html: String,
}

impl Doc {
    fn para(&mut self, words: &str) {
        let _ = write!(self.text, "{words}\n\n");
        let _ = write!(self.html, "<p>{}</p>", escape(words));
    }

    fn link(&mut self, label: &str, url: &str) {
        let _ = write!(self.text, "{label}:\n{url}\n\n");
        let _ = write!(
            self.html,
            "<p><a href=\"{}\">{}</a></p>",
            escape(url),
            escape(label)
        );
    }

    fn order(&mut self, order: &OrderSummary) {
        let _ = writeln!(self.text, "Order {}", order.order_id);
        let _ = write!(
            self.html,
            "<table cellpadding=\"4\"><caption>Order {}</caption>",
            escape(&order.order_id)
        );
        for line in &order.lines {
            let _ = writeln!(
                self.text,
                "  {} × {} at {} = {}",
                line.quantity, line.name, line.unit_price, line.line_total
            );
            let _ = write!(
                self.html,
                "<tr><td>{}</td><td>× {}</td><td>{}</td><td>{}</td></tr>",
                escape(&line.name),
                line.quantity,
                line.unit_price,
                line.line_total
            );
        }
        if let Some(p) = &order.pricing {
            let mut parts = vec![("Subtotal".to_string(), p.items.to_string())];
            if p.discount.minor > 0 {
                let code = p.discount_code.as_deref().unwrap_or("");
                parts.push((format!("Discount {code}"), format!("−{}", p.discount)));
            }
            if let Some(name) = &p.shipping_name {
                parts.push((format!("Shipping ({name})"), p.shipping.to_string()));
            }
            if p.tax_label.is_some() || p.tax_mode == super::pricing::TaxMode::Exclusive {
                parts.push((p.tax_caption(), p.tax.to_string()));
            }
            for (label, amount) in parts {
                let _ = writeln!(self.text, "  {label}: {amount}");
                let _ = write!(
                    self.html,
                    "<tr><th colspan=\"3\" align=\"left\">{}</th><td>{}</td></tr>",
                    escape(&label),
                    amount
                );
            }
        }
        let _ = write!(self.text, "  Total: {}\n\n", order.total);
        let _ = write!(
            self.html,
            "<tr><th colspan=\"3\" align=\"left\">Total</th><td>{}</td></tr></table>",
            order.total
        );
        if !order.ship_to.is_empty() {
            let _ = write!(
                self.text,
                "Shipping to:\n  {}\n\n",
                order.ship_to.join("\n  ")
            );
            let lines: Vec<String> = order.ship_to.iter().map(|l| escape(l)).collect();
            let _ = write!(self.html, "<p>Shipping to:<br>{}</p>", lines.join("<br>"));
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
