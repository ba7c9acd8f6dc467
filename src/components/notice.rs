//! The outcome of a form, announced to screen readers as it appears.

use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn ErrorAlert(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="alert alert-error" role="alert">{message}</p> }
}

/// Shows the latest result of a server action: a confirmation or the reason it was refused.
#[component]
pub fn ActionNotice(
    #[prop(into)] result: Signal<Option<Result<String, AppError>>>,
) -> impl IntoView {
    move || {
        result.get().map(|outcome| match outcome {
            Ok(message) => {
                view! { <p class="alert alert-success" role="status">{message}</p> }.into_any()
            }
            Err(error) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
        })
    }
}
