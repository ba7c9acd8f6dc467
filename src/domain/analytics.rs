//! Sales figures, from counts and sums the database gives. Pure; integers only.

use super::money::{Currency, Money};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRevenue {
    /// Unix seconds at 00:00 UTC.
    pub day: i64,
    pub revenue: Money,
    pub orders: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopProduct {
    pub name: String,
    pub quantity: i64,
    pub revenue: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analytics {
    /// One entry per day of the window, oldest first, days without sales included.
    pub days: Vec<DayRevenue>,
    pub revenue: Money,
    pub orders_placed: i64,
    pub orders_paid: i64,
    /// Share of payment attempts that succeeded / failed, in tenths of a percent.
    pub success_permille: Option<i64>,
    pub failure_permille: Option<i64>,
    pub average_order: Option<Money>,
    pub refunded: Money,
    pub top_products: Vec<TopProduct>,
    /// The same figures per payment gateway (the gateways that had orders in the window).
    pub by_gateway: Vec<GatewayFigures>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayFigures {
    pub gateway: super::gateway::Gateway,
    pub revenue: Money,
    pub orders_paid: i64,
    pub success_permille: Option<i64>,
    pub failure_permille: Option<i64>,
}

/// `part` of `whole` in tenths of a percent, rounded half up; `None` when there is no whole.
pub fn permille(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 1000 + whole / 2) / whole)
}

/// `875` → `87.5%`.
pub fn percent(permille: i64) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}

pub struct Inputs {
    pub currency: Currency,
    /// First day of the window (00:00 UTC) and its length in days.
    pub from_day: i64,
    pub days: i64,
    /// (day, revenue, orders) for days with sales.
    pub by_day: Vec<(i64, i64, i64)>,
    pub orders_placed: i64,
    pub orders_paid: i64,
    pub attempts_succeeded: i64,
    pub attempts_failed: i64,
    pub refunded: i64,
    pub top: Vec<(String, i64, i64)>,
    /// Per gateway: (gateway, revenue, orders paid, attempts succeeded, attempts failed).
    pub gateways: Vec<(super::gateway::Gateway, i64, i64, i64, i64)>,
}

pub fn summarise(input: Inputs) -> Analytics {
    let money = |minor: i64| Money::new(minor, input.currency.clone());
    let days = (0..input.days)
        .map(|i| {
            let day = input.from_day + i * 86_400;
            let (revenue, orders) = input
                .by_day
                .iter()
                .find(|(d, _, _)| *d == day)
                .map(|(_, r, n)| (*r, *n))
                .unwrap_or((0, 0));
            DayRevenue {
                day,
                revenue: money(revenue),
                orders,
            }
        })
        .collect::<Vec<_>>();
    let revenue: i64 = input.by_day.iter().map(|(_, r, _)| r).sum();
    let attempts = input.attempts_succeeded + input.attempts_failed;
    Analytics {
        revenue: money(revenue),
        orders_placed: input.orders_placed,
        orders_paid: input.orders_paid,
        success_permille: permille(input.attempts_succeeded, attempts),
        failure_permille: permille(input.attempts_failed, attempts),
        average_order: (input.orders_paid > 0)
            .then(|| money((revenue + input.orders_paid / 2) / input.orders_paid)),
        refunded: money(input.refunded),
        top_products: input
            .top
            .into_iter()
            .map(|(name, quantity, r)| TopProduct {
                name,
                quantity,
                revenue: money(r),
            })
            .collect(),
        by_gateway: input
            .gateways
            .into_iter()
            .map(
                |(gateway, revenue, orders_paid, ok, failed)| GatewayFigures {
                    gateway,
                    revenue: money(revenue),
                    orders_paid,
                    success_permille: permille(ok, ok + failed),
                    failure_permille: permille(failed, ok + failed),
                },
            )
            .collect(),
        days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_averages_are_integers_rounded_half_up() {
        assert_eq!(permille(7, 8), Some(875));
        assert_eq!(percent(875), "87.5%");
        assert_eq!(permille(1, 3), Some(333));
        assert_eq!(permille(2, 3), Some(667));
        assert_eq!(permille(0, 0), None);
    }

    #[test]
    fn every_day_of_the_window_is_there() {
        let usd = Currency::parse("USD").unwrap();
        let a = summarise(Inputs {
            currency: usd,
            from_day: 86_400 * 10,
            days: 3,
            by_day: vec![(86_400 * 11, 5000, 2)],
            orders_placed: 4,
            orders_paid: 2,
            attempts_succeeded: 2,
            attempts_failed: 1,
            refunded: 1000,
            top: vec![("Mug".into(), 3, 5000)],
            gateways: vec![
                (super::super::gateway::Gateway::Stripe, 3000, 1, 1, 1),
                (super::super::gateway::Gateway::Paypal, 2000, 1, 1, 0),
            ],
        });
        assert_eq!(a.by_gateway[0].revenue.to_string(), "$30.00");
        assert_eq!(a.by_gateway[0].failure_permille, Some(500));
        assert_eq!(a.by_gateway[1].success_permille, Some(1000));
        assert_eq!(
            a.days.iter().map(|d| d.revenue.minor).collect::<Vec<_>>(),
            vec![0, 5000, 0]
        );
        assert_eq!(a.revenue.to_string(), "$50.00");
        assert_eq!(a.average_order.unwrap().to_string(), "$25.00");
        assert_eq!(a.success_permille, Some(667));
        assert_eq!(a.failure_permille, Some(333));
        assert_eq!(a.refunded.to_string(), "$10.00");
    }
}
