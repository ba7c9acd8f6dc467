use super::{SignInForm, SignOutButton};
use crate::api::admin::{admin_orders, admin_signed_in, SignIn, SignOut};
use crate::components::notice::ErrorAlert;
use crate::components::status_badge::badge;
use crate::domain::calendar::day;
use crate::domain::order::OrderStatus;
use crate::model::admin::OrdersPage;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/admin`: sign-in, or the orders with filters, counts and keyset pages.
#[component]
pub fn AdminPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let signed_in = Resource::new(
        move || (sign_in.version().get(), sign_out.version().get()),
        |_| admin_signed_in(),
    );
    view! {
        <Title text="Admin"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match signed_in.await {
                    Ok(true) => view! { <OrdersList sign_out/> }.into_any(),
                    Ok(false) => view! { <SignInForm action=sign_in/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OrdersList(sign_out: ServerAction<SignOut>) -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let page = Resource::new(
        move || {
            (
                param("status"),
                param("from"),
                param("to"),
                param("q"),
                param("after"),
            )
        },
        |(status, from, to, q, after)| admin_orders(status, from, to, q, after),
    );
    view! {
        <div class="admin-head">
            <h1>"Orders"</h1>
            <nav class="admin-nav" aria-label="Admin">
                <a href="/admin/fulfilment">"Fulfilment"</a>
                <a href="/admin/products">"Products"</a>
                <a href="/admin/analytics">"Analytics"</a>
                <a href="/admin/emails">"Emails"</a>
                <a href="/admin/shipping">"Shipping"</a>
                <a href="/admin/taxes">"Taxes"</a>
                <a href="/admin/discounts">"Discounts"</a>
                <a href=move || csv_href(&query.read()) download="orders.csv">"Export CSV"</a>
            </nav>
            <SignOutButton action=sign_out/>
        </div>
        <form method="get" action="/admin" class="admin-filters">
            <label>"Status"
                <select name="status">
                    <option value="">"Any"</option>
                    {OrderStatus::ALL.into_iter().map(|s| {
                        let selected = param("status").as_deref() == Some(s.as_str());
                        view! { <option value=s.as_str() selected=selected>{s.label()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"From" <input type="date" name="from" value=param("from").unwrap_or_default()/></label>
            <label>"To" <input type="date" name="to" value=param("to").unwrap_or_default()/></label>
            <label>"Search" <input type="search" name="q" placeholder="Order id, email or pi_…" value=param("q").unwrap_or_default()/></label>
            <button type="submit" class="btn btn-secondary">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading orders…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <OrdersTable page/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrdersTable(page: OrdersPage) -> impl IntoView {
    let query = use_query_map();
    let next_href = page.next.map(|cursor| {
        let mut params: Vec<(String, String)> = ["status", "from", "to", "q"]
            .into_iter()
            .filter_map(|k| query.read_untracked().get(k).map(|v| (k.to_string(), v)))
            .collect();
        params.push(("after".into(), cursor));
        let qs: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencoding(v)))
            .collect();
        format!("/admin?{}", qs.join("&"))
    });
    view! {
        <ul class="status-counts" aria-label="Orders per status">
            {page.counts.into_iter().map(|(status, n)| {
                view! { <li><a href=format!("/admin?status={}", status.as_str())>{status.label()} ": " <strong>{n}</strong></a></li> }
            }).collect_view()}
        </ul>
        {(page.reconciled > 0).then(|| view! {
            <p class="muted" data-testid="reconciled-count">{format!("Corrected from Stripe because a webhook never came: {} time(s). Check the webhook endpoint if this keeps growing.", page.reconciled)}</p>
        })}
        <div class="table-wrap">
            <table class="admin-orders" data-testid="admin-orders">
                <thead>
                    <tr><th scope="col">"Order"</th><th scope="col">"Placed (UTC)"</th><th scope="col">"Email"</th><th scope="col">"Status"</th><th scope="col">"Total"</th></tr>
                </thead>
                <tbody>
                    {page.orders.into_iter().map(|o| view! {
                        <tr data-order=o.id.clone()>
                            <td><a href=format!("/admin/orders/{}", o.id)>{o.id.clone()}</a></td>
                            <td>{day(o.created_at)}</td>
                            <td>{o.email}</td>
                            <td><span class=badge(o.status)>{o.status.label()}</span>{o.oversold.then(|| view! { " " <span class="badge badge-failed">"Oversold"</span> })}</td>
                            <td class="price">{o.total.to_string()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {next_href.map(|href| view! { <p><a class="btn btn-secondary" href=href>"Next page"</a></p> })}
    }
}

/// The export of exactly what the filters show.
fn csv_href(query: &leptos_router::params::ParamsMap) -> String {
    let qs: Vec<String> = ["status", "from", "to", "q"]
        .into_iter()
        .filter_map(|k| {
            query
                .get(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", urlencoding(&v)))
        })
        .collect();
    format!("/admin/orders.csv?{}", qs.join("&"))
}

fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
