//! Talking to Stripe (or the simulator, which is the same thing to this code).

pub mod client;
pub mod signature;
