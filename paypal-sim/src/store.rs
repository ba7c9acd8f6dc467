//! Persistence for the embedded simulator: every object as JSON in its own SQLite tables
//! (`paypal_sim_objects`, `paypal_sim_meta`), so a restart of the app keeps its orders,
//! captures, tokens, events and owed webhooks, as PayPal would.

use crate::engine::{Kind, State};
use sqlx::SqlitePool;
use std::collections::BTreeSet;

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    pub async fn open(pool: SqlitePool) -> Result<Self, sqlx::Error> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS paypal_sim_objects (
                kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
                PRIMARY KEY (kind, id))",
        )
        .execute(&pool)
        .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS paypal_sim_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        )
        .execute(&pool)
        .await?;
        Ok(Store { pool })
    }

    pub async fn load(&self, state: &mut State) -> Result<(), sqlx::Error> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT kind, id, body FROM paypal_sim_objects ORDER BY seq, id")
                .fetch_all(&self.pool)
                .await?;
        fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, sqlx::Error> {
            serde_json::from_str(body).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        }
        for (kind, id, body) in rows {
            match kind.as_str() {
                "order" => {
                    state.orders.insert(id, parse(&body)?);
                }
                "capture" => {
                    state.captures.insert(id, parse(&body)?);
                }
                "refund" => {
                    state.refunds.insert(id, parse(&body)?);
                }
                "webhook" => {
                    state.webhooks.insert(id, parse(&body)?);
                }
                "event" => {
                    state.event_order.push(id.clone());
                    state.events.insert(id, parse(&body)?);
                }
                "token" => {
                    state.tokens.insert(id, parse(&body)?);
                }
                "idempotency" => {
                    state.idempotency.insert(id, parse(&body)?);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes (or deletes) the changed objects in one transaction.
    pub async fn save(
        &self,
        state: &State,
        dirty: &BTreeSet<(Kind, String)>,
    ) -> Result<(), sqlx::Error> {
        if dirty.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (kind, id) in dirty {
            let body = match kind {
                Kind::Order => state.orders.get(id).map(serde_json::to_string),
                Kind::Capture => state.captures.get(id).map(serde_json::to_string),
                Kind::Refund => state.refunds.get(id).map(serde_json::to_string),
                Kind::Webhook => state.webhooks.get(id).map(serde_json::to_string),
                Kind::Event => state.events.get(id).map(serde_json::to_string),
                Kind::Token => state.tokens.get(id).map(serde_json::to_string),
                Kind::Idempotency => state.idempotency.get(id).map(serde_json::to_string),
            };
            match body {
                Some(Ok(body)) => {
                    let seq = match kind {
                        Kind::Event => {
                            state.event_order.iter().position(|e| e == id).unwrap_or(0) as i64
                        }
                        _ => 0,
                    };
                    sqlx::query(
                        "INSERT INTO paypal_sim_objects (kind, id, seq, body) VALUES (?, ?, ?, ?)
                         ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                    )
                    .bind(kind.name())
                    .bind(id)
                    .bind(seq)
                    .bind(body)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(Err(e)) => return Err(sqlx::Error::Decode(Box::new(e))),
                None => {
                    sqlx::query("DELETE FROM paypal_sim_objects WHERE kind = ? AND id = ?")
                        .bind(kind.name())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await
    }
}

/// A client id and secret for an embedded simulator, made once (random, from the operating
/// system's generator) and kept in its tables so that they survive restarts. They only ever
/// authenticate against this simulator.
pub async fn embedded_credentials(pool: &SqlitePool) -> Result<(String, String), sqlx::Error> {
    Store::open(pool.clone()).await?;
    if let Some(pair) = stored(pool).await? {
        return Ok(pair);
    }
    use rand::distributions::{Alphanumeric, DistString};
    let id = format!(
        "AS{}",
        Alphanumeric.sample_string(&mut rand::rngs::OsRng, 78)
    );
    let secret = format!(
        "E{}",
        Alphanumeric.sample_string(&mut rand::rngs::OsRng, 79)
    );
    sqlx::query(
        "INSERT INTO paypal_sim_meta (key, value) VALUES ('credentials', ?) ON CONFLICT (key) DO NOTHING",
    )
    .bind(format!("{id} {secret}"))
    .execute(pool)
    .await?;
    // What is stored now, whoever wrote it.
    stored(pool).await?.ok_or_else(|| {
        sqlx::Error::Protocol("paypal simulator: could not store its credentials".into())
    })
}

async fn stored(pool: &SqlitePool) -> Result<Option<(String, String)>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT value FROM paypal_sim_meta WHERE key = 'credentials'")
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(v,)| {
        v.split_once(' ')
            .filter(|(a, b)| a.len() >= 16 && b.len() >= 16)
            .map(|(a, b)| (a.to_string(), b.to_string()))
    }))
}
