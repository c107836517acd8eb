//! The comparison of desired webhooks with an account's webhooks: what to
//! create, update and delete to go from one to the other.
//!
//! [`DesiredState`] holds the webhooks as they should be, checked;
//! [`Plan::new`] compares them with an account's, by organization and event
//! type, into lists of [`Create`], [`Update`] (with its [`UrlChange`] and
//! [`HeaderChanges`]), [`Delete`] and [`Conflict`], each sorted by
//! organization and event type; [`Apply`] makes an account hold what is
//! declared. `Plan`, `DesiredState`, `DesiredWebhook`, `DesiredError` and
//! `DesiredErrorKind` are also at the crate root.
//!
//! Only the organizations a desired state manages are compared: those of its
//! entries, and those named with [`DesiredState::managing`]. An account's
//! webhooks in other organizations are not deletes: a plan counts them
//! ([`Plan::unmanaged`]).
//!
//! A plan holds the real values it compares, so that a program can act on
//! it: the URLs and custom headers to write ([`Create`], [`UrlChange`]); the
//! desired webhook of an [`Update`] is the one of its organization and event
//! type in [`DesiredState::webhooks`]. Its `Debug` hides what may
//! be a secret (header values, URL query values, a URL read from the
//! environment); anything else that prints a plan for people masks and
//! escapes it there, as `partoo-webhooks diff` does. Its `Serialize` is a
//! faithful export, secrets included.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::text::mask_url;
use crate::webhooks::{CustomHeaders, EventType, WebhookItem};

mod apply;
mod desired;

pub use apply::{Applied, Apply, Write};
use desired::shown_url;
pub use desired::{DesiredError, DesiredErrorKind, DesiredState, DesiredWebhook};

/// What differs between desired webhooks and an account's, keyed by
/// organization and event type (Partoo allows one webhook per pair).
///
/// Each list is sorted by `org_id`, then `event_type` (as strings).
/// Serializes to one JSON object with the four lists under these names.
///
/// ```
/// use partoo_webhooks::{DesiredState, DesiredWebhook, EventType, Plan, WebhookItem};
///
/// let desired = DesiredState::new(vec![
///     DesiredWebhook::new(7, EventType::LeadReceived, "https://hooks.example.com/leads"),
/// ])?;
/// let live = [WebhookItem::new(
///     12, "https://hooks.example.com/old", EventType::LeadReceived, "c", "u", 7,
/// )];
/// let plan = Plan::new(&desired, &live);
/// assert_eq!(plan.updates.len(), 1);
/// assert_eq!(plan.updates[0].id, 12);
/// assert!(plan.creates.is_empty() && plan.deletes.is_empty() && !plan.is_empty());
/// let url = plan.updates[0].url.as_ref().map(|url| url.live.as_str());
/// assert_eq!(url, Some("https://hooks.example.com/old"));
/// # Ok::<_, partoo_webhooks::DesiredError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// Desired, and absent from the account: to create.
    pub creates: Vec<Create>,
    /// In both, with a different URL or different custom headers: to update.
    pub updates: Vec<Update>,
    /// In the account, in an organization the desired state
    /// [manages](DesiredState::manages), and not desired: to delete.
    pub deletes: Vec<Delete>,
    /// Several webhooks of the account for one organization and event type,
    /// which Partoo does not allow: reported as they are, never matched with a
    /// desired webhook, merged, or counted among the other lists.
    pub conflicts: Vec<Conflict>,
    /// How many webhooks of the account are in organizations the desired
    /// state does not [manage](DesiredState::manages): neither compared nor
    /// to delete. Not a difference: [`is_empty`](Self::is_empty) ignores it.
    pub unmanaged: usize,
}

/// A webhook to create, from [`Plan::creates`]: the desired webhook as
/// declared, what to write (its URL real, its headers with their values;
/// `Debug` masks them).
pub type Create = DesiredWebhook;

/// A webhook to update, from [`Plan::updates`]: the fields that differ are
/// set, the others are not (and are left out when serialized). What to write
/// is the desired webhook of its organization and event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Update {
    /// The id of the webhook in the account.
    pub id: u64,
    /// Its organization.
    pub org_id: u64,
    /// Its event type.
    pub event_type: EventType,
    /// The URL, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<UrlChange>,
    /// The custom headers that differ, by name.
    #[serde(skip_serializing_if = "HeaderChanges::is_empty")]
    pub custom_headers: HeaderChanges,
}

/// A URL that differs: the account's and the desired one.
///
/// When the desired URL [is secret](DesiredWebhook::url_is_secret), a
/// program that shows the change should show neither: the account's URL
/// would show the secret too, or an older one. `Debug` does so.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UrlChange {
    /// The URL in the account.
    pub live: String,
    /// The URL desired.
    pub desired: String,
    /// Whether the desired URL holds a secret.
    pub secret: bool,
}

/// The custom headers that differ, by name (compared without regard to ASCII
/// case, as in HTTP). Never a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HeaderChanges {
    /// Desired, absent from the account.
    pub added: Vec<String>,
    /// In the account, not desired.
    pub removed: Vec<String>,
    /// In both, with values that differ.
    pub value_differs: Vec<String>,
}

impl HeaderChanges {
    fn between(live: Option<&CustomHeaders>, desired: &CustomHeaders) -> HeaderChanges {
        let mut changes = HeaderChanges::default();
        for (name, value) in desired.iter() {
            match live.and_then(|live| live.get(name)) {
                None => changes.added.push(name.to_owned()),
                Some(live) if live != value => changes.value_differs.push(name.to_owned()),
                Some(_) => {}
            }
        }
        for (name, _) in live.into_iter().flat_map(CustomHeaders::iter) {
            if desired.get(name).is_none() {
                changes.removed.push(name.to_owned());
            }
        }
        changes
    }

    /// Whether no header differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.value_differs.is_empty()
    }
}

/// A webhook to delete, from [`Plan::deletes`].
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Delete {
    /// The id of the webhook in the account.
    pub id: u64,
    /// Its organization.
    pub org_id: u64,
    /// Its event type.
    pub event_type: EventType,
    /// Its URL.
    pub url: String,
}

/// Several webhooks of the account for one organization and event type,
/// from [`Plan::conflicts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Conflict {
    /// Their organization.
    pub org_id: u64,
    /// Their event type.
    pub event_type: EventType,
    /// Their ids, in increasing order.
    pub ids: Vec<u64>,
    /// Whether a webhook is desired for this organization and event type.
    pub desired: bool,
}

impl Plan {
    /// Compares desired webhooks with the webhooks of an account, such as a
    /// [`snapshot`](crate::ListWebhooks::snapshot), by organization and
    /// event type. Exact strings are compared: URLs, header values. Only the
    /// organizations the desired state [manages](DesiredState::manages) are
    /// compared; the account's other webhooks are counted in
    /// [`unmanaged`](Self::unmanaged).
    #[must_use]
    pub fn new(desired: &DesiredState, live: &[WebhookItem]) -> Plan {
        // Keys in order, by organization then event type: each list comes out sorted.
        let mut by_key: BTreeMap<_, (Option<&DesiredWebhook>, Vec<&WebhookItem>)> = BTreeMap::new();
        for want in desired.webhooks() {
            let key = (want.org_id, &want.event_type);
            by_key.entry(key).or_default().0 = Some(want);
        }
        for item in live {
            let key = (item.org_id, &item.event_type);
            by_key.entry(key).or_default().1.push(item);
        }
        let mut plan = Plan::default();
        for ((org_id, event_type), (want, items)) in by_key {
            match (want, items.as_slice()) {
                (_, items) if !desired.manages(org_id) => plan.unmanaged += items.len(),
                (Some(want), []) => plan.creates.push(want.clone()),
                (Some(want), [item]) => plan.updates.extend(update(item, want)),
                (None, [item]) => plan.deletes.push(Delete {
                    id: item.id,
                    org_id,
                    event_type: event_type.clone(),
                    url: item.url.clone(),
                }),
                // Several webhooks of the account (a key never has none).
                (want, items) => {
                    let mut ids: Vec<u64> = items.iter().map(|item| item.id).collect();
                    ids.sort_unstable();
                    plan.conflicts.push(Conflict {
                        org_id,
                        event_type: event_type.clone(),
                        ids,
                        desired: want.is_some(),
                    });
                }
            }
        }
        plan
    }

    /// Whether nothing differs: nothing to create, update or delete, and no conflict.
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty()
            && self.updates.is_empty()
            && self.deletes.is_empty()
            && self.conflicts.is_empty()
    }
}

fn update(item: &WebhookItem, want: &DesiredWebhook) -> Option<Update> {
    let url = (item.url != want.url).then(|| UrlChange {
        live: item.url.clone(),
        desired: want.url.clone(),
        secret: want.url_is_secret,
    });
    let custom_headers = HeaderChanges::between(item.custom_headers.as_ref(), &want.custom_headers);
    (url.is_some() || !custom_headers.is_empty()).then(|| Update {
        id: item.id,
        org_id: item.org_id,
        event_type: item.event_type.clone(),
        url,
        custom_headers,
    })
}

impl fmt::Debug for UrlChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlChange")
            .field("live", &shown_url(&self.live, self.secret))
            .field("desired", &shown_url(&self.desired, self.secret))
            .field("secret", &self.secret)
            .finish()
    }
}

impl fmt::Debug for Delete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delete")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("event_type", &self.event_type)
            .field("url", &mask_url(&self.url))
            .finish()
    }
}
