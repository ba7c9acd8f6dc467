use super::SignInForm;
use crate::api::admin::{admin_signed_in, get_analytics, SignIn};
use crate::components::notice::ErrorAlert;
use crate::domain::analytics::{percent, Analytics, DayRevenue};
use crate::domain::calendar::day;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/admin/analytics`: the last 30 days.
#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let signed_in = Resource::new(move || sign_in.version().get(), |_| admin_signed_in());
    let figures = Resource::new(move || sign_in.version().get(), |_| get_analytics());
    view! {
        <Title text="Analytics · Admin"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (signed_in.await, figures.await) {
                    (Ok(true), Ok(figures)) => view! { <Figures figures/> }.into_any(),
                    (Ok(false), _) => view! { <SignInForm action=sign_in/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Figures(figures: Analytics) -> impl IntoView {
    let rate = |p: Option<i64>| p.map(percent).unwrap_or_else(|| "—".into());
    view! {
        <div class="admin-head">
            <h1>"Last 30 days"</h1>
            <nav class="admin-nav"><a href="/admin">"Orders"</a></nav>
        </div>
        <dl class="admin-facts analytics-figures" data-testid="analytics">
            <div><dt>"Revenue"</dt><dd data-testid="revenue">{figures.revenue.to_string()}</dd></div>
            <div><dt>"Orders placed"</dt><dd data-testid="orders-placed">{figures.orders_placed}</dd></div>
            <div><dt>"Orders paid"</dt><dd data-testid="orders-paid">{figures.orders_paid}</dd></div>
            <div><dt>"Payment success"</dt><dd data-testid="success-rate">{rate(figures.success_permille)}</dd></div>
            <div><dt>"Payment failure"</dt><dd data-testid="failure-rate">{rate(figures.failure_permille)}</dd></div>
            <div><dt>"Average order"</dt><dd data-testid="average-order">{figures.average_order.map(|m| m.to_string()).unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt>"Refunded"</dt><dd data-testid="refunded">{figures.refunded.to_string()}</dd></div>
        </dl>
        <h2>"By payment method"</h2>
        <div class="table-wrap">
            <table data-testid="by-gateway">
                <thead><tr><th scope="col">"Method"</th><th scope="col">"Revenue"</th><th scope="col">"Orders paid"</th><th scope="col">"Success"</th><th scope="col">"Failure"</th></tr></thead>
                <tbody>
                    {figures.by_gateway.into_iter().map(|g| view! {
                        <tr data-gateway=g.gateway.as_str()>
                            <td>{g.gateway.label()}</td>
                            <td class="price">{g.revenue.to_string()}</td>
                            <td>{g.orders_paid}</td>
                            <td>{rate(g.success_permille)}</td>
                            <td>{rate(g.failure_permille)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <h2>"Revenue per day"</h2>
        <RevenueChart days=figures.days/>
        <h2>"Top products"</h2>
        <div class="table-wrap">
            <table data-testid="top-products">
                <thead><tr><th scope="col">"Product"</th><th scope="col">"Sold"</th><th scope="col">"Revenue"</th></tr></thead>
                <tbody>
                    {figures.top_products.into_iter().map(|p| view! {
                        <tr><td>{p.name}</td><td>{p.quantity}</td><td class="price">{p.revenue.to_string()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A bar per day, drawn by the app as SVG (no chart script), with the numbers in a table for
/// screen readers.
#[component]
fn RevenueChart(days: Vec<DayRevenue>) -> impl IntoView {
    const W: i64 = 600;
    const H: i64 = 180;
    let max = days
        .iter()
        .map(|d| d.revenue.minor)
        .max()
        .unwrap_or(0)
        .max(1);
    let n = days.len().max(1) as i64;
    let slot = W / n;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let h = d.revenue.minor * (H - 20) / max;
            let x = i as i64 * slot + 2;
            let label = format!("{}: {}", &day(d.day)[..10], d.revenue);
            view! {
                <rect x=x y=H - h width=(slot - 4).max(1) height=h class="bar">
                    <title>{label}</title>
                </rect>
            }
        })
        .collect_view();
    let first = days
        .first()
        .map(|d| day(d.day)[..10].to_string())
        .unwrap_or_default();
    let last = days
        .last()
        .map(|d| day(d.day)[..10].to_string())
        .unwrap_or_default();
    let peak = days
        .iter()
        .max_by_key(|d| d.revenue.minor)
        .map(|d| d.revenue.to_string())
        .unwrap_or_default();
    view! {
        <figure class="revenue-chart">
            <svg viewBox=format!("0 0 {W} {}", H + 24) role="img" aria-labelledby="chart-title" data-testid="revenue-chart">
                <title id="chart-title">{format!("Revenue per day from {first} to {last}; highest day {peak}")}</title>
                <line x1="0" y1=H x2=W y2=H class="axis"/>
                {bars}
                <text x="0" y=H + 18 class="tick">{first.clone()}</text>
                <text x=W y=H + 18 text-anchor="end" class="tick">{last.clone()}</text>
            </svg>
            <table class="visually-hidden">
                <caption>"Revenue per day"</caption>
                <tbody>
                    {days.into_iter().map(|d| view! { <tr><th scope="row">{day(d.day)[..10].to_string()}</th><td>{d.revenue.to_string()}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}
