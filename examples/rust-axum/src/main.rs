//! A Bullseye receiver on axum. Run:
//! `BULLSEYE_WEBHOOK_SECRET=whsec_... cargo run -p bullseye-webhooks-example-axum`
//! (`PORT` chooses the port, 3000 by default; 0 for any free one).

use axum::Router;
use axum::routing::post;
use bullseye_webhooks::Webhook;
use bullseye_webhooks_axum::{Receiver, Verified, VerifiedEvent};

/// Only verified deliveries get here: the extractor answered the others
/// (400, 401 or 413 with `{"error": code}`).
async fn bullseye(Verified(event): VerifiedEvent) -> String {
    format!(
        r#"{{"received":"{}"}}"#,
        event.event_type().escape_default()
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("BULLSEYE_WEBHOOK_SECRET")
        .map_err(|_| "BULLSEYE_WEBHOOK_SECRET is not set")?;
    let receiver = Receiver::new(Webhook::new(secret)?);
    let app = Router::new()
        .route("/webhooks/bullseye", post(bullseye))
        .with_state(receiver);
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
