//! The merchant's pages. Every piece of data comes from an admin server function that checks
//! the session itself; these pages only decide what to show.

mod analytics;
mod discounts;
mod documents;
mod emails;
mod fulfil_order;
mod fulfilment;
mod order;
mod orders;
mod product;
mod products;
mod shipping;
mod taxes;

pub use analytics::AnalyticsPage;
pub use discounts::DiscountsPage;
pub use documents::{InvoicePage, PackingSlipPage, ShopperInvoicePage};
pub use emails::{AdminEmailPage, AdminEmailsPage};
pub use fulfilment::FulfilmentQueuePage;
pub use order::AdminOrderPage;
pub use orders::AdminPage;
pub use product::AdminProductPage;
pub use products::AdminProductsPage;
pub use shipping::ShippingPage;
pub use taxes::TaxesPage;

use crate::api::admin::{SignIn, SignOut};
use crate::components::notice::ErrorAlert;
use leptos::form::ActionForm;
use leptos::prelude::*;

// The merchant's pages: a shopper's browser never downloads them.
lazy_page! {
    /// `/admin`
    AdminOrdersRoute => AdminPage;
    /// `/admin/orders/:id`
    AdminOrderRoute => AdminOrderPage;
    /// `/admin/analytics`
    AnalyticsRoute => AnalyticsPage;
    /// `/admin/emails`
    EmailsRoute => AdminEmailsPage;
    /// `/admin/emails/:id`
    EmailRoute => AdminEmailPage;
    /// `/admin/products`
    AdminProductsRoute => AdminProductsPage;
    /// `/admin/products/:id` (and `/admin/products/new`)
    AdminProductRoute => AdminProductPage;
    /// `/admin/fulfilment`
    FulfilmentRoute => FulfilmentQueuePage;
    /// `/admin/orders/:id/packing-slip`
    PackingSlipRoute => PackingSlipPage;
    /// `/admin/orders/:id/invoice`
    InvoiceRoute => InvoicePage;
    /// `/orders/:id/invoice`: the shopper's copy of the invoice (the same document)
    ShopperInvoiceRoute => ShopperInvoicePage;
    /// `/admin/shipping`
    ShippingRoute => ShippingPage;
    /// `/admin/taxes`
    TaxesRoute => TaxesPage;
    /// `/admin/discounts`
    DiscountsRoute => DiscountsPage;
}

#[component]
pub fn SignInForm(action: ServerAction<SignIn>) -> impl IntoView {
    view! {
        <section class="sign-in" aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">"Merchant sign-in"</h1>
            <ActionForm action attr:class="sign-in-form">
                <label for="admin-password">"Password"</label>
                <input id="admin-password" type="password" name="password" autocomplete="current-password" required/>
                <button type="submit" class="btn btn-primary">"Sign in"</button>
            </ActionForm>
            {move || action.value().get().and_then(Result::err).map(|e| view! { <ErrorAlert message=e.to_string()/> })}
        </section>
    }
}

#[component]
pub fn SignOutButton(action: ServerAction<SignOut>) -> impl IntoView {
    view! {
        <ActionForm action attr:class="sign-out-form">
            <button type="submit" class="btn btn-secondary">"Sign out"</button>
        </ActionForm>
    }
}
