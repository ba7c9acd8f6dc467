//! Sales figures for the admin.

use crate::error::AppError;
use crate::server::{db, AppState};

/// The last `days` days, today included (UTC).
pub async fn analytics(
    state: &AppState,
    now: i64,
    days: i64,
) -> Result<crate::domain::analytics::Analytics, AppError> {
    use crate::domain::analytics::{summarise, Inputs};
    let from_day = (now.div_euclid(86_400) - (days - 1)) * 86_400;
    let pool = &state.pool;
    let (orders_placed, orders_paid) = db::order_counts(pool, from_day).await?;
    let (attempts_succeeded, attempts_failed) = db::payment_attempts(pool, from_day).await?;
    Ok(summarise(Inputs {
        currency: state.config.currency.clone(),
        from_day,
        days,
        by_day: db::revenue_by_day(pool, from_day).await?,
        orders_placed,
        orders_paid,
        attempts_succeeded,
        attempts_failed,
        refunded: db::refunded_total(pool, from_day).await?,
        top: db::top_products(pool, from_day, 5).await?,
        gateways: db::gateway_figures(pool, from_day).await?,
    }))
}
