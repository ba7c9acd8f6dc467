//! Group commit for Stripe events: one task applies what is queued in one transaction.
//!
//! Many webhooks at once used to wait for SQLite's write lock in its busy handler (sleeping and
//! retrying), which made the slow tail. Here each event is sent with a reply channel to one
//! writer task; the task takes everything queued (up to [`MAX_BATCH`]), and in ONE `BEGIN
//! IMMEDIATE` transaction applies each event inside its own savepoint — exactly what
//! [`apply_stripe_event`](super::apply_stripe_event) does in its own transaction, so an event
//! that fails is rolled back alone and the others stand — then commits once, and only then
//! answers each waiter. So:
//!
//! - an event is acknowledged only after the commit that holds it succeeded (a crash before
//!   that loses nothing acknowledged; Stripe delivers it again);
//! - a duplicate finds its id (recorded by an earlier commit, or earlier in the same batch) and
//!   changes nothing;
//! - if the commit fails, every waiter of the batch gets the error (none is acknowledged).

use super::payments::{apply_in, Origin, PaymentFact, WebhookOutcome};
use crate::domain::order::{Applied, OrderState};
use sqlx::{Acquire, AnyPool};
use tokio::sync::{mpsc, oneshot};

/// Events applied in one transaction at most (a bound on how long a batch holds the lock).
pub const MAX_BATCH: usize = 256;

type Apply = Box<dyn FnOnce(&mut OrderState) -> (Applied, String) + Send>;
type Reply = oneshot::Sender<Result<WebhookOutcome, sqlx::Error>>;

/// A [`PaymentFact`] that owns its text, to be sent to the writer.
#[derive(Clone, Debug)]
pub struct OwnedFact {
    pub event_id: String,
    pub event_type: String,
    pub gateway: crate::domain::gateway::Gateway,
    pub reference: Option<String>,
    pub order_hint: Option<String>,
    pub origin: Origin,
}

impl OwnedFact {
    pub fn of(fact: PaymentFact<'_>) -> Self {
        OwnedFact {
            event_id: fact.event_id.to_string(),
            event_type: fact.event_type.to_string(),
            gateway: fact.gateway,
            reference: fact.reference.map(str::to_string),
            order_hint: fact.order_hint.map(str::to_string),
            origin: fact.origin,
        }
    }

    fn borrowed(&self) -> PaymentFact<'_> {
        PaymentFact {
            event_id: &self.event_id,
            event_type: &self.event_type,
            gateway: self.gateway,
            reference: self.reference.as_deref(),
            order_hint: self.order_hint.as_deref(),
            origin: self.origin,
        }
    }
}

struct Job {
    fact: OwnedFact,
    apply: Apply,
    reply: Reply,
}

/// The handle to the writer task of one database; cheap to clone. The task ends when the last
/// handle is dropped.
#[derive(Clone, Debug)]
pub struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer task (on the current tokio runtime).
    pub fn spawn(pool: AnyPool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, queue));
        Writer { jobs }
    }

    /// Applies the fact as [`apply_stripe_event`](super::apply_stripe_event) would, in a batch:
    /// returns once the transaction holding it has committed (or with the error that kept it
    /// from committing).
    pub async fn apply(
        &self,
        fact: OwnedFact,
        apply: impl FnOnce(&mut OrderState) -> (Applied, String) + Send + 'static,
    ) -> Result<WebhookOutcome, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            fact,
            apply: Box::new(apply),
            reply,
        };
        if self.jobs.send(job).is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> sqlx::Error {
    sqlx::Error::WorkerCrashed
}

async fn run(pool: AnyPool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::new();
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Behind the other write transactions of this database, like any writer.
        let turn = super::write_turn(&pool).await;
        // Whatever arrived while waiting for the turn joins this batch.
        if batch.len() < MAX_BATCH {
            while let Ok(job) = queue.try_recv() {
                batch.push(job);
                if batch.len() == MAX_BATCH {
                    break;
                }
            }
        }
        let jobs = std::mem::take(&mut batch);
        match apply_batch(&pool, jobs).await {
            Ok(answered) => {
                for (reply, outcome) in answered {
                    // A waiter that went away (its client hung up) is fine: the event is in.
                    let _ = reply.send(outcome);
                }
            }
            Err((replies, e)) => {
                tracing::error!(error = %e, events = replies.len(), "batch of Stripe events not committed");
                for reply in replies {
                    let _ = reply.send(Err(sqlx::Error::Protocol(format!(
                        "the batch holding this event was not committed: {e}"
                    ))));
                }
            }
        }
        drop(turn);
    }
}

type Answered = Vec<(Reply, Result<WebhookOutcome, sqlx::Error>)>;

/// Applies each job in its own savepoint of one transaction and commits. On success, each
/// reply with its outcome (an event that failed alone is rolled back alone and answered with
/// its error); on failure of the transaction itself, every reply and the error.
async fn apply_batch(
    pool: &AnyPool,
    jobs: Vec<Job>,
) -> Result<Answered, (Vec<Reply>, sqlx::Error)> {
    // The caller holds this database's write turn.
    let mut tx = match super::begin_serialized(pool, None).await {
        Ok(tx) => tx,
        Err(e) => return Err((jobs.into_iter().map(|j| j.reply).collect(), e)),
    };
    let mut answered: Answered = Vec::with_capacity(jobs.len());
    let mut jobs = jobs.into_iter();
    while let Some(Job { fact, apply, reply }) = jobs.next() {
        let applied = async {
            let mut savepoint = (&mut *tx).begin().await?;
            match apply_in(&mut savepoint, fact.borrowed(), apply).await {
                Ok((outcome, true)) => {
                    savepoint.commit().await?;
                    Ok(Ok(outcome))
                }
                Ok((outcome, false)) => {
                    savepoint.rollback().await?;
                    Ok(Ok(outcome))
                }
                Err(e) => {
                    savepoint.rollback().await?;
                    Ok(Err(e))
                }
            }
        }
        .await;
        match applied {
            Ok(outcome) => answered.push((reply, outcome)),
            // The savepoint itself could not be opened or closed: the transaction is in an
            // unknown state, so none of it is kept.
            Err(e) => {
                let replies = answered
                    .into_iter()
                    .map(|(r, _)| r)
                    .chain(std::iter::once(reply))
                    .chain(jobs.map(|j| j.reply))
                    .collect();
                return Err((replies, e));
            }
        }
    }
    match tx.commit().await {
        Ok(()) => Ok(answered),
        Err(e) => Err((answered.into_iter().map(|(r, _)| r).collect(), e)),
    }
}
