//! Persistence for the embedded simulator: every object as JSON in its own SQLite tables, so
//! a restart of the app keeps its PaymentIntents, events and owed webhooks, as Stripe would.

use crate::engine::{Account, IdempotencyEntry, ObjectKind};
use sqlx::SqlitePool;
use std::collections::BTreeSet;

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::PaymentIntent => "payment_intent",
        ObjectKind::PaymentMethod => "payment_method",
        ObjectKind::Charge => "charge",
        ObjectKind::Refund => "refund",
        ObjectKind::Dispute => "dispute",
        ObjectKind::Event => "event",
        ObjectKind::Endpoint => "webhook_endpoint",
        ObjectKind::Idempotency => "idempotency",
    }
}

impl Store {
    pub async fn open(pool: SqlitePool) -> Result<Self, sqlx::Error> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS stripe_sim_objects (
                kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
                PRIMARY KEY (kind, id))",
        )
        .execute(&pool)
        .await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS stripe_sim_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .execute(&pool)
            .await?;
        Ok(Store { pool })
    }

    pub async fn load(&self, account: &mut Account) -> Result<(), sqlx::Error> {
        let rows: Vec<(String, String, i64, String)> =
            sqlx::query_as("SELECT kind, id, seq, body FROM stripe_sim_objects ORDER BY seq, id")
                .fetch_all(&self.pool)
                .await?;
        let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
        for (kind, id, _seq, body) in rows {
            match kind.as_str() {
                "payment_intent" => {
                    account
                        .payment_intents
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "payment_method" => {
                    account
                        .payment_methods
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "charge" => {
                    account
                        .charges
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "refund" => {
                    account
                        .refunds
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "dispute" => {
                    account
                        .disputes
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "event" => {
                    account.event_order.push(id.clone());
                    account
                        .events
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "webhook_endpoint" => {
                    account
                        .endpoints
                        .insert(id, serde_json::from_str(&body).map_err(decode)?);
                }
                "idempotency" => {
                    let entry: IdempotencyEntry = serde_json::from_str(&body).map_err(decode)?;
                    account.idempotency.insert(id, entry);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes (or deletes) the changed objects in one transaction.
    pub async fn save(
        &self,
        account: &Account,
        dirty: &BTreeSet<(ObjectKind, String)>,
    ) -> Result<(), sqlx::Error> {
        if dirty.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (kind, id) in dirty {
            let body = match kind {
                ObjectKind::PaymentIntent => {
                    account.payment_intents.get(id).map(serde_json::to_string)
                }
                ObjectKind::PaymentMethod => {
                    account.payment_methods.get(id).map(serde_json::to_string)
                }
                ObjectKind::Charge => account.charges.get(id).map(serde_json::to_string),
                ObjectKind::Refund => account.refunds.get(id).map(serde_json::to_string),
                ObjectKind::Dispute => account.disputes.get(id).map(serde_json::to_string),
                ObjectKind::Event => account.events.get(id).map(serde_json::to_string),
                ObjectKind::Endpoint => account.endpoints.get(id).map(serde_json::to_string),
                ObjectKind::Idempotency => account
                    .idempotency
                    .get(id)
                    .filter(|e| !e.in_flight)
                    .map(serde_json::to_string),
            };
            match body {
                Some(Ok(body)) => {
                    let seq = if *kind == ObjectKind::Event {
                        account
                            .event_order
                            .iter()
                            .position(|e| e == id)
                            .unwrap_or(0) as i64
                    } else {
                        0
                    };
                    sqlx::query(
                        "INSERT INTO stripe_sim_objects (kind, id, seq, body) VALUES (?, ?, ?, ?)
                         ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                    )
                    .bind(kind_name(*kind))
                    .bind(id)
                    .bind(seq)
                    .bind(body)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(Err(e)) => return Err(sqlx::Error::Decode(Box::new(e))),
                None => {
                    sqlx::query("DELETE FROM stripe_sim_objects WHERE kind = ? AND id = ?")
                        .bind(kind_name(*kind))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await
    }
}

/// Test-mode keys for an embedded simulator, made once and kept in its tables so that they
/// survive restarts. They only ever authenticate against this simulator.
pub async fn embedded_keys(pool: &SqlitePool) -> Result<(String, String), sqlx::Error> {
    Store::open(pool.clone()).await?;
    let existing: Option<(String,)> =
        sqlx::query_as("SELECT value FROM stripe_sim_meta WHERE key = 'keys'")
            .fetch_optional(pool)
            .await?;
    if let Some((value,)) = existing {
        if let Some((sk, pk)) = value.split_once(' ') {
            return Ok((sk.to_string(), pk.to_string()));
        }
    }
    use rand::distributions::{Alphanumeric, DistString};
    let tail = Alphanumeric.sample_string(&mut rand::thread_rng(), 24);
    let (sk, pk) = (format!("sk_test_sim{tail}"), format!("pk_test_sim{tail}"));
    sqlx::query(
        "INSERT INTO stripe_sim_meta (key, value) VALUES ('keys', ?) ON CONFLICT (key) DO NOTHING",
    )
    .bind(format!("{sk} {pk}"))
    .execute(pool)
    .await?;
    Ok((sk, pk))
}
