//! `/admin/products/{id}`: one product — its fields, its image (uploaded to a plain form route),
//! and its stock, adjusted with a reason and kept as a history. `/admin/products/new` adds one.

use super::SignInForm;
use crate::api::admin::{admin_signed_in, SignIn};
use crate::api::admin_catalog::{get_admin_product, AdjustStock, CreateProduct, UpdateProduct};
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::domain::calendar::day;
use crate::domain::product::{
    AdminProductDetail, ProductForm, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MAX_REASON_CHARS,
    MAX_SLUG_CHARS,
};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn AdminProductPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let sign_in = ServerAction::<SignIn>::new();
    let create = ServerAction::<CreateProduct>::new();
    let update = ServerAction::<UpdateProduct>::new();
    let stock = ServerAction::<AdjustStock>::new();
    // Read again after a change that went through (a refused one keeps what was typed).
    let saved = RwSignal::new(0u32);
    let reload_on_success = move |value: &Option<Result<String, crate::error::AppError>>| {
        if matches!(value, Some(Ok(_))) {
            saved.update(|n| *n += 1);
        }
    };
    Effect::watch(
        move || update.value().get(),
        move |value, _, _| reload_on_success(value),
        false,
    );
    Effect::watch(
        move || stock.value().get(),
        move |value, _, _| reload_on_success(value),
        false,
    );
    let signed_in = Resource::new(move || sign_in.version().get(), |_| admin_signed_in());
    let detail = Resource::new(
        move || (id(), sign_in.version().get(), saved.get()),
        |(id, _, _)| async move {
            match id.parse::<i64>() {
                Ok(id) => get_admin_product(id).await,
                Err(_) => Ok(None),
            }
        },
    );
    view! {
        <Title text="Product · Admin"/>
        <p><a href="/admin/products">"← All products"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let new = id() == "new";
                match (signed_in.await, detail.await) {
                    (Ok(false), _) => view! { <SignInForm action=sign_in/> }.into_any(),
                    (Ok(true), _) if new => view! { <NewProduct create/> }.into_any(),
                    (Ok(true), Ok(Some(detail))) => view! { <EditProduct detail update stock/> }.into_any(),
                    (Ok(true), Ok(None)) => view! { <ErrorAlert message="No such product."/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The product's fields, as one form's inputs; the stock only when adding (afterwards it changes
/// by adjustments only).
#[component]
fn ProductInputs(form: ProductForm, with_stock: bool, currency: String) -> impl IntoView {
    view! {
        <div class="product-form-fields">
            <label for="product-name">"Name"</label>
            <input id="product-name" type="text" name="name" value=form.name maxlength=MAX_NAME_CHARS required/>
            <label for="product-slug">"Slug " <span class="muted">"(its address: /products/…; a–z, 0–9 and -)"</span></label>
            <input id="product-slug" type="text" name="slug" value=form.slug maxlength=MAX_SLUG_CHARS pattern="[a-z0-9\\-]+" required/>
            <label for="product-description">"Description"</label>
            <textarea id="product-description" name="description" rows="5" maxlength=MAX_DESCRIPTION_CHARS>{form.description}</textarea>
            <label for="product-price">{format!("Price ({currency})")}</label>
            <input id="product-price" type="text" inputmode="decimal" name="price" value=form.price placeholder="12.50" required/>
            <label for="product-weight">"Weight in grams"</label>
            <input id="product-weight" type="number" name="weight_grams" value=form.weight_grams min="0" max="100000" step="1" required/>
            {with_stock.then(|| view! {
                <label for="product-stock">"Stock"</label>
                <input id="product-stock" type="number" name="stock" value=form.stock.clone() min="0" max="100000" step="1" required/>
            })}
            <label class="product-active">
                <input type="checkbox" name="active" value="on" checked=form.active/>
                " Active (on sale in the shop)"
            </label>
        </div>
    }
}

#[component]
fn NewProduct(create: ServerAction<CreateProduct>) -> impl IntoView {
    let form = ProductForm {
        weight_grams: "0".into(),
        stock: "0".into(),
        active: true,
        ..ProductForm::default()
    };
    view! {
        <h1>"Add a product"</h1>
        <ActionForm action=create attr:class="product-form" attr:data-testid="product-form">
            <ProductInputs form with_stock=true currency="in the shop’s currency".to_string()/>
            <button type="submit" class="btn btn-primary">"Add product"</button>
        </ActionForm>
        {move || create.value().get().and_then(Result::err).map(|e| view! { <ErrorAlert message=e.to_string()/> })}
    }
}

#[component]
fn EditProduct(
    detail: AdminProductDetail,
    update: ServerAction<UpdateProduct>,
    stock: ServerAction<AdjustStock>,
) -> impl IntoView {
    let product = detail.product;
    let id = product.id;
    let uploaded = use_query_map().read_untracked().get("image").as_deref() == Some("uploaded");
    let form = product.to_form();
    view! {
        <div class="admin-head">
            <h1 data-testid="product-heading">{product.name.clone()}</h1>
            <nav class="admin-nav" aria-label="Admin">
                {product.active.then(|| view! { <a href=format!("/products/{}", product.slug)>"View in the shop"</a> })}
            </nav>
        </div>
        {(!product.active).then(|| view! {
            <p class="alert alert-info" data-testid="inactive">"Inactive: hidden from the shop, and it cannot be added to a cart."</p>
        })}
        <div class="product-admin">
            <section aria-labelledby="details-heading">
                <h2 id="details-heading">"Details"</h2>
                <ActionForm action=update attr:class="product-form" attr:data-testid="product-form">
                    <input type="hidden" name="id" value=id/>
                    <ProductInputs form with_stock=false currency=detail.currency.to_string()/>
                    <button type="submit" class="btn btn-primary">"Save"</button>
                </ActionForm>
                <ActionNotice result=update.value()/>
            </section>
            <section aria-labelledby="image-heading">
                <h2 id="image-heading">"Image"</h2>
                <img class="admin-product-image" src=product.image alt="" width="320" height="240" data-testid="product-image"/>
                {uploaded.then(|| view! { <p class="alert alert-success" role="status">"Image uploaded."</p> })}
                // A plain form: the file goes to the upload route, which sends the browser back here.
                <form method="post" action=format!("/admin/products/{id}/image") enctype="multipart/form-data" class="image-upload">
                    <label for="product-image-file">"New image " <span class="muted">"(PNG, JPEG or WebP, at most 2 MiB)"</span></label>
                    <input id="product-image-file" type="file" name="image" accept="image/png,image/jpeg,image/webp" required/>
                    <button type="submit" class="btn btn-secondary">"Upload image"</button>
                </form>
            </section>
        </div>
        <section aria-labelledby="stock-heading" class="stock-admin">
            <h2 id="stock-heading">"Stock"</h2>
            <p>"On sale now: " <strong data-testid="product-stock">{product.stock}</strong>
                <span class="muted">" (what open orders hold is already taken out)"</span></p>
            <ActionForm action=stock attr:class="stock-form">
                <input type="hidden" name="id" value=id/>
                <label>"Change " <span class="muted">"(+5, -3)"</span>
                    <input type="text" name="delta" inputmode="numeric" pattern="[+\\-]?[0-9]+" required/>
                </label>
                <label>"Reason"
                    <input type="text" name="reason" maxlength=MAX_REASON_CHARS placeholder="Delivery from the potter" required/>
                </label>
                <button type="submit" class="btn btn-secondary">"Adjust stock"</button>
            </ActionForm>
            <ActionNotice result=stock.value()/>
            <h3>"History"</h3>
            {if detail.history.is_empty() {
                view! { <p class="muted">"No adjustments yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="stock-history" data-testid="stock-history">
                            <thead><tr>
                                <th scope="col">"When (UTC)"</th><th scope="col">"Change"</th><th scope="col">"Stock after"</th>
                                <th scope="col">"Reason"</th><th scope="col">"By"</th>
                            </tr></thead>
                            <tbody>
                                {detail.history.into_iter().map(|a| view! {
                                    <tr>
                                        <td>{day(a.at)}</td>
                                        <td>{if a.delta > 0 { format!("+{}", a.delta) } else { a.delta.to_string() }}</td>
                                        <td>{a.stock_after}</td>
                                        <td>{a.reason}</td>
                                        <td class="muted">{a.actor}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
