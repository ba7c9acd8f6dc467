//! The merchant's pages. Every piece of data comes from an admin server function that checks
//! the session itself; these pages only decide what to show.

mod analytics;
mod order;
mod orders;

pub use analytics::AnalyticsPage;
pub use order::AdminOrderPage;
pub use orders::AdminPage;

use crate::api::admin::{SignIn, SignOut};
use crate::components::notice::ErrorAlert;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Date (UTC) of a unix time, for tables.
pub fn day(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
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

#[cfg(test)]
mod tests {
    #[test]
    fn days_print_in_utc() {
        assert_eq!(super::day(0), "1970-01-01 00:00");
        assert_eq!(
            super::day(1_795_219_200 + 3_600 * 13 + 60 * 5),
            "2026-11-21 13:05"
        );
        assert_eq!(super::day(1_709_164_800), "2024-02-29 00:00");
    }
}
