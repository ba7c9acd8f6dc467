//! One module per page.

/// Declares a route whose page is compiled into its own wasm chunk (`#[lazy_route]`, split out by
/// build-site.sh): the browser fetches the chunk when the route is first shown (or, on a page
/// the server rendered, before hydrating it), so the first visit downloads only what the shop's
/// browsing pages need. There is no data to load before the view: each page's resources are
/// created inside it, and so inside the chunk.
macro_rules! lazy_page {
    ($($(#[$doc:meta])* $route:ident => $page:ident;)*) => {$(
        $(#[$doc])*
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> leptos::prelude::AnyView {
                leptos::prelude::IntoAny::into_any($page())
            }
        }
    )*};
}

pub mod admin;
pub mod cart;
pub mod checkout;
pub mod find_order;
pub mod not_found;
pub mod order;
pub mod product;
pub mod shop;
