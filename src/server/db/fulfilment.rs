//! Fulfilment: shipments and their lines, the order's fulfilment status, returns, the
//! merchant's cancellation of an unshipped order, and invoice numbers. Each change is one
//! transaction with its timeline entry (and, for a shipment, its email in the outbox).

use super::orders::{order_in, NewTimelineEntry, OrderItemRow, OrderRow};
use crate::domain::address::Address;
use crate::domain::fulfilment::{
    self, allows, check_shipment_move, FulfilmentError, FulfilmentStatus, Move, OrderedLine,
    ShipmentFacts, ShipmentInput, ShipmentNotice,
};
use crate::domain::order::OrderStatus;
use crate::domain::pricing::Breakdown;
use crate::domain::receipts::Trigger;
use crate::model::admin::TimelineKind;
use sqlx::{AnyConnection, AnyPool};
use std::collections::BTreeMap;

/// Gives the order its invoice number, once: one more than the highest so far, inside the
/// transaction that sells its stock (so numbers follow the payments, and a payment rolled back
/// takes its number with it: no gap). The order's UNIQUE makes a repeat (a duplicate webhook,
/// a replay) change nothing.
pub(super) async fn assign_invoice(
    tx: &mut AnyConnection,
    order_id: &str,
) -> Result<(), sqlx::Error> {
    let issued = sqlx::query(
        "INSERT INTO invoices (number, order_id)
         SELECT COALESCE(MAX(number), 0) + 1, $1 FROM invoices WHERE true
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if issued {
        let number: i64 = sqlx::query_scalar("SELECT number FROM invoices WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&mut *tx)
            .await?;
        NewTimelineEntry::note(
            order_id,
            TimelineKind::Invoiced,
            &format!("Invoice {number} issued"),
        )
        .insert(tx)
        .await?;
    }
    Ok(())
}

/// A parcel as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ShipmentRow {
    pub id: i64,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    pub shipped_at: i64,
    pub delivered_at: Option<i64>,
    pub returned_at: Option<i64>,
    /// (product id, quantity), filled after the row is read.
    #[sqlx(skip)]
    pub lines: Vec<(i64, i64)>,
}

impl ShipmentRow {
    fn facts(&self) -> ShipmentFacts {
        ShipmentFacts {
            lines: self.lines.clone(),
            delivered: self.delivered_at.is_some(),
            returned: self.returned_at.is_some(),
        }
    }
}

/// Everything about an order's goods, read in one go.
#[derive(Clone, Debug)]
pub struct Fulfilment {
    pub order: OrderRow,
    pub fulfilment: FulfilmentStatus,
    pub items: Vec<OrderItemRow>,
    pub shipments: Vec<ShipmentRow>,
    /// (number, issued at).
    pub invoice: Option<(i64, i64)>,
    pub address: Option<Address>,
    pub pricing: Option<Breakdown>,
}

impl Fulfilment {
    pub fn ordered(&self) -> Vec<OrderedLine> {
        self.items
            .iter()
            .map(|i| OrderedLine {
                product_id: i.product_id,
                quantity: i.quantity,
            })
            .collect()
    }

    pub fn facts(&self) -> Vec<ShipmentFacts> {
        self.shipments.iter().map(ShipmentRow::facts).collect()
    }

    /// What is still to ship, per product.
    pub fn remaining(&self) -> BTreeMap<i64, i64> {
        fulfilment::remaining(&self.ordered(), &self.facts())
    }

    pub fn name_of(&self, product_id: i64) -> String {
        self.items
            .iter()
            .find(|i| i.product_id == product_id)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| format!("product {product_id}"))
    }

    fn describe(&self, lines: &[(i64, i64)]) -> String {
        lines
            .iter()
            .map(|(p, q)| format!("{q} × {}", self.name_of(*p)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(sqlx::FromRow)]
struct Extra {
    fulfilment: FulfilmentStatus,
    shipping_address: Option<String>,
    pricing: Option<String>,
}

async fn read(conn: &mut AnyConnection, order_id: &str) -> Result<Fulfilment, sqlx::Error> {
    let order = order_in(&mut *conn, order_id).await?;
    let extra: Extra =
        sqlx::query_as("SELECT fulfilment, shipping_address, pricing FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_one(&mut *conn)
            .await?;
    let items: Vec<OrderItemRow> = sqlx::query_as(
        "SELECT product_id, name, unit_price_minor, quantity FROM order_items WHERE order_id = $1 ORDER BY rowid",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut shipments: Vec<ShipmentRow> = sqlx::query_as(
        "SELECT id, carrier, tracking_number, tracking_url, shipped_at, delivered_at, returned_at
           FROM shipments WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let lines: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT l.shipment_id, l.product_id, l.quantity FROM shipment_lines l
           JOIN shipments s ON s.id = l.shipment_id WHERE s.order_id = $1 ORDER BY l.rowid",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    for (shipment, product, quantity) in lines {
        if let Some(s) = shipments.iter_mut().find(|s| s.id == shipment) {
            s.lines.push((product, quantity));
        }
    }
    let invoice: Option<(i64, i64)> =
        sqlx::query_as("SELECT number, issued_at FROM invoices WHERE order_id = $1")
            .bind(order_id)
            .fetch_optional(&mut *conn)
            .await?;
    // Written by the checkout as JSON; an order from before addresses has none.
    let address = extra
        .shipping_address
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok());
    let pricing = extra
        .pricing
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok());
    Ok(Fulfilment {
        order,
        fulfilment: extra.fulfilment,
        items,
        shipments,
        invoice,
        address,
        pricing,
    })
}

/// The order's goods, or `None` if there is no such order.
pub async fn fulfilment_of(
    pool: &AnyPool,
    order_id: &str,
) -> Result<Option<Fulfilment>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    match read(&mut conn, order_id).await {
        Ok(f) => Ok(Some(f)),
        Err(sqlx::Error::RowNotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The merchant's queue: orders paid as ordered with something left to ship, oldest first.
pub async fn fulfilment_queue(pool: &AnyPool, limit: i64) -> Result<Vec<Fulfilment>, sqlx::Error> {
    let paid: Vec<String> = OrderStatus::ALL
        .into_iter()
        .filter(|s| s.fulfils())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let ids: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM orders WHERE fulfilment IN ('unfulfilled', 'partially_shipped')
           AND status IN ({}) ORDER BY created_at, id LIMIT $1",
        paid.join(", ")
    ))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut conn = pool.acquire().await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(read(&mut conn, &id).await?);
    }
    Ok(out)
}

/// What [`ship`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shipped {
    /// A new parcel, and the order's fulfilment after it.
    New {
        shipment_id: i64,
        status: FulfilmentStatus,
        order_status: OrderStatus,
    },
    /// This form was submitted before: its parcel, nothing new.
    Repeated { shipment_id: i64 },
}

/// Records a parcel of the order, once per form (`request_key`): checked against what is left
/// to ship inside the transaction, with its lines, the order's new fulfilment status, its
/// timeline entry and its "Your order has shipped" email. A key seen before changes nothing.
pub async fn ship(
    pool: &AnyPool,
    order_id: &str,
    request_key: &str,
    input: &ShipmentInput,
) -> Result<Result<Shipped, FulfilmentError>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let seen: Option<(i64, String)> =
        sqlx::query_as("SELECT id, order_id FROM shipments WHERE request_key = $1")
            .bind(request_key)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((shipment_id, of)) = seen {
        return Ok(if of == order_id {
            Ok(Shipped::Repeated { shipment_id })
        } else {
            Err(FulfilmentError::KeyOfAnotherOrder)
        });
    }
    let now = read(&mut tx, order_id).await?;
    if let Err(refused) = allows(now.order.status, now.fulfilment, Move::Ship) {
        return Ok(Err(refused));
    }
    let shipment = match fulfilment::validate(input, &now.remaining(), |p| now.name_of(p)) {
        Ok(s) => s,
        Err(refused) => return Ok(Err(refused)),
    };
    let shipment_id: i64 = sqlx::query_scalar(
        "INSERT INTO shipments (order_id, request_key, carrier, tracking_number, tracking_url)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(order_id)
    .bind(request_key)
    .bind(&shipment.carrier)
    .bind(&shipment.tracking_number)
    .bind(&shipment.tracking_url)
    .fetch_one(&mut *tx)
    .await?;
    for (product, quantity) in &shipment.lines {
        sqlx::query(
            "INSERT INTO shipment_lines (shipment_id, product_id, quantity) VALUES ($1, $2, $3)",
        )
        .bind(shipment_id)
        .bind(product)
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
    }
    let mut facts = now.facts();
    facts.push(ShipmentFacts {
        lines: shipment.lines.clone(),
        ..Default::default()
    });
    let status = fulfilment::status(&now.ordered(), &facts, false);
    set_status(&mut tx, order_id, status).await?;
    let what = now.describe(&shipment.lines);
    NewTimelineEntry::note(
        order_id,
        TimelineKind::Shipped,
        &format!(
            "Shipped {what} with {}, tracking {}; the order is now {}",
            shipment.carrier,
            shipment.tracking_number,
            status.label().to_lowercase()
        ),
    )
    .insert(&mut tx)
    .await?;
    let notice = ShipmentNotice {
        carrier: shipment.carrier.clone(),
        tracking_number: shipment.tracking_number.clone(),
        tracking_url: shipment.tracking_url.clone(),
        items: shipment
            .lines
            .iter()
            .map(|(p, q)| (now.name_of(*p), *q))
            .collect(),
    };
    // Keyed by the parcel: one email per shipment, whatever the double clicks.
    super::outbox::queue_for_order(
        &mut tx,
        &now.order,
        &format!("shipped:{shipment_id}"),
        Trigger::Shipped(notice),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(Shipped::New {
        shipment_id,
        status,
        order_status: now.order.status,
    }))
}

async fn set_status(
    conn: &mut AnyConnection,
    order_id: &str,
    status: FulfilmentStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET fulfilment = $1 WHERE id = $2")
        .bind(status)
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a move did: `changed` is false when it had been done already (a double click).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    pub status: FulfilmentStatus,
    pub order_status: OrderStatus,
    pub changed: bool,
}

/// Marks one parcel delivered (once).
pub async fn mark_delivered(
    pool: &AnyPool,
    order_id: &str,
    shipment_id: i64,
) -> Result<Result<Moved, FulfilmentError>, sqlx::Error> {
    shipment_move(pool, order_id, shipment_id, Move::Deliver).await
}

/// Marks one parcel returned (once) and puts what it carried back in stock.
pub async fn mark_returned(
    pool: &AnyPool,
    order_id: &str,
    shipment_id: i64,
) -> Result<Result<Moved, FulfilmentError>, sqlx::Error> {
    shipment_move(pool, order_id, shipment_id, Move::Return).await
}

async fn shipment_move(
    pool: &AnyPool,
    order_id: &str,
    shipment_id: i64,
    movement: Move,
) -> Result<Result<Moved, FulfilmentError>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let now = read(&mut tx, order_id).await?;
    let Some(index) = now.shipments.iter().position(|s| s.id == shipment_id) else {
        return Ok(Err(FulfilmentError::NoSuchShipment));
    };
    let parcel = now.shipments[index].clone();
    let unchanged = Moved {
        status: now.fulfilment,
        order_status: now.order.status,
        changed: false,
    };
    let done_before = match movement {
        Move::Deliver => parcel.delivered_at.is_some() && parcel.returned_at.is_none(),
        _ => parcel.returned_at.is_some(),
    };
    if done_before {
        return Ok(Ok(unchanged));
    }
    if let Err(refused) = check_shipment_move(&parcel.facts(), movement)
        .and_then(|()| allows(now.order.status, now.fulfilment, movement))
    {
        return Ok(Err(refused));
    }
    let mut facts = now.facts();
    let (kind, detail) = match movement {
        Move::Deliver => {
            sqlx::query("UPDATE shipments SET delivered_at = unixepoch() WHERE id = $1 AND delivered_at IS NULL")
                .bind(shipment_id)
                .execute(&mut *tx)
                .await?;
            facts[index].delivered = true;
            (
                TimelineKind::Delivered,
                format!(
                    "Delivered: {} ({} {})",
                    now.describe(&parcel.lines),
                    parcel.carrier,
                    parcel.tracking_number
                ),
            )
        }
        _ => {
            sqlx::query("UPDATE shipments SET returned_at = unixepoch() WHERE id = $1 AND returned_at IS NULL")
                .bind(shipment_id)
                .execute(&mut *tx)
                .await?;
            for (product, quantity) in &parcel.lines {
                sqlx::query("UPDATE products SET stock = stock + $1 WHERE id = $2")
                    .bind(quantity)
                    .bind(product)
                    .execute(&mut *tx)
                    .await?;
            }
            facts[index].returned = true;
            (
                TimelineKind::Returned,
                format!(
                    "Returned: {} ({} {}); back in stock",
                    now.describe(&parcel.lines),
                    parcel.carrier,
                    parcel.tracking_number
                ),
            )
        }
    };
    let status = fulfilment::status(&now.ordered(), &facts, false);
    set_status(&mut tx, order_id, status).await?;
    NewTimelineEntry::note(order_id, kind, &detail)
        .insert(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Ok(Moved {
        status,
        order_status: now.order.status,
        changed: true,
    }))
}

/// The merchant cancels a paid order nothing was shipped of: it leaves the queue and its items
/// go back in stock, once (a second call finds it canceled and changes nothing; the caller
/// then only makes sure the refund went out).
pub async fn cancel_unshipped(
    pool: &AnyPool,
    order_id: &str,
) -> Result<Result<Moved, FulfilmentError>, sqlx::Error> {
    let mut tx = super::begin_write(pool).await?;
    let now = read(&mut tx, order_id).await?;
    if now.fulfilment == FulfilmentStatus::Canceled {
        return Ok(Ok(Moved {
            status: now.fulfilment,
            order_status: now.order.status,
            changed: false,
        }));
    }
    if let Err(refused) = allows(now.order.status, now.fulfilment, Move::Cancel) {
        return Ok(Err(refused));
    }
    if !now.shipments.is_empty() {
        return Ok(Err(FulfilmentError::NotCancelable(
            now.fulfilment.label().to_string(),
        )));
    }
    sqlx::query(
        "UPDATE orders SET fulfilment = 'canceled' WHERE id = $1 AND fulfilment = 'unfulfilled'",
    )
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    // The order's stock was sold when it was paid (stock_hold stays 'taken', so nothing sells
    // it again); what it bought goes back on sale.
    sqlx::query(
        "UPDATE products SET stock = stock + (SELECT i.quantity FROM order_items i WHERE i.order_id = $1 AND i.product_id = products.id)
         WHERE id IN (SELECT product_id FROM order_items WHERE order_id = $1)",
    )
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    NewTimelineEntry::note(
        order_id,
        TimelineKind::FulfilmentCanceled,
        &format!(
            "Canceled by the merchant before shipping: {} back in stock; full refund requested",
            now.describe(
                &now.items
                    .iter()
                    .map(|i| (i.product_id, i.quantity))
                    .collect::<Vec<_>>()
            )
        ),
    )
    .insert(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(Moved {
        status: FulfilmentStatus::Canceled,
        order_status: now.order.status,
        changed: true,
    }))
}

/// The order's invoice (number, issued at), if it was paid.
pub async fn invoice_of(pool: &AnyPool, order_id: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT number, issued_at FROM invoices WHERE order_id = $1")
        .bind(order_id)
        .fetch_optional(pool)
        .await
}
