use crate::api::admin::{get_admin_order, AdminRefreshOrder, RefundOrder};
use crate::browser;
use crate::components::hydrated::use_hydrated;
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::components::price_lines::{PriceLines, ShippingAddress};
use crate::components::status_badge::badge;
use crate::domain::calendar::day;
use crate::domain::order::{OrderStatus, RefundStatus};
use crate::model::admin::AdminOrderDetail;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/admin/orders/{id}`: the order, its Stripe ids, its whole timeline (newest first), refunds.
/// Follows the order live like the shopper's page.
#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let refund = ServerAction::<RefundOrder>::new();
    let refresh = ServerAction::<AdminRefreshOrder>::new();
    let changes = RwSignal::new(0u32);
    let order = Resource::new(
        move || {
            (
                id(),
                changes.get(),
                refund.version().get(),
                refresh.version().get(),
            )
        },
        |(id, _, _, _)| get_admin_order(id),
    );

    let watch = StoredValue::new(None::<browser::OrderWatch>);
    Effect::new(move |_| {
        let handle = browser::watch_order(&id(), move |_| changes.update(|n| *n += 1));
        watch.set_value(Some(handle));
    });
    on_cleanup(move || watch.set_value(None));

    view! {
        <Title text="Order · Admin"/>
        <p><a href="/admin">"← All orders"</a></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(Some(detail)) => view! { <OrderAdmin detail refund refresh/> }.into_any(),
                    Ok(None) => view! { <ErrorAlert message="No such order."/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> <p><a href="/admin">"Sign in"</a></p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrderAdmin(
    detail: AdminOrderDetail,
    refund: ServerAction<RefundOrder>,
    refresh: ServerAction<AdminRefreshOrder>,
) -> impl IntoView {
    let order = detail.order;
    let hydrated = use_hydrated();
    let pending: Vec<_> = detail
        .refunds
        .iter()
        .filter(|r| r.state == RefundStatus::Pending)
        .map(|r| r.amount.to_string())
        .collect();
    view! {
        <h1>{format!("Order {}", order.id)}</h1>
        {detail.oversold.then(|| view! {
            <p class="alert alert-error" data-testid="oversold">"Oversold: this order was paid after its hold ran out, and the stock was no longer there."</p>
        })}
        {(order.status == OrderStatus::NeedsReview).then(|| view! {
            <p class="alert alert-error">"Stripe took a different amount from this order's total: refund it, or settle it with the customer."</p>
        })}
        <p>
            <button type="button" class="btn btn-secondary" data-testid="refresh-from-stripe"
                on:click={
                    let id = order.id.clone();
                    move |_| { refresh.dispatch(AdminRefreshOrder { id: id.clone() }); }
                }
                disabled=move || !hydrated.get() || refresh.pending().get()>{if detail.gateway == crate::domain::gateway::Gateway::Paypal { "Refresh from PayPal" } else { "Refresh from Stripe" }}</button>
        </p>
        <ActionNotice result=refresh.value()/>
        <p class="order-status">"Status: "
            <span class=badge(order.status) data-testid="admin-order-status">{order.status.label()}</span>
            {(!pending.is_empty()).then(|| view! { <span class="badge badge-pending" data-testid="refund-pending">{format!("Refund pending: {}", pending.join(", "))}</span> })}
        </p>
        <dl class="admin-facts">
            <div><dt>"Email"</dt><dd>{order.email}</dd></div>
            <div><dt>"Placed (UTC)"</dt><dd>{day(order.created_at)}</dd></div>
            <div><dt>"Total"</dt><dd class="price">{order.total.to_string()}</dd></div>
            <div><dt>"Refundable"</dt><dd class="price" data-testid="refundable">{detail.refundable.to_string()}</dd></div>
            <div><dt>"Paid with"</dt><dd data-testid="gateway">{detail.gateway.label()}</dd></div>
            {detail.gateway_ref.map(|id| view! { <div><dt>"PayPal order"</dt><dd><code>{id}</code></dd></div> })}
            {detail.gateway_payment_ref.map(|id| view! { <div><dt>"PayPal capture"</dt><dd><code>{id}</code></dd></div> })}
            <div><dt>"PaymentIntent"</dt><dd>
                {match (detail.payment_intent_id, detail.dashboard_url) {
                    (Some(pi), Some(url)) => view! { <a href=url rel="noopener" target="_blank">{pi}</a> }.into_any(),
                    (Some(pi), None) => view! { <code>{pi}</code> }.into_any(),
                    _ => view! { "—" }.into_any(),
                }}
            </dd></div>
        </dl>
        <div class="table-wrap">
            <table class="order-items">
                <thead><tr><th scope="col">"Item"</th><th scope="col">"Price"</th><th scope="col">"Qty"</th><th scope="col">"Total"</th></tr></thead>
                <tbody>
                    {order.items.into_iter().map(|i| view! {
                        <tr><td>{i.name}</td><td class="price">{i.unit_price.to_string()}</td><td>{i.quantity}</td><td class="price">{i.line_total.to_string()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <PriceLines pricing=order.pricing.clone() total_testid="admin-order-total"/>
        {order.address.clone().map(|address| view! {
            <section class="ship-to" aria-label="Ship to">
                <h2>"Ship to"</h2>
                <ShippingAddress address/>
            </section>
        })}
        {(detail.refundable.minor > 0 && order.status.was_paid()).then(|| view! {
            <RefundForm order_id=order.id.clone() max=detail.refundable.to_major_string() refund/>
        })}
        {(order.status == OrderStatus::Refunded).then(|| view! { <p class="muted">"Fully refunded."</p> })}
        <super::fulfil_order::FulfilOrder order_id=order.id.clone()/>
        <super::emails::OrderEmails order_id=order.id.clone()/>
        <h2>"Timeline"</h2>
        <ol class="timeline" data-testid="timeline" reversed>
            {detail.timeline.into_iter().map(|e| view! {
                <li>
                    <span class="muted">{day(e.at)}</span> " "
                    <strong>{e.detail}</strong>
                    {e.new_status.filter(|n| Some(*n) != e.old_status).map(|n| view! { <span class="muted">{format!(" → {}", n.as_str())}</span> })}
                    {e.stripe_event_id.map(|id| view! { <code class="muted">{format!(" {id}")}</code> })}
                </li>
            }).collect_view()}
        </ol>
    }
}

/// Amount and reason, then a confirmation step; one idempotency key per reviewed refund.
#[component]
fn RefundForm(order_id: String, max: String, refund: ServerAction<RefundOrder>) -> impl IntoView {
    let amount = RwSignal::new(max.clone());
    let reason = RwSignal::new(String::from("requested_by_customer"));
    let review = RwSignal::new(None::<String>); // the attempt key while confirming
    let hydrated = use_hydrated();
    let locked = move || !hydrated.get() || review.get().is_some();
    let send = move |_| {
        let Some(attempt) = review.get_untracked() else {
            return;
        };
        if refund.pending().get_untracked() {
            return;
        }
        refund.dispatch(RefundOrder {
            order_id: order_id.clone(),
            amount: amount.get_untracked(),
            reason: Some(reason.get_untracked()),
            attempt,
        });
    };
    Effect::new(move |_| {
        if matches!(refund.value().get(), Some(Ok(_))) {
            review.set(None);
        }
    });
    view! {
        <section class="refund" aria-labelledby="refund-heading">
            <h2 id="refund-heading">"Refund"</h2>
            <div class="refund-fields">
                <label>"Amount (up to " {max.clone()} ")"
                    <input type="text" inputmode="decimal" name="amount" prop:value=move || amount.get()
                        on:input=move |ev| amount.set(event_target_value(&ev)) disabled=locked/>
                </label>
                <label>"Reason"
                    <select name="reason" on:change=move |ev| reason.set(event_target_value(&ev)) disabled=locked>
                        <option value="requested_by_customer">"Requested by customer"</option>
                        <option value="duplicate">"Duplicate"</option>
                        <option value="fraudulent">"Fraudulent"</option>
                    </select>
                </label>
            </div>
            {move || match review.get() {
                None => view! {
                    <button type="button" class="btn btn-secondary" on:click=move |_| review.set(Some(attempt_key()))
                        disabled=move || !hydrated.get()>"Review refund"</button>
                }.into_any(),
                Some(_) => view! {
                    <p class="alert alert-info">{format!("Refund {} to the customer's card? This cannot be undone.", amount.get())}</p>
                    <button type="button" class="btn btn-primary" on:click=send.clone() disabled=move || refund.pending().get()>"Confirm refund"</button>
                    " "
                    <button type="button" class="btn-link" on:click=move |_| review.set(None)>"Cancel"</button>
                }.into_any(),
            }}
            <ActionNotice result=refund.value()/>
        </section>
    }
}

/// A fresh idempotency key for one refund attempt.
fn attempt_key() -> String {
    let now = js_now();
    let noise: u64 = (now * 1000.0) as u64 ^ 0x9e37_79b9_7f4a_7c15;
    format!("r{now:.0}x{noise:x}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(40)
        .collect()
}

fn js_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Math::random() * 1e15 + js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}
