//! `diff`: the desired-state file read and checked, and the plan printed.
//! The comparison itself is the library's [`Plan`].

use std::env::{self, VarError};
use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::str::FromStr;

use partoo_webhooks::{CustomHeaders, DesiredState, DesiredWebhook, Plan};

use crate::output::printable;

/// A desired-state file holds a few hundred webhooks at most; the cap keeps a
/// wrong path (a log, a device) from being read whole.
const FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// How the plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    /// One line per difference, for people and `grep`.
    Text,
    /// One JSON document.
    Json,
}

impl FromStr for DiffFormat {
    type Err = ();

    fn from_str(value: &str) -> Result<DiffFormat, ()> {
        match value {
            "text" => Ok(DiffFormat::Text),
            "json" => Ok(DiffFormat::Json),
            _ => Err(()),
        }
    }
}

/// Reads, resolves and checks the desired-state file. No message repeats the
/// path (a secret pasted in its place would be printed back) or a header value.
pub fn read_desired(path: &Path, org_id: Option<u64>) -> Result<DesiredState, String> {
    const INVALID: &str = "invalid desired-state file";
    let text =
        read_limited(path).map_err(|e| format!("cannot read the desired-state file: {e}"))?;
    let mut webhooks: Vec<DesiredWebhook> =
        serde_json::from_str(&text).map_err(|e| format!("{INVALID}: {e}"))?;
    for (i, webhook) in webhooks.iter_mut().enumerate() {
        let entry = format!(
            "entry {} (org {}, {})",
            i + 1,
            webhook.org_id,
            webhook.event_type
        );
        webhook.custom_headers =
            resolve(&webhook.custom_headers).map_err(|e| format!("{INVALID}: {entry}: {e}"))?;
        if let Some(org_id) = org_id.filter(|&org_id| org_id != webhook.org_id) {
            return Err(format!(
                "{INVALID}: {entry} is not for organization {org_id}; with --org-id, \
                 every entry must be for that organization"
            ));
        }
    }
    DesiredState::new(webhooks)
        .map_err(|error| format!("{INVALID}: {}", crate::with_causes(&error)))
}

fn read_limited(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    fs::File::open(path)?
        .take(FILE_LIMIT)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Replaces each value that is exactly `${NAME}` with the environment variable `NAME`.
fn resolve(headers: &CustomHeaders) -> Result<CustomHeaders, String> {
    // Names are distinct (the file's reader refuses repeats), so collecting keeps every header.
    headers
        .iter()
        .map(|(name, value)| {
            let Some(variable) = reference(value) else {
                return Ok((name, value.to_owned()));
            };
            let problem = match env::var(variable) {
                Ok(value) if !value.is_empty() => return Ok((name, value)),
                Ok(_) => "is empty",
                Err(VarError::NotPresent) => "is not set",
                Err(VarError::NotUnicode(_)) => "is not valid UTF-8",
            };
            Err(format!(
                "custom header {} is read from the environment variable {variable}, which {problem}",
                printable(name)
            ))
        })
        .collect()
}

/// `NAME` when `value` is exactly `${NAME}`, `NAME` a shell variable name.
fn reference(value: &str) -> Option<&str> {
    let name = value.strip_prefix("${")?.strip_suffix('}')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let valid = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

/// Writes the plan: one line per difference in key order, or one JSON document.
pub fn print(out: &mut impl Write, plan: &Plan, format: DiffFormat) -> io::Result<()> {
    match format {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, plan)?;
            out.write_all(b"\n")?;
        }
        DiffFormat::Text => {
            let mut lines = text_lines(plan);
            lines.sort_by(|(a, _), (b, _)| a.cmp(b));
            for (_, line) in lines {
                writeln!(out, "{}", printable(&line))?;
            }
        }
    }
    out.flush()
}

/// Each line with its sort key: organization, event type, then `+ - ~ !`.
fn text_lines(plan: &Plan) -> Vec<((u64, String, u8), String)> {
    let key = |org_id, event_type: &str, rank| (org_id, event_type.to_owned(), rank);
    let mut lines = Vec::new();
    for create in &plan.creates {
        let (org_id, event_type) = (create.org_id, create.event_type.as_str());
        let mut line = format!("+ {org_id} {event_type}: url {}", create.url);
        if !create.custom_headers.is_empty() {
            line += &format!("; custom headers {}", create.custom_headers.join(", "));
        }
        lines.push((key(org_id, event_type, 0), line));
    }
    for delete in &plan.deletes {
        let (org_id, event_type) = (delete.org_id, delete.event_type.as_str());
        let line = format!(
            "- {org_id} {event_type}: id {}; url {}",
            delete.id, delete.url
        );
        lines.push((key(org_id, event_type, 1), line));
    }
    for update in &plan.updates {
        let (org_id, event_type) = (update.org_id, update.event_type.as_str());
        let mut line = format!("~ {org_id} {event_type}: id {}", update.id);
        if let Some(url) = &update.url {
            line += &format!("; url {} -> {}", url.live, url.desired);
        }
        let headers = &update.custom_headers;
        for (names, change) in [
            (&headers.value_differs, "value differs"),
            (&headers.added, "added"),
            (&headers.removed, "removed"),
        ] {
            for name in names {
                line += &format!("; custom header {name} {change}");
            }
        }
        lines.push((key(org_id, event_type, 2), line));
    }
    for conflict in &plan.conflicts {
        let (org_id, event_type) = (conflict.org_id, conflict.event_type.as_str());
        let ids: Vec<String> = conflict.ids.iter().map(u64::to_string).collect();
        let line = format!(
            "! {org_id} {event_type}: ids {}; {} webhooks where Partoo allows one per \
             organization and event type; {}",
            ids.join(", "),
            ids.len(),
            if conflict.desired {
                "not compared with the desired one"
            } else {
                "none is desired"
            }
        );
        lines.push((key(org_id, event_type, 3), line));
    }
    lines
}

/// The one-line summary for standard error.
pub fn summary(plan: &Plan, desired: usize, live: usize) -> String {
    let counts = format!("{desired} desired, {live} live");
    if plan.is_empty() {
        return format!("no difference: {counts}");
    }
    let mut parts = vec![
        format!("{} to create", plan.creates.len()),
        format!("{} to update", plan.updates.len()),
        format!("{} to delete", plan.deletes.len()),
    ];
    if !plan.conflicts.is_empty() {
        parts.push(format!(
            "{} with several webhooks for one organization and event type",
            plan.conflicts.len()
        ));
    }
    format!("{}: {counts}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_exact_reference_to_a_variable_name_is_resolved() {
        assert_eq!(reference("${HOOK_TOKEN}"), Some("HOOK_TOKEN"));
        assert_eq!(reference("${_a1}"), Some("_a1"));
        for literal in [
            "$HOOK", "${}", "${1A}", "${A B}", "x${A}", "${A}x", "${A-b}",
        ] {
            assert_eq!(reference(literal), None, "{literal}");
        }
    }
}
