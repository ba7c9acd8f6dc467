//! The admin's order list (filtered, keyset-paged) and one order in full.

use crate::domain::calendar::parse_date;
use crate::domain::money::Money;
use crate::domain::order::RefundStatus;
use crate::domain::order::{refundable, OrderStatus};
use crate::error::AppError;
use crate::model::admin::{AdminOrderDetail, AdminOrderRow, OrdersPage, RefundView};
use crate::model::site::PaymentsMode;
use crate::server::db::{self, OrderCursor, OrderFilter};
use crate::server::{checkout, AppState};

pub fn parse_filter(
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    search: Option<String>,
) -> Result<OrderFilter, AppError> {
    let day = |s: Option<String>, end: bool| -> Result<Option<i64>, AppError> {
        match s.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(text) => parse_date(&text)
                .map(|d| Some(if end { d + 86_400 } else { d }))
                .ok_or_else(|| {
                    AppError::InvalidFilter(format!("“{text}” is not a date like 2026-11-21."))
                }),
        }
    };
    let status = match status.filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            OrderStatus::parse(&s)
                .ok_or_else(|| AppError::InvalidFilter(format!("Unknown status “{s}”.")))?,
        ),
    };
    Ok(OrderFilter {
        status,
        from: day(from, false)?,
        to: day(to, true)?,
        search: search
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    })
}

/// Orders per page in the admin list.
pub const PAGE_SIZE: i64 = 25;

pub async fn orders_page(
    state: &AppState,
    filter: &OrderFilter,
    after: Option<String>,
) -> Result<OrdersPage, AppError> {
    let cursor = after.as_deref().and_then(OrderCursor::parse);
    let mut rows = db::admin_orders(&state.pool, filter, cursor.as_ref(), PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next = if more {
        rows.last().map(|r| OrderCursor::after(r).to_string())
    } else {
        None
    };
    let counts = db::status_counts(&state.pool, filter).await?;
    let orders = rows
        .into_iter()
        .map(|r| AdminOrderRow {
            status: r.status,
            total: r.total(),
            id: r.id,
            email: r.email,
            payment_intent_id: r.payment_intent_id,
            created_at: r.created_at,
            oversold: r.oversold,
        })
        .collect();
    let reconciled = db::sync_value(&state.pool, "reconciled_corrections")
        .await?
        .unwrap_or(0);
    Ok(OrdersPage {
        orders,
        next,
        counts,
        reconciled,
    })
}

pub async fn order(state: &AppState, id: &str) -> Result<Option<AdminOrderDetail>, AppError> {
    let Some(view) = checkout::order_view(state, id).await? else {
        return Ok(None);
    };
    let row = db::order_by_id(&state.pool, id)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    let order_state = &row.state.0;
    let timeline = db::order_timeline(&state.pool, id).await?;
    let known = &order_state.refunds;
    let refunds = db::refund_requests(&state.pool, id)
        .await?
        .into_iter()
        .map(|(refund_id, amount)| {
            let status = refund_id
                .as_ref()
                .and_then(|r| known.get(r))
                .map(|r| r.status);
            RefundView {
                amount: Money::new(amount, view.total.currency.clone()),
                // Not yet confirmed by Stripe: pending.
                state: status.unwrap_or(RefundStatus::Pending),
            }
        })
        .collect();
    let dashboard = match (state.payments.mode, &row.payment_intent_id) {
        (PaymentsMode::Simulated, _) | (_, None) => None,
        (PaymentsMode::Live, Some(pi)) => {
            Some(format!("https://dashboard.stripe.com/payments/{pi}"))
        }
        (PaymentsMode::StripeTest, Some(pi)) => {
            Some(format!("https://dashboard.stripe.com/test/payments/{pi}"))
        }
    };
    Ok(Some(AdminOrderDetail {
        refundable: Money::new(refundable(order_state), view.total.currency.clone()),
        order: view,
        payment_intent_id: row.payment_intent_id,
        dashboard_url: dashboard,
        gateway: row.gateway,
        gateway_ref: row.gateway_ref,
        gateway_payment_ref: row.gateway_payment_ref,
        timeline,
        refunds,
        oversold: row.oversold,
    }))
}
