//! `/admin/products`: every product, inactive ones too, with its price, stock and image.

use super::SignInForm;
use crate::api::admin::{admin_signed_in, SignIn};
use crate::api::admin_catalog::admin_products;
use crate::components::notice::ErrorAlert;
use crate::domain::product::AdminProduct;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminProductsPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let signed_in = Resource::new(move || sign_in.version().get(), |_| admin_signed_in());
    let products = Resource::new(move || sign_in.version().get(), |_| admin_products());
    view! {
        <Title text="Products · Admin"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (signed_in.await, products.await) {
                    (Ok(true), Ok(products)) => view! { <ProductsTable products/> }.into_any(),
                    (Ok(false), _) => view! { <SignInForm action=sign_in/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductsTable(products: Vec<AdminProduct>) -> impl IntoView {
    view! {
        <div class="admin-head">
            <h1>"Products"</h1>
            <nav class="admin-nav" aria-label="Admin">
                <a href="/admin">"Orders"</a>
                <a href="/admin/products/new" class="btn btn-primary">"Add a product"</a>
            </nav>
        </div>
        <div class="table-wrap">
            <table class="admin-products" data-testid="admin-products">
                <thead>
                    <tr>
                        <th scope="col"><span class="visually-hidden">"Image"</span></th>
                        <th scope="col">"Product"</th>
                        <th scope="col">"Slug"</th>
                        <th scope="col">"Price"</th>
                        <th scope="col">"On sale"</th>
                        <th scope="col">"Weight"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {products.into_iter().map(|p| { let slug = p.slug.clone(); view! {
                        <tr data-product=slug>
                            <td><img class="admin-product-thumb" src=p.image alt="" width="64" height="48"/></td>
                            <td><a href=format!("/admin/products/{}", p.id)>{p.name}</a></td>
                            <td><code>{p.slug}</code></td>
                            <td class="price">{p.price.to_string()}</td>
                            <td data-testid="stock">{p.stock}</td>
                            <td>{format!("{} g", p.weight_grams)}</td>
                            <td>{if p.active {
                                view! { <span class="badge badge-paid">"Active"</span> }.into_any()
                            } else {
                                view! { <span class="badge badge-canceled">"Inactive"</span> }.into_any()
                            }}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
