use crate::api::site::get_payments_mode;
use crate::model::site::PaymentsMode;
use leptos::prelude::*;

/// A notice at the top of every page unless payments are real.
#[component]
pub fn PaymentsBanner() -> impl IntoView {
    let mode = Resource::new(|| (), |_| get_payments_mode());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match mode.await {
                    Ok(PaymentsMode::Simulated) => Some(view! {
                        <div class="sim-banner" role="note" data-testid="payments-banner">
                            <strong>"Simulated payments"</strong>
                            " — no real card is charged. Pay with 4242 4242 4242 4242, any future date, any CVC."
                        </div>
                    }.into_any()),
                    Ok(PaymentsMode::StripeTest) => Some(view! {
                        <div class="sim-banner" role="note" data-testid="payments-banner">
                            <strong>"Stripe test mode"</strong>
                            " — use a Stripe test card such as 4242 4242 4242 4242."
                        </div>
                    }.into_any()),
                    _ => None,
                }
            })}
        </Suspense>
    }
}
