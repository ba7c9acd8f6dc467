//! How a total is made, line by line: items, discount, shipping, tax, total. The same lines on
//! the checkout, the order page and the merchant's order page.

use crate::domain::address::Address;
use crate::domain::pricing::{Breakdown, TaxMode};
use leptos::prelude::*;

/// Subtotal, discount, shipping, tax and total. `total_testid` names the total for tests
/// (`checkout-total`, `order-total`).
#[component]
pub fn PriceLines(pricing: Breakdown, #[prop(into)] total_testid: String) -> impl IntoView {
    let discount = (pricing.discount.minor > 0).then(|| {
        let label = match &pricing.discount_code {
            Some(code) => format!("Discount ({code})"),
            None => "Discount".into(),
        };
        view! { <div><dt>{label}</dt><dd class="price" data-testid="price-discount">{format!("−{}", pricing.discount)}</dd></div> }
    });
    let shipping = pricing.shipping_name.clone().map(|name| {
        let amount = if pricing.shipping.minor == 0 {
            "Free".to_string()
        } else {
            pricing.shipping.to_string()
        };
        view! { <div><dt>{format!("Shipping ({name})")}</dt><dd class="price" data-testid="price-shipping">{amount}</dd></div> }
    });
    let tax = (pricing.tax_label.is_some() || pricing.tax_mode == TaxMode::Exclusive).then(|| {
        view! { <div class="tax-line"><dt>{pricing.tax_caption()}</dt><dd class="price" data-testid="price-tax">{pricing.tax.to_string()}</dd></div> }
    });
    view! {
        <dl class="summary-list price-lines">
            <div><dt>"Subtotal"</dt><dd class="price" data-testid="price-items">{pricing.items.to_string()}</dd></div>
            {discount}
            {shipping}
            {tax}
            <div class="total-line"><dt>"Total"</dt><dd class="cart-total price" data-testid=total_testid>{pricing.total.to_string()}</dd></div>
        </dl>
    }
}

/// A shipping address as it goes on a label.
#[component]
pub fn ShippingAddress(address: Address) -> impl IntoView {
    view! {
        <address class="shipping-address" data-testid="shipping-address">
            {address.lines().into_iter().map(|line| view! { <span>{line}</span><br/> }).collect_view()}
        </address>
    }
}
