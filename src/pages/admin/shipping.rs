//! `/admin/shipping`: the shop's shipping zones, their countries and rates. Every form is a
//! plain form post before hydration and a server action after; a refused form changes nothing
//! and says why. Also the pieces the Taxes and Discounts pages share (navigation, notice).

use super::SignInForm;
use crate::api::admin::{admin_signed_in, SignIn};
use crate::api::admin_settings::{
    get_shipping_settings, AddShippingRate, CreateShippingZone, DeleteShippingRate,
    DeleteShippingZone, RenameShippingZone, SetShippingZoneCountries, UpdateShippingRate,
};
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::domain::address::country_name;
use crate::domain::money::{Currency, Money};
use crate::domain::pricing::RateKind;
use crate::domain::settings::{RateView, ShippingSettings, ZoneView};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

type Outcome = Option<Result<String, AppError>>;

/// The settings pages' heading and navigation.
#[component]
pub(super) fn SettingsHead(title: &'static str) -> impl IntoView {
    let link = move |href: &'static str, label: &'static str| {
        let current = (label == title).then_some("page");
        view! { <a href=href aria-current=current>{label}</a> }
    };
    view! {
        <div class="admin-head">
            <h1>{title}</h1>
            <nav class="admin-nav" aria-label="Admin">
                {link("/admin", "Orders")}
                {link("/admin/shipping", "Shipping")}
                {link("/admin/taxes", "Taxes")}
                {link("/admin/discounts", "Discounts")}
            </nav>
        </div>
    }
}

/// What an action's last call answered.
pub(super) fn outcome_of<S>(action: ServerAction<S>) -> Signal<Outcome>
where
    S: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Signal::derive(move || action.value().get())
}

/// How many times the action succeeded: an "Add" form keyed on it starts empty again after
/// each success, and keeps what was typed when it was refused.
pub(super) fn successes<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Memo::new(move |before: Option<&usize>| {
        let before = before.copied().unwrap_or(0);
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            before + 1
        } else {
            before
        }
    })
}

/// The outcome of whichever of a page's forms answered last.
pub(super) fn latest_outcome(values: Vec<Signal<Outcome>>) -> Signal<Outcome> {
    // Before hydration a refused form post comes back with its error in the URL, which the
    // action reads when it is made: shown from the start, on the server too.
    let latest = RwSignal::new(values.iter().find_map(|v| v.get_untracked()));
    for value in values {
        Effect::new(move |_| {
            if let Some(outcome) = value.get() {
                latest.set(Some(outcome));
            }
        });
    }
    latest.into()
}

/// "Canada (CA)", or the code alone for a country the checkout does not list.
pub(super) fn country_label(code: &str) -> String {
    match country_name(code) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_string(),
    }
}

/// Signed in: the page; otherwise the sign-in form.
#[component]
pub(super) fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let signed_in = Resource::new(move || sign_in.version().get(), |_| admin_signed_in());
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match signed_in.await {
                    Ok(true) => children.with_value(|c| c()).into_any(),
                    Ok(false) => view! { <SignInForm action=sign_in/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    rename: ServerAction<RenameShippingZone>,
    delete_zone: ServerAction<DeleteShippingZone>,
    countries: ServerAction<SetShippingZoneCountries>,
    add_rate: ServerAction<AddShippingRate>,
    update_rate: ServerAction<UpdateShippingRate>,
    delete_rate: ServerAction<DeleteShippingRate>,
}

#[component]
pub fn ShippingPage() -> impl IntoView {
    view! {
        <Title text="Shipping · Admin"/>
        <AdminOnly><ShippingSettingsView/></AdminOnly>
    }
}

#[component]
fn ShippingSettingsView() -> impl IntoView {
    let create = ServerAction::<CreateShippingZone>::new();
    let created = successes(create);
    let actions = Actions {
        rename: ServerAction::new(),
        delete_zone: ServerAction::new(),
        countries: ServerAction::new(),
        add_rate: ServerAction::new(),
        update_rate: ServerAction::new(),
        delete_rate: ServerAction::new(),
    };
    let outcome = latest_outcome(vec![
        outcome_of(create),
        outcome_of(actions.rename),
        outcome_of(actions.delete_zone),
        outcome_of(actions.countries),
        outcome_of(actions.add_rate),
        outcome_of(actions.update_rate),
        outcome_of(actions.delete_rate),
    ]);
    let settings = Resource::new(
        move || {
            (
                create.version().get(),
                actions.rename.version().get(),
                actions.delete_zone.version().get(),
                actions.countries.version().get(),
                actions.add_rate.version().get(),
                actions.update_rate.version().get(),
                actions.delete_rate.version().get(),
            )
        },
        |_| get_shipping_settings(),
    );
    view! {
        <SettingsHead title="Shipping"/>
        <p class="muted">
            "A shopper's country picks its zone; the zone's active rates are what checkout offers. "
            "A country is in one zone at most; a country in no zone is not shipped to."
        </p>
        <ActionNotice result=outcome/>
        <section class="settings-card" aria-labelledby="new-zone-heading">
            <h2 id="new-zone-heading">"Add a zone"</h2>
            {move || {
                created.track();
                view! {
                    <ActionForm action=create attr:class="settings-form">
                        <label>"Zone name" <input name="name" required maxlength="80" placeholder="North America"/></label>
                        <button type="submit" class="btn btn-primary">"Add zone"</button>
                    </ActionForm>
                }
            }}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading zones…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! { <Zones settings actions/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Zones(settings: ShippingSettings, actions: Actions) -> impl IntoView {
    if settings.zones.is_empty() {
        return view! { <p class="muted" data-testid="no-zones">"No zones yet: the shop ships nowhere."</p> }
            .into_any();
    }
    let currency = settings.currency;
    settings
        .zones
        .into_iter()
        .map(|zone| view! { <Zone zone currency=currency.clone() actions/> })
        .collect_view()
        .into_any()
}

#[component]
fn Zone(zone: ZoneView, currency: Currency, actions: Actions) -> impl IntoView {
    let id = zone.id;
    let name = zone.name.clone();
    let (zone_key, title) = (name.clone(), name.clone());
    let heading = format!("zone-{}-heading", zone.id);
    let heading_id = heading.clone();
    let countries_text = zone.countries.join(", ");
    let shipped_to = if zone.countries.is_empty() {
        "No countries yet.".to_string()
    } else {
        zone.countries
            .iter()
            .map(|c| country_label(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rates = zone.rates;
    let no_rates = rates.is_empty();
    view! {
        <section class="settings-card" data-testid="zone" data-zone=zone_key aria-labelledby=heading>
            <h2 id=heading_id>{title}</h2>
            <p data-testid="zone-countries">{shipped_to}</p>
            <ActionForm action=actions.countries attr:class="settings-form">
                <input type="hidden" name="id" value=id/>
                <label>"Countries"
                    <input name="countries" value=countries_text placeholder="US, CA" autocomplete="off"/>
                </label>
                <button type="submit" class="btn btn-secondary">"Save countries"</button>
                <small class="muted">"Two-letter ISO codes, separated by commas."</small>
            </ActionForm>
            <h3>"Rates"</h3>
            {no_rates.then(|| view! { <p class="muted">"No rates: checkout offers nothing for this zone yet."</p> })}
            <ul class="settings-list">
                {rates.into_iter().map(|rate| view! { <Rate rate currency=currency.clone() actions/> }).collect_view()}
            </ul>
            <details class="settings-details">
                <summary>"Add a rate"</summary>
                <ActionForm action=actions.add_rate attr:class="settings-form">
                    <input type="hidden" name="zone_id" value=id/>
                    <RateFields rate=None currency=currency.clone()/>
                    <button type="submit" class="btn btn-primary">"Add rate"</button>
                </ActionForm>
            </details>
            <details class="settings-details">
                <summary>"Rename or delete this zone"</summary>
                <ActionForm action=actions.rename attr:class="settings-form">
                    <input type="hidden" name="id" value=id/>
                    <label>"Zone name" <input name="name" value=name required maxlength="80"/></label>
                    <button type="submit" class="btn btn-secondary">"Rename"</button>
                </ActionForm>
                <ActionForm action=actions.delete_zone attr:class="settings-form">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="btn btn-danger">"Delete zone"</button>
                    <small class="muted">"Deletes its countries and rates too. Placed orders keep their prices."</small>
                </ActionForm>
            </details>
        </section>
    }
}

/// A rate's rule in words: "$8.00", "$5.95, free from $75.00", "$12.00 plus $3.00 per started kg".
fn rule(kind: &RateKind, currency: &Currency) -> String {
    let m = |minor: i64| Money::new(minor, currency.clone()).to_string();
    match *kind {
        RateKind::Flat { amount } => format!("{} flat", m(amount)),
        RateKind::FreeOver { amount, threshold } => {
            format!("{}, free from {}", m(amount), m(threshold))
        }
        RateKind::ByWeight { base, per_kg } => {
            format!("{} plus {} per started kg", m(base), m(per_kg))
        }
    }
}

#[component]
fn Rate(rate: RateView, currency: Currency, actions: Actions) -> impl IntoView {
    let id = rate.id;
    let rate_name = rate.name.clone();
    let summary = format!("{}: {}", rate.name, rule(&rate.kind, &currency));
    let active = rate.active;
    view! {
        <li class="settings-item" data-testid="rate" data-rate=rate_name>
            <p>
                <strong data-testid="rate-summary">{summary}</strong> " "
                {if active {
                    view! { <span class="badge badge-paid">"Active"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-canceled">"Inactive"</span> }.into_any()
                }}
            </p>
            <details class="settings-details">
                <summary>"Edit"</summary>
                <ActionForm action=actions.update_rate attr:class="settings-form">
                    <input type="hidden" name="id" value=id/>
                    <RateFields rate=Some(rate) currency=currency.clone()/>
                    <button type="submit" class="btn btn-secondary">"Save rate"</button>
                </ActionForm>
                <ActionForm action=actions.delete_rate attr:class="settings-form">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="btn btn-danger">"Delete rate"</button>
                </ActionForm>
            </details>
        </li>
    }
}

/// The rate form's fields, filled in with `rate` when editing one.
#[component]
fn RateFields(rate: Option<RateView>, currency: Currency) -> impl IntoView {
    let major = |minor: i64| Money::new(minor, currency.clone()).to_major_string();
    let (kind, amount, free_over, per_kg) = match rate.as_ref().map(|r| &r.kind) {
        None => ("flat", String::new(), String::new(), String::new()),
        Some(RateKind::Flat { amount }) => ("flat", major(*amount), String::new(), String::new()),
        Some(RateKind::FreeOver { amount, threshold }) => (
            "free_over",
            major(*amount),
            major(*threshold),
            String::new(),
        ),
        Some(RateKind::ByWeight { base, per_kg }) => {
            ("by_weight", major(*base), String::new(), major(*per_kg))
        }
    };
    let name = rate.as_ref().map(|r| r.name.clone()).unwrap_or_default();
    let active = rate.as_ref().is_none_or(|r| r.active);
    let code = currency.code().to_string();
    view! {
        <label>"Rate name" <input name="name" value=name required maxlength="80" placeholder="Standard"/></label>
        <label>"Kind"
            <select name="kind">
                <option value="flat" selected=kind == "flat">"Flat"</option>
                <option value="free_over" selected=kind == "free_over">"Free over an amount"</option>
                <option value="by_weight" selected=kind == "by_weight">"By weight"</option>
            </select>
        </label>
        <label>{format!("Price ({code})")} <input name="amount" value=amount inputmode="decimal" placeholder="5.95"/></label>
        <label>{format!("Free from ({code}, free over only)")} <input name="free_over" value=free_over inputmode="decimal" placeholder="75.00"/></label>
        <label>{format!("Per kg ({code}, by weight only)")} <input name="per_kg" value=per_kg inputmode="decimal" placeholder="2.50"/></label>
        <label class="settings-check"><input type="checkbox" name="active" checked=active/> "Active"</label>
    }
}
