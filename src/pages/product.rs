use super::not_found::NotFound;
use crate::api::cart::AddToCart;
use crate::api::catalog::get_product;
use crate::components::add_to_cart::AddToCartForm;
use crate::components::cart_context::use_cart_action;
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::components::product_card::StockNote;
use crate::model::catalog::Product;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let product = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_product,
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match product.await {
                    Ok(Some(product)) => view! { <ProductDetail product/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductDetail(product: Product) -> impl IntoView {
    let add = use_cart_action::<AddToCart>();
    view! {
        <Title text=product.name.clone()/>
        <article class="product-detail">
            <div class="product-detail-media">
                <img src=product.image alt="" width="400" height="300"/>
            </div>
            <div class="product-detail-info">
                <nav class="breadcrumb" aria-label="Breadcrumb">
                    <a href="/">"Shop"</a>
                    " / "
                    <span aria-current="page">{product.name.clone()}</span>
                </nav>
                <h1>{product.name.clone()}</h1>
                <p class="product-price large price">{product.price.to_string()}</p>
                <p class="product-description">{product.description}</p>
                <StockNote stock=product.stock/>
                <ActionNotice result=add.value()/>
                <AddToCartForm
                    action=add
                    product_id=product.id
                    stock=product.stock
                    product_name=product.name
                    visible_label=true
                />
            </div>
        </article>
    }
}
