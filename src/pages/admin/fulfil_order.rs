//! The fulfilment panel of the admin's order page: where the goods are, each parcel (Mark
//! delivered, Mark returned), Mark shipped (carrier, tracking, which items), Cancel unshipped
//! order, and links to the packing slip and the invoice. Follows the order live.

use super::fulfilment::fulfilment_badge;
use crate::api::admin_fulfilment::{
    get_admin_fulfilment, CancelUnshipped, MarkDelivered, MarkReturned, MarkShipped,
};
use crate::browser;
use crate::components::hydrated::use_hydrated;
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::domain::calendar::day;
use crate::domain::fulfilment::FulfilmentStatus;
use crate::model::fulfilment::{AdminFulfilment, FulfilmentLine, ShipmentView};
use leptos::prelude::*;

#[derive(Clone, Copy)]
struct Actions {
    ship: ServerAction<MarkShipped>,
    deliver: ServerAction<MarkDelivered>,
    returned: ServerAction<MarkReturned>,
    cancel: ServerAction<CancelUnshipped>,
}

#[component]
pub fn FulfilOrder(order_id: String) -> impl IntoView {
    let actions = Actions {
        ship: ServerAction::<MarkShipped>::new(),
        deliver: ServerAction::<MarkDelivered>::new(),
        returned: ServerAction::<MarkReturned>::new(),
        cancel: ServerAction::<CancelUnshipped>::new(),
    };
    let changes = RwSignal::new(0u32);
    let id = StoredValue::new(order_id);
    let panel = Resource::new(
        move || {
            (
                id.get_value(),
                changes.get(),
                actions.ship.version().get(),
                actions.deliver.version().get(),
                actions.returned.version().get(),
                actions.cancel.version().get(),
            )
        },
        |(id, ..)| get_admin_fulfilment(id),
    );
    let watch = StoredValue::new(None::<browser::OrderWatch>);
    Effect::new(move |_| {
        let handle = browser::watch_order(&id.get_value(), move |_| changes.update(|n| *n += 1));
        watch.set_value(Some(handle));
    });
    on_cleanup(move || watch.set_value(None));
    view! {
        <section class="fulfilment" aria-labelledby="fulfilment-heading" data-testid="fulfilment-panel">
            <h2 id="fulfilment-heading">"Fulfilment"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match panel.await {
                        Ok(Some(f)) => view! { <Panel f actions/> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <ActionNotice result=actions.ship.value()/>
            <ActionNotice result=actions.deliver.value()/>
            <ActionNotice result=actions.returned.value()/>
            <ActionNotice result=actions.cancel.value()/>
        </section>
    }
}

#[component]
fn Panel(f: AdminFulfilment, actions: Actions) -> impl IntoView {
    let id = f.order_id.clone();
    let canceled = f.fulfilment == FulfilmentStatus::Canceled;
    view! {
        <p>"Goods: "
            <span class=fulfilment_badge(f.fulfilment) data-testid="fulfilment-status">{f.fulfilment.label()}</span>
        </p>
        <p class="document-links">
            <a href=format!("/admin/orders/{id}/packing-slip") data-testid="packing-slip-link">"Packing slip"</a>
            {f.invoice_number.map(|n| view! {
                " · " <a href=format!("/admin/orders/{id}/invoice") data-testid="invoice-link">{format!("Invoice {n}")}</a>
            })}
        </p>
        {(!f.shipments.is_empty()).then(|| view! {
            <ol class="shipments" data-testid="admin-shipments">
                {f.shipments.clone().into_iter().map(|s| view! { <AdminShipment order_id=id.clone() s actions/> }).collect_view()}
            </ol>
        })}
        {f.can_ship.then(|| view! { <ShipForm order_id=id.clone() lines=f.lines.clone() ship=actions.ship/> })}
        {f.can_cancel.then(|| view! { <CancelForm order_id=id.clone() cancel=actions.cancel retry=canceled/> })}
    }
}

#[component]
fn AdminShipment(order_id: String, s: ShipmentView, actions: Actions) -> impl IntoView {
    let hydrated = use_hydrated();
    let shipment_id = s.id;
    let deliver_id = order_id.clone();
    let return_id = order_id;
    let busy = move || actions.deliver.pending().get() || actions.returned.pending().get();
    view! {
        <li data-testid="admin-shipment">
            <strong>{s.carrier.clone()}</strong> " "
            {match s.tracking_url.clone() {
                Some(url) => view! { <a href=url rel="noopener noreferrer" target="_blank"><code>{s.tracking_number.clone()}</code></a> }.into_any(),
                None => view! { <code>{s.tracking_number.clone()}</code> }.into_any(),
            }}
            <span class="muted">{format!(" · shipped {}", day(s.shipped_at))}</span>
            {s.delivered_at.map(|at| view! { <span class="badge badge-paid">{format!("Delivered {}", day(at))}</span> })}
            {s.returned_at.map(|at| view! { <span class="badge badge-refunded">{format!("Returned {}", day(at))}</span> })}
            <br/>
            <span>{s.lines.iter().map(|l| format!("{} × {}", l.quantity, l.name)).collect::<Vec<_>>().join(", ")}</span>
            <br/>
            {(s.delivered_at.is_none() && s.returned_at.is_none()).then(|| view! {
                <button type="button" class="btn btn-secondary" data-testid="mark-delivered"
                    disabled=move || !hydrated.get() || busy()
                    on:click=move |_| { actions.deliver.dispatch(MarkDelivered { order_id: deliver_id.clone(), shipment_id }); }>
                    "Mark delivered"
                </button>
            })}
            " "
            {s.returned_at.is_none().then(|| view! {
                <button type="button" class="btn btn-secondary" data-testid="mark-returned"
                    disabled=move || !hydrated.get() || busy()
                    on:click=move |_| { actions.returned.dispatch(MarkReturned { order_id: return_id.clone(), shipment_id }); }>
                    "Mark returned (restock)"
                </button>
            })}
        </li>
    }
}

/// Carrier, tracking number, optional link, and how many of each item (all that is left by
/// default). The form's key is made when it is shown: a double submit ships once.
#[component]
fn ShipForm(
    order_id: String,
    lines: Vec<FulfilmentLine>,
    ship: ServerAction<MarkShipped>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(new_key()));
    let carrier = RwSignal::new(String::new());
    let tracking_number = RwSignal::new(String::new());
    let tracking_url = RwSignal::new(String::new());
    let quantities: Vec<(FulfilmentLine, RwSignal<String>)> = lines
        .into_iter()
        .filter(|l| l.remaining > 0)
        .map(|l| {
            let q = RwSignal::new(l.remaining.to_string());
            (l, q)
        })
        .collect();
    let chosen = quantities
        .iter()
        .map(|(l, q)| (l.product_id, *q))
        .collect::<Vec<_>>();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if ship.pending().get_untracked() || key.get_untracked().is_empty() {
            return;
        }
        let lines = chosen
            .iter()
            .map(|(p, q)| format!("{p}:{}", q.get_untracked().trim()))
            .collect::<Vec<_>>()
            .join(",");
        ship.dispatch(MarkShipped {
            order_id: order_id.clone(),
            key: key.get_untracked(),
            carrier: carrier.get_untracked(),
            tracking_number: tracking_number.get_untracked(),
            tracking_url: tracking_url.get_untracked(),
            lines,
        });
    };
    view! {
        <form class="ship-form" on:submit=submit data-testid="ship-form">
            <h3>"Mark shipped"</h3>
            <div class="ship-fields">
                <label>"Carrier"
                    <input type="text" name="carrier" maxlength="80" required data-testid="carrier"
                        prop:value=move || carrier.get() on:input=move |ev| carrier.set(event_target_value(&ev))/>
                </label>
                <label>"Tracking number"
                    <input type="text" name="tracking_number" maxlength="80" required data-testid="tracking-number"
                        prop:value=move || tracking_number.get() on:input=move |ev| tracking_number.set(event_target_value(&ev))/>
                </label>
                <label>"Tracking link (optional)"
                    <input type="url" name="tracking_url" maxlength="500" placeholder="https://" data-testid="tracking-url"
                        prop:value=move || tracking_url.get() on:input=move |ev| tracking_url.set(event_target_value(&ev))/>
                </label>
            </div>
            <fieldset class="ship-lines">
                <legend>"Items in this parcel"</legend>
                {quantities.into_iter().map(|(l, q)| view! {
                    <label>
                        <input type="number" min="0" max=l.remaining.to_string() step="1" class="qty"
                            data-testid=format!("ship-qty-{}", l.product_id)
                            prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))/>
                        {format!(" of {} left × {}", l.remaining, l.name)}
                    </label>
                }).collect_view()}
            </fieldset>
            <button type="submit" class="btn btn-primary" data-testid="mark-shipped"
                disabled=move || !hydrated.get() || ship.pending().get()>"Mark shipped"</button>
        </form>
    }
}

/// Refund in full and restock, after a confirmation.
#[component]
fn CancelForm(
    order_id: String,
    cancel: ServerAction<CancelUnshipped>,
    /// Canceled already: only its refund is still to send.
    retry: bool,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let confirming = RwSignal::new(false);
    view! {
        <div class="cancel-order">
            {move || {
                let order_id = order_id.clone();
                if confirming.get() {
                    view! {
                        <p class="alert alert-info">"Refund this order in full and put its items back in stock? This cannot be undone."</p>
                        <button type="button" class="btn btn-primary" data-testid="confirm-cancel"
                            disabled=move || cancel.pending().get()
                            on:click=move |_| { cancel.dispatch(CancelUnshipped { order_id: order_id.clone() }); }>
                            "Cancel and refund"
                        </button>
                        " "
                        <button type="button" class="btn-link" on:click=move |_| confirming.set(false)>"Keep the order"</button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="btn btn-secondary" data-testid="cancel-unshipped"
                            disabled=move || !hydrated.get()
                            on:click=move |_| confirming.set(true)>{if retry { "Send the cancellation's refund again…" } else { "Cancel unshipped order…" }}</button>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// A fresh one-use key for a shipment form (browser only; the form is disabled before).
fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let a = (js_sys::Math::random() * 1e15) as u64;
        let b = (js_sys::Math::random() * 1e15) as u64;
        let t = js_sys::Date::now() as u64;
        format!("s{t:x}{a:x}{b:x}")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
