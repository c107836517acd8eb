//! `diff`: the desired-state file read and checked, and the plan printed.
//! The comparison itself is the library's [`Plan`].

use std::borrow::Cow;
use std::env::{self, VarError};
use std::fs;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::path::Path;

use partoo_webhooks::plan::{Conflict, Create, Delete, HeaderChanges, Update};
use partoo_webhooks::text::strip_quoted;
use partoo_webhooks::{CustomHeaders, DesiredState, DesiredWebhook, EventType, Plan};
use serde::{Deserialize, Serialize};
use serde_json::ser::{CharEscape, Formatter, PrettyFormatter};

use crate::text::{add_secret, escape, mask_secrets, mask_url, needs_escape};

/// A desired-state file holds a few hundred webhooks at most (150,000 take
/// about 13 MiB); the cap keeps a wrong path (a log, a device) from being
/// read whole. A larger file is refused, never cut.
const FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// How the plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// One line per difference, for people and `grep`.
    Text,
    /// One JSON document.
    Json,
}

/// Reads, resolves and checks the desired-state file (`-` reads standard
/// input). No message repeats the path (a secret pasted in its place would be
/// printed back), a URL or a header value.
pub fn read_desired(path: &Path, org_id: Option<u64>) -> Result<DesiredState, String> {
    const INVALID: &str = "invalid desired-state file";
    let text = match path.as_os_str() == "-" {
        true => read_limited(Ok(io::stdin().lock()), " from standard input")?,
        false => read_limited(fs::File::open(path), "")?,
    };
    let DesiredFile {
        organizations,
        mut webhooks,
    } = match text.trim_start().starts_with('{') {
        true => serde_json::from_str(&text),
        false => serde_json::from_str(&text).map(|webhooks| DesiredFile {
            organizations: Vec::new(),
            webhooks,
        }),
    }
    // serde quotes the string it could not use: a URL or a header value.
    .map_err(|e| format!("{INVALID}: {}", strip_quoted(&e.to_string())))?;
    for (i, webhook) in webhooks.iter_mut().enumerate() {
        let entry = format!(
            "entry {} (org {}, {})",
            i + 1,
            webhook.org_id,
            webhook.event_type
        );
        let unresolved = |what: &str, (variable, problem)| {
            format!("{INVALID}: {entry}: {what} uses the environment variable {variable}, which {problem}")
        };
        if let Some(url) = expand(&webhook.url).map_err(|e| unresolved("the url", e))? {
            webhook.url = url;
            webhook.url_is_secret = true;
        }
        resolve(&mut webhook.custom_headers)
            .map_err(|(name, e)| unresolved(&format!("custom header {name}"), e))?;
        if let Some(org_id) = org_id.filter(|&org_id| org_id != webhook.org_id) {
            return Err(format!(
                "{INVALID}: {entry} is not for organization {org_id}; with --org-id, \
                 every entry must be for that organization"
            ));
        }
    }
    let managed = organizations.into_iter().chain(org_id);
    DesiredState::new(webhooks)
        .map(|state| state.managing(managed))
        .map_err(|error| format!("{INVALID}: {}", crate::with_causes(&error)))
}

/// A desired-state file: an array of webhooks, or this object, whose
/// `organizations` are managed whether or not an entry names them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DesiredFile {
    #[serde(default)]
    organizations: Vec<u64>,
    webhooks: Vec<DesiredWebhook>,
}

/// The whole file, refused when larger than [`FILE_LIMIT`]: never cut.
fn read_limited(source: io::Result<impl Read>, from: &str) -> Result<String, String> {
    let what = format!("the desired-state file{from}");
    let bytes = crate::read_limited(source, FILE_LIMIT, &what, "")?;
    String::from_utf8(bytes).map_err(|e| format!("cannot read {what}: {e}"))
}

/// A variable that cannot be used, and why: `is not set`, `is empty`.
type Unresolved = (String, &'static str);

/// Replaces each header value that is exactly `${NAME}` with the environment
/// variable `NAME`; an error names the header.
fn resolve(headers: &mut CustomHeaders) -> Result<(), (String, Unresolved)> {
    // In place: a name given twice stays twice, for the rules to refuse.
    for (name, value) in headers.iter_mut() {
        if let Some(variable) = reference(value).map(str::to_owned) {
            *value = read_variable(&variable).map_err(|e| (name.to_owned(), e))?;
        }
    }
    Ok(())
}

/// `text` with each `${NAME}` in it replaced by the environment variable
/// `NAME`, or `None` when it holds no reference.
fn expand(text: &str) -> Result<Option<String>, Unresolved> {
    let (mut expanded, mut rest) = (String::new(), text);
    while let Some((at, variable)) = next_reference(rest) {
        expanded.push_str(&rest[..at.start]);
        expanded.push_str(&read_variable(variable)?);
        rest = &rest[at.end..];
    }
    if rest.len() == text.len() {
        return Ok(None);
    }
    expanded.push_str(rest);
    Ok(Some(expanded))
}

/// `NAME` when `value` is exactly `${NAME}`.
fn reference(value: &str) -> Option<&str> {
    next_reference(value)
        .filter(|(at, _)| *at == (0..value.len()))
        .map(|(_, variable)| variable)
}

/// The first `${NAME}` in `text`, `NAME` a shell variable name, with where it
/// is; anything else that starts with `${` is text.
fn next_reference(text: &str) -> Option<(Range<usize>, &str)> {
    let mut from = 0;
    while let Some(found) = text[from..].find("${") {
        let start = from + found;
        let after = &text[start + 2..];
        if let Some(name) = after.find('}').map(|end| &after[..end]) {
            if is_variable_name(name) {
                return Some((start..start + name.len() + 3, name));
            }
        }
        from = start + 2;
    }
    None
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The value of `variable`, hidden from then on in everything printed.
fn read_variable(variable: &str) -> Result<String, Unresolved> {
    let problem = match env::var(variable) {
        Ok(value) if !value.is_empty() => {
            add_secret(&value);
            return Ok(value);
        }
        Ok(_) => "is empty",
        Err(VarError::NotPresent) => "is not set",
        Err(VarError::NotUnicode(_)) => "is not valid UTF-8",
    };
    Err((variable.to_owned(), problem))
}

/// Writes the plan: one line per difference in the order of
/// [`changes`], or one JSON document. Both are read by people in CI
/// logs, so both show the plan as [`ShownPlan`] masks it, and the server's text is
/// escaped: in the lines by the one rule, in JSON with JSON's own `\u`
/// escapes, which parse back to the same text.
///
/// `color` paints each line by its first character ([`crate::term::paint`]);
/// never JSON.
pub fn print(out: &mut impl Write, plan: &Plan, format: DiffFormat, color: bool) -> io::Result<()> {
    match format {
        DiffFormat::Json => {
            let shown = ShownPlan {
                creates: plan.creates.iter().map(shown_create).collect(),
                updates: plan.updates.iter().map(shown_update).collect(),
                deletes: plan.deletes.iter().map(shown_delete).collect(),
                conflicts: &plan.conflicts,
            };
            let formatter = EscapingFormatter(PrettyFormatter::new(), String::new(), false);
            shown.serialize(&mut serde_json::Serializer::with_formatter(
                &mut *out, formatter,
            ))?;
            out.write_all(b"\n")?;
        }
        DiffFormat::Text => write_lines(out, plan, color, |_| None)?,
    }
    out.flush()
}

/// Writes one line per change of `plan`, as `diff` prints them, each followed
/// by `; ` and its `note` if it has one: what `apply` says of what remains.
pub fn write_lines(
    out: &mut impl Write,
    plan: &Plan,
    color: bool,
    note: impl Fn(&Change<'_>) -> Option<&'static str>,
) -> io::Result<()> {
    for change in changes(plan) {
        let mut line = line(change);
        if let Some(note) = note(&change) {
            line = format!("{line}; {note}");
        }
        let line = escape(&mask_secrets(&line)).into_owned();
        writeln!(out, "{}", crate::term::paint(line, color))?;
    }
    Ok(())
}

/// The plan as `diff` shows it, in JSON and in its lines: custom headers by
/// name only, URLs through [`mask_url`], and no URL where the desired one is
/// secret (nor the account's URL it is compared with).
#[derive(Serialize)]
struct ShownPlan<'a> {
    creates: Vec<ShownCreate<'a>>,
    updates: Vec<ShownUpdate<'a>>,
    deletes: Vec<ShownDelete<'a>>,
    conflicts: &'a [Conflict],
}

#[derive(Serialize)]
struct ShownCreate<'a> {
    org_id: u64,
    event_type: &'a EventType,
    url: Option<String>,
    custom_headers: Vec<&'a str>,
}

#[derive(Serialize)]
struct ShownUpdate<'a> {
    id: u64,
    org_id: u64,
    event_type: &'a EventType,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<ShownUrls>,
    #[serde(skip_serializing_if = "HeaderChanges::is_empty")]
    custom_headers: &'a HeaderChanges,
}

/// Both `None` when the desired URL is secret.
#[derive(Serialize)]
struct ShownUrls {
    live: Option<String>,
    desired: Option<String>,
}

#[derive(Serialize)]
struct ShownDelete<'a> {
    id: u64,
    org_id: u64,
    event_type: &'a EventType,
    url: String,
}

fn shown_create(create: &Create) -> ShownCreate<'_> {
    ShownCreate {
        org_id: create.org_id,
        event_type: &create.event_type,
        url: (!create.url_is_secret).then(|| mask_url(&create.url)),
        custom_headers: create.custom_headers.iter().map(|(name, _)| name).collect(),
    }
}

fn shown_update(update: &Update) -> ShownUpdate<'_> {
    let url = update.url.as_ref().map(|url| {
        let shown = |text| (!url.secret).then(|| mask_url(text));
        ShownUrls {
            live: shown(&url.live),
            desired: shown(&url.desired),
        }
    });
    ShownUpdate {
        id: update.id,
        org_id: update.org_id,
        event_type: &update.event_type,
        url,
        custom_headers: &update.custom_headers,
    }
}

fn shown_delete(delete: &Delete) -> ShownDelete<'_> {
    ShownDelete {
        id: delete.id,
        org_id: delete.org_id,
        event_type: &delete.event_type,
        url: mask_url(&delete.url),
    }
}

/// serde_json's pretty printer, with every string masked by
/// [`mask_secrets`] and every character that [`needs_escape`] names written
/// as a `\u` escape (serde_json escapes the C0 controls itself, but not DEL,
/// C1 controls, bidi controls or U+2028). A string is held whole until it
/// ends, so that a secret is found even where serde_json's own escapes cut it.
/// Keys are the tool's own names, never masked: a short secret would break them.
struct EscapingFormatter(PrettyFormatter<'static>, String, bool);

impl Formatter for EscapingFormatter {
    fn begin_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.1.clear();
        writer.write_all(b"\"")
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        _: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        self.1.push_str(fragment);
        Ok(())
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        _: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        self.1.push(match escape {
            CharEscape::Quote => '"',
            CharEscape::ReverseSolidus => '\\',
            CharEscape::Solidus => '/',
            CharEscape::Backspace => '\u{8}',
            CharEscape::FormFeed => '\u{c}',
            CharEscape::LineFeed => '\n',
            CharEscape::CarriageReturn => '\r',
            CharEscape::Tab => '\t',
            CharEscape::AsciiControl(byte) => char::from(byte),
        });
        Ok(())
    }

    fn end_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let text = match self.2 {
            true => Cow::Borrowed(self.1.as_str()),
            false => mask_secrets(&self.1),
        };
        for c in text.chars() {
            match c {
                '"' | '\\' => write!(writer, "\\{c}")?,
                c if needs_escape(c) => {
                    for unit in c.encode_utf16(&mut [0; 2]) {
                        write!(writer, "\\u{unit:04x}")?;
                    }
                }
                c => write!(writer, "{c}")?,
            }
        }
        writer.write_all(b"\"")
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.2 = true;
        self.0.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.2 = false;
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// What the lines say in place of a URL that holds a secret.
const SECRET_URL: &str = "(secret, not shown)";

/// One change of a plan, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// A webhook to create (`+`).
    Create(&'a Create),
    /// A webhook to delete (`-`).
    Delete(&'a Delete),
    /// A webhook to update (`~`).
    Update(&'a Update),
    /// Several webhooks for one organization and event type (`!`).
    Conflict(&'a Conflict),
}

impl<'a> Change<'a> {
    /// The organization, the event type, and where the kind comes among the
    /// changes of one key: the order lines are printed in.
    fn key(&self) -> (u64, &'a EventType, u8) {
        match self {
            Change::Create(c) => (c.org_id, &c.event_type, 0),
            Change::Delete(d) => (d.org_id, &d.event_type, 1),
            Change::Update(u) => (u.org_id, &u.event_type, 2),
            Change::Conflict(c) => (c.org_id, &c.event_type, 3),
        }
    }
}

/// Every change of the plan once, by organization, then event type (as
/// strings), then kind: creates, deletes, updates, conflicts. Stable, so that
/// entries of one kind for one key keep their order.
fn changes(plan: &Plan) -> Vec<Change<'_>> {
    let mut changes: Vec<Change<'_>> = (plan.creates.iter().map(Change::Create))
        .chain(plan.deletes.iter().map(Change::Delete))
        .chain(plan.updates.iter().map(Change::Update))
        .chain(plan.conflicts.iter().map(Change::Conflict))
        .collect();
    changes.sort_by_key(Change::key);
    changes
}

/// The line of one change: `+ - ~ !`, then the organization and the event type.
fn line(change: Change<'_>) -> String {
    let (org_id, event_type, _) = change.key();
    let event_type = event_type.as_str();
    match change {
        Change::Create(create) => {
            let create = shown_create(create);
            let url = create.url.as_deref().unwrap_or(SECRET_URL);
            let mut line = format!("+ {org_id} {event_type}: url {url}");
            if !create.custom_headers.is_empty() {
                line += &format!("; custom headers {}", create.custom_headers.join(", "));
            }
            line
        }
        Change::Delete(delete) => format!(
            "- {org_id} {event_type}: id {}; url {}",
            delete.id,
            shown_delete(delete).url
        ),
        Change::Update(update) => {
            let mut line = format!("~ {org_id} {event_type}: id {}", update.id);
            match shown_update(update).url {
                Some(ShownUrls {
                    live: Some(live),
                    desired: Some(desired),
                }) => {
                    line += &format!("; url {live} -> {desired}");
                    if live == desired {
                        line += " (in a part shown as ***)";
                    }
                }
                Some(_) => line += &format!("; url differs {SECRET_URL}"),
                None => {}
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
            line
        }
        Change::Conflict(conflict) => {
            let ids: Vec<String> = conflict.ids.iter().map(u64::to_string).collect();
            format!(
                "! {org_id} {event_type}: ids {}; {} webhooks where Partoo allows one per \
                 organization and event type; {}",
                ids.join(", "),
                ids.len(),
                if conflict.desired {
                    "not compared with the desired one"
                } else {
                    "none is desired"
                }
            )
        }
    }
}

/// The one-line summary for standard error.
pub fn summary(plan: &Plan, desired: usize, live: usize) -> String {
    let mut counts = format!("{desired} desired, {live} live");
    if plan.unmanaged > 0 {
        counts += &format!(", {} not managed", plan.unmanaged);
    }
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

    fn live(id: u64, org_id: u64, event_type: &str, url: &str) -> partoo_webhooks::WebhookItem {
        let event_type = event_type.parse().unwrap();
        partoo_webhooks::WebhookItem::new(id, url, event_type, "c", "u", org_id)
    }

    fn desired(org_id: u64, event_type: &str, url: &str) -> DesiredWebhook {
        DesiredWebhook::new(org_id, event_type.parse().unwrap(), url)
    }

    fn state(webhooks: Vec<DesiredWebhook>) -> DesiredState {
        DesiredState::new(webhooks).unwrap()
    }

    #[test]
    fn changes_yield_every_change_by_organization_event_type_then_kind() {
        let mut plan = Plan::new(
            &state(vec![
                desired(8, "lead_received", "https://h/new"),
                desired(7, "message_created", "https://h/2"),
                desired(7, "business_created", "https://h/new"),
            ]),
            &[
                live(1, 7, "business_created", "https://h/1"),
                live(2, 7, "lead_received", "https://h/2"),
                live(3, 7, "lead_received", "https://h/3"),
                live(4, 7, "business_deleted", "https://h/4"),
                live(5, 8, "business_created", "https://h/5"),
            ],
        );
        let summary = |plan: &Plan| -> Vec<(&'static str, u64, String)> {
            changes(plan)
                .into_iter()
                .map(|change| {
                    let kind = match change {
                        Change::Create(_) => "create",
                        Change::Delete(_) => "delete",
                        Change::Update(_) => "update",
                        Change::Conflict(_) => "conflict",
                    };
                    let (org_id, event_type, _) = change.key();
                    (kind, org_id, event_type.to_string())
                })
                .collect()
        };
        let expected = [
            ("update", 7, "business_created".to_owned()),
            ("delete", 7, "business_deleted".to_owned()),
            ("conflict", 7, "lead_received".to_owned()),
            ("create", 7, "message_created".to_owned()),
            ("delete", 8, "business_created".to_owned()),
            ("create", 8, "lead_received".to_owned()),
        ];
        assert_eq!(summary(&plan), expected);
        assert_eq!(changes(&plan).len(), 6);
        let first = changes(&plan).first().copied();
        assert!(
            matches!(first, Some(Change::Update(update)) if std::ptr::eq(update, &plan.updates[0]))
        );

        // The order is the plan's, not that of its lists.
        plan.creates.reverse();
        plan.deletes.reverse();
        assert_eq!(summary(&plan), expected);
        assert_eq!(changes(&Plan::default()).len(), 0);
    }

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

    #[test]
    fn references_are_found_anywhere_and_anything_else_is_text() {
        let found = |text| next_reference(text).map(|(at, name)| (at, name.to_owned()));
        assert_eq!(found("https://h/${A}/x"), Some((10..14, "A".to_owned())));
        assert_eq!(found("${1}${ B}$${_b2}"), Some((10..16, "_b2".to_owned())));
        assert_eq!(found("${${A}"), Some((2..6, "A".to_owned())));
        for text in ["https://h/$A", "${", "${A", "${}", "$ {A}", "{A}"] {
            assert_eq!(found(text), None, "{text}");
        }
    }
}
