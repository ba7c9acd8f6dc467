//! Refunds from the admin: checked, recorded once per attempt, sent to Stripe with the
//! attempt's idempotency key; the outcome arrives by webhook.

use crate::domain::gateway::Gateway;
use crate::domain::money::Money;
use crate::domain::order::refundable;
use crate::error::AppError;
use crate::server::db;
use crate::server::stripe::client::{CreateRefund, StripeError};
use crate::server::AppState;

/// Sends a refund to Stripe once per attempt key; its outcome arrives by webhook.
pub async fn refund(
    state: &AppState,
    order_id: &str,
    amount: &str,
    reason: Option<String>,
    attempt_key: &str,
) -> Result<String, AppError> {
    let row = db::order_by_id(&state.pool, order_id)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    let currency = row.currency.clone();
    let amount = Money::parse_major(amount, &currency)
        .map_err(|_| {
            AppError::RefundRefused(format!("“{}” is not an amount like 12.50.", amount.trim()))
        })?
        .minor;
    // Attempts whose answer never came may have refunded already: they count until Stripe
    // tells (reconciliation matches them by the attempt in the refund's metadata).
    let unresolved = db::unresolved_refunds(&state.pool, order_id, attempt_key).await?;
    let left = (refundable(&row.state) - unresolved).max(0);
    if left == 0 {
        return Err(AppError::RefundRefused(
            "Only a paid order can be refunded, and this one has nothing left to refund.".into(),
        ));
    }
    if amount < 1 || amount > left {
        return Err(AppError::RefundRefused(format!(
            "You can refund between {} and {}.",
            Money::new(1, currency.clone()),
            Money::new(left, currency)
        )));
    }
    if let Some(r) = &reason {
        if !["duplicate", "fraudulent", "requested_by_customer"].contains(&r.as_str()) {
            return Err(AppError::RefundRefused(
                "Choose a reason from the list.".into(),
            ));
        }
    }
    if attempt_key.len() < 8
        || attempt_key.len() > 64
        || !attempt_key.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(AppError::RefundRefused(
            "This form has expired; reload the page.".into(),
        ));
    }
    if row.gateway == Gateway::Paypal {
        return refund_paypal(
            state,
            &row,
            Money::new(amount, currency),
            reason,
            attempt_key,
        )
        .await;
    }
    let pi = row.payment_intent_id.clone().ok_or(AppError::Internal)?;
    db::record_refund_request(
        &state.pool,
        attempt_key,
        order_id,
        amount,
        reason.as_deref(),
    )
    .await?;
    let request = CreateRefund {
        payment_intent: pi,
        attempt: Some(attempt_key.to_string()),
        amount: Some(amount),
        reason,
    };
    let refund = match state
        .payments
        .stripe
        .create_refund(&request, &format!("refund-{order_id}-{attempt_key}"))
        .await
    {
        Ok(refund) => refund,
        // Stripe refused: no refund exists, the attempt is forgotten.
        Err(e) if e.refused() => {
            tracing::error!(error = %e, "refund refused");
            db::forget_refund_request(&state.pool, attempt_key).await?;
            return Err(AppError::RefundRefused(match e {
                StripeError::InvalidRequest { message, .. } => message,
                other => other.shopper_message(),
            }));
        }
        // No answer: the refund may exist. The attempt stays, so confirming again (same key)
        // cannot refund twice, and reconciliation fills in what Stripe did.
        Err(e) => {
            tracing::error!(error = %e, "refund: no answer from Stripe");
            return Err(AppError::RefundRefused(
                "Stripe did not answer. The refund may have gone through: it shows here once \
                 Stripe confirms it; confirming again will not refund twice."
                    .into(),
            ));
        }
    };
    db::set_refund_id(&state.pool, attempt_key, &refund.id).await?;
    Ok(format!(
        "Refund of {} sent to Stripe; it shows as pending until Stripe confirms it.",
        Money::new(amount, currency)
    ))
}

/// The same for an order paid with PayPal: refunded on its capture, with a `PayPal-Request-Id`
/// made from the attempt, and applied at once from PayPal's answer.
async fn refund_paypal(
    state: &AppState,
    row: &db::OrderRow,
    amount: Money,
    reason: Option<String>,
    attempt_key: &str,
) -> Result<String, AppError> {
    use crate::server::paypal::client::PayPalError;
    db::record_refund_request(
        &state.pool,
        attempt_key,
        &row.id,
        amount.minor,
        reason.as_deref(),
    )
    .await?;
    let request_id = format!("refund-{}-{attempt_key}", row.id);
    match crate::server::paypal::refund(state, row, Some(&amount), &request_id).await {
        Ok(id) => {
            db::set_refund_id(&state.pool, attempt_key, &id).await?;
            Ok(format!("Refund of {amount} sent to PayPal."))
        }
        Err(
            e @ PayPalError::Api {
                status: 400..=499, ..
            },
        ) => {
            tracing::error!(error = %e, "PayPal refund refused");
            db::forget_refund_request(&state.pool, attempt_key).await?;
            Err(AppError::RefundRefused(match &e {
                PayPalError::Api {
                    description: Some(d),
                    issue,
                    ..
                } => {
                    format!(
                        "PayPal refused the refund: {d} ({})",
                        issue.as_deref().unwrap_or("-")
                    )
                }
                other => other.shopper_message(),
            }))
        }
        Err(e) => {
            tracing::error!(error = %e, "refund: no answer from PayPal");
            Err(AppError::RefundRefused(
                "PayPal did not answer. The refund may have gone through; confirming again \
                 will not refund twice."
                    .into(),
            ))
        }
    }
}
