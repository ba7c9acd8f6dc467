//! The merchant's pages. Every piece of data comes from an admin server function that checks
//! the session itself; these pages only decide what to show.

mod analytics;
mod emails;
mod order;
mod orders;

pub use analytics::AnalyticsPage;
pub use emails::{AdminEmailPage, AdminEmailsPage};
pub use order::AdminOrderPage;
pub use orders::AdminPage;

use crate::api::admin::{SignIn, SignOut};
use crate::components::notice::ErrorAlert;
use leptos::form::ActionForm;
use leptos::prelude::*;

// The merchant's pages: a shopper's browser never downloads them.
lazy_page! {
    /// `/admin`
    AdminOrdersRoute => AdminPage;
    /// `/admin/orders/:id`
    AdminOrderRoute => AdminOrderPage;
    /// `/admin/analytics`
    AnalyticsRoute => AnalyticsPage;
    /// `/admin/emails`
    EmailsRoute => AdminEmailsPage;
    /// `/admin/emails/:id`
    EmailRoute => AdminEmailPage;
}

#[component]
pub fn SignInForm(action: ServerAction<SignIn>) -> impl IntoView {
    view! {
        <section class="sign-in" aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">"Merchant sign-in"</h1>
            <ActionForm action attr:class="sign-in-form">
                <label for="admin-password">"Password"</label>
                <input id="admin-password" type="password" name="password" autocomplete="current-password" required/>
                <button type="submit" class="btn btn-primary">"Sign in"</button>
            </ActionForm>
            {move || action.value().get().and_then(Result::err).map(|e| view! { <ErrorAlert message=e.to_string()/> })}
        </section>
    }
}

#[component]
pub fn SignOutButton(action: ServerAction<SignOut>) -> impl IntoView {
    view! {
        <ActionForm action attr:class="sign-out-form">
            <button type="submit" class="btn btn-secondary">"Sign out"</button>
        </ActionForm>
    }
}
