//! The visitor's cart, shared by the header (item count) and the pages.

use crate::api::cart::get_cart;
use crate::domain::cart::Cart;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[derive(Clone, Copy)]
pub struct CartContext {
    /// Reloaded whenever a cart action completes.
    pub cart: Resource<Result<Cart, AppError>>,
    changes: RwSignal<u64>,
}

impl CartContext {
    /// Reloads the cart (e.g. the server emptied it when an order was paid).
    pub fn refresh(&self) {
        self.changes.update(|n| *n += 1);
    }
}

pub fn use_cart() -> CartContext {
    expect_context::<CartContext>()
}

#[component]
pub fn CartProvider(children: Children) -> impl IntoView {
    let changes = RwSignal::new(0u64);
    let cart = Resource::new(move || changes.get(), |_| get_cart());
    provide_context(CartContext { cart, changes });
    children()
}

/// A server action that changes the cart. Create it in the page (inside `<Routes>`), so that
/// the error of a form posted without JavaScript, carried back in the URL, reaches it.
pub fn use_cart_action<S>() -> ServerAction<S>
where
    S: ServerFn<Output = String, Error = AppError> + Clone + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let changes = use_cart().changes;
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| changes.update(|n| *n += 1),
        false,
    );
    action
}
