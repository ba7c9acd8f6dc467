//! `/admin/fulfilment`: the fulfilment queue, paid orders with something left to ship, oldest
//! first, each with where it goes and what is left to pack.

use super::SignInForm;
use crate::api::admin::{admin_signed_in, SignIn};
use crate::api::admin_fulfilment::fulfilment_queue;
use crate::components::notice::ErrorAlert;
use crate::components::status_badge::badge;
use crate::domain::calendar::day;
use crate::domain::fulfilment::FulfilmentStatus;
use crate::model::fulfilment::QueueEntry;
use leptos::prelude::*;
use leptos_meta::Title;

/// The badge class for a fulfilment status.
pub fn fulfilment_badge(status: FulfilmentStatus) -> &'static str {
    match status {
        FulfilmentStatus::Unfulfilled => "badge badge-pending",
        FulfilmentStatus::PartiallyShipped => "badge badge-processing",
        FulfilmentStatus::Shipped | FulfilmentStatus::Delivered => "badge badge-paid",
        FulfilmentStatus::Returned => "badge badge-refunded",
        FulfilmentStatus::Canceled => "badge badge-canceled",
    }
}

#[component]
pub fn FulfilmentQueuePage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let signed_in = Resource::new(move || sign_in.version().get(), |_| admin_signed_in());
    let queue = Resource::new(move || sign_in.version().get(), |_| fulfilment_queue());
    view! {
        <Title text="Fulfilment · Admin"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (signed_in.await, queue.await) {
                    (Ok(true), Ok(entries)) => view! {
                        <div class="admin-head">
                            <h1>"Fulfilment"</h1>
                            <nav class="admin-nav" aria-label="Admin">
                                <a href="/admin">"Orders"</a>
                                <a href="/admin/emails">"Emails"</a>
                            </nav>
                        </div>
                        <p class="muted">"Paid orders with items still to ship, oldest first."</p>
                        {if entries.is_empty() {
                            view! { <p class="muted" data-testid="queue-empty">"Nothing to ship."</p> }.into_any()
                        } else {
                            view! { <QueueTable entries/> }.into_any()
                        }}
                    }.into_any(),
                    (Ok(false), _) | (_, Err(crate::error::AppError::Unauthorized)) => view! { <SignInForm action=sign_in/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn QueueTable(entries: Vec<QueueEntry>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="fulfilment-queue" data-testid="fulfilment-queue">
                <thead><tr>
                    <th scope="col">"Order"</th><th scope="col">"Placed (UTC)"</th><th scope="col">"Ship to"</th>
                    <th scope="col">"To pack"</th><th scope="col">"Status"</th><th scope="col">"Documents"</th>
                </tr></thead>
                <tbody>
                    {entries.into_iter().map(|e| {
                        let id = e.order_id.clone();
                        view! {
                            <tr data-testid="queue-row" data-order=id.clone()>
                                <td><a href=format!("/admin/orders/{id}")><code>{id.clone()}</code></a><br/><span class="muted">{e.email}</span></td>
                                <td>{day(e.created_at)}</td>
                                <td>
                                    {if e.address.is_empty() {
                                        view! { <span class="muted">"No address"</span> }.into_any()
                                    } else {
                                        view! { <address class="queue-address">{e.address.into_iter().map(|l| view! { <span>{l}</span><br/> }).collect_view()}</address> }.into_any()
                                    }}
                                </td>
                                <td>
                                    <ul class="pack-list">
                                        {e.lines.into_iter().filter(|l| l.remaining > 0).map(|l| view! {
                                            <li>{format!("{} × {}", l.remaining, l.name)}
                                                {(l.shipped > 0).then(|| view! { <span class="muted">{format!(" ({} of {} shipped)", l.shipped, l.ordered)}</span> })}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </td>
                                <td>
                                    <span class=badge(e.status)>{e.status.label()}</span> " "
                                    <span class=fulfilment_badge(e.fulfilment) data-testid="queue-fulfilment">{e.fulfilment.label()}</span>
                                </td>
                                <td><a href=format!("/admin/orders/{id}/packing-slip")>"Packing slip"</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
