//! Printable documents of an order: `/admin/orders/{id}/packing-slip` (what goes in the box,
//! no prices) and `/admin/orders/{id}/invoice` (number, date, address, lines, totals). The
//! print stylesheet leaves out the shop's header, footer and these pages' own buttons.

use super::SignInForm;
use crate::api::admin::{admin_signed_in, SignIn};
use crate::api::admin_fulfilment::{get_order_document, get_order_invoice};
use crate::app::SHOP_NAME;
use crate::components::notice::ErrorAlert;
use crate::domain::calendar::day;
use crate::error::AppError;
use crate::model::fulfilment::OrderDocument;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    PackingSlip,
    Invoice,
}

#[component]
pub fn PackingSlipPage() -> impl IntoView {
    view! { <Document kind=Kind::PackingSlip/> }
}

#[component]
pub fn InvoicePage() -> impl IntoView {
    view! { <Document kind=Kind::Invoice/> }
}

/// `/orders/{id}/invoice`: the shopper's copy, opened from their order page (the order's id is
/// the key, as for the order page itself).
#[component]
pub fn ShopperInvoicePage() -> impl IntoView {
    let params = use_params_map();
    let document = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_order_invoice,
    );
    view! {
        <Title text="Invoice"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match document.await {
                    Ok(Some(doc)) => {
                        let back = format!("/orders/{}", doc.order_id);
                        view! { <Invoice doc back/> }.into_any()
                    }
                    Ok(None) => view! { <ErrorAlert message="We couldn't find that order."/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Document(kind: Kind) -> impl IntoView {
    let params = use_params_map();
    let sign_in = ServerAction::<SignIn>::new();
    let signed_in = Resource::new(move || sign_in.version().get(), |_| admin_signed_in());
    let document = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                sign_in.version().get(),
            )
        },
        |(id, _)| get_order_document(id),
    );
    let title = match kind {
        Kind::PackingSlip => "Packing slip · Admin",
        Kind::Invoice => "Invoice · Admin",
    };
    view! {
        <Title text=title/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (signed_in.await, document.await) {
                    (Ok(true), Ok(Some(doc))) => match kind {
                        Kind::PackingSlip => view! { <PackingSlip doc/> }.into_any(),
                        Kind::Invoice => {
                            let back = format!("/admin/orders/{}", doc.order_id);
                            view! { <Invoice doc back/> }.into_any()
                        }
                    },
                    (Ok(true), Ok(None)) => view! { <ErrorAlert message="No such order."/> }.into_any(),
                    (Ok(false), _) | (_, Err(AppError::Unauthorized)) => view! { <SignInForm action=sign_in/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Toolbar(back: String) -> impl IntoView {
    let admin = back.starts_with("/admin");
    view! {
        <p class="no-print document-toolbar">
            <a href=back>"← The order"</a>
            {admin.then(|| view! { " · " <a href="/admin/fulfilment">"Fulfilment queue"</a> })}
            " · "
            <span class="muted">"Print this page from the browser (Ctrl+P)."</span>
        </p>
    }
}

#[component]
fn ShipTo(address: Vec<String>, email: String) -> impl IntoView {
    view! {
        <div class="document-party">
            <h2>"Ship to"</h2>
            {if address.is_empty() {
                view! { <p class="muted">"No shipping address on this order."</p> }.into_any()
            } else {
                view! { <address data-testid="document-address">{address.into_iter().map(|l| view! { <span>{l}</span><br/> }).collect_view()}</address> }.into_any()
            }}
            <p class="muted">{email}</p>
        </div>
    }
}

#[component]
fn PackingSlip(doc: OrderDocument) -> impl IntoView {
    view! {
        <Toolbar back=format!("/admin/orders/{}", doc.order_id)/>
        <article class="print-doc packing-slip" data-testid="packing-slip">
            <header class="document-head">
                <div><strong class="document-shop">{SHOP_NAME}</strong><h1>"Packing slip"</h1></div>
                <dl>
                    <div><dt>"Order"</dt><dd><code>{doc.order_id.clone()}</code></dd></div>
                    <div><dt>"Placed"</dt><dd>{day(doc.created_at)}</dd></div>
                </dl>
            </header>
            <ShipTo address=doc.address email=doc.email/>
            <table class="document-lines">
                <thead><tr><th scope="col">"Item"</th><th scope="col">"Qty"</th><th scope="col" class="no-screen">"Packed"</th></tr></thead>
                <tbody>
                    {doc.lines.into_iter().map(|l| view! {
                        <tr><td>{l.name}</td><td>{l.quantity}</td><td class="no-screen">"☐"</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">"Thank you for shopping with us."</p>
        </article>
    }
}

#[component]
fn Invoice(doc: OrderDocument, back: String) -> impl IntoView {
    let Some((number, issued_at)) = doc.invoice else {
        return view! {
            <Toolbar back/>
            <p class="alert alert-info">"This order has no invoice: invoices are issued when an order is paid."</p>
        }
        .into_any();
    };
    view! {
        <Toolbar back/>
        <article class="print-doc invoice" data-testid="invoice">
            <header class="document-head">
                <div><strong class="document-shop">{SHOP_NAME}</strong><h1>{format!("Invoice {number}")}</h1></div>
                <dl>
                    <div><dt>"Invoice number"</dt><dd data-testid="invoice-number">{number}</dd></div>
                    <div><dt>"Date"</dt><dd>{day(issued_at)}</dd></div>
                    <div><dt>"Order"</dt><dd><code>{doc.order_id.clone()}</code></dd></div>
                </dl>
            </header>
            <ShipTo address=doc.address email=doc.email/>
            <table class="document-lines">
                <thead><tr><th scope="col">"Item"</th><th scope="col">"Price"</th><th scope="col">"Qty"</th><th scope="col">"Total"</th></tr></thead>
                <tbody>
                    {doc.lines.into_iter().map(|l| view! {
                        <tr><td>{l.name}</td><td class="price">{l.unit_price.to_string()}</td><td>{l.quantity}</td><td class="price">{l.line_total.to_string()}</td></tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr><th scope="row" colspan="3">"Items"</th><td class="price">{doc.items.to_string()}</td></tr>
                    {doc.discount.map(|d| view! { <tr><th scope="row" colspan="3">"Discount"</th><td class="price">{format!("−{d}")}</td></tr> })}
                    {doc.shipping.map(|(name, amount)| view! { <tr><th scope="row" colspan="3">{name}</th><td class="price">{amount.to_string()}</td></tr> })}
                    {doc.tax.map(|(caption, amount)| view! { <tr><th scope="row" colspan="3">{caption}</th><td class="price">{amount.to_string()}</td></tr> })}
                    <tr class="document-total"><th scope="row" colspan="3">"Total"</th><td class="price" data-testid="invoice-total">{doc.total.to_string()}</td></tr>
                </tfoot>
            </table>
            <p class="muted">{format!("Status: {}", doc.status.label())}</p>
        </article>
    }
    .into_any()
}
