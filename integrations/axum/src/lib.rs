#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The verifiers and the stores, the receiver holding them, the logs and
// spans, the flow of one delivery, then its two front doors: the axum
// extractor and the tower layer.
mod extract;
mod flow;
mod layer;
mod observe;
mod receiver;
mod store;
mod verifier;

pub use extract::{Rejection, Verified, VerifiedBitnob, VerifiedEvent, VerifiedVisit};
pub use layer::{WebhookLayer, WebhookService};
pub use receiver::{DeliveryInfo, Receiver};
pub use store::{Blocking, Store, StoreFuture};
pub use verifier::{Delivery, Verifier, VisitWebhook};
