use super::cart_context::use_cart;
use crate::app::SHOP_NAME;
use leptos::prelude::*;

#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="container header-inner">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true"></span>
                    {SHOP_NAME}
                </a>
                <nav class="site-nav" aria-label="Main">
                    <a href="/">"Shop"</a>
                    <a class="cart-link" href="/cart">"Cart" <CartCount/></a>
                </nav>
            </div>
        </header>
    }
}

/// The number of items in the cart, next to the cart link.
#[component]
fn CartCount() -> impl IntoView {
    let cart = use_cart().cart;
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let count = cart.await.map(|c| c.item_count()).unwrap_or(0);
                view! {
                    <span class="cart-count" data-testid="cart-count">
                        {count}
                        <span class="visually-hidden">{if count == 1 { " item" } else { " items" }}</span>
                    </span>
                }
            })}
        </Transition>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container">
                <p>{SHOP_NAME} " · Kitchen goods made to last · Shipping and tax shown at checkout · " <a href="/find-order">"Find my order"</a></p>
            </div>
        </footer>
    }
}
