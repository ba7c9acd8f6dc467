//! What every page needs to know about the site itself.

use serde::{Deserialize, Serialize};

/// Where payments go, as far as shoppers are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentsMode {
    /// The offline simulator: no card is ever charged.
    Simulated,
    /// Stripe in test mode.
    StripeTest,
    Live,
}
