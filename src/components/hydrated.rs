//! Controls that work only once the page is hydrated (a button with no form behind it) are
//! rendered disabled and enabled when the wasm has taken over: a click before that would do
//! nothing. Pages on lazy routes hydrate after their chunks come, so the gap can be seen.

use leptos::prelude::*;

/// False on the server and while the page hydrates; true once this runs in the browser.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser, after the view is mounted.
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
