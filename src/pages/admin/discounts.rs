//! `/admin/discounts`: discount codes, their limits and how often they were used.

use super::shipping::{latest_outcome, outcome_of, successes, AdminOnly, SettingsHead};
use crate::api::admin_settings::{
    get_discount_settings, AddDiscountCode, SetDiscountCodeActive, UpdateDiscountCode,
};
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::domain::money::{Currency, Money};
use crate::domain::pricing::DiscountKind;
use crate::domain::settings::{date_text, percent_text, DiscountSettings, DiscountView};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DiscountsPage() -> impl IntoView {
    view! {
        <Title text="Discounts · Admin"/>
        <AdminOnly><DiscountSettingsView/></AdminOnly>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateDiscountCode>,
    toggle: ServerAction<SetDiscountCodeActive>,
}

#[component]
fn DiscountSettingsView() -> impl IntoView {
    let add = ServerAction::<AddDiscountCode>::new();
    let actions = Actions {
        update: ServerAction::new(),
        toggle: ServerAction::new(),
    };
    let outcome = latest_outcome(vec![
        outcome_of(add),
        outcome_of(actions.update),
        outcome_of(actions.toggle),
    ]);
    let settings = Resource::new(
        move || {
            (
                add.version().get(),
                actions.update.version().get(),
                actions.toggle.version().get(),
            )
        },
        |_| get_discount_settings(),
    );
    view! {
        <SettingsHead title="Discounts"/>
        <p class="muted">
            "Dates are in UTC: a code works from 00:00 on its start date until 00:00 on its end date. "
            "Uses count open orders (held) and paid ones; a canceled or expired order gives its use back."
        </p>
        <ActionNotice result=outcome/>
        <Transition fallback=|| view! { <p class="muted">"Loading codes…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! { <Codes settings actions/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Transition>
        <AddCode add/>
    }
}

#[component]
fn Codes(settings: DiscountSettings, actions: Actions) -> impl IntoView {
    let currency = settings.currency;
    if settings.codes.is_empty() {
        view! { <p class="muted">"No discount codes yet."</p> }.into_any()
    } else {
        view! {
            <ul class="settings-list" data-testid="discount-codes">
                {settings.codes.into_iter().map(|code| view! { <Code code currency=currency.clone() actions/> }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

/// The form for a new code: outside the list, so what was typed stays when it is refused.
#[component]
fn AddCode(add: ServerAction<AddDiscountCode>) -> impl IntoView {
    let added = successes(add);
    // Only for the currency: not fetched again after each change.
    let settings = Resource::new(|| (), |_| get_discount_settings());
    view! {
        <section class="settings-card" aria-labelledby="new-code-heading">
            <h2 id="new-code-heading">"Add a discount code"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(settings) => {
                            let currency = settings.currency;
                            (move || {
                                added.track();
                                let currency = currency.clone();
                                view! {
                                    <ActionForm action=add attr:class="settings-form">
                                        <CodeFields code=None currency/>
                                        <button type="submit" class="btn btn-primary">"Add code"</button>
                                    </ActionForm>
                                }
                            })
                            .into_any()
                        }
                        Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn describe(code: &DiscountView, currency: &Currency) -> String {
    let m = |minor: i64| Money::new(minor, currency.clone()).to_string();
    let mut parts = vec![match code.kind {
        DiscountKind::Percent { bp } => format!("{}% off", percent_text(bp)),
        DiscountKind::Fixed { amount } => format!("{} off", m(amount)),
    }];
    if code.min_subtotal > 0 {
        parts.push(format!("from {}", m(code.min_subtotal)));
    }
    match (code.starts_at, code.ends_at) {
        (Some(s), Some(e)) => parts.push(format!("{} to {}", date_text(s), date_text(e))),
        (Some(s), None) => parts.push(format!("from {}", date_text(s))),
        (None, Some(e)) => parts.push(format!("until {}", date_text(e))),
        (None, None) => {}
    }
    if let Some(n) = code.per_email_limit {
        parts.push(format!("{n} per email"));
    }
    parts.join(", ")
}

#[component]
fn Code(code: DiscountView, currency: Currency, actions: Actions) -> impl IntoView {
    let id = code.id;
    let (code_key, code_text) = (code.code.clone(), code.code.clone());
    let active = code.active;
    let summary = describe(&code, &currency);
    let usage = code.usage();
    view! {
        <li class="settings-item" data-testid="discount-code" data-code=code_key>
            <p>
                <strong class="settings-code">{code_text}</strong> " "
                <span data-testid="discount-summary">{summary}</span> " "
                {if active {
                    view! { <span class="badge badge-paid">"Active"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-canceled">"Inactive"</span> }.into_any()
                }}
            </p>
            <p class="muted" data-testid="discount-usage">{usage}</p>
            <ActionForm action=actions.toggle attr:class="settings-form">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="active" value=if active { "off" } else { "on" }/>
                <button type="submit" class="btn btn-secondary">{if active { "Deactivate" } else { "Activate" }}</button>
            </ActionForm>
            <details class="settings-details">
                <summary>"Edit"</summary>
                <ActionForm action=actions.update attr:class="settings-form">
                    <input type="hidden" name="id" value=id/>
                    <CodeFields code=Some(code) currency/>
                    <button type="submit" class="btn btn-secondary">"Save code"</button>
                </ActionForm>
            </details>
        </li>
    }
}

#[component]
fn CodeFields(code: Option<DiscountView>, currency: Currency) -> impl IntoView {
    let major = |minor: i64| Money::new(minor, currency.clone()).to_major_string();
    let text = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let date = |t: Option<i64>| t.map(date_text).unwrap_or_default();
    let (kind, percent, amount) = match code.as_ref().map(|c| &c.kind) {
        None => ("percent", String::new(), String::new()),
        Some(DiscountKind::Percent { bp }) => ("percent", percent_text(*bp), String::new()),
        Some(DiscountKind::Fixed { amount }) => ("fixed", String::new(), major(*amount)),
    };
    let value = code.as_ref().map(|c| c.code.clone()).unwrap_or_default();
    let minimum = code
        .as_ref()
        .filter(|c| c.min_subtotal > 0)
        .map(|c| major(c.min_subtotal))
        .unwrap_or_default();
    let starts = date(code.as_ref().and_then(|c| c.starts_at));
    let ends = date(code.as_ref().and_then(|c| c.ends_at));
    let limit = text(code.as_ref().and_then(|c| c.max_redemptions));
    let per_email = text(code.as_ref().and_then(|c| c.per_email_limit));
    let active = code.as_ref().is_none_or(|c| c.active);
    let cur = currency.code().to_string();
    view! {
        <label>"Code" <input name="code" value=value required maxlength="40" placeholder="WELCOME10" autocomplete="off"/></label>
        <label>"Kind"
            <select name="kind">
                <option value="percent" selected=kind == "percent">"Percentage off"</option>
                <option value="fixed" selected=kind == "fixed">"Fixed amount off"</option>
            </select>
        </label>
        <label>"Percent off" <input name="percent" value=percent inputmode="decimal" size="6" placeholder="10"/></label>
        <label>{format!("Amount off ({cur})")} <input name="amount" value=amount inputmode="decimal" size="8" placeholder="5.00"/></label>
        <label>{format!("Minimum subtotal ({cur}, optional)")} <input name="min_subtotal" value=minimum inputmode="decimal" size="8"/></label>
        <label>"Starts (UTC, optional)" <input type="date" name="starts" value=starts/></label>
        <label>"Ends (UTC, optional)" <input type="date" name="ends" value=ends/></label>
        <label>"Total uses (optional)" <input name="max_redemptions" value=limit inputmode="numeric" size="6"/></label>
        <label>"Uses per email (optional)" <input name="per_email_limit" value=per_email inputmode="numeric" size="6"/></label>
        <label class="settings-check"><input type="checkbox" name="active" checked=active/> "Active"</label>
    }
}
