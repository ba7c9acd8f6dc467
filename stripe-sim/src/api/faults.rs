//! Faults injected on purpose (`POST /_sim/faults`): failed and slow API requests, lost,
//! duplicated and reordered webhooks, and events whose webhooks never arrive. Every roll comes
//! from a seedable generator.

use super::Simulator;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Faults to inject, set through `POST /_sim/faults`. Rolls come from a seeded generator.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added before every API request is processed.
    pub latency_ms: u64,
    /// Share (0–1) of API requests that fail.
    pub failure_rate: f64,
    /// How they fail: `500`, `429`, `409` (before processing) or `drop` (processed, then the
    /// connection is cut before the response: the client must retry with its idempotency key).
    pub failure_kind: String,
    /// When set, only API requests whose path ends with it fail (`/cancel`: cancellations only).
    pub failure_path: String,
    /// Share of webhook attempts lost on the way (retried later, like a network failure).
    pub webhook_drop_rate: f64,
    /// Share of webhook deliveries sent twice.
    pub webhook_duplicate_rate: f64,
    /// Added before every webhook attempt.
    pub webhook_delay_ms: u64,
    /// A random extra delay in [0, n] ms per attempt, so deliveries overtake each other.
    pub webhook_shuffle_ms: u64,
    /// Share (0–1) of events never delivered to any endpoint, not even retried: lost for good.
    /// They are still listed by `GET /v1/events`, with `pending_webhooks` counting the endpoints
    /// they never reached (so `delivery_success=false` finds them): what an app reconciles from.
    /// Rolled once per event, in creation order, from a generator of its own, so the same seed
    /// loses the same events whatever the other faults do.
    pub webhook_loss_rate: f64,
}

/// The faults in force and the generators their rolls come from.
pub(crate) struct FaultState {
    pub(crate) faults: Faults,
    rng: StdRng,
    loss_rng: StdRng,
}

impl FaultState {
    pub(crate) fn new(seed: u64) -> Self {
        FaultState {
            faults: Faults::default(),
            rng: StdRng::seed_from_u64(seed),
            loss_rng: loss_rng(seed),
        }
    }
}

/// The loss rolls' own stream, derived from the same seed.
fn loss_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ 0x6c6f_7374_5f65_7674)
}

impl Simulator {
    pub fn set_faults(&self, faults: Faults, seed: Option<u64>) {
        if let Ok(mut guard) = self.inner.faults.lock() {
            guard.faults = faults;
            if let Some(seed) = seed {
                guard.rng = StdRng::seed_from_u64(seed);
                guard.loss_rng = loss_rng(seed);
            }
        }
    }

    pub(crate) fn roll(&self, f: impl FnOnce(&Faults, &mut StdRng) -> bool) -> bool {
        match self.inner.faults.lock() {
            Ok(mut guard) => {
                let FaultState { faults, rng, .. } = &mut *guard;
                f(faults, rng)
            }
            Err(_) => false,
        }
    }

    /// Whether a new event is lost (`webhook_loss_rate`).
    pub(crate) fn roll_loss(&self) -> bool {
        match self.inner.faults.lock() {
            Ok(mut guard) => {
                let rate = guard.faults.webhook_loss_rate;
                rate > 0.0 && guard.loss_rng.gen_bool(rate.clamp(0.0, 1.0))
            }
            Err(_) => false,
        }
    }

    pub(crate) fn faults(&self) -> Faults {
        self.inner
            .faults
            .lock()
            .map(|g| g.faults.clone())
            .unwrap_or_default()
    }
}
