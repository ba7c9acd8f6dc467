//! `/admin/taxes`: tax rates per country, and per region where it matters.

use super::shipping::{
    country_label, latest_outcome, outcome_of, successes, AdminOnly, SettingsHead,
};
use crate::api::admin_settings::{get_tax_settings, AddTaxRate, DeleteTaxRate, UpdateTaxRate};
use crate::components::notice::{ActionNotice, ErrorAlert};
use crate::domain::pricing::TaxMode;
use crate::domain::settings::{percent_text, TaxRateView, TaxSettings};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TaxesPage() -> impl IntoView {
    view! {
        <Title text="Taxes · Admin"/>
        <AdminOnly><TaxSettingsView/></AdminOnly>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateTaxRate>,
    delete: ServerAction<DeleteTaxRate>,
}

#[component]
fn TaxSettingsView() -> impl IntoView {
    let add = ServerAction::<AddTaxRate>::new();
    let added = successes(add);
    let actions = Actions {
        update: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let outcome = latest_outcome(vec![
        outcome_of(add),
        outcome_of(actions.update),
        outcome_of(actions.delete),
    ]);
    let settings = Resource::new(
        move || {
            (
                add.version().get(),
                actions.update.version().get(),
                actions.delete.version().get(),
            )
        },
        |_| get_tax_settings(),
    );
    view! {
        <SettingsHead title="Taxes"/>
        <ActionNotice result=outcome/>
        <Transition fallback=|| view! { <p class="muted">"Loading tax rates…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! { <TaxRates settings actions/> }.into_any(),
                    Err(e) => view! { <ErrorAlert message=e.to_string()/> }.into_any(),
                }
            })}
        </Transition>
        <section class="settings-card" aria-labelledby="new-tax-heading">
            <h2 id="new-tax-heading">"Add a tax rate"</h2>
            {move || {
                added.track();
                view! {
                    <ActionForm action=add attr:class="settings-form">
                        <TaxFields tax=None/>
                        <button type="submit" class="btn btn-primary">"Add tax rate"</button>
                    </ActionForm>
                }
            }}
        </section>
    }
}

#[component]
fn TaxRates(settings: TaxSettings, actions: Actions) -> impl IntoView {
    let mode = match settings.tax_mode {
        TaxMode::Inclusive => "Prices include tax (TAX_MODE=inclusive): the tax shown is the part of the price that is tax.",
        TaxMode::Exclusive => "Tax is added to prices at checkout (TAX_MODE=exclusive).",
    };
    view! {
        <p class="alert alert-info" data-testid="tax-mode">{mode}</p>
        <p class="muted">
            "A rate for a region (a US state, a Canadian province) applies there instead of the country's. "
            "Places without a rate are not taxed."
        </p>
        {if settings.rates.is_empty() {
            view! { <p class="muted">"No tax rates yet."</p> }.into_any()
        } else {
            view! {
                <ul class="settings-list" data-testid="tax-rates">
                    {settings.rates.into_iter().map(|tax| view! { <TaxRate tax actions/> }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

#[component]
fn TaxRate(tax: TaxRateView, actions: Actions) -> impl IntoView {
    let id = tax.id;
    let place = if tax.region.is_empty() {
        country_label(&tax.country)
    } else {
        format!("{}, {}", country_label(&tax.country), tax.region)
    };
    let summary = format!(
        "{place}: {} {}%{}",
        tax.name,
        percent_text(tax.rate_bp),
        if tax.applies_to_shipping {
            ", on shipping too"
        } else {
            ", not on shipping"
        }
    );
    let key = format!("{}-{}", tax.country, tax.region);
    view! {
        <li class="settings-item" data-testid="tax-rate" data-tax=key>
            <p><strong data-testid="tax-summary">{summary}</strong></p>
            <details class="settings-details">
                <summary>"Edit"</summary>
                <ActionForm action=actions.update attr:class="settings-form">
                    <input type="hidden" name="id" value=id/>
                    <TaxFields tax=Some(tax)/>
                    <button type="submit" class="btn btn-secondary">"Save tax rate"</button>
                </ActionForm>
                <ActionForm action=actions.delete attr:class="settings-form">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="btn btn-danger">"Delete tax rate"</button>
                </ActionForm>
            </details>
        </li>
    }
}

#[component]
fn TaxFields(tax: Option<TaxRateView>) -> impl IntoView {
    let (country, region, name, rate, shipping) = match tax {
        Some(t) => (
            t.country,
            t.region,
            t.name,
            percent_text(t.rate_bp),
            t.applies_to_shipping,
        ),
        None => (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            true,
        ),
    };
    view! {
        <label>"Country" <input name="country" value=country required maxlength="2" size="3" placeholder="DE" autocomplete="off"/></label>
        <label>"Region (optional)" <input name="region" value=region maxlength="3" size="4" placeholder="NY" autocomplete="off"/></label>
        <label>"Tax name" <input name="name" value=name required maxlength="80" placeholder="VAT"/></label>
        <label>"Rate (%)" <input name="rate" value=rate required inputmode="decimal" size="6" placeholder="19"/></label>
        <label class="settings-check"><input type="checkbox" name="applies_to_shipping" checked=shipping/> "Also on shipping"</label>
    }
}
