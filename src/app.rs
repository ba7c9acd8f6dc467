//! The HTML shell and the application's routes.

use crate::components::cart_context::CartProvider;
use crate::components::layout::{SiteFooter, SiteHeader};
use crate::components::payments_banner::PaymentsBanner;
use crate::pages::admin::{
    AdminOrderRoute, AdminOrdersRoute, AnalyticsRoute, EmailRoute, EmailsRoute,
};
use crate::pages::admin::{AdminProductRoute, AdminProductsRoute};
use crate::pages::admin::{DiscountsRoute, ShippingRoute, TaxesRoute};
use crate::pages::admin::{FulfilmentRoute, InvoiceRoute, PackingSlipRoute, ShopperInvoiceRoute};
use crate::pages::{
    cart::CartPage, checkout::CheckoutRoute, find_order::FindOrderPage, not_found::NotFound,
    order::OrderRoute, product::ProductPage, shop::ShopPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

pub const SHOP_NAME: &str = "Hearth & Kettle";

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The nonce in this response's Content-Security-Policy, for the inline scripts below.
    #[cfg(feature = "ssr")]
    crate::server::security_headers::provide_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Kitchen goods made to last."/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=|page: String| format!("{page} · {SHOP_NAME}")/>
        <Router>
            <CartProvider>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <PaymentsBanner/>
                <SiteHeader/>
                <main id="main" class="container">
                    // Async: pages are sent once their data is loaded, so they read well
                    // with JavaScript off and hydrate without a flash of loading states.
                    // Lazy routes: their code is a separate chunk of the bundle (see pages::lazy_page).
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=ShopPage ssr=SsrMode::Async/>
                        <Route path=path!("/products/:slug") view=ProductPage ssr=SsrMode::Async/>
                        <Route path=path!("/cart") view=CartPage ssr=SsrMode::Async/>
                        <Route path=path!("/checkout") view={Lazy::<CheckoutRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/orders/:id") view={Lazy::<OrderRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin") view={Lazy::<AdminOrdersRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/orders/:id") view={Lazy::<AdminOrderRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/analytics") view={Lazy::<AnalyticsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/emails") view={Lazy::<EmailsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/emails/:id") view={Lazy::<EmailRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/products") view={Lazy::<AdminProductsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/products/:id") view={Lazy::<AdminProductRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/fulfilment") view={Lazy::<FulfilmentRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/orders/:id/packing-slip") view={Lazy::<PackingSlipRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/orders/:id/invoice") view={Lazy::<InvoiceRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/orders/:id/invoice") view={Lazy::<ShopperInvoiceRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/shipping") view={Lazy::<ShippingRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/taxes") view={Lazy::<TaxesRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/discounts") view={Lazy::<DiscountsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/find-order") view=FindOrderPage/>
                    </Routes>
                </main>
                <SiteFooter/>
            </CartProvider>
        </Router>
    }
}
