//! `tryout`: a test delivery for each chosen webhook of the desired-state
//! file, sent by Partoo to its resolved URL.

use std::io::Write;

use partoo_webhooks::NewWebhook;

use crate::args::TryoutArgs;
use crate::text::{escape, mask_secrets};
use crate::{connect, diff, output_failure, request_failure, say, stdout, Failure};

pub fn run(args: &TryoutArgs) -> Result<u8, Failure> {
    let desired =
        diff::read_desired(&args.desired, args.connection.org_id).map_err(Failure::Config)?;
    let chosen = |event_type: &str| {
        args.event_type.is_empty() || args.event_type.iter().any(|e| e == event_type)
    };
    let webhooks: Vec<_> = (desired.webhooks().iter())
        .filter(|w| chosen(w.event_type.as_str()))
        .collect();
    // A mistyped event type is found before anything is sent.
    let declared = |e: &String| webhooks.iter().any(|w| w.event_type.as_str() == e);
    if webhooks.is_empty() || !args.event_type.iter().all(declared) {
        return Err(Failure::Config(
            "no webhook to try: the file declares none (for --org-id), or none of an \
             --event-type given"
                .to_owned(),
        ));
    }
    // Checked before the first delivery is asked for, as every command does.
    let mut out = stdout()?;
    let (client, key_source) = connect(&args.connection)?;
    let mut refused = 0;
    for webhook in webhooks {
        let which = escape(&mask_secrets(&format!(
            "{} {}",
            webhook.org_id, webhook.event_type
        )))
        .into_owned();
        let new = NewWebhook::new(webhook.event_type.clone(), &webhook.url);
        match client.tryout(new).org_id(webhook.org_id).send() {
            Ok(_) => writeln!(out, "sent {which}")
                .and_then(|()| out.flush())
                .or_else(output_failure)?,
            Err(error) => {
                refused += 1;
                // A timeout, a lost connection or a 5xx: Partoo may have sent
                // it (a refused connection is told the same: its error cannot
                // be told apart here). A 429 comes before Partoo acts.
                let what = match error.is_retryable() && error.status() != Some(429) {
                    true => "not confirmed (Partoo may have sent it)",
                    false => "not sent",
                };
                let (Failure::Failed(message) | Failure::Config(message) | Failure::Usage(message)) =
                    request_failure(error, &key_source);
                say(
                    &format!("{} ", crate::term::prefix(true)),
                    &format!("{what} {which}: {message}"),
                );
            }
        }
    }
    Ok(u8::from(refused > 0))
}
