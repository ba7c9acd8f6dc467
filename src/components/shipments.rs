//! "Shipped" and "Delivered" on the shopper's order page: each parcel with its carrier and
//! tracking number (a link when the merchant gave one). Read again whenever the live stream
//! says the order changed (a shipment is published like a payment change).

use crate::api::admin_fulfilment::get_order_shipments;
use crate::browser;
use crate::domain::calendar::day;
use crate::domain::fulfilment::FulfilmentStatus;
use crate::model::fulfilment::{OrderShipments, ShipmentView};
use leptos::prelude::*;

#[component]
pub fn Shipments(order_id: String) -> impl IntoView {
    let changes = RwSignal::new(0u32);
    let id = StoredValue::new(order_id);
    let shipments = Resource::new(
        move || (id.get_value(), changes.get()),
        |(id, _)| get_order_shipments(id),
    );
    let watch = StoredValue::new(None::<browser::OrderWatch>);
    Effect::new(move |_| {
        let handle = browser::watch_order(&id.get_value(), move |_| changes.update(|n| *n += 1));
        watch.set_value(Some(handle));
    });
    on_cleanup(move || watch.set_value(None));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match shipments.await {
                    Ok(Some(s)) => view! { <Parcels s order_id=id.get_value()/> }.into_any(),
                    // Shown with the order or not at all: the order itself is what matters here.
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Parcels(s: OrderShipments, order_id: String) -> impl IntoView {
    let invoice = s.invoice_number.map(|n| {
        view! {
            <p class="invoice-link">
                <a href=format!("/orders/{order_id}/invoice") data-testid="shopper-invoice-link">{format!("Invoice {n}")}</a>
            </p>
        }
    });
    if s.shipments.is_empty() && s.fulfilment != FulfilmentStatus::Canceled {
        return invoice.into_any();
    }
    view! {
        {invoice}
        <section class="shipments-shopper" aria-labelledby="shipments-heading" data-testid="shipments">
            <h2 id="shipments-heading">"Delivery"</h2>
            <p data-testid="fulfilment-status">{s.fulfilment.label()}</p>
            {(s.fulfilment == FulfilmentStatus::Canceled).then(|| view! {
                <p class="alert alert-info">"This order was canceled before it shipped and is being refunded in full."</p>
            })}
            <ol class="shipments">
                {s.shipments.into_iter().map(|p| view! { <Parcel p/> }).collect_view()}
            </ol>
        </section>
    }
    .into_any()
}

#[component]
fn Parcel(p: ShipmentView) -> impl IntoView {
    let state = if p.returned_at.is_some() {
        "Returned"
    } else if p.delivered_at.is_some() {
        "Delivered"
    } else {
        "Shipped"
    };
    let when = p.returned_at.or(p.delivered_at).unwrap_or(p.shipped_at);
    view! {
        <li data-testid="shipment">
            <strong data-testid="shipment-state">{state}</strong>
            <span class="muted">{format!(" {}", day(when))}</span>
            " · " {p.carrier} " · "
            {match p.tracking_url {
                Some(url) => view! { <a href=url rel="noopener noreferrer" target="_blank" data-testid="tracking-link">{p.tracking_number}</a> }.into_any(),
                None => view! { <span data-testid="tracking-number">{p.tracking_number}</span> }.into_any(),
            }}
            <br/>
            <span class="muted">{p.lines.iter().map(|l| format!("{} × {}", l.quantity, l.name)).collect::<Vec<_>>().join(", ")}</span>
        </li>
    }
}
