//! `/find-order`: a shopper who lost their order's page gets links to it by email.

use crate::api::orders::FindMyOrder;
use crate::components::notice::ErrorAlert;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn FindOrderPage() -> impl IntoView {
    let find = ServerAction::<FindMyOrder>::new();
    let expired = use_query_map().read_untracked().get("expired").is_some();
    view! {
        <Title text="Find my order"/>
        <section class="find-order" aria-labelledby="find-order-heading">
            <h1 id="find-order-heading">"Find my order"</h1>
            {expired.then(|| view! {
                <p class="alert alert-info" data-testid="link-expired">"That link has expired. Ask for a new one below."</p>
            })}
            <p>"Enter the email address you paid with. We will email you links to your recent orders."</p>
            <ActionForm action=find attr:class="find-order-form">
                <label for="find-email">"Email"</label>
                <input id="find-email" type="email" name="email" autocomplete="email" required maxlength="254"/>
                <button type="submit" class="btn btn-primary" disabled=move || find.pending().get()>"Email me my orders"</button>
            </ActionForm>
            {move || find.value().get().map(|r| match r {
                Ok(answer) => view! { <p class="alert alert-success" role="status" data-testid="find-answer">{answer}</p> }.into_any(),
                Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
            })}
        </section>
    }
}
