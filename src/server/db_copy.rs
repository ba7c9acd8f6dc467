//! `checkout db copy --from sqlite:shop.db --to postgres://…`: moves a shop from its SQLite file
//! into an empty PostgreSQL database, in one PostgreSQL transaction that checks its own work
//! before it commits.
//!
//! Plain sqlx on a concrete [`SqlitePool`] and [`PgPool`]: nothing here uses the app's database
//! module; the copy reads both schemas from the databases themselves (SQLite's `pragma_*`
//! functions, PostgreSQL's catalog), so a column added by a later migration is copied without a
//! change here.
//!
//! In order:
//! 1. The source is opened read-only (`mode=ro`) and read in one transaction, i.e. from one
//!    snapshot: a shop still running on the file changes nothing the copy sees. It must stand at
//!    the newest migration in `migrations/sqlite` (its `_sqlx_migrations`, all successful).
//! 2. `migrations/postgres` is applied to the target (so a new, empty database is fine).
//! 3. In **one** transaction on the target: the app tables are locked against writers
//!    (`LOCK TABLE … IN EXCLUSIVE MODE`, `lock_timeout` 10 s), the target is refused unless it
//!    is empty (below), the rows the migrations seeded are deleted, every table is copied
//!    parents first (foreign keys read from `pragma_foreign_key_list`), value by value with its
//!    SQLite runtime type (`typeof`), every identity sequence is moved past the highest id,
//!    and the result is verified. Any error or mismatch rolls the whole transaction back, so a
//!    failed or interrupted copy leaves the target as the migrations left it.
//!
//! **Empty target.** The target is empty when every table in it holds exactly what a freshly
//! migrated database holds: the reference is an in-memory SQLite database migrated with the
//! same embedded `migrations/sqlite` (the PostgreSQL migrations are its twins). A table the
//! migrations leave empty (orders, carts, …) must have no row; a table they seed (products,
//! shipping zones and rates, tax rates) must have the same number of rows with the same values
//! (as text) in every column whose default is a constant; columns whose default is evaluated at
//! migration time (`created_at DEFAULT unixepoch()`) are not compared. PostgreSQL's session
//! table (`tower_sessions.session`), when present, must be empty too. So a target someone
//! has used, edited or copied into before is refused, and nothing in it is touched.
//!
//! **Triggers and derived tables.** Triggers stay enabled (no `session_replication_role`, so
//! no superuser needed). A table that a source trigger writes into is *derived* from the
//! trigger's table (found by reading the triggers' SQL: `order_status_counts` from `orders`):
//! it is copied after its base table, and the rows the target's triggers made while the base
//! table was copied are deleted first, so the source's rows are copied as they are (zero counts
//! included) and nothing is counted twice; the verification then checks that the orders per
//! status equal `order_status_counts` on both sides. The invoice triggers (0012) only forbid
//! deleting or renumbering invoices: rows are only inserted, with their own numbers (explicit
//! values, `OVERRIDING SYSTEM VALUE`), and the seed deletion never reaches `invoices` (a fresh
//! database has none), so no invoice is renumbered or doubled.
//!
//! **Ids.** Every id is copied as it is. Afterwards each sequence of a copied table (identity
//! or serial) is set past the column's highest value and, for an `AUTOINCREMENT` table, past
//! SQLite's high-water mark in `sqlite_sequence` (an id used once, e.g. a deleted product
//! image's `/images/uploads/{id}`, is never given again); an empty table's sequence restarts.
//! Where the PostgreSQL twin makes SQLite's implicit rowid a column (`rowid`, the lines'
//! insertion order), it gets the source's rowid.
//!
//! **Not copied.** `_sqlx_migrations` (the target has its own), SQLite's own `sqlite_*` tables,
//! and the session table `tower_sessions`: sessions do not move, everyone (admins included) signs
//! in again; shoppers' carts are copied but their cookies no longer lead to them.

use futures::TryStreamExt;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, Postgres};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, QueryBuilder, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// SQLite's session table (tower-sessions-sqlx-store's `SqliteStore`): never copied.
const SQLITE_SESSIONS: &str = "tower_sessions";
/// Rows per INSERT, binds per INSERT (PostgreSQL allows 65535) and bytes of values per INSERT
/// (product images are up to 2 MiB each).
const MAX_ROWS: usize = 1000;
const MAX_BINDS: usize = 60_000;
const MAX_BATCH_BYTES: usize = 16 << 20;
/// Integer columns summed on both sides besides those whose name ends in `_minor` (money).
const AMOUNT_COLUMNS: &[&str] = &[
    "amount",
    "total",
    "quantity",
    "stock",
    "delta",
    "stock_after",
    "count",
];

/// Why a copy did not happen. Every message is one line, and names the target by host, port
/// and database only (never the URL: it may hold a password).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// A URL of the wrong kind.
    #[error("{0}")]
    Usage(String),
    #[error("source {db}: {message}")]
    Source { db: String, message: String },
    #[error("target {db}: {message}")]
    Target { db: String, message: String },
    #[error(
        "target {db} is not empty: {reason}; copy only into a new database (or one that holds \
         only what the migrations seed); nothing was copied"
    )]
    NotEmpty { db: String, reason: String },
    #[error(
        "verification failed, the copy was rolled back: {what}: source {source_value}, \
         target {target_value}"
    )]
    Mismatch {
        what: String,
        source_value: String,
        target_value: String,
    },
    /// One side disagrees with itself (e.g. its per-status counts and its orders).
    #[error("verification failed, the copy was rolled back: {0}")]
    Inconsistent(String),
}

/// What was copied, and the figures the copy was verified with.
#[derive(Debug, Clone)]
pub struct Report {
    pub source: String,
    pub target: String,
    /// In the order they were copied (parents first).
    pub tables: Vec<TableReport>,
    /// Orders per status; empty when the schema has no `order_status_counts`.
    pub statuses: Vec<StatusReport>,
    pub sequences: Vec<SequenceReport>,
    /// Rows the migrations had seeded in the target, deleted so the source's rows win.
    pub seed_replaced: Vec<(String, i64)>,
    pub derived: Vec<DerivedReport>,
    /// Rows of the source's session table, not copied (`None`: it has none).
    pub sessions_skipped: Option<i64>,
    /// Target columns the source has no counterpart for: they got their defaults.
    pub defaulted_columns: Vec<String>,
    pub elapsed: Duration,
}

#[derive(Debug, Clone)]
pub struct TableReport {
    pub table: String,
    pub source_rows: i64,
    pub target_rows: i64,
    /// Money and amount sums (and byte totals of binary columns), source and target.
    pub sums: Vec<SumReport>,
}

#[derive(Debug, Clone)]
pub struct SumReport {
    pub column: String,
    /// `true`: the total length in bytes of a binary column, not a sum.
    pub bytes: bool,
    pub source: i128,
    pub target: i128,
}

#[derive(Debug, Clone)]
pub struct StatusReport {
    pub status: String,
    pub source_orders: i64,
    pub source_counted: i64,
    pub target_orders: i64,
    pub target_counted: i64,
}

#[derive(Debug, Clone)]
pub struct SequenceReport {
    pub table: String,
    pub column: String,
    /// The value the next insert without an id gets.
    pub next: i64,
}

#[derive(Debug, Clone)]
pub struct DerivedReport {
    pub table: String,
    pub from: Vec<String>,
    /// Rows the target's triggers made while the base tables were copied, replaced by the
    /// source's rows.
    pub trigger_rows_replaced: i64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Copied {} into PostgreSQL {} in {:.1} s (one transaction, verified, committed).",
            self.source,
            self.target,
            self.elapsed.as_secs_f64()
        )?;
        let width = self
            .tables
            .iter()
            .map(|t| t.table.len())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(
            f,
            "{:<width$}  {:>9}  {:>9}  sums (source = target)",
            "table", "source", "target"
        )?;
        for t in &self.tables {
            let sums = t
                .sums
                .iter()
                .map(|s| {
                    if s.bytes {
                        format!("length({}) {} = {}", s.column, s.source, s.target)
                    } else {
                        format!("{} {} = {}", s.column, s.source, s.target)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(
                f,
                "{:<width$}  {:>9}  {:>9}  {sums}",
                t.table, t.source_rows, t.target_rows
            )?;
        }
        if !self.statuses.is_empty() {
            writeln!(
                f,
                "orders per status (source orders/counted = target orders/counted):"
            )?;
            for s in &self.statuses {
                writeln!(
                    f,
                    "  {:<20} {}/{} = {}/{}",
                    s.status, s.source_orders, s.source_counted, s.target_orders, s.target_counted
                )?;
            }
        }
        if !self.seed_replaced.is_empty() {
            let list = self
                .seed_replaced
                .iter()
                .map(|(t, n)| format!("{t} ({n})"))
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(
                f,
                "replaced the migrations' seed rows with the source's: {list}"
            )?;
        }
        for d in &self.derived {
            writeln!(
                f,
                "{} is kept by triggers on {}: the {} rows they made during the copy were \
                 replaced by the source's rows",
                d.table,
                d.from.join(", "),
                d.trigger_rows_replaced
            )?;
        }
        if !self.sequences.is_empty() {
            let list = self
                .sequences
                .iter()
                .map(|s| format!("{}.{} {}", s.table, s.column, s.next))
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(f, "next ids: {list}")?;
        }
        if !self.defaulted_columns.is_empty() {
            writeln!(
                f,
                "target-only columns, left to their defaults: {}",
                self.defaulted_columns.join(", ")
            )?;
        }
        match self.sessions_skipped {
            Some(n) => writeln!(
                f,
                "not copied: {n} session(s) ({SQLITE_SESSIONS}): everyone signs in again, admins \
                 included; shoppers' carts are in the target but their cookies no longer find them"
            ),
            None => writeln!(f, "not copied: sessions (the source has no session table)"),
        }
    }
}

/// Copies the SQLite database `from` (`sqlite:shop.db`) into the PostgreSQL database `to`
/// (`postgres://user:password@host:5432/db`); see the module documentation.
pub async fn copy(from: &str, to: &str) -> Result<Report, CopyError> {
    let started = Instant::now();
    if !from.starts_with("sqlite:") {
        return Err(CopyError::Usage(
            "--from must be a SQLite URL, e.g. sqlite:shop.db".into(),
        ));
    }
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        return Err(CopyError::Usage(
            "--to must be a PostgreSQL URL, e.g. postgres://user@localhost:5432/shop".into(),
        ));
    }
    let src_options = SqliteConnectOptions::from_str(from)
        .map_err(|e| CopyError::Usage(one_line(format!("--from: {e}"))))?
        .read_only(true)
        .create_if_missing(false);
    // The URL's own error text never includes the URL; the password stays out of every message.
    let tgt_options = PgConnectOptions::from_str(to)
        .map_err(|e| CopyError::Usage(one_line(format!("--to is not a PostgreSQL URL: {e}"))))?;
    let cx = Cx {
        src: from.to_string(),
        tgt: describe_target(&tgt_options),
    };

    // 1. The source, in one read transaction.
    let src_pool: SqlitePool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(src_options)
        .await
        .map_err(cx.src_err("cannot open"))?;
    let mut s = src_pool.begin().await.map_err(cx.src_err("cannot read"))?;
    cx.check_source_version(&mut s).await?;
    let source = cx.read_source_schema(&mut s).await?;

    // 2. The target, migrated.
    let tgt_pool: PgPool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(tgt_options)
        .await
        .map_err(cx.tgt_err("cannot connect"))?;
    PG_MIGRATOR
        .run(&tgt_pool)
        .await
        .map_err(cx.tgt_err("applying migrations/postgres"))?;

    // 3. One transaction on the target.
    let mut t = tgt_pool.begin().await.map_err(cx.tgt_err("cannot begin"))?;
    let report = cx.copy_in(&mut s, &mut t, &source).await?;
    t.commit().await.map_err(cx.tgt_err("commit"))?;
    drop(s);
    src_pool.close().await;
    tgt_pool.close().await;
    Ok(Report {
        elapsed: started.elapsed(),
        ..report
    })
}

/// The target's name in messages: host (or socket directory), port, database.
fn describe_target(options: &PgConnectOptions) -> String {
    let host = match options.get_socket() {
        Some(dir) => dir.display().to_string(),
        None => options.get_host().to_string(),
    };
    let db = options
        .get_database()
        .unwrap_or_else(|| options.get_username());
    format!("{host}:{}/{db}", options.get_port())
}

fn one_line(s: String) -> String {
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s
    }
}

/// A quoted identifier (the same syntax in both dialects).
fn qi(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// How a target column's values are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Numeric,
    Text,
    Bytes,
    Bool,
    /// Anything else (jsonb, timestamptz, …): bound as text and cast to the column's type.
    Other,
}

impl Kind {
    fn of(base_type: &str) -> Kind {
        match base_type {
            "int2" | "int4" | "int8" => Kind::Int,
            "float4" | "float8" => Kind::Float,
            "numeric" => Kind::Numeric,
            "text" | "varchar" | "bpchar" | "name" | "citext" => Kind::Text,
            "bytea" => Kind::Bytes,
            "bool" => Kind::Bool,
            _ => Kind::Other,
        }
    }
}

struct SrcTable {
    /// Declared columns, in order.
    columns: Vec<String>,
    /// Primary key columns in key order (the copy reads rows in this order).
    pk: Vec<String>,
    has_rowid: bool,
    /// Tables its foreign keys point at.
    parents: BTreeSet<String>,
    /// `sqlite_sequence`'s high-water mark (AUTOINCREMENT): ids below it were used and are never
    /// given again, even when their rows were deleted.
    autoincrement: Option<i64>,
}

impl SrcTable {
    /// The column that is the rowid (`INTEGER PRIMARY KEY`), if any.
    fn rowid_alias(&self) -> Option<&str> {
        (self.has_rowid && self.pk.len() == 1).then(|| self.pk[0].as_str())
    }
}

struct Source {
    tables: BTreeMap<String, SrcTable>,
    /// Derived table → the tables whose triggers write into it.
    derived: BTreeMap<String, BTreeSet<String>>,
    order: Vec<String>,
    sessions: Option<i64>,
}

#[derive(Clone)]
struct TgtColumn {
    name: String,
    kind: Kind,
    /// `format_type(…)`, for the cast of [`Kind::Other`].
    type_name: String,
    identity: bool,
    generated: bool,
    sequence: Option<String>,
}

struct TgtTable {
    columns: Vec<TgtColumn>,
}

impl TgtTable {
    fn column(&self, name: &str) -> Option<&TgtColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// One value read from SQLite, with its runtime type.
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// One value as it is bound for PostgreSQL.
enum Bound {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Bool(Option<bool>),
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// `v` for a column of kind `kind`: the natural binding, or a lossless conversion, or why not.
fn convert(v: Value, kind: Kind) -> Result<Bound, String> {
    Ok(match (v, kind) {
        (Value::Null, Kind::Int) => Bound::Int(None),
        (Value::Null, Kind::Float | Kind::Numeric) => Bound::Float(None),
        (Value::Null, Kind::Text | Kind::Other) => Bound::Text(None),
        (Value::Null, Kind::Bytes) => Bound::Bytes(None),
        (Value::Null, Kind::Bool) => Bound::Bool(None),

        (Value::Int(i), Kind::Int | Kind::Numeric) => Bound::Int(Some(i)),
        (Value::Int(i), Kind::Float) if i.unsigned_abs() <= 1 << 53 => Bound::Float(Some(i as f64)),
        (Value::Int(i), Kind::Text | Kind::Other) => Bound::Text(Some(i.to_string())),
        (Value::Int(i @ (0 | 1)), Kind::Bool) => Bound::Bool(Some(i == 1)),

        (Value::Real(r), Kind::Float | Kind::Numeric) => Bound::Float(Some(r)),
        (Value::Real(r), Kind::Int) if r.fract() == 0.0 && r.abs() < 9.0e18 => {
            Bound::Int(Some(r as i64))
        }
        (Value::Real(r), Kind::Text | Kind::Other) => Bound::Text(Some(r.to_string())),

        (Value::Text(s), Kind::Text | Kind::Other) => Bound::Text(Some(s)),
        (Value::Text(s), Kind::Bytes) => Bound::Bytes(Some(s.into_bytes())),

        (Value::Blob(b), Kind::Bytes) => Bound::Bytes(Some(b)),
        (Value::Blob(b), Kind::Text) => match String::from_utf8(b) {
            Ok(s) => Bound::Text(Some(s)),
            Err(e) => {
                return Err(format!(
                    "a {}-byte blob that is not UTF-8",
                    e.as_bytes().len()
                ))
            }
        },

        (Value::Int(i), _) => return Err(format!("integer {i}")),
        (Value::Real(r), _) => return Err(format!("real {r}")),
        (Value::Text(s), _) => return Err(format!("text '{}'", shorten(&s))),
        (Value::Blob(b), _) => return Err(format!("a {}-byte blob", b.len())),
    })
}

/// Tables a trigger's body writes into (INSERT/REPLACE INTO, UPDATE, DELETE FROM).
fn written_tables(sql: &str) -> BTreeSet<String> {
    let tokens: Vec<String> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect();
    let body = match tokens.iter().position(|t| t == "begin") {
        Some(i) => &tokens[i + 1..],
        None => &tokens[..],
    };
    let mut out = BTreeSet::new();
    for (i, word) in body.iter().enumerate() {
        let target = match word.as_str() {
            "into" => body.get(i + 1),
            "from" if i > 0 && body[i - 1] == "delete" => body.get(i + 1),
            "update" => match body.get(i + 1).map(String::as_str) {
                Some("or") => body.get(i + 3),
                _ => body.get(i + 1),
            },
            _ => None,
        };
        if let Some(t) = target {
            out.insert(t.clone());
        }
    }
    out
}

/// Parents before children; a derived table after the tables it is derived from.
fn dependency_order(
    tables: &BTreeMap<String, SrcTable>,
    derived: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, String> {
    let mut needs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, table) in tables {
        let entry = needs.entry(name).or_default();
        for parent in &table.parents {
            if parent != name && tables.contains_key(parent) {
                entry.insert(parent);
            }
        }
    }
    for (table, bases) in derived {
        for base in bases {
            if base != table && tables.contains_key(base) {
                if let Some(entry) = needs.get_mut(table.as_str()) {
                    entry.insert(base);
                }
            }
        }
    }
    let mut order: Vec<String> = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    loop {
        let ready: Vec<&str> = needs
            .iter()
            .filter(|(n, ps)| !placed.contains(*n) && ps.iter().all(|p| placed.contains(p)))
            .map(|(n, _)| *n)
            .collect();
        if ready.is_empty() {
            break;
        }
        for n in ready {
            placed.insert(n);
            order.push(n.to_string());
        }
    }
    if order.len() < needs.len() {
        let stuck: Vec<&str> = needs
            .keys()
            .filter(|n| !placed.contains(*n))
            .copied()
            .collect();
        return Err(format!(
            "foreign keys form a cycle among {}",
            stuck.join(", ")
        ));
    }
    Ok(order)
}

/// Is a SQLite default (as `pragma_table_info` gives it) a constant?
fn is_constant_default(dflt: Option<&str>) -> bool {
    let Some(d) = dflt.map(str::trim) else {
        return true;
    };
    let upper = d.to_ascii_uppercase();
    d.starts_with(|c: char| c.is_ascii_digit() || c == '\'' || c == '-' || c == '+' || c == '.')
        || matches!(upper.as_str(), "NULL" | "TRUE" | "FALSE")
        || upper.starts_with("X'")
}

/// One column of a table's copy: where it is read, where it goes.
struct PlanColumn {
    select: String,
    target: TgtColumn,
}

struct Cx {
    src: String,
    tgt: String,
}

type STx = sqlx::Transaction<'static, sqlx::Sqlite>;
type PTx = sqlx::Transaction<'static, Postgres>;

impl Cx {
    fn src_err<'a, E: fmt::Display>(
        &'a self,
        what: impl fmt::Display + 'a,
    ) -> impl FnOnce(E) -> CopyError + 'a {
        move |e| CopyError::Source {
            db: self.src.clone(),
            message: one_line(format!("{what}: {e}")),
        }
    }

    fn tgt_err<'a, E: fmt::Display>(
        &'a self,
        what: impl fmt::Display + 'a,
    ) -> impl FnOnce(E) -> CopyError + 'a {
        move |e| CopyError::Target {
            db: self.tgt.clone(),
            message: one_line(format!("{what}: {e}")),
        }
    }

    fn source(&self, message: String) -> CopyError {
        CopyError::Source {
            db: self.src.clone(),
            message,
        }
    }

    fn target(&self, message: String) -> CopyError {
        CopyError::Target {
            db: self.tgt.clone(),
            message,
        }
    }

    fn not_empty(&self, reason: String) -> CopyError {
        CopyError::NotEmpty {
            db: self.tgt.clone(),
            reason,
        }
    }

    /// The source must stand at the newest migration this build knows.
    async fn check_source_version(&self, s: &mut SqliteConnection) -> Result<(), CopyError> {
        let expected = SQLITE_MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        let has: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
        )
        .fetch_one(&mut *s)
        .await
        .map_err(self.src_err("cannot read"))?;
        if !has {
            return Err(self.source(format!(
                "not a migrated checkout database (no _sqlx_migrations); this build expects \
                 migration {expected}"
            )));
        }
        let (found, failed): (Option<i64>, i64) = sqlx::query_as(
            "SELECT max(CASE WHEN success THEN version END), \
                    count(*) FILTER (WHERE NOT success) FROM _sqlx_migrations",
        )
        .fetch_one(&mut *s)
        .await
        .map_err(self.src_err("reading _sqlx_migrations"))?;
        if failed > 0 {
            return Err(self.source(format!(
                "{failed} migration(s) failed on it; fix the database before copying"
            )));
        }
        match found {
            Some(v) if v == expected => Ok(()),
            Some(v) if v > expected => Err(self.source(format!(
                "it is at migration {v}, newer than this build's {expected}: copy with the newer \
                 build"
            ))),
            found => Err(self.source(format!(
                "it is at migration {}, this build expects {expected}: start the app on it once \
                 (it migrates at start), then copy",
                found.unwrap_or(0)
            ))),
        }
    }

    async fn read_source_schema(&self, s: &mut SqliteConnection) -> Result<Source, CopyError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
              AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations' \
              ORDER BY name",
        )
        .fetch_all(&mut *s)
        .await
        .map_err(self.src_err("reading the schema"))?;
        let has_sequence: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence')",
        )
        .fetch_one(&mut *s)
        .await
        .map_err(self.src_err("reading the schema"))?;
        let mut sessions = None;
        let mut tables = BTreeMap::new();
        for name in names {
            if name == SQLITE_SESSIONS {
                let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", qi(&name)))
                    .fetch_one(&mut *s)
                    .await
                    .map_err(self.src_err(format!("counting {name}")))?;
                sessions = Some(n);
                continue;
            }
            let table = self.read_source_table(s, &name, has_sequence).await?;
            tables.insert(name, table);
        }
        let triggers: Vec<(String, String)> = sqlx::query_as(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL",
        )
        .fetch_all(&mut *s)
        .await
        .map_err(self.src_err("reading the triggers"))?;
        let mut derived: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (on, sql) in triggers {
            for written in written_tables(&sql) {
                if written != on && tables.contains_key(&written) {
                    derived.entry(written).or_default().insert(on.clone());
                }
            }
        }
        let order = dependency_order(&tables, &derived).map_err(|e| self.source(e))?;
        Ok(Source {
            tables,
            derived,
            order,
            sessions,
        })
    }

    async fn read_source_table(
        &self,
        s: &mut SqliteConnection,
        name: &str,
        has_sequence: bool,
    ) -> Result<SrcTable, CopyError> {
        let err = || self.src_err(format!("reading the schema of {name}"));
        let cols: Vec<(String, Option<String>, i64)> =
            sqlx::query_as("SELECT name, dflt_value, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(name)
                .fetch_all(&mut *s)
                .await
                .map_err(err())?;
        let mut pk: Vec<(i64, String)> = cols
            .iter()
            .filter(|c| c.2 > 0)
            .map(|c| (c.2, c.0.clone()))
            .collect();
        pk.sort();
        let without_rowid: bool = sqlx::query_scalar(
            "SELECT coalesce((SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = $1), 0)",
        )
        .bind(name)
        .fetch_one(&mut *s)
        .await
        .map_err(err())?;
        let parents: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)")
                .bind(name)
                .fetch_all(&mut *s)
                .await
                .map_err(err())?;
        let autoincrement = if has_sequence {
            sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *s)
                .await
                .map_err(err())?
        } else {
            None
        };
        Ok(SrcTable {
            columns: cols.into_iter().map(|(name, _, _)| name).collect(),
            pk: pk.into_iter().map(|(_, c)| c).collect(),
            has_rowid: !without_rowid,
            parents: parents.into_iter().collect(),
            autoincrement,
        })
    }

    async fn read_target_schema(
        &self,
        t: &mut PgConnection,
    ) -> Result<BTreeMap<String, TgtTable>, CopyError> {
        type Col = (
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
        );
        let rows: Vec<Col> = sqlx::query_as(
            "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                    bt.typname::text, a.attidentity::text, a.attgenerated::text, \
                    pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) \
               FROM pg_attribute a \
               JOIN pg_class c ON c.oid = a.attrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               JOIN pg_type ty ON ty.oid = a.atttypid \
               JOIN pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END \
              WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
                AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '_sqlx_migrations' \
              ORDER BY c.relname, a.attnum",
        )
        .fetch_all(&mut *t)
        .await
        .map_err(self.tgt_err("reading the schema"))?;
        let mut tables: BTreeMap<String, TgtTable> = BTreeMap::new();
        for (table, column, type_name, base, identity, generated, sequence) in rows {
            tables
                .entry(table)
                .or_insert_with(|| TgtTable {
                    columns: Vec::new(),
                })
                .columns
                .push(TgtColumn {
                    name: column,
                    kind: Kind::of(&base),
                    type_name,
                    identity: !identity.is_empty(),
                    generated: !generated.is_empty(),
                    sequence,
                });
        }
        Ok(tables)
    }

    /// Everything that happens in the target's transaction.
    async fn copy_in(
        &self,
        s: &mut STx,
        t: &mut PTx,
        source: &Source,
    ) -> Result<Report, CopyError> {
        let target = self.read_target_schema(t).await?;
        for name in source.tables.keys() {
            if !target.contains_key(name) {
                return Err(self.target(format!(
                    "has no table {name}, which the source has (are migrations/postgres and \
                     migrations/sqlite twins?)"
                )));
            }
        }
        sqlx::query("SET LOCAL lock_timeout = '10s'")
            .execute(&mut **t)
            .await
            .map_err(self.tgt_err("setting lock_timeout"))?;
        if !target.is_empty() {
            let list = target.keys().map(|n| qi(n)).collect::<Vec<_>>().join(", ");
            sqlx::query(&format!("LOCK TABLE {list} IN EXCLUSIVE MODE"))
                .execute(&mut **t)
                .await
                .map_err(self.tgt_err("locking the tables (is an app using the target?)"))?;
        }
        self.check_empty(t, &target).await?;

        // The migrations' seed goes; the source's rows (the merchant's edits) replace it.
        let mut seed_replaced = Vec::new();
        for name in source.order.iter().rev() {
            let deleted = sqlx::query(&format!("DELETE FROM {}", qi(name)))
                .execute(&mut **t)
                .await
                .map_err(self.tgt_err(format!("deleting the seed rows of {name}")))?
                .rows_affected();
            if deleted > 0 {
                seed_replaced.push((name.clone(), deleted as i64));
            }
        }
        seed_replaced.reverse();

        let mut derived = Vec::new();
        let mut defaulted_columns = Vec::new();
        for name in &source.order {
            let table = &source.tables[name];
            let tgt = &target[name];
            if let Some(bases) = source.derived.get(name) {
                let made = sqlx::query(&format!("DELETE FROM {}", qi(name)))
                    .execute(&mut **t)
                    .await
                    .map_err(self.tgt_err(format!("clearing {name} (kept by triggers)")))?
                    .rows_affected();
                derived.push(DerivedReport {
                    table: name.clone(),
                    from: bases.iter().cloned().collect(),
                    trigger_rows_replaced: made as i64,
                });
            }
            let plan = self.plan(name, table, tgt, &mut defaulted_columns)?;
            self.copy_rows(s, t, name, table, &plan).await?;
        }

        let sequences = self.reset_sequences(t, source, &target).await?;
        let (tables, statuses) = self.verify(s, t, source, &target).await?;
        Ok(Report {
            source: self.src.clone(),
            target: self.tgt.clone(),
            tables,
            statuses,
            sequences,
            seed_replaced,
            derived,
            sessions_skipped: source.sessions,
            defaulted_columns,
            elapsed: Duration::ZERO,
        })
    }

    /// Empty = what a freshly migrated database holds (see the module documentation).
    async fn check_empty(
        &self,
        t: &mut PTx,
        target: &BTreeMap<String, TgtTable>,
    ) -> Result<(), CopyError> {
        let has_sessions: bool =
            sqlx::query_scalar("SELECT to_regclass('tower_sessions.session') IS NOT NULL")
                .fetch_one(&mut **t)
                .await
                .map_err(self.tgt_err("looking for sessions"))?;
        if has_sessions {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session")
                .fetch_one(&mut **t)
                .await
                .map_err(self.tgt_err("counting sessions"))?;
            if n > 0 {
                return Err(self.not_empty(format!(
                    "tower_sessions.session holds {n} sessions (an app has run on it)"
                )));
            }
        }

        // The reference: the same migrations, in memory.
        let mut seed = SqliteConnection::connect_with(
            &SqliteConnectOptions::from_str("sqlite::memory:")
                .map_err(|e| self.source(one_line(format!("in-memory reference: {e}"))))?,
        )
        .await
        .map_err(|e| self.source(one_line(format!("in-memory reference: {e}"))))?;
        SQLITE_MIGRATOR.run(&mut seed).await.map_err(|e| {
            self.source(one_line(format!("migrating the in-memory reference: {e}")))
        })?;

        let mut problems = Vec::new();
        for (name, table) in target {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", qi(name)))
                .fetch_one(&mut **t)
                .await
                .map_err(self.tgt_err(format!("counting {name}")))?;
            let in_seed: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1)",
            )
            .bind(name)
            .fetch_one(&mut seed)
            .await
            .map_err(|e| self.source(one_line(format!("in-memory reference: {e}"))))?;
            let seeded: i64 = if in_seed {
                sqlx::query_scalar(&format!("SELECT count(*) FROM {}", qi(name)))
                    .fetch_one(&mut seed)
                    .await
                    .map_err(|e| self.source(one_line(format!("in-memory reference: {e}"))))?
            } else {
                0
            };
            if n != seeded {
                problems.push(if seeded == 0 {
                    format!("{name} holds {n} rows")
                } else {
                    format!("{name} holds {n} rows, the migrations seed {seeded}")
                });
                continue;
            }
            if n == 0 {
                continue;
            }
            // Same count: the same values, in the columns whose default is a constant.
            let cols: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT name, dflt_value FROM pragma_table_info($1) ORDER BY cid")
                    .bind(name)
                    .fetch_all(&mut seed)
                    .await
                    .map_err(|e| self.source(one_line(format!("in-memory reference: {e}"))))?;
            let compared: Vec<&TgtColumn> = cols
                .iter()
                .filter(|(_, d)| is_constant_default(d.as_deref()))
                .filter_map(|(c, _)| table.column(c))
                .collect();
            if compared.is_empty() {
                continue;
            }
            let lite = compared
                .iter()
                .map(|c| match c.kind {
                    Kind::Bytes => format!("hex({})", qi(&c.name)),
                    _ => format!("CAST({} AS TEXT)", qi(&c.name)),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let pg = compared
                .iter()
                .map(|c| match c.kind {
                    Kind::Bytes => format!("upper(encode({}, 'hex'))", qi(&c.name)),
                    Kind::Bool => format!("({}::int)::text", qi(&c.name)),
                    _ => format!("{}::text", qi(&c.name)),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mut expected = rendered_rows(
                sqlx::query(&format!("SELECT {lite} FROM {}", qi(name)))
                    .fetch_all(&mut seed)
                    .await
                    .map_err(|e| self.source(one_line(format!("in-memory reference: {e}"))))?,
                compared.len(),
            );
            let mut found = rendered_rows(
                sqlx::query(&format!("SELECT {pg} FROM {}", qi(name)))
                    .fetch_all(&mut **t)
                    .await
                    .map_err(self.tgt_err(format!("reading {name}")))?,
                compared.len(),
            );
            expected.sort();
            found.sort();
            if expected != found {
                problems.push(format!(
                    "{name} differs from the rows the migrations seed (edited after migrating?)"
                ));
            }
        }
        let _ = seed.close().await;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(self.not_empty(problems.join(", ")))
        }
    }

    /// Which source expression feeds which target column, and the INSERT's head.
    fn plan(
        &self,
        name: &str,
        table: &SrcTable,
        tgt: &TgtTable,
        defaulted: &mut Vec<String>,
    ) -> Result<Vec<PlanColumn>, CopyError> {
        let mut plan = Vec::new();
        for c in &table.columns {
            let Some(target) = tgt.column(c) else {
                return Err(self.target(format!(
                    "table {name} has no column {c}, which the source has"
                )));
            };
            if target.generated {
                return Err(self.target(format!(
                    "{name}.{c} is a generated column; it cannot be copied into"
                )));
            }
            plan.push(PlanColumn {
                select: qi(c),
                target: target.clone(),
            });
        }
        for c in &tgt.columns {
            if table.columns.contains(&c.name) || c.generated {
                continue;
            }
            // The PostgreSQL twin of a table with SQLite's implicit rowid may make it a column
            // (the lines' insertion order): it gets the source's rowid.
            if c.name == "rowid" && table.has_rowid {
                plan.push(PlanColumn {
                    select: "rowid".into(),
                    target: c.clone(),
                });
            } else {
                defaulted.push(format!("{name}.{}", c.name));
            }
        }
        Ok(plan)
    }

    async fn copy_rows(
        &self,
        s: &mut STx,
        t: &mut PTx,
        name: &str,
        table: &SrcTable,
        plan: &[PlanColumn],
    ) -> Result<u64, CopyError> {
        let select = format!(
            "SELECT {} FROM {}{}",
            plan.iter()
                .map(|c| format!("typeof({0}), {0}", c.select))
                .collect::<Vec<_>>()
                .join(", "),
            qi(name),
            if table.pk.is_empty() {
                if table.has_rowid {
                    " ORDER BY rowid".to_string()
                } else {
                    String::new()
                }
            } else {
                format!(
                    " ORDER BY {}",
                    table
                        .pk
                        .iter()
                        .map(|c| qi(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        let overriding = if plan.iter().any(|c| c.target.identity) {
            " OVERRIDING SYSTEM VALUE "
        } else {
            " "
        };
        let head = format!(
            "INSERT INTO {} ({}){overriding}",
            qi(name),
            plan.iter()
                .map(|c| qi(&c.target.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let per_insert = (MAX_BINDS / plan.len().max(1)).clamp(1, MAX_ROWS);
        let mut batch: Vec<Vec<Bound>> = Vec::with_capacity(per_insert);
        let mut batch_bytes = 0usize;
        let mut done = 0u64;
        let mut rows = sqlx::query(&select).fetch(&mut **s);
        while let Some(row) = rows
            .try_next()
            .await
            .map_err(self.src_err(format!("reading {name}")))?
        {
            let row_no = done + batch.len() as u64 + 1;
            let mut values = Vec::with_capacity(plan.len());
            for (i, col) in plan.iter().enumerate() {
                let at = || format!("{name}.{} (row {row_no})", col.target.name);
                let value = read_value(&row, i)
                    .map_err(|e| self.source(one_line(format!("{}: {e}", at()))))?;
                batch_bytes += match &value {
                    Value::Text(s) => s.len(),
                    Value::Blob(b) => b.len(),
                    _ => 8,
                };
                let bound = convert(value, col.target.kind).map_err(|e| {
                    self.source(format!(
                        "{}: {e} does not fit the target's {} column",
                        at(),
                        col.target.type_name
                    ))
                })?;
                values.push(bound);
            }
            batch.push(values);
            if batch.len() >= per_insert || batch_bytes >= MAX_BATCH_BYTES {
                let n = batch.len() as u64;
                self.insert(t, &head, plan, name, done, &mut batch).await?;
                done += n;
                batch_bytes = 0;
            }
        }
        drop(rows);
        if !batch.is_empty() {
            let n = batch.len() as u64;
            self.insert(t, &head, plan, name, done, &mut batch).await?;
            done += n;
        }
        Ok(done)
    }

    async fn insert(
        &self,
        t: &mut PTx,
        head: &str,
        plan: &[PlanColumn],
        name: &str,
        done: u64,
        batch: &mut Vec<Vec<Bound>>,
    ) -> Result<(), CopyError> {
        let n = batch.len() as u64;
        let mut qb = QueryBuilder::<Postgres>::new(head);
        qb.push_values(batch.drain(..), |mut b, row| {
            for (value, col) in row.into_iter().zip(plan) {
                match value {
                    Bound::Int(v) => b.push_bind(v),
                    Bound::Float(v) => b.push_bind(v),
                    Bound::Text(v) => b.push_bind(v),
                    Bound::Bytes(v) => b.push_bind(v),
                    Bound::Bool(v) => b.push_bind(v),
                };
                if col.target.kind == Kind::Other {
                    b.push_unseparated(format!("::{}", col.target.type_name));
                }
            }
        });
        qb.build()
            .execute(&mut **t)
            .await
            .map_err(self.tgt_err(format!(
                "inserting rows {}..{} of {name}",
                done + 1,
                done + n
            )))?;
        Ok(())
    }

    /// Every sequence of a copied table past its highest value (and past SQLite's AUTOINCREMENT
    /// high-water mark, so an id used and deleted in the source is not given again).
    async fn reset_sequences(
        &self,
        t: &mut PTx,
        source: &Source,
        target: &BTreeMap<String, TgtTable>,
    ) -> Result<Vec<SequenceReport>, CopyError> {
        let mut out = Vec::new();
        for name in &source.order {
            let table = &source.tables[name];
            for col in &target[name].columns {
                let Some(seq) = &col.sequence else { continue };
                let floor = match table.rowid_alias() {
                    Some(alias) if alias == col.name => table.autoincrement.unwrap_or(0),
                    _ => 0,
                };
                let top: i64 = sqlx::query_scalar(&format!(
                    "SELECT GREATEST(COALESCE(max({}), 0), $1)::int8 FROM {}",
                    qi(&col.name),
                    qi(name)
                ))
                .bind(floor)
                .fetch_one(&mut **t)
                .await
                .map_err(self.tgt_err(format!("reading max({name}.{})", col.name)))?;
                let next: i64 = if top > 0 {
                    sqlx::query_scalar("SELECT setval($1::text::regclass, $2, true) + 1")
                        .bind(seq)
                        .bind(top)
                        .fetch_one(&mut **t)
                        .await
                } else {
                    sqlx::query_scalar(
                        "SELECT setval($1::text::regclass, s.seqstart, false) \
                           FROM pg_sequence s WHERE s.seqrelid = $1::text::regclass",
                    )
                    .bind(seq)
                    .fetch_one(&mut **t)
                    .await
                }
                .map_err(self.tgt_err(format!("resetting the sequence of {name}.{}", col.name)))?;
                out.push(SequenceReport {
                    table: name.clone(),
                    column: col.name.clone(),
                    next,
                });
            }
        }
        Ok(out)
    }

    /// Counts, sums and status counts, both sides, inside both transactions.
    async fn verify(
        &self,
        s: &mut STx,
        t: &mut PTx,
        source: &Source,
        target: &BTreeMap<String, TgtTable>,
    ) -> Result<(Vec<TableReport>, Vec<StatusReport>), CopyError> {
        let mut tables = Vec::new();
        for name in &source.order {
            let table = &source.tables[name];
            let count = format!("SELECT count(*) FROM {}", qi(name));
            let source_rows: i64 = sqlx::query_scalar(&count)
                .fetch_one(&mut **s)
                .await
                .map_err(self.src_err(format!("counting {name}")))?;
            let target_rows: i64 = sqlx::query_scalar(&count)
                .fetch_one(&mut **t)
                .await
                .map_err(self.tgt_err(format!("counting {name}")))?;
            if source_rows != target_rows {
                return Err(CopyError::Mismatch {
                    what: format!("rows of {name}"),
                    source_value: source_rows.to_string(),
                    target_value: target_rows.to_string(),
                });
            }
            let mut sums = Vec::new();
            for column in &table.columns {
                let Some(col) = target[name].column(column) else {
                    continue;
                };
                let amount = col.kind == Kind::Int
                    && (column.ends_with("_minor") || AMOUNT_COLUMNS.contains(&column.as_str()));
                let bytes = col.kind == Kind::Bytes;
                if !(amount || bytes) {
                    continue;
                }
                let (lite, pg) = if bytes {
                    (
                        format!("length(CAST({} AS BLOB))", qi(column)),
                        format!("octet_length({})", qi(column)),
                    )
                } else {
                    (qi(column), qi(column))
                };
                let lite_sum: String = sqlx::query_scalar(&format!(
                    "SELECT CAST(coalesce(sum({lite}), 0) AS TEXT) FROM {}",
                    qi(name)
                ))
                .fetch_one(&mut **s)
                .await
                .map_err(self.src_err(format!("summing {name}.{}", column)))?;
                let pg_sum: String = sqlx::query_scalar(&format!(
                    "SELECT coalesce(sum({pg}), 0)::text FROM {}",
                    qi(name)
                ))
                .fetch_one(&mut **t)
                .await
                .map_err(self.tgt_err(format!("summing {name}.{}", column)))?;
                let what = || {
                    format!(
                        "{} of {name}.{}",
                        if bytes { "bytes" } else { "sum" },
                        column
                    )
                };
                let (Ok(a), Ok(b)) = (lite_sum.parse::<i128>(), pg_sum.parse::<i128>()) else {
                    return Err(CopyError::Mismatch {
                        what: what(),
                        source_value: lite_sum,
                        target_value: pg_sum,
                    });
                };
                if a != b {
                    return Err(CopyError::Mismatch {
                        what: what(),
                        source_value: a.to_string(),
                        target_value: b.to_string(),
                    });
                }
                sums.push(SumReport {
                    column: column.clone(),
                    bytes,
                    source: a,
                    target: b,
                });
            }
            tables.push(TableReport {
                table: name.clone(),
                source_rows,
                target_rows,
                sums,
            });
        }

        let mut statuses = Vec::new();
        let has_status = source
            .tables
            .get("orders")
            .is_some_and(|o| o.columns.iter().any(|c| c == "status"))
            && source.tables.contains_key("order_status_counts");
        if has_status {
            let by_orders = "SELECT status, count(*) FROM orders GROUP BY status";
            let counted = "SELECT status, count FROM order_status_counts WHERE count <> 0";
            let map = |rows: Vec<(String, i64)>| rows.into_iter().collect::<BTreeMap<_, _>>();
            let so = map(sqlx::query_as(by_orders)
                .fetch_all(&mut **s)
                .await
                .map_err(self.src_err("counting orders per status"))?);
            let sc = map(sqlx::query_as(counted)
                .fetch_all(&mut **s)
                .await
                .map_err(self.src_err("reading order_status_counts"))?);
            let to = map(sqlx::query_as(by_orders)
                .fetch_all(&mut **t)
                .await
                .map_err(self.tgt_err("counting orders per status"))?);
            let tc = map(sqlx::query_as(counted)
                .fetch_all(&mut **t)
                .await
                .map_err(self.tgt_err("reading order_status_counts"))?);
            let all: BTreeSet<&String> = so
                .keys()
                .chain(sc.keys())
                .chain(to.keys())
                .chain(tc.keys())
                .collect();
            for status in all {
                let get = |m: &BTreeMap<String, i64>| m.get(status).copied().unwrap_or(0);
                let r = StatusReport {
                    status: status.clone(),
                    source_orders: get(&so),
                    source_counted: get(&sc),
                    target_orders: get(&to),
                    target_counted: get(&tc),
                };
                let checks = [
                    (
                        "orders vs order_status_counts in the source",
                        r.source_orders,
                        r.source_counted,
                        true,
                    ),
                    ("orders", r.source_orders, r.target_orders, false),
                    (
                        "order_status_counts",
                        r.source_counted,
                        r.target_counted,
                        false,
                    ),
                    (
                        "orders vs order_status_counts in the target",
                        r.target_orders,
                        r.target_counted,
                        true,
                    ),
                ];
                for (what, a, b, one_side) in checks {
                    if a == b {
                        continue;
                    }
                    return Err(if one_side {
                        CopyError::Inconsistent(format!(
                            "status '{status}': {what}: {a} orders, {b} counted \
                             (order_status_counts has drifted from the orders)"
                        ))
                    } else {
                        CopyError::Mismatch {
                            what: format!("status '{status}': {what}"),
                            source_value: a.to_string(),
                            target_value: b.to_string(),
                        }
                    });
                }
                statuses.push(r);
            }
        }
        Ok((tables, statuses))
    }
}

fn read_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Value, sqlx::Error> {
    let ty: String = row.try_get(2 * i)?;
    let at = 2 * i + 1;
    Ok(match ty.as_str() {
        "integer" => Value::Int(row.try_get_unchecked(at)?),
        "real" => Value::Real(row.try_get_unchecked(at)?),
        "text" => Value::Text(row.try_get_unchecked(at)?),
        "blob" => Value::Blob(row.try_get_unchecked(at)?),
        _ => Value::Null,
    })
}

fn rendered_rows<R: Row>(rows: Vec<R>, width: usize) -> Vec<Vec<Option<String>>>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.into_iter()
        .map(|r| {
            (0..width)
                .map(|i| r.try_get_unchecked::<Option<String>, _>(i).ok().flatten())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_tables_a_trigger_writes() {
        let sql = "CREATE TRIGGER orders_count_update AFTER UPDATE OF status ON orders \
                   WHEN OLD.status IS NOT NEW.status BEGIN \
                   UPDATE order_status_counts SET count = count - 1 WHERE status = OLD.status; \
                   INSERT INTO order_status_counts (status, count) VALUES (NEW.status, 1) \
                   ON CONFLICT (status) DO UPDATE SET count = count + 1; END";
        let w = written_tables(sql);
        assert!(w.contains("order_status_counts"));
        assert!(!w.contains("orders"));
        let raise = "CREATE TRIGGER invoices_never_deleted BEFORE DELETE ON invoices BEGIN \
                     SELECT RAISE(ABORT, 'invoices are never deleted'); END";
        assert!(written_tables(raise).is_empty());
    }

    #[test]
    fn constant_defaults() {
        assert!(is_constant_default(None));
        assert!(is_constant_default(Some("0")));
        assert!(is_constant_default(Some("'none'")));
        assert!(is_constant_default(Some("NULL")));
        assert!(!is_constant_default(Some("unixepoch()")));
        assert!(!is_constant_default(Some("CURRENT_TIMESTAMP")));
    }

    #[test]
    fn conversions() {
        assert!(matches!(
            convert(Value::Int(3), Kind::Int),
            Ok(Bound::Int(Some(3)))
        ));
        assert!(matches!(
            convert(Value::Null, Kind::Text),
            Ok(Bound::Text(None))
        ));
        assert!(matches!(
            convert(Value::Int(1), Kind::Bool),
            Ok(Bound::Bool(Some(true)))
        ));
        assert!(convert(Value::Int(2), Kind::Bool).is_err());
        assert!(convert(Value::Text("yesterday".into()), Kind::Int).is_err());
        assert!(convert(Value::Blob(vec![0xff]), Kind::Text).is_err());
    }

    #[test]
    fn target_names_hide_the_password() {
        let o = PgConnectOptions::from_str("postgres://shop:s3cret@db.example:6543/shop").unwrap();
        assert_eq!(describe_target(&o), "db.example:6543/shop");
    }
}
