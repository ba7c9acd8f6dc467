//! Injected faults (`POST /_sim/faults`): slow, failing or dropped requests, and lost,
//! duplicated, delayed or reordered webhooks. All off by default.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every REST request.
    pub latency_ms: u64,
    /// Share of REST requests that fail (before doing anything) with `error_kind`.
    pub error_rate: f64,
    /// `500` (default), `503`, `429`, or `drop` (the connection is closed without an answer,
    /// after the operation ran: the client cannot tell whether it happened).
    pub error_kind: String,
    /// Share of events never delivered at all.
    pub webhook_loss_rate: f64,
    /// Share of deliveries sent twice.
    pub webhook_duplicate_rate: f64,
    /// Extra wait before each delivery attempt.
    pub webhook_delay_ms: u64,
    /// Random extra wait of up to this many ms per delivery, so that events arrive out of order.
    pub webhook_shuffle_ms: u64,
}

pub(crate) struct FaultState {
    pub(crate) faults: Faults,
    pub(crate) rng: StdRng,
}

impl FaultState {
    pub(crate) fn new(seed: u64) -> Self {
        FaultState {
            faults: Faults::default(),
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

impl super::Simulator {
    pub(crate) fn faults(&self) -> Faults {
        self.inner
            .faults
            .lock()
            .map(|f| f.faults.clone())
            .unwrap_or_default()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.inner.faults.lock() {
            f.faults = faults;
        }
    }

    /// True with probability `rate`.
    pub(crate) fn roll(&self, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        self.inner
            .faults
            .lock()
            .map(|mut f| f.rng.gen_bool(rate.clamp(0.0, 1.0)))
            .unwrap_or(false)
    }

    /// A random wait in `0..=max` ms.
    pub(crate) fn jitter(&self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        self.inner
            .faults
            .lock()
            .map(|mut f| f.rng.gen_range(0..=max))
            .unwrap_or(0)
    }

    pub(crate) fn roll_loss(&self) -> bool {
        self.roll(self.faults().webhook_loss_rate)
    }
}
