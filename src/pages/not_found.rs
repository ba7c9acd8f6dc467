use leptos::prelude::*;
use leptos_meta::Title;

/// Answers 404 when rendered on the server.
pub fn mark_not_found() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    mark_not_found();
    view! {
        <Title text="Not found"/>
        <div class="empty-state">
            <h1>"We couldn’t find that page"</h1>
            <p>"It may have moved, or the link may be mistyped."</p>
            <a class="btn btn-primary" href="/">"Back to the shop"</a>
        </div>
    }
}
