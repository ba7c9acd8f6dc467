use crate::api::cart::AddToCart;
use crate::api::catalog::list_products;
use crate::components::cart_context::use_cart_action;
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::components::product_card::ProductCard;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ShopPage() -> impl IntoView {
    let products = Resource::new(|| (), |_| list_products());
    let add = use_cart_action::<AddToCart>();
    view! {
        <Title text="Shop"/>
        <section class="page-intro">
            <h1>"Kitchen goods made to last"</h1>
            <p class="lede">"Stoneware, cast iron, copper and linen from small workshops."</p>
        </section>
        <ActionNotice result=add.value()/>
        <Suspense fallback=|| view! { <p class="muted">"Loading products…"</p> }>
            {move || Suspend::new(async move {
                match products.await {
                    Ok(products) => view! {
                        <ul class="product-grid">
                            {products.into_iter().map(|product| view! { <ProductCard product add/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
