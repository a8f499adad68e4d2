//! The verifiers: `Webhook` (Bullseye, and fingerprinting-api visits) and
//! `BitnobWebhook`.

pub(crate) mod bitnob;
pub(crate) mod webhook;
