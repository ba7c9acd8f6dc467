//! Faults injected on purpose (`POST /_sim/faults`): failed and slow API requests, lost,
//! duplicated and reordered webhooks. Every roll comes from one seedable generator.

use super::Simulator;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// Faults to inject, set through `POST /_sim/faults`. Rolls come from a seeded generator.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Faults {
    /// Added before every API request is processed.
    pub latency_ms: u64,
    /// Share (0–1) of API requests that fail.
    pub failure_rate: f64,
    /// How they fail: `500`, `429`, `409` (before processing) or `drop` (processed, then the
    /// connection is cut before the response: the client must retry with its idempotency key).
    pub failure_kind: String,
    /// Share of webhook attempts lost on the way (retried later, like a network failure).
    pub webhook_drop_rate: f64,
    /// Share of webhook deliveries sent twice.
    pub webhook_duplicate_rate: f64,
    /// Added before every webhook attempt.
    pub webhook_delay_ms: u64,
    /// A random extra delay in [0, n] ms per attempt, so deliveries overtake each other.
    pub webhook_shuffle_ms: u64,
}

impl Simulator {
    pub fn set_faults(&self, faults: Faults, seed: Option<u64>) {
        if let Ok(mut guard) = self.inner.faults.lock() {
            guard.0 = faults;
            if let Some(seed) = seed {
                guard.1 = StdRng::seed_from_u64(seed);
            }
        }
    }

    pub(crate) fn roll(&self, f: impl FnOnce(&Faults, &mut StdRng) -> bool) -> bool {
        match self.inner.faults.lock() {
            Ok(mut guard) => {
                let (faults, rng) = &mut *guard;
                f(faults, rng)
            }
            Err(_) => false,
        }
    }

    pub(crate) fn faults(&self) -> Faults {
        self.inner
            .faults
            .lock()
            .map(|g| g.0.clone())
            .unwrap_or_default()
    }
}
