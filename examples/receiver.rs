//! A blocking receiver of Partoo's webhooks on `tiny_http`: it reads at most
//! 1 MiB of body, verifies the signature before anything else, answers 401
//! to a delivery that does not verify (Partoo never retries a 4xx) and 200
//! to one that does, acknowledges test deliveries without acting on them,
//! and dispatches on the event type.
//!
//! ```text
//! cargo run --example receiver -- [ADDRESS [PUBLIC_KEY.pem]]
//! ```
//!
//! ADDRESS defaults to 127.0.0.1:8080, and the key to Partoo's production
//! key. Put it behind a TLS-terminating proxy: Partoo delivers over HTTPS.
//! The code below is the README's "Receive webhooks" section.

use std::io::Read;

use partoo_webhooks::delivery::{
    BusinessEvent, Delivery, DeliveryError, LeadReceived, MessageEvent, Verifier, SIGNATURE_HEADER,
    TRYOUT_HEADER,
};
use partoo_webhooks::EventType;
use tiny_http::{Method, Request, Response, Server};

/// Deliveries are small JSON documents: a larger body is refused, and never
/// read whole.
const MAX_BODY: usize = 1024 * 1024;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let verifier = match args.next() {
        Some(pem_file) => Verifier::from_pem(&std::fs::read_to_string(pem_file)?)?,
        None => Verifier::production(), // or Verifier::sandbox(), or .or() both
    };
    let server = Server::http(address)?;
    eprintln!("listening on {}", server.server_addr());
    serve(&server, &verifier);
    Ok(())
}

/// Answers requests until the server is unblocked; returns how many.
pub fn serve(server: &Server, verifier: &Verifier) -> usize {
    let mut answered = 0;
    for mut request in server.incoming_requests() {
        let (status, text) = handle(verifier, &mut request);
        // Debug-quoted: the URL and the payload's text are the sender's.
        eprintln!(
            "{} {:?}: {status} {text:?}",
            request.method(),
            request.url()
        );
        let _ = request.respond(Response::from_string(text).with_status_code(status));
        answered += 1;
    }
    answered
}

/// The status and the text to answer a request with.
pub fn handle(verifier: &Verifier, request: &mut Request) -> (u16, String) {
    if *request.method() != Method::Post {
        return (405, "deliveries are POSTed".to_owned());
    }
    let header = |name| {
        let mut headers = request.headers().iter();
        let found = headers.find(|header| header.field.equiv(name));
        found.map(|header| header.value.as_str().to_owned())
    };
    let (signature, tryout) = (header(SIGNATURE_HEADER), header(TRYOUT_HEADER).is_some());
    let mut body = Vec::new();
    let limit = MAX_BODY as u64 + 1;
    if let Err(error) = request.as_reader().take(limit).read_to_end(&mut body) {
        return (400, format!("cannot read the body: {error}"));
    }
    if body.len() > MAX_BODY {
        return (413, format!("the body is larger than {MAX_BODY} bytes"));
    }
    // Verified first: nothing of an unverified body is read, or believed.
    let delivery = match verifier.verify_delivery(&body, signature.as_deref()) {
        Ok(delivery) => delivery,
        Err(DeliveryError::Signature(error)) => return (401, error.to_string()),
        // Signed by Partoo but unreadable: sending it again would not help.
        Err(error) => return (400, error.to_string()),
    };
    if tryout {
        return (200, format!("test delivery of {}", delivery.event_type()));
    }
    match dispatch(&delivery) {
        Ok(done) => (200, done),
        Err(error) => (400, error.to_string()),
    }
}

/// Acts on a verified delivery. Partoo may deliver one twice: acting on it
/// must be idempotent (keyed by the lead's or the message's id, say).
fn dispatch(delivery: &Delivery) -> Result<String, DeliveryError> {
    Ok(match delivery.event_type() {
        EventType::LeadReceived => {
            let lead: LeadReceived = delivery.payload()?;
            let business = lead.business_name.as_deref().unwrap_or("?");
            format!("lead for {business} with {} answers", lead.values.len())
        }
        EventType::MessageCreated | EventType::MessageUpdated => {
            let event: MessageEvent = delivery.payload()?;
            let status = event.message.and_then(|message| message.status);
            format!(
                "message, status {}",
                status.map_or("?".into(), |s| s.to_string())
            )
        }
        EventType::BusinessCreated | EventType::BusinessUpdated | EventType::BusinessDeleted => {
            let event: BusinessEvent = delivery.payload()?;
            let id = event.business.and_then(|business| business.id);
            format!("{} {}", delivery.event_type(), id.as_deref().unwrap_or("?"))
        }
        other => format!("{other}: not handled here"),
    })
}
