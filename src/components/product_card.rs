use super::add_to_cart::AddToCartForm;
use crate::api::cart::AddToCart;
use crate::model::catalog::Product;
use leptos::prelude::*;

/// How much is left, in words.
#[component]
pub fn StockNote(stock: i64) -> impl IntoView {
    let (class, text) = match stock {
        s if s <= 0 => ("stock-note out", "Sold out".to_string()),
        s if s <= 5 => ("stock-note low", format!("Only {s} left")),
        _ => ("stock-note", "In stock".to_string()),
    };
    view! { <p class=class>{text}</p> }
}

/// One product in the shop's grid.
#[component]
pub fn ProductCard(product: Product, add: ServerAction<AddToCart>) -> impl IntoView {
    let href = format!("/products/{}", product.slug);
    view! {
        <li class="product-card" data-testid="product-card">
            <a class="product-card-link" href=href.clone() tabindex="-1" aria-hidden="true">
                <img class="product-image" src=product.image alt="" width="400" height="300"/>
            </a>
            <div class="product-card-body">
                <h2 class="product-name">
                    <a href=href>{product.name.clone()}</a>
                </h2>
                <p class="product-price price">{product.price.to_string()}</p>
                <StockNote stock=product.stock/>
                <AddToCartForm action=add product_id=product.id stock=product.stock product_name=product.name/>
            </div>
        </li>
    }
}
