#![cfg(feature = "ssr")]
//! The two schemas cannot drift apart: `migrations/sqlite` and `migrations/postgres` are applied
//! to fresh databases, each backend is asked what it ended with (tables and views, columns in
//! order with their type, nullability and default, primary keys, unique constraints and
//! indexes with their partial WHERE, other indexes, foreign keys, the number of CHECKs per
//! table, triggers), and the two descriptions must be equal.
//!
//! A description is a set of lines in one vocabulary for both, so a failure prints what is on
//! one side only. SQLite's INTEGER, TEXT, BLOB and REAL are PostgreSQL's bigint, text, bytea and
//! double precision; a rowid alias (`INTEGER PRIMARY KEY`) and an identity column both have the
//! default "identity"; a primary key's columns are not null on both (PostgreSQL's rule; SQLite
//! lets a TEXT primary key hold NULL unless it says NOT NULL). SQL text (defaults, partial
//! WHERE clauses) is compared after [`normalize_sql`]; CHECKs only by count, since each backend
//! prints them in its own dialect.
//!
//! PostgreSQL is the server `TEST_POSTGRES_URL` names (a superuser URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`): a database is made for the run and dropped
//! after it. Without that variable the test is skipped, unless `REQUIRE_POSTGRES=1`.
//! Only sqlx is used here, never the crate's own modules.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// What a backend reports about a schema, one fact per line.
type Schema = BTreeSet<String>;

/// `pragma_foreign_key_list`: id, seq, table, from, to, on_update, on_delete.
type SqliteForeignKeyRow = (i64, i64, String, String, Option<String>, String, String);
/// A foreign key's table, its columns, the table it references, their columns, the
/// `confupdtype` and `confdeltype` codes.
type PgForeignKeyRow = (String, Vec<String>, String, Vec<String>, String, String);

#[tokio::test]
async fn sqlite_and_postgres_migrations_make_the_same_schema() {
    let Some(pg_url) = postgres_url() else {
        return;
    };
    let sqlite = sqlite_from_migrations()
        .await
        .expect("the SQLite migrations apply and their schema can be read");
    let postgres = postgres_from_migrations(&pg_url)
        .await
        .expect("the PostgreSQL migrations apply and their schema can be read");

    // Not vacuous: both sides describe the shop's tables.
    for fact in ["table orders", "table invoices", "view cart_holds"] {
        assert!(sqlite.contains(fact), "the SQLite schema has no `{fact}`");
    }
    assert!(
        sqlite.len() > 100,
        "the SQLite schema reads as only {} facts",
        sqlite.len()
    );

    let diff = Diff::between(&sqlite, &postgres);
    assert!(
        diff.is_empty(),
        "migrations/sqlite and migrations/postgres make different schemas:\n{diff}"
    );
    println!(
        "schema: {} facts, the same on SQLite and PostgreSQL",
        sqlite.len()
    );
}

/// The comparison itself notices a difference: two SQLite schemas one column apart.
#[tokio::test]
async fn comparison_notices_one_column_more() {
    let left = sqlite_memory_schema(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE INDEX t_name ON t (name);",
    )
    .await;
    let right = sqlite_memory_schema(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT);
         CREATE INDEX t_name ON t (name);",
    )
    .await;
    assert!(Diff::between(&left, &left).is_empty());
    let diff = Diff::between(&left, &right);
    assert!(diff.only_sqlite.is_empty(), "{diff}");
    assert_eq!(
        diff.only_postgres,
        vec!["column t #03 note text null".to_string()],
        "{diff}"
    );

    // And a partial index's WHERE that differs by one value.
    let narrower = sqlite_memory_schema(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE INDEX t_name ON t (name) WHERE name IN ('a');",
    )
    .await;
    let wider = sqlite_memory_schema(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE INDEX t_name ON t (name) WHERE name IN ('a', 'b');",
    )
    .await;
    assert!(!Diff::between(&narrower, &wider).is_empty());
}

/// PostgreSQL's way of printing a predicate and SQLite's (the migration's text) normalize alike.
#[test]
fn normalized_sql_matches_across_dialects() {
    assert_eq!(
        normalize_sql("status = ANY (ARRAY['pending'::text, 'payment_failed'::text])"),
        normalize_sql("status IN ('pending', 'payment_failed')")
    );
    assert_eq!(
        normalize_sql("(stock_hold = 'held'::text)"),
        normalize_sql("stock_hold = 'held'")
    );
    assert_eq!(normalize_sql("'none'::text"), normalize_sql("'none'"));
    assert_eq!(normalize_sql("unixepoch()"), normalize_sql("(unixepoch())"));
    assert_ne!(
        normalize_sql("status IN ('a')"),
        normalize_sql("status IN ('a', 'b')")
    );
    assert_ne!(normalize_sql("x IS NULL"), normalize_sql("x IS NOT NULL"));
}

/// The server to test against, or `None` (after saying so) when the test is to be skipped.
fn postgres_url() -> Option<String> {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!(
                    "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set: it must name a \
                     PostgreSQL superuser URL, e.g. postgres://postgres@127.0.0.1:5432/postgres"
                );
            }
            println!(
                "schema: skipped, TEST_POSTGRES_URL is not set (set it to compare with PostgreSQL)"
            );
            None
        }
    }
}

/// A name no other run uses at the same time.
fn unique_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("schema_{}_{}", std::process::id(), nanos)
}

// ---------------------------------------------------------------------------------------------
// SQLite

async fn sqlite_from_migrations() -> Result<Schema, Box<dyn std::error::Error>> {
    let path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}.db", unique_name()));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await?;
    let result = async {
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        describe_sqlite(&pool).await
    }
    .await;
    pool.close().await;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    result
}

/// The schema an in-memory SQLite database has after `sql`.
async fn sqlite_memory_schema(sql: &str) -> Schema {
    // One connection, kept: each connection to `:memory:` is a database of its own.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database");
    sqlx::raw_sql(sql)
        .execute(&pool)
        .await
        .expect("the test schema applies");
    let schema = describe_sqlite(&pool)
        .await
        .expect("the test schema can be read");
    pool.close().await;
    schema
}

async fn describe_sqlite(pool: &SqlitePool) -> Result<Schema, Box<dyn std::error::Error>> {
    let mut schema = Schema::new();
    let relations: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT name, type, sql FROM sqlite_master
          WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            AND name <> '_sqlx_migrations'
          ORDER BY name",
    )
    .fetch_all(pool)
    .await?;

    for (table, kind, sql) in &relations {
        let sql = sql.clone().unwrap_or_default();
        let code = code_only(&sql);
        let columns: Vec<(i64, String, String, i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(table)
        .fetch_all(pool)
        .await?;

        if kind == "view" {
            schema.insert(format!("view {table}"));
            for (position, (_, name, ty, ..)) in columns.iter().enumerate() {
                schema.insert(format!(
                    "view {table} #{:02} {name} {}",
                    position + 1,
                    sqlite_type(ty)
                ));
            }
            continue;
        }
        schema.insert(format!("table {table}"));

        let mut primary_key: Vec<(i64, &str)> = columns
            .iter()
            .filter(|c| c.5 > 0)
            .map(|c| (c.5, c.1.as_str()))
            .collect();
        primary_key.sort();
        let without_rowid = code
            .split_whitespace()
            .collect::<Vec<_>>()
            .ends_with(&["without", "rowid"]);
        // `INTEGER PRIMARY KEY` in a rowid table is the rowid: given a value when none is.
        let rowid_alias = match primary_key.as_slice() {
            [(_, name)] if !without_rowid => columns
                .iter()
                .find(|c| c.1 == *name)
                .is_some_and(|c| c.2.eq_ignore_ascii_case("integer"))
                .then_some(name.to_string()),
            _ => None,
        };
        if !primary_key.is_empty() {
            let names: Vec<&str> = primary_key.iter().map(|(_, n)| *n).collect();
            schema.insert(format!("primary key {table} ({})", names.join(", ")));
        }

        for (position, (_, name, ty, not_null, default, pk)) in columns.iter().enumerate() {
            let default = if rowid_alias.as_deref() == Some(name.as_str()) {
                Some("identity".to_string())
            } else {
                default.as_deref().map(normalize_sql)
            };
            schema.insert(column_line(
                table,
                position + 1,
                name,
                &sqlite_type(ty),
                *not_null != 0 || *pk > 0,
                default,
            ));
        }

        let indexes: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                .bind(table)
                .fetch_all(pool)
                .await?;
        for (index, unique, origin) in indexes {
            if origin == "pk" {
                continue; // the primary key, above
            }
            let keys: Vec<(Option<String>, String, i64)> = sqlx::query_as(
                "SELECT name, coll, \"desc\" FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno",
            )
            .bind(&index)
            .fetch_all(pool)
            .await?;
            let keys: Vec<String> = keys
                .into_iter()
                .map(|(name, collation, desc)| {
                    let mut key = name.unwrap_or_else(|| "<expression>".into());
                    if !collation.eq_ignore_ascii_case("binary") {
                        key.push_str(" collate ");
                        key.push_str(&collation.to_lowercase());
                    }
                    if desc != 0 {
                        key.push_str(" desc");
                    }
                    key
                })
                .collect();
            let index_sql: Option<String> = sqlx::query_scalar(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1",
            )
            .bind(&index)
            .fetch_optional(pool)
            .await?
            .flatten();
            let predicate = index_sql
                .as_deref()
                .map(sqlite_index_predicate)
                .unwrap_or_default();
            schema.insert(index_line(
                table,
                &index,
                unique != 0,
                origin == "u",
                &keys,
                &predicate,
            ));
        }

        let keys: Vec<SqliteForeignKeyRow> = sqlx::query_as(
            "SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete
               FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(table)
        .fetch_all(pool)
        .await?;
        let mut foreign: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for (id, _, target, from, to, on_update, on_delete) in keys {
            let key = foreign.entry(id).or_insert_with(|| ForeignKey {
                target,
                on_update: on_update.to_lowercase(),
                on_delete: on_delete.to_lowercase(),
                ..ForeignKey::default()
            });
            key.from.push(from);
            key.to.push(to.unwrap_or_default());
        }
        for mut key in foreign.into_values() {
            // `REFERENCES t` without columns names t's primary key.
            if key.to.iter().all(String::is_empty) {
                key.to = sqlite_primary_key(pool, &key.target).await?;
            }
            schema.insert(key.line(table));
        }

        let checks = count_checks(&code);
        if checks > 0 {
            schema.insert(format!("checks {table} {checks}"));
        }
    }

    let triggers: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
    )
    .fetch_all(pool)
    .await?;
    for (name, table, sql) in triggers {
        let words = words(&code_only(&sql));
        // CREATE [TEMP] TRIGGER [IF NOT EXISTS] name <timing and events> ON table [FOR EACH ROW] [WHEN ...] BEGIN
        let mut rest = words
            .iter()
            .skip_while(|w| *w != "trigger")
            .skip(1)
            .peekable();
        if rest.peek().map(|w| w.as_str()) == Some("if") {
            rest.nth(2);
        }
        rest.next(); // the name
        let event: Vec<&str> = rest
            .by_ref()
            .take_while(|w| *w != "on")
            .map(String::as_str)
            .collect();
        let header: Vec<&str> = rest
            .take_while(|w| *w != "begin")
            .map(String::as_str)
            .collect();
        let has_when = header.contains(&"when");
        schema.insert(trigger_line(
            &table,
            &name,
            &event.join(" "),
            "row",
            has_when,
        ));
    }
    Ok(schema)
}

async fn sqlite_primary_key(pool: &SqlitePool, table: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk")
        .bind(table)
        .fetch_all(pool)
        .await
}

/// SQLite's declared type in PostgreSQL's words.
fn sqlite_type(declared: &str) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" => "bigint".into(),
        "TEXT" => "text".into(),
        "BLOB" => "bytea".into(),
        "REAL" => "double precision".into(),
        other => other.to_lowercase(),
    }
}

/// The WHERE of a `CREATE INDEX`, normalized, or "".
fn sqlite_index_predicate(sql: &str) -> String {
    // `code_only` keeps one character per character, so a position in it is one in `sql`.
    let code: Vec<char> = code_only(sql).to_ascii_lowercase().chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let at = (0..code.len()).find(|&i| {
        code[i..].starts_with(&['w', 'h', 'e', 'r', 'e'])
            && !word(i.checked_sub(1).and_then(|j| code.get(j)))
            && !word(code.get(i + 5))
    });
    match at {
        Some(i) => normalize_sql(&sql.chars().skip(i + 5).collect::<String>()),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

async fn postgres_from_migrations(admin_url: &str) -> Result<Schema, Box<dyn std::error::Error>> {
    let admin_options = PgConnectOptions::from_str(admin_url)?;
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(admin_options.clone())
        .await?;
    let name = unique_name();
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await?;

    let result = async {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(admin_options.database(&name))
            .await?;
        let described = async {
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            describe_postgres(&pool).await
        }
        .await;
        pool.close().await;
        described
    }
    .await;

    let dropped = sqlx::raw_sql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await;
    admin.close().await;
    let schema = result?;
    dropped?;
    Ok(schema)
}

async fn describe_postgres(pool: &PgPool) -> Result<Schema, Box<dyn std::error::Error>> {
    let mut schema = Schema::new();
    let relations: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')
            AND c.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await?;
    let views: BTreeSet<&str> = relations
        .iter()
        .filter(|r| r.1 == "view")
        .map(|r| r.0.as_str())
        .collect();
    for (relation, kind) in &relations {
        schema.insert(format!("{kind} {relation}"));
    }

    let columns: Vec<(String, String, String, bool, Option<String>, bool)> = sqlx::query_as(
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_get_expr(d.adbin, d.adrelid), a.attidentity <> ''
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')
            AND c.relname <> '_sqlx_migrations' AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY c.relname, a.attnum",
    )
    .fetch_all(pool)
    .await?;
    let mut positions: BTreeMap<&str, usize> = BTreeMap::new();
    for (table, name, ty, not_null, default, identity) in &columns {
        // SQLite's implicit rowid, made an explicit column where the app lists rows in
        // insertion order (`ORDER BY rowid`): present on both, reported by one.
        if name == "rowid" && *identity {
            continue;
        }
        let position = positions.entry(table).or_default();
        *position += 1;
        if views.contains(table.as_str()) {
            schema.insert(format!("view {table} #{position:02} {name} {ty}"));
            continue;
        }
        let default = if *identity {
            Some("identity".to_string())
        } else {
            default.as_deref().map(normalize_sql)
        };
        schema.insert(column_line(table, *position, name, ty, *not_null, default));
    }

    let primary_keys: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text,
                array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                       ORDER BY k.ord)
           FROM pg_constraint con
           JOIN pg_class t ON t.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = current_schema() AND con.contype = 'p' AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await?;
    for (table, keys) in primary_keys {
        schema.insert(format!("primary key {table} ({})", keys.join(", ")));
    }

    let indexes: Vec<(String, String, bool, bool, String, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, ic.relname::text, i.indisunique,
                EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype = 'u'),
                coalesce(pg_get_expr(i.indpred, i.indrelid, true), ''),
                array(SELECT pg_get_indexdef(i.indexrelid, k, true)
                             || coalesce(' collate ' || co.collname::text, '')
                             || CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' desc' ELSE '' END
                        FROM generate_series(1, i.indnkeyatts::int) k
                        LEFT JOIN pg_collation co ON co.oid = i.indcollation[k - 1] AND co.collname <> 'default'
                       ORDER BY k)
           FROM pg_index i
           JOIN pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = current_schema() AND NOT i.indisprimary AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await?;
    for (table, index, unique, constraint, predicate, keys) in indexes {
        let predicate = if predicate.is_empty() {
            String::new()
        } else {
            normalize_sql(&predicate)
        };
        schema.insert(index_line(
            &table, &index, unique, constraint, &keys, &predicate,
        ));
    }

    let foreign: Vec<PgForeignKeyRow> = sqlx::query_as(
        "SELECT t.relname::text,
                array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord),
                r.relname::text,
                array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord),
                con.confupdtype::text, con.confdeltype::text
           FROM pg_constraint con
           JOIN pg_class t ON t.oid = con.conrelid
           JOIN pg_class r ON r.oid = con.confrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = current_schema() AND con.contype = 'f'",
    )
    .fetch_all(pool)
    .await?;
    for (table, from, target, to, on_update, on_delete) in foreign {
        let key = ForeignKey {
            target,
            from,
            to,
            on_update: pg_action(&on_update),
            on_delete: pg_action(&on_delete),
        };
        schema.insert(key.line(&table));
    }

    let checks: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.relname::text, count(*)
           FROM pg_constraint con
           JOIN pg_class t ON t.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = current_schema() AND con.contype = 'c'
          GROUP BY t.relname",
    )
    .fetch_all(pool)
    .await?;
    for (table, count) in checks {
        schema.insert(format!("checks {table} {count}"));
    }

    let triggers: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT t.relname::text, tg.tgname::text, pg_get_triggerdef(tg.oid), tg.tgqual IS NOT NULL
           FROM pg_trigger tg
           JOIN pg_class t ON t.oid = tg.tgrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = current_schema() AND NOT tg.tgisinternal",
    )
    .fetch_all(pool)
    .await?;
    for (table, name, definition, has_when) in triggers {
        // CREATE [CONSTRAINT] TRIGGER name <timing and events> ON table FOR EACH ROW|STATEMENT ...
        let words = words(&definition);
        let mut rest = words.iter().skip_while(|w| *w != "trigger").skip(1);
        rest.next(); // the name
        let event: Vec<&str> = rest
            .by_ref()
            .take_while(|w| *w != "on")
            .map(String::as_str)
            .collect();
        let level = if words.windows(3).any(|w| w == ["for", "each", "row"]) {
            "row"
        } else {
            "statement"
        };
        schema.insert(trigger_line(
            &table,
            &name,
            &event.join(" "),
            level,
            has_when,
        ));
    }
    Ok(schema)
}

/// `pg_constraint.confdeltype` / `confupdtype` as SQLite's `foreign_key_list` spells it.
fn pg_action(code: &str) -> String {
    match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        other => other,
    }
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// The shared vocabulary

fn column_line(
    table: &str,
    position: usize,
    name: &str,
    ty: &str,
    not_null: bool,
    default: Option<String>,
) -> String {
    let mut line = format!(
        "column {table} #{position:02} {name} {ty} {}",
        if not_null { "not null" } else { "null" }
    );
    if let Some(default) = default {
        line.push_str(" default ");
        line.push_str(&default);
    }
    line
}

/// A unique constraint is told by its columns (its name is the backend's own); an index, unique
/// or not, by its name as well.
fn index_line(
    table: &str,
    index: &str,
    unique: bool,
    constraint: bool,
    keys: &[String],
    predicate: &str,
) -> String {
    let mut line = if constraint {
        format!("unique {table} ({})", keys.join(", "))
    } else if unique {
        format!("unique index {table} {index} ({})", keys.join(", "))
    } else {
        format!("index {table} {index} ({})", keys.join(", "))
    };
    if !predicate.is_empty() {
        line.push_str(" where ");
        line.push_str(predicate);
    }
    line
}

fn trigger_line(table: &str, name: &str, event: &str, level: &str, has_when: bool) -> String {
    // "update of number , order_id" and "update of number, order_id" alike.
    let event = event.replace(" ,", ",");
    let when = if has_when { " when" } else { "" };
    format!("trigger {table} {name} {event} for each {level}{when}")
}

#[derive(Default)]
struct ForeignKey {
    target: String,
    from: Vec<String>,
    to: Vec<String>,
    on_update: String,
    on_delete: String,
}

impl ForeignKey {
    fn line(&self, table: &str) -> String {
        format!(
            "foreign key {table} ({}) -> {} ({}) on update {} on delete {}",
            self.from.join(", "),
            self.target,
            self.to.join(", "),
            self.on_update,
            self.on_delete
        )
    }
}

/// SQL text (a default, a partial index's WHERE) in a form both dialects reach: lower case, no
/// casts (`'x'::text`), `= ANY (ARRAY[...])` as `IN (...)`, `!=` as `<>`, and neither
/// whitespace nor parentheses.
fn normalize_sql(sql: &str) -> String {
    let mut text: String = sql.to_lowercase().split_whitespace().collect();
    // Casts: `::` and one type name (with `[]`).
    while let Some(at) = text.find("::") {
        let end = text[at + 2..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '[' || c == ']'))
            .map(|i| at + 2 + i)
            .unwrap_or(text.len());
        text.replace_range(at..end, "");
    }
    text = text
        .replace("=any(array[", "in(")
        .replace("])", ")")
        .replace("!=", "<>");
    text.retain(|c| c != '(' && c != ')');
    text
}

/// The SQL with its comments, string literals and quoted identifiers blanked out (so that a
/// word in a comment is not taken for a keyword), keeping lengths.
fn code_only(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(' ');
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                out.push_str("  ");
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    out.push(' ');
                    i += 1;
                }
                out.push_str("  ");
                i += 2;
            }
            quote @ ('\'' | '"' | '`') => {
                out.push(' ');
                i += 1;
                while i < chars.len() {
                    if chars[i] == quote {
                        if chars.get(i + 1) == Some(&quote) {
                            out.push_str("  ");
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    out.push(' ');
                    i += 1;
                }
                out.push(' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Lower-case words of SQL text, with `(`, `)` and `,` as words of their own.
fn words(sql: &str) -> Vec<String> {
    sql.to_lowercase()
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace(',', " , ")
        .replace('"', "")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// How many CHECK constraints a `CREATE TABLE` (as SQLite keeps it, ALTERs included) has.
fn count_checks(code: &str) -> usize {
    let words = words(code);
    words
        .windows(2)
        .filter(|w| w[0] == "check" && w[1] == "(")
        .count()
}

/// What is in one description only.
struct Diff {
    only_sqlite: Vec<String>,
    only_postgres: Vec<String>,
}

impl Diff {
    fn between(sqlite: &Schema, postgres: &Schema) -> Diff {
        Diff {
            only_sqlite: sqlite.difference(postgres).cloned().collect(),
            only_postgres: postgres.difference(sqlite).cloned().collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.only_sqlite.is_empty() && self.only_postgres.is_empty()
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "only in SQLite ({}):", self.only_sqlite.len())?;
        for line in &self.only_sqlite {
            writeln!(f, "  - {line}")?;
        }
        writeln!(f, "only in PostgreSQL ({}):", self.only_postgres.len())?;
        for line in &self.only_postgres {
            writeln!(f, "  + {line}")?;
        }
        Ok(())
    }
}
