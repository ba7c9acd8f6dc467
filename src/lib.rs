//! Hearth & Kettle: a Leptos checkout. The same crate is the server (feature `ssr`) and the
//! browser bundle (feature `hydrate`).

pub mod api;
pub mod app;
pub mod browser;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = leptos::prelude::document().body() else {
        return;
    };
    // Asynchronous, as `leptos::mount::hydrate_lazy` is: on a lazy route (the checkout, an order,
    // the admin), the page's chunks are fetched before the server's HTML is hydrated.
    wasm_bindgen_futures::spawn_local(async move {
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // Lets tests (and curious people) tell a hydrated page from server-rendered HTML.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
