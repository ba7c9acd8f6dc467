use crate::api::cart::{RemoveCartItem, UpdateCartItem};
use crate::components::cart_context::{use_cart, use_cart_action};
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::domain::cart::{Cart, CartLine};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CartPage() -> impl IntoView {
    let cart = use_cart().cart;
    let update = use_cart_action::<UpdateCartItem>();
    let remove = use_cart_action::<RemoveCartItem>();
    view! {
        <Title text="Your cart"/>
        <h1>"Your cart"</h1>
        <ActionNotice result=update.value()/>
        <ActionNotice result=remove.value()/>
        <Transition fallback=|| view! { <p class="muted">"Loading your cart…"</p> }>
            {move || Suspend::new(async move {
                match cart.await {
                    Ok(cart) if cart.is_empty() => view! { <EmptyCart/> }.into_any(),
                    Ok(cart) => view! { <CartContents cart update remove/> }.into_any(),
                    Err(error) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmptyCart() -> impl IntoView {
    view! {
        <div class="empty-state">
            <p>"Your cart is empty."</p>
            <a class="btn btn-primary" href="/">"Browse the shop"</a>
        </div>
    }
}

#[component]
fn CartContents(
    cart: Cart,
    update: ServerAction<UpdateCartItem>,
    remove: ServerAction<RemoveCartItem>,
) -> impl IntoView {
    let total = cart.total();
    let count = cart.item_count();
    view! {
        <div class="cart-layout">
            <section class="cart-lines" aria-label="Items">
                <ul class="cart-list">
                    {cart.lines.into_iter().map(|line| view! { <CartLineItem line update remove/> }).collect_view()}
                </ul>
            </section>
            <aside class="cart-summary" aria-label="Summary">
                <dl class="summary-list">
                    <div>
                        <dt>"Items"</dt>
                        <dd>{count}</dd>
                    </div>
                    <div>
                        <dt>"Total"</dt>
                        <dd class="cart-total price" data-testid="cart-total">
                            {match &total {
                                Ok(total) => total.to_string(),
                                Err(_) => "—".to_string(),
                            }}
                        </dd>
                    </div>
                </dl>
                {total.err().map(|_| view! { <ErrorAlert message="This cart cannot be totalled. Please remove the last item you added."/> })}
                <a class="btn btn-primary" href="/checkout">"Checkout"</a>
                <p class="summary-note">"Prices are checked again when you pay."</p>
            </aside>
        </div>
    }
}

#[component]
fn CartLineItem(
    line: CartLine,
    update: ServerAction<UpdateCartItem>,
    remove: ServerAction<RemoveCartItem>,
) -> impl IntoView {
    let input_id = format!("cart-quantity-{}", line.product_id);
    let line_total = line
        .line_total()
        .map(|m| m.to_string())
        .unwrap_or_else(|_| "—".into());
    let max = line.max_quantity().max(1);
    let quantity_label = format!("Quantity of {}", line.name);
    let remove_label = format!(" {}", line.name);
    view! {
        <li class="cart-line" data-testid="cart-line" data-product=line.slug.clone()>
            <img class="cart-line-image" src=line.image.clone() alt="" width="72" height="72"/>
            <div class="cart-line-info">
                <a class="cart-line-name" href=format!("/products/{}", line.slug)>{line.name.clone()}</a>
                <p class="cart-line-unit muted">{line.unit_price.to_string()} " each"</p>
            </div>
            <ActionForm action=update attr:class="cart-line-qty">
                <input type="hidden" name="product_id" value=line.product_id/>
                <label for=input_id.clone() class="visually-hidden">{quantity_label}</label>
                <input id=input_id class="qty-input" type="number" name="quantity" value=line.quantity min="1" max=max required/>
                <button type="submit" class="btn btn-secondary">"Update"</button>
            </ActionForm>
            <p class="cart-line-total price" data-testid="line-total">{line_total}</p>
            <ActionForm action=remove attr:class="cart-line-remove">
                <input type="hidden" name="product_id" value=line.product_id/>
                <button type="submit" class="btn-link">
                    "Remove" <span class="visually-hidden">{remove_label}</span>
                </button>
            </ActionForm>
        </li>
    }
}
