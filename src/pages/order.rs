use super::not_found::NotFound;
use crate::api::orders::{get_order, refresh_order};
use crate::browser;
use crate::components::cart_context::use_cart;
use crate::components::notice::ErrorAlert;
use crate::components::price_lines::{PriceLines, ShippingAddress};
use crate::components::status_badge::badge;
use crate::domain::order::OrderStatus;
use crate::model::orders::OrderView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

lazy_page! {
    /// `/orders/:id`: the order's live status, loaded when an order is shown.
    OrderRoute => OrderPage;
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let order = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_order,
    );
    // Back from a redirect (3-D Secure, redirect methods), Stripe adds the PaymentIntent, its
    // client secret and a status hint to the URL. Read here, then taken out of the address bar.
    let redirected = use_query_map()
        .read_untracked()
        .get("payment_intent")
        .is_some();
    Effect::new(move |_| browser::forget_stripe_return_params());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading your order…"</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(Some(order)) => view! { <OrderDetail order redirected/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The order and its live status: pushed by the server the moment a webhook commits,
/// polled while the stream is down. Works for a link opened later, or after a redirect.
/// `redirected`: the shopper is back from a Stripe redirect (its `redirect_status` is a hint
/// only; the status shown is ours).
#[component]
fn OrderDetail(order: OrderView, redirected: bool) -> impl IntoView {
    let status = RwSignal::new(order.status);
    // Whether the live stream (or the polling fallback) has reported since the page loaded.
    let live = RwSignal::new(false);
    let watch = StoredValue::new(None::<browser::OrderWatch>);
    let id = order.id.clone();
    // Once paid, the server has emptied the cart: show that in the header.
    let cart = use_cart();
    Effect::new(move |_| {
        if status.get().was_paid() {
            cart.refresh();
        }
    });
    Effect::new(move |_| {
        let handle = browser::watch_order(&id, move |s| {
            if let Some(s) = OrderStatus::parse(&s) {
                status.set(s);
                live.set(true);
            }
        });
        watch.set_value(Some(handle));
    });
    on_cleanup(move || watch.set_value(None));
    // Not settled yet: ask the server to read the order back from Stripe once (it is
    // rate-limited there), in case its webhook was lost. The live stream shows any change.
    let order_id = order.id.clone();
    Effect::new(move |_| {
        if status.get_untracked().is_open() {
            let id = order_id.clone();
            browser::spawn(async move {
                let _ = refresh_order(id).await;
            });
        }
    });
    view! {
        <Title text="Your order"/>
        <article class="order-detail">
            <h1>"Your order"</h1>
            <p class="order-status">
                "Status: "
                <span class=move || badge(status.get()) data-testid="order-status" data-live=move || live.get().to_string() aria-live="polite">
                    {move || status.get().label()}
                </span>
            </p>
            {move || match status.get() {
                OrderStatus::Paid => Some(view! { <p class="alert alert-success">"Thank you! Your payment was received and your order is being prepared."</p> }.into_any()),
                OrderStatus::Pending if redirected => Some(view! { <p class="alert alert-info">"Confirming your payment…"</p> }.into_any()),
                OrderStatus::Processing => Some(view! { <p class="alert alert-info">"Your bank is processing the payment. This page will update by itself."</p> }.into_any()),
                OrderStatus::PaymentFailed => Some(view! { <p class="alert alert-error">"The payment did not go through. " <a href="/checkout">"Try again"</a></p> }.into_any()),
                _ => None,
            }}
            <p class="muted">{format!("Order {} · receipt to {}", order.id, order.email)}</p>
            <div class="table-wrap">
                <table class="order-items">
                    <thead>
                        <tr><th scope="col">"Item"</th><th scope="col">"Price"</th><th scope="col">"Qty"</th><th scope="col">"Total"</th></tr>
                    </thead>
                    <tbody>
                        {order.items.into_iter().map(|item| view! {
                            <tr>
                                <td>{item.name}</td>
                                <td class="price">{item.unit_price.to_string()}</td>
                                <td>{item.quantity}</td>
                                <td class="price">{item.line_total.to_string()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <PriceLines pricing=order.pricing total_testid="order-total"/>
            {order.address.map(|address| view! {
                <section class="ship-to" aria-label="Shipping to">
                    <h2>"Shipping to"</h2>
                    <ShippingAddress address/>
                </section>
            })}
            <crate::components::shipments::Shipments order_id=order.id.clone()/>
            <p><a href="/">"Continue shopping"</a></p>
        </article>
    }
}
