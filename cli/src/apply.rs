//! `apply`: the plan of `diff`, confirmed, then made by the library's
//! [`Apply`], one line per write as Partoo accepts it, and what remains.

use std::io::{self, Write as _};

use partoo_webhooks::plan::{Apply, Write};
use partoo_webhooks::Plan;

use crate::args::ApplyArgs;
use crate::diff::{self, Change, DiffFormat};
use crate::text::{escape, mask_secrets};
use crate::{compare, output_failure, request_failure, say, stdout, term, Failure, DIFFERENCES};

/// Where a person makes what the API cannot.
const IN_THE_APP: &str = "in Partoo's app: Settings > Integrations > Webhooks";
/// What remains, and what to do with it.
const DELETE: &str = "delete it in Partoo's app: Settings > Integrations > Webhooks";
const CONFLICT: &str =
    "keep one and delete the others in Partoo's app: Settings > Integrations > Webhooks";
const NOT_MADE: &str = "not made";

pub fn run(args: &ApplyArgs) -> Result<u8, Failure> {
    let ask = !args.yes && term::can_ask();
    if !args.yes && !ask {
        // Before the file is read or anything requested: a job without
        // --yes fails the same way whether or not the account differs.
        return Err(Failure::Config(
            "apply writes without asking only with --yes (standard input or standard error \
             is not a terminal, so it cannot ask); run diff to see the plan"
                .to_owned(),
        ));
    }
    let mut compared = compare(&args.connection, &args.desired, None, args.max_webhooks)?;
    compared.print(DiffFormat::Text)?;
    let plan = &compared.plan;
    let changes = plan.creates.len() + plan.updates.len();
    if plan.is_empty() {
        // The summary said so.
        return Ok(0);
    }
    if changes == 0 {
        return remains(plan, &[], 1);
    }
    let question = match changes {
        1 => "Apply this change?".to_owned(),
        n => format!("Apply these {n} changes?"),
    };
    if ask && !term::confirm(&question) {
        say("", "nothing applied");
        return Ok(DIFFERENCES);
    }

    // Partoo's create takes no custom headers: each created webhook that has
    // some needs an update after it.
    let with_headers = plan.creates.iter();
    let with_headers = with_headers.filter(|c| !c.custom_headers.is_empty());
    let planned = changes + with_headers.count();
    // From the reading whose plan was shown: what is written is what was confirmed.
    let live = std::mem::take(&mut compared.live);
    let mut apply = Apply::new(&compared.client, &compared.desired).from_reading(live);
    if let Some(org_id) = args.connection.org_id {
        apply = apply.org_id(org_id);
    }
    if let Some(max) = args.max_webhooks {
        apply = apply.max_items(max);
    }
    let mut out = stdout()?;
    let (mut done, mut written) = (0, Ok(()));
    term::show_progress(format!("0/{planned} writes"));
    let applied = apply.run(|write| {
        term::clear_progress();
        done += 1;
        if written.is_ok() {
            written = writeln!(out, "{}", write_line(write)).and_then(|()| out.flush());
        }
        term::show_progress(format!("{done}/{} writes", planned.max(done)));
    });
    term::clear_progress();
    drop(out);
    written.or_else(output_failure)?;
    match applied {
        Ok(applied) => remains(&applied.remaining, &applied.writes, applied.readings),
        Err(error) => match request_failure(error, &compared.key_source) {
            Failure::Failed(message) => Err(Failure::Failed(format!(
                "apply stopped after {}: {message}",
                writes(done)
            ))),
            other => Err(other),
        },
    }
}

/// `created 7 lead_received: id 12`: no URL (the plan showed it, masked), no
/// header value.
fn write_line(write: &Write) -> String {
    let (verb, item) = match write {
        Write::Created(item) => ("created", item),
        Write::Updated(item) => ("updated", item),
        _ => return "a write this version cannot describe".to_owned(),
    };
    let line = format!("{verb} {} {}: id {}", item.org_id, item.event_type, item.id);
    escape(&mask_secrets(&line)).into_owned()
}

/// What the last reading found left, each line with what to do, and the
/// exit status: 0 nothing, 3 only what the API cannot make, 1 writes that
/// did not take.
fn remains(remaining: &Plan, writes: &[Write], readings: u32) -> Result<u8, Failure> {
    let done = format!(
        "{} ({})",
        self::writes(writes.len()),
        self::readings(readings)
    );
    if remaining.is_empty() {
        let verified = "verified: the account holds what the file declares";
        say("", &format!("{done}; {verified}"));
        return Ok(0);
    }
    let mut out = io::BufWriter::new(stdout()?);
    let color = term::stdout_color();
    let note = |change: &Change<'_>| match change {
        Change::Delete(_) => Some(DELETE),
        Change::Conflict(_) => Some(CONFLICT),
        _ => Some(NOT_MADE),
    };
    diff::write_lines(&mut out, remaining, color, note)
        .and_then(|()| out.flush())
        .or_else(output_failure)?;
    let left = remaining.creates.len() + remaining.updates.len();
    if left > 0 {
        return Err(Failure::Failed(format!(
            "{done}; {left} of the changes were not made (printed above): run apply again, \
             or make them {IN_THE_APP}"
        )));
    }
    let differences = match remaining.deletes.len() + remaining.conflicts.len() {
        1 => "1 difference remains".to_owned(),
        n => format!("{n} differences remain"),
    };
    let what = "that the API cannot make (printed above): make them";
    say("", &format!("{done}; {differences} {what} {IN_THE_APP}"));
    Ok(DIFFERENCES)
}

fn writes(n: usize) -> String {
    match n {
        1 => "1 write".to_owned(),
        n => format!("{n} writes"),
    }
}

fn readings(n: u32) -> String {
    match n {
        1 => "1 reading of the account".to_owned(),
        n => format!("{n} readings of the account"),
    }
}
