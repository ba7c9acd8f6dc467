//! The merchant's delivery and pricing settings (Shipping, Taxes, Discounts): what is typed is
//! checked in full before anything is stored, collisions are refused with a sentence naming
//! them, a refused form changes nothing, and only the signed-in merchant on the shop's own
//! pages can change anything.

use crate::admin::{admin_app, signed_in};
use crate::helpers::{count, form, Reply, TestApp, Visitor};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

fn ok(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// Refused with `status`, and the merchant's message says `says`.
fn refused(reply: &Reply, status: StatusCode, says: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert!(reply.body.contains(says), "{says:?} not in {}", reply.body);
}

async fn zone_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM shipping_zones WHERE name = $1")
        .bind(name)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn countries_of(app: &TestApp, zone: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT country FROM shipping_zone_countries WHERE zone_id = $1 ORDER BY country",
    )
    .bind(zone)
    .fetch_all(&app.state.pool)
    .await
    .unwrap()
}

/// Everything the settings tables hold, to show that a refused form changed nothing.
async fn snapshot(app: &TestApp) -> String {
    let mut all = String::new();
    for sql in [
        "SELECT id || ':' || name FROM shipping_zones ORDER BY id",
        "SELECT country || ':' || zone_id FROM shipping_zone_countries ORDER BY country",
        "SELECT id || ':' || zone_id || ':' || name || ':' || kind || ':' || amount_minor || ':' || coalesce(CAST(free_over_minor AS TEXT), '-') || ':' || coalesce(CAST(per_kg_minor AS TEXT), '-') || ':' || active FROM shipping_rates ORDER BY id",
        "SELECT id || ':' || country || ':' || region || ':' || name || ':' || rate_bp || ':' || applies_to_shipping FROM tax_rates ORDER BY id",
        "SELECT id || ':' || code || ':' || kind || ':' || coalesce(CAST(percent_bp AS TEXT), '-') || ':' || coalesce(CAST(amount_minor AS TEXT), '-') || ':' || min_subtotal_minor || ':' || coalesce(CAST(starts_at AS TEXT), '-') || ':' || coalesce(CAST(ends_at AS TEXT), '-') || ':' || coalesce(CAST(max_redemptions AS TEXT), '-') || ':' || coalesce(CAST(per_email_limit AS TEXT), '-') || ':' || active FROM discount_codes ORDER BY id",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
        all.push_str(&rows.join("|"));
        all.push('\n');
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zone_takes_countries_no_other_zone_has() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let created = merchant
        .call(
            &app,
            "admin/shipping/zone/create",
            &form(&[("name", " North America ")]),
        )
        .await;
    ok(&created);
    let zone = zone_id(&app, "North America").await;
    let set = merchant
        .call(
            &app,
            "admin/shipping/zone/countries",
            &form(&[("id", &zone.to_string()), ("countries", "ca, mx")]),
        )
        .await;
    ok(&set);
    assert!(set.body.contains("CA, MX"), "{}", set.body);
    assert_eq!(countries_of(&app, zone).await, ["CA", "MX"]);

    // US is in the seeded "United States" zone: refused, naming that zone; nothing changes.
    let before = snapshot(&app).await;
    let taken = merchant
        .call(
            &app,
            "admin/shipping/zone/countries",
            &form(&[("id", &zone.to_string()), ("countries", "CA MX US")]),
        )
        .await;
    refused(
        &taken,
        StatusCode::CONFLICT,
        "US is already in the zone “United States”",
    );
    let not_a_country = merchant
        .call(
            &app,
            "admin/shipping/zone/countries",
            &form(&[("id", &zone.to_string()), ("countries", "CA, XX")]),
        )
        .await;
    refused(
        &not_a_country,
        StatusCode::BAD_REQUEST,
        "“XX” is not a country code",
    );
    let same_name = merchant
        .call(
            &app,
            "admin/shipping/zone/rename",
            &form(&[("id", &zone.to_string()), ("name", "europe")]),
        )
        .await;
    refused(&same_name, StatusCode::CONFLICT, "already a zone called");
    let duplicate = merchant
        .call(
            &app,
            "admin/shipping/zone/create",
            &form(&[("name", "North America")]),
        )
        .await;
    refused(
        &duplicate,
        StatusCode::CONFLICT,
        "already a zone called “North America”",
    );
    let long = merchant
        .call(
            &app,
            "admin/shipping/zone/create",
            &form(&[("name", &"z".repeat(81))]),
        )
        .await;
    refused(&long, StatusCode::BAD_REQUEST, "at most 80 characters");
    let gone = merchant
        .call(
            &app,
            "admin/shipping/zone/countries",
            &form(&[("id", "99999"), ("countries", "JP")]),
        )
        .await;
    refused(&gone, StatusCode::CONFLICT, "no longer exists");
    assert_eq!(snapshot(&app).await, before);

    // Moving a country: take it out of its zone first, then add it here.
    let us_zone = zone_id(&app, "United States").await;
    ok(&merchant
        .call(
            &app,
            "admin/shipping/zone/countries",
            &form(&[("id", &us_zone.to_string()), ("countries", "")]),
        )
        .await);
    ok(&merchant
        .call(
            &app,
            "admin/shipping/zone/countries",
            &form(&[("id", &zone.to_string()), ("countries", "CA MX US")]),
        )
        .await);
    assert_eq!(countries_of(&app, zone).await, ["CA", "MX", "US"]);

    // The page lists the zone with its countries; renaming and deleting work.
    let page = merchant.call(&app, "admin/shipping", "").await;
    ok(&page);
    let zones = page.json()["zones"].as_array().unwrap().clone();
    let listed = zones.iter().find(|z| z["id"] == zone).unwrap();
    assert_eq!(listed["countries"], serde_json::json!(["CA", "MX", "US"]));
    ok(&merchant
        .call(
            &app,
            "admin/shipping/zone/rename",
            &form(&[("id", &zone.to_string()), ("name", "Americas")]),
        )
        .await);
    assert_eq!(zone_id(&app, "Americas").await, zone);
    ok(&merchant
        .call(
            &app,
            "admin/shipping/zone/delete",
            &form(&[("id", &zone.to_string())]),
        )
        .await);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shipping_zone_countries WHERE country = 'CA'",
            &[]
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_rate_round_trips() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let zone = zone_id(&app, "Europe").await.to_string();
    for fields in [
        vec![
            ("name", "Letter"),
            ("kind", "flat"),
            ("amount", "4.5"),
            ("active", "on"),
        ],
        vec![
            ("name", "Parcel"),
            ("kind", "free_over"),
            ("amount", "6.95"),
            ("free_over", "1,000"),
            ("active", "on"),
        ],
        // Not ticked: added switched off.
        vec![
            ("name", "Heavy"),
            ("kind", "by_weight"),
            ("amount", "10"),
            ("per_kg", "2.25"),
        ],
    ] {
        let mut fields = fields;
        fields.push(("zone_id", &zone));
        ok(&merchant
            .call(&app, "admin/shipping/rate/add", &form(&fields))
            .await);
    }
    let page = merchant.call(&app, "admin/shipping", "").await.json();
    assert_eq!(page["currency"], "USD");
    let europe = page["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "Europe")
        .unwrap()
        .clone();
    let rate = |name: &str| {
        europe["rates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no rate {name}: {europe}"))
            .clone()
    };
    assert_eq!(
        rate("Letter")["kind"],
        serde_json::json!({"kind": "flat", "amount": 450})
    );
    assert_eq!(
        rate("Parcel")["kind"],
        serde_json::json!({"kind": "free_over", "amount": 695, "threshold": 100000})
    );
    assert_eq!(
        rate("Heavy")["kind"],
        serde_json::json!({"kind": "by_weight", "base": 1000, "per_kg": 225})
    );
    assert_eq!(rate("Letter")["active"], true);
    assert_eq!(rate("Heavy")["active"], false);

    // Edit: the letter becomes by weight and is switched off; the stored row says exactly that.
    let letter = rate("Letter")["id"].as_i64().unwrap().to_string();
    ok(&merchant
        .call(
            &app,
            "admin/shipping/rate/update",
            &form(&[
                ("id", &letter),
                ("name", "Letter post"),
                ("kind", "by_weight"),
                ("amount", "3"),
                ("per_kg", "0.50"),
            ]),
        )
        .await);
    let row: (String, String, i64, Option<i64>, Option<i64>, i64) = sqlx::query_as(
        "SELECT name, kind, amount_minor, free_over_minor, per_kg_minor, active FROM shipping_rates WHERE id = $1",
    )
    .bind(letter.parse::<i64>().unwrap())
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "Letter post".into(),
            "by_weight".into(),
            300,
            None,
            Some(50),
            0
        )
    );

    ok(&merchant
        .call(
            &app,
            "admin/shipping/rate/delete",
            &form(&[("id", &letter)]),
        )
        .await);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shipping_rates WHERE id = $1",
            &[&letter]
        )
        .await,
        0
    );
    refused(
        &merchant
            .call(
                &app,
                "admin/shipping/rate/delete",
                &form(&[("id", &letter)]),
            )
            .await,
        StatusCode::CONFLICT,
        "That rate no longer exists",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rates_are_refused_and_change_nothing() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let zone = zone_id(&app, "Europe").await.to_string();
    let seeded: String =
        sqlx::query_scalar("SELECT id FROM shipping_rates WHERE zone_id = $1 LIMIT 1")
            .bind(zone.parse::<i64>().unwrap())
            .fetch_one(&app.state.pool)
            .await
            .map(|id: i64| id.to_string())
            .unwrap();
    let before = snapshot(&app).await;
    let long_name = "n".repeat(81);
    let cases: [(&[(&str, &str)], &str); 9] = [
        (
            &[("name", "X"), ("kind", "flat"), ("amount", "-5")],
            "cannot be negative",
        ),
        (
            &[("name", "X"), ("kind", "flat"), ("amount", "abc")],
            "“abc” is not an amount",
        ),
        (
            &[("name", "X"), ("kind", "flat"), ("amount", "12.345")],
            "is not an amount",
        ),
        (
            &[("name", "X"), ("kind", "flat"), ("amount", "2000000")],
            "at most $1,000,000.00",
        ),
        (
            &[("name", "X"), ("kind", "flat"), ("amount", "")],
            "Price: please fill this in",
        ),
        (
            &[("name", &long_name), ("kind", "flat"), ("amount", "5")],
            "at most 80 characters",
        ),
        (
            &[
                ("name", "X"),
                ("kind", "free_over"),
                ("amount", "5"),
                ("free_over", "0"),
            ],
            "Free from: must be more than zero",
        ),
        (
            &[
                ("name", "X"),
                ("kind", "by_weight"),
                ("amount", "5"),
                ("per_kg", "1.2.3"),
            ],
            "Per kg",
        ),
        (
            &[("name", "X"), ("kind", "pigeon"), ("amount", "5")],
            "not a kind of rate",
        ),
    ];
    for (fields, says) in cases {
        let mut add = fields.to_vec();
        add.push(("zone_id", &zone));
        refused(
            &merchant
                .call(&app, "admin/shipping/rate/add", &form(&add))
                .await,
            StatusCode::BAD_REQUEST,
            says,
        );
        let mut update = fields.to_vec();
        update.push(("id", &seeded));
        refused(
            &merchant
                .call(&app, "admin/shipping/rate/update", &form(&update))
                .await,
            StatusCode::BAD_REQUEST,
            says,
        );
    }
    refused(
        &merchant
            .call(
                &app,
                "admin/shipping/rate/add",
                &form(&[
                    ("zone_id", "abc"),
                    ("name", "X"),
                    ("kind", "flat"),
                    ("amount", "5"),
                ]),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "reload the page",
    );
    refused(
        &merchant
            .call(
                &app,
                "admin/shipping/rate/add",
                &form(&[
                    ("zone_id", "99999"),
                    ("name", "X"),
                    ("kind", "flat"),
                    ("amount", "5"),
                ]),
            )
            .await,
        StatusCode::CONFLICT,
        "That zone no longer exists",
    );
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tax_rates_are_added_edited_and_unique_per_place() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let page = merchant.call(&app, "admin/taxes", "").await;
    ok(&page);
    assert!(page.json()["tax_mode"].is_string(), "{}", page.body);

    let before = snapshot(&app).await;
    let ny = |rate: &'static str| {
        form(&[
            ("country", "us"),
            ("region", "ny"),
            ("name", "Sales tax"),
            ("rate", rate),
        ])
    };
    // 8.875 % is finer than a basis point: refused, never rounded.
    refused(
        &merchant.call(&app, "admin/taxes/add", &ny("8.875")).await,
        StatusCode::BAD_REQUEST,
        "more than 2 decimals",
    );
    refused(
        &merchant.call(&app, "admin/taxes/add", &ny("101")).await,
        StatusCode::BAD_REQUEST,
        "between 0% and 100%",
    );
    refused(
        &merchant
            .call(
                &app,
                "admin/taxes/add",
                &form(&[("country", "UK"), ("name", "VAT"), ("rate", "20")]),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "the United Kingdom is GB",
    );
    refused(
        &merchant
            .call(
                &app,
                "admin/taxes/add",
                &form(&[
                    ("country", "US"),
                    ("region", "NEWY"),
                    ("name", "Tax"),
                    ("rate", "4"),
                ]),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "Region “NEWY”",
    );
    // DE (the whole country) has the seeded VAT.
    refused(
        &merchant
            .call(
                &app,
                "admin/taxes/add",
                &form(&[("country", "de"), ("name", "MwSt"), ("rate", "7")]),
            )
            .await,
        StatusCode::CONFLICT,
        "DE has a tax rate already",
    );
    assert_eq!(snapshot(&app).await, before);

    ok(&merchant.call(&app, "admin/taxes/add", &ny("8.88")).await);
    let (id, bp, shipping): (i64, i64, i64) = sqlx::query_as(
        "SELECT id, rate_bp, applies_to_shipping FROM tax_rates WHERE country = 'US' AND region = 'NY'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!((bp, shipping), (888, 0));
    refused(
        &merchant.call(&app, "admin/taxes/add", &ny("4")).await,
        StatusCode::CONFLICT,
        "US NY has a tax rate already",
    );

    // Edit: 4 %, on shipping too; then an edit that would collide with DE is refused.
    let id = id.to_string();
    ok(&merchant
        .call(
            &app,
            "admin/taxes/update",
            &form(&[
                ("id", &id),
                ("country", "US"),
                ("region", "NY"),
                ("name", "NY sales tax"),
                ("rate", "4"),
                ("applies_to_shipping", "on"),
            ]),
        )
        .await);
    let row: (String, i64, i64) =
        sqlx::query_as("SELECT name, rate_bp, applies_to_shipping FROM tax_rates WHERE id = $1")
            .bind(id.parse::<i64>().unwrap())
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(row, ("NY sales tax".into(), 400, 1));
    let before = snapshot(&app).await;
    refused(
        &merchant
            .call(
                &app,
                "admin/taxes/update",
                &form(&[("id", &id), ("country", "DE"), ("name", "X"), ("rate", "4")]),
            )
            .await,
        StatusCode::CONFLICT,
        "DE has a tax rate already",
    );
    assert_eq!(snapshot(&app).await, before);

    let listed = merchant.call(&app, "admin/taxes", "").await.json();
    assert!(listed["rates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["region"] == "NY" && r["rate_bp"] == 400));
    ok(&merchant
        .call(&app, "admin/taxes/delete", &form(&[("id", &id)]))
        .await);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM tax_rates WHERE region = 'NY'",
            &[]
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discount_codes_with_limits_and_dates() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let welcome = [
        ("code", "welcome-10"),
        ("kind", "percent"),
        ("percent", "12.5"),
        ("min_subtotal", "20"),
        ("starts", "2026-12-01"),
        ("ends", "2027-01-01"),
        ("max_redemptions", "100"),
        ("per_email_limit", "1"),
        ("active", "on"),
    ];
    ok(&merchant
        .call(&app, "admin/discounts/add", &form(&welcome))
        .await);
    type Row = (
        String,
        String,
        Option<i64>,
        Option<i64>,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        i64,
    );
    let row: Row = sqlx::query_as(
        "SELECT code, kind, percent_bp, amount_minor, min_subtotal_minor, starts_at, ends_at, max_redemptions, per_email_limit, active FROM discount_codes",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "WELCOME-10".into(),
            "percent".into(),
            Some(1250),
            None,
            2000,
            Some(1_796_083_200), // 2026-12-01 00:00 UTC
            Some(1_798_761_600), // 2027-01-01 00:00 UTC
            Some(100),
            Some(1),
            1
        )
    );

    let before = snapshot(&app).await;
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut fields: Vec<(&str, &str)> = welcome.to_vec();
        fields.retain(|(k, _)| !changes.iter().any(|(c, _)| c == k));
        fields.extend_from_slice(changes);
        form(&fields)
    };
    for (changes, says) in [
        (
            &[("code", "other"), ("ends", "2026-11-30")][..],
            "end date must be after the start date",
        ),
        (
            &[("code", "other"), ("ends", "2026-12-01")][..],
            "end date must be after the start date",
        ),
        (&[("code", "AB")][..], "3 to 40 characters"),
        (
            &[("code", "SUMMER 10")][..],
            "use only letters A–Z, digits, - and _",
        ),
        (
            &[("code", "other"), ("percent", "0")][..],
            "between 1% and 100%",
        ),
        (
            &[("code", "other"), ("percent", "12.345")][..],
            "more than 2 decimals",
        ),
        (
            &[("code", "other"), ("kind", "fixed"), ("amount", "0")][..],
            "must be more than zero",
        ),
        (
            &[("code", "other"), ("kind", "fixed"), ("amount", "-5")][..],
            "cannot be negative",
        ),
        (
            &[("code", "other"), ("starts", "2026-02-30")][..],
            "is not a date like",
        ),
        (
            &[("code", "other"), ("max_redemptions", "0")][..],
            "Total uses",
        ),
        (
            &[("code", "other"), ("per_email_limit", "1.5")][..],
            "Uses per email",
        ),
    ] {
        refused(
            &merchant
                .call(&app, "admin/discounts/add", &with(changes))
                .await,
            StatusCode::BAD_REQUEST,
            says,
        );
    }
    // The same code, whatever its case, is refused.
    refused(
        &merchant
            .call(
                &app,
                "admin/discounts/add",
                &with(&[("code", "Welcome-10")]),
            )
            .await,
        StatusCode::CONFLICT,
        "There is already a code “WELCOME-10”",
    );
    assert_eq!(snapshot(&app).await, before);

    // A fixed code, then an edit of it, then deactivation.
    ok(&merchant
        .call(
            &app,
            "admin/discounts/add",
            &form(&[
                ("code", "FIVE"),
                ("kind", "fixed"),
                ("amount", "5"),
                ("active", "on"),
            ]),
        )
        .await);
    let five: i64 = sqlx::query_scalar("SELECT id FROM discount_codes WHERE code = 'FIVE'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let five = five.to_string();
    refused(
        &merchant
            .call(
                &app,
                "admin/discounts/update",
                &form(&[
                    ("id", &five),
                    ("code", "welcome-10"),
                    ("kind", "fixed"),
                    ("amount", "5"),
                    ("active", "on"),
                ]),
            )
            .await,
        StatusCode::CONFLICT,
        "already a code",
    );
    ok(&merchant
        .call(
            &app,
            "admin/discounts/update",
            &form(&[
                ("id", &five),
                ("code", "FIVE"),
                ("kind", "fixed"),
                ("amount", "7.50"),
                ("max_redemptions", "3"),
                ("active", "on"),
            ]),
        )
        .await);
    ok(&merchant
        .call(
            &app,
            "admin/discounts/active",
            &form(&[("id", &five), ("active", "off")]),
        )
        .await);
    let row: (i64, Option<i64>, i64) = sqlx::query_as(
        "SELECT amount_minor, max_redemptions, active FROM discount_codes WHERE code = 'FIVE'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(row, (750, Some(3), 0));

    // The list counts redemptions held (open orders) and taken (paid), not released ones.
    for (order, state) in [
        ("ord_r1", "held"),
        ("ord_r2", "taken"),
        ("ord_r3", "taken"),
        ("ord_r4", "released"),
    ] {
        sqlx::query("INSERT INTO orders (id, cart_id, email, status, currency, total_minor, state) VALUES ($1, $2, 'a@example.com', 'canceled', 'USD', 100, '{}')")
            .bind(order)
            .bind(format!("cart_{order}"))
            .execute(&app.state.pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO discount_redemptions (order_id, code_id, email, state) VALUES ($1, $2, 'a@example.com', $3)")
            .bind(order)
            .bind(five.parse::<i64>().unwrap())
            .bind(state)
            .execute(&app.state.pool)
            .await
            .unwrap();
    }
    let page = merchant.call(&app, "admin/discounts", "").await;
    ok(&page);
    let codes = page.json()["codes"].as_array().unwrap().clone();
    let listed = codes.iter().find(|c| c["code"] == "FIVE").unwrap();
    assert_eq!(
        (listed["held"].as_i64(), listed["taken"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(listed["max_redemptions"], 3);
    assert_eq!(listed["active"], false);
    let welcome = codes.iter().find(|c| c["code"] == "WELCOME-10").unwrap();
    assert_eq!(
        welcome["kind"],
        serde_json::json!({"kind": "percent", "bp": 1250})
    );
}

/// Every settings function with a well-formed body.
const SETTINGS_CALLS: [(&str, &str); 16] = [
    ("admin/shipping", ""),
    ("admin/shipping/zone/create", "name=Mars"),
    ("admin/shipping/zone/rename", "id=1&name=Mars"),
    ("admin/shipping/zone/delete", "id=1"),
    ("admin/shipping/zone/countries", "id=1&countries=JP"),
    (
        "admin/shipping/rate/add",
        "zone_id=1&name=X&kind=flat&amount=1",
    ),
    (
        "admin/shipping/rate/update",
        "id=1&name=X&kind=flat&amount=1",
    ),
    ("admin/shipping/rate/delete", "id=1"),
    ("admin/taxes", ""),
    ("admin/taxes/add", "country=JP&name=Tax&rate=10"),
    ("admin/taxes/update", "id=1&country=JP&name=Tax&rate=10"),
    ("admin/taxes/delete", "id=1"),
    ("admin/discounts", ""),
    (
        "admin/discounts/add",
        "code=FREE100&kind=percent&percent=100",
    ),
    (
        "admin/discounts/update",
        "id=1&code=FREE100&kind=percent&percent=100",
    ),
    ("admin/discounts/active", "id=1&active=on"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_merchant_on_the_shops_own_pages_changes_settings() {
    let app = admin_app().await;
    let before = snapshot(&app).await;
    let stranger = Visitor::new();
    stranger.get_page(&app, "/").await;
    for (endpoint, body) in SETTINGS_CALLS {
        let reply = stranger.call(&app, endpoint, body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{endpoint}: {}",
            reply.body
        );
    }
    // The merchant's own cookie, sent from another site (or with no origin at all): refused.
    let merchant = signed_in(&app).await;
    let cookie = merchant.cookie().unwrap();
    for (endpoint, body) in SETTINGS_CALLS {
        for headers in [
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ][..],
            &[("sec-fetch-site", "same-site")][..],
            &[][..],
        ] {
            let mut request = Request::post(format!("/api/{endpoint}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, &cookie);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let reply = app
                .send(request.body(Body::from(body.to_string())).unwrap())
                .await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{endpoint} {headers:?}: {}",
                reply.body
            );
        }
    }
    assert_eq!(snapshot(&app).await, before);
    // The pages themselves answer a stranger with the sign-in form, never the settings.
    for page in ["/admin/shipping", "/admin/taxes", "/admin/discounts"] {
        let reply = Visitor::new().get_page(&app, page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        assert!(reply.body.contains("Merchant sign-in"), "{page}");
        assert!(!reply.body.contains("United States"), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_show_the_settings_to_the_merchant() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let shipping = merchant.get_page(&app, "/admin/shipping").await;
    ok(&shipping);
    assert!(
        shipping.body.contains("United Kingdom"),
        "{}",
        shipping.body
    );
    assert!(shipping.body.contains("$5.95, free from $75.00"));
    assert!(shipping.body.contains("$12.00 plus $3.00 per started kg"));
    let taxes = merchant.get_page(&app, "/admin/taxes").await;
    ok(&taxes);
    assert!(
        taxes.body.contains("Germany (DE): VAT 19%"),
        "{}",
        taxes.body
    );
    ok(&merchant
        .call(
            &app,
            "admin/discounts/add",
            &form(&[
                ("code", "HELLO"),
                ("kind", "fixed"),
                ("amount", "5"),
                ("max_redemptions", "10"),
                ("active", "on"),
            ]),
        )
        .await);
    let discounts = merchant.get_page(&app, "/admin/discounts").await;
    ok(&discounts);
    assert!(discounts.body.contains("HELLO"), "{}", discounts.body);
    assert!(discounts.body.contains("0 of 10 used"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_a_refused_form_comes_back_with_its_reason() {
    let app = admin_app().await;
    let merchant = signed_in(&app).await;
    let europe = zone_id(&app, "Europe").await.to_string();
    let before = snapshot(&app).await;
    let reply = merchant
        .post_form(
            &app,
            "admin/shipping/zone/countries",
            &form(&[("id", &europe), ("countries", "DE, US")]),
            "http://127.0.0.1:3000/admin/shipping",
        )
        .await;
    assert!(
        reply.status.is_redirection(),
        "{}: {}",
        reply.status,
        reply.body
    );
    let location = reply.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        location.starts_with("http://127.0.0.1:3000/admin/shipping?"),
        "{location}"
    );
    let path = location.trim_start_matches("http://127.0.0.1:3000");
    let page = merchant.get_page(&app, path).await;
    ok(&page);
    assert!(
        page.body
            .contains("US is already in the zone “United States”"),
        "{}",
        page.body
    );
    assert_eq!(snapshot(&app).await, before);
}
