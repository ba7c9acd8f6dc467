use crate::api::cart::AddToCart;
use crate::domain::cart::MAX_LINE_QUANTITY;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Quantity and "Add to cart". A plain form post before hydration, a server action after.
#[component]
pub fn AddToCartForm(
    action: ServerAction<AddToCart>,
    product_id: i64,
    stock: i64,
    /// Used to label the quantity field for screen readers.
    #[prop(into)]
    product_name: String,
    /// Show the "Quantity" label (product page) or keep it for screen readers only (grid).
    #[prop(optional)]
    visible_label: bool,
) -> impl IntoView {
    let input_id = format!("quantity-{product_id}");
    let sold_out = stock <= 0;
    let label = if visible_label {
        "Quantity".to_string()
    } else {
        format!("Quantity of {product_name}")
    };
    view! {
        <ActionForm action attr:class="add-to-cart">
            <input type="hidden" name="product_id" value=product_id/>
            <label for=input_id.clone() class:visually-hidden=!visible_label>{label}</label>
            <input
                id=input_id
                class="qty-input"
                type="number"
                name="quantity"
                value="1"
                min="1"
                max=stock.clamp(1, MAX_LINE_QUANTITY)
                required
                disabled=sold_out
            />
            <button type="submit" class="btn btn-primary" disabled=sold_out>
                {if sold_out { "Sold out" } else { "Add to cart" }}
            </button>
        </ActionForm>
    }
}
