//! The webhooks an account should hold, as a deployment declares them, and
//! the checks they pass before anything is compared.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};

use crate::text::{escape, mask_url};
use crate::webhooks::{is_https, CustomHeaderError, CustomHeaders, EventType};

/// A webhook as it should be. Partoo allows one webhook per organization and
/// event type, so `(org_id, event_type)` names it.
///
/// Deserializes from the API's field names, `custom_headers` optional (absent
/// or `null` means none); an unknown field or a header name given twice is an
/// error. Its `Debug` shows the names of the custom headers, never their
/// values, and the URL with its query values shown as `***`, or not at all
/// when it [is secret](Self::url_is_secret).
///
/// ```
/// use partoo_webhooks::{DesiredWebhook, EventType};
///
/// let mut webhook = DesiredWebhook::new(7, EventType::LeadReceived, "https://hooks.example.com/leads");
/// webhook.custom_headers.insert("X-Auth-Token", "t0ken-4f1d");
/// assert!(!format!("{webhook:?}").contains("t0ken"));
///
/// let read: DesiredWebhook = serde_json::from_str(
///     r#"{"org_id": 7, "event_type": "lead_received", "url": "https://hooks.example.com/leads",
///         "custom_headers": {"X-Auth-Token": "t0ken-4f1d"}}"#,
/// ).unwrap();
/// assert_eq!(read, webhook);
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DesiredWebhook {
    /// The organization it belongs to.
    pub org_id: u64,
    /// The event that triggers it.
    pub event_type: EventType,
    /// The HTTPS URL that should receive the events.
    pub url: String,
    /// The headers Partoo should add to each call; empty for none.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub custom_headers: CustomHeaders,
    /// Whether the URL holds a secret, such as one read from the environment
    /// (`partoo-webhooks diff` sets it for a `url` that uses `${NAME}`): a
    /// [`Plan`](crate::Plan) then shows neither it nor the account's URL it is
    /// compared with, only whether they differ. Never read from a file;
    /// `false` unless set.
    #[serde(skip_deserializing)]
    pub url_is_secret: bool,
}

impl DesiredWebhook {
    /// A desired webhook without custom headers.
    #[must_use]
    pub fn new(org_id: u64, event_type: EventType, url: impl Into<String>) -> Self {
        DesiredWebhook {
            org_id,
            event_type,
            url: url.into(),
            custom_headers: CustomHeaders::new(),
            url_is_secret: false,
        }
    }
}

impl fmt::Debug for DesiredWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesiredWebhook")
            .field("org_id", &self.org_id)
            .field("event_type", &self.event_type)
            .field("url", &shown_url(&self.url, self.url_is_secret))
            .field("custom_headers", &self.custom_headers)
            .field("url_is_secret", &self.url_is_secret)
            .finish()
    }
}

/// `custom_headers: null` reads as none, as an absent field does.
fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<CustomHeaders, D::Error> {
    Ok(Option::deserialize(deserializer)?.unwrap_or_default())
}

/// A URL as `Debug` shows it: query values masked, or not at all when secret.
pub(crate) fn shown_url(url: &str, secret: bool) -> String {
    match secret {
        true => "[secret]".into(),
        false => mask_url(url),
    }
}

/// Desired webhooks that passed every check: valid for the API, and one per
/// organization and event type. What a [`Plan`](crate::Plan) compares with
/// the account.
///
/// # The organizations it manages
///
/// A desired state speaks only for the organizations it
/// [manages](Self::organizations): those of its entries, and those given to
/// [`managing`](Self::managing). A webhook of the account in a managed
/// organization that no entry names is to delete; one in any other
/// organization is not looked at (the plan counts it as
/// [`unmanaged`](crate::Plan::unmanaged)), as `terraform plan` looks only at
/// what is declared. An organization whose last entry is removed from a file
/// would fall out of the comparison, its webhooks left in place: name it with
/// `managing` to have them deleted.
///
/// ```
/// use partoo_webhooks::plan::DesiredErrorKind;
/// use partoo_webhooks::{DesiredError, DesiredState, DesiredWebhook, EventType};
///
/// let hook = DesiredWebhook::new(7, EventType::LeadReceived, "https://hooks.example.com/leads");
/// let state = DesiredState::new(vec![hook.clone()]).unwrap();
/// assert_eq!(state.webhooks(), &[hook.clone()]);
///
/// let twice = DesiredState::new(vec![hook.clone(), hook.clone()]);
/// assert!(matches!(
///     twice,
///     Err(DesiredError { position: 2, kind: DesiredErrorKind::Duplicate { first: 1 }, .. })
/// ));
///
/// let state = DesiredState::new(vec![hook])?.managing([8]);
/// assert!(state.manages(7) && state.manages(8) && !state.manages(9));
/// # Ok::<_, DesiredError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredState {
    webhooks: Vec<DesiredWebhook>,
    organizations: BTreeSet<u64>,
}

impl DesiredState {
    /// Checks the webhooks, in order, and keeps them. Linear in their
    /// number: no pair of entries is compared.
    ///
    /// # Errors
    /// The first [`DesiredError`]: a URL that is not HTTPS, custom headers
    /// that break a rule of the API ([`CustomHeaders::validate`]), or a second
    /// entry for one organization and event type.
    pub fn new(webhooks: Vec<DesiredWebhook>) -> Result<DesiredState, DesiredError> {
        let mut positions = HashMap::with_capacity(webhooks.len());
        for (i, webhook) in webhooks.iter().enumerate() {
            let error = |kind| DesiredError {
                position: i + 1,
                org_id: webhook.org_id,
                event_type: webhook.event_type.clone(),
                kind,
            };
            if !is_https(&webhook.url) {
                return Err(error(DesiredErrorKind::NotHttps));
            }
            if let Err(source) = webhook.custom_headers.validate() {
                return Err(error(DesiredErrorKind::CustomHeaders(source)));
            }
            if let Some(first) = positions.insert((webhook.org_id, &webhook.event_type), i + 1) {
                return Err(error(DesiredErrorKind::Duplicate { first }));
            }
        }
        let organizations = webhooks.iter().map(|webhook| webhook.org_id).collect();
        Ok(DesiredState {
            webhooks,
            organizations,
        })
    }

    /// Also manages these organizations, whether or not an entry names them:
    /// their webhooks that no entry names are to delete.
    #[must_use]
    pub fn managing(mut self, organizations: impl IntoIterator<Item = u64>) -> Self {
        self.organizations.extend(organizations);
        self
    }

    /// The organizations it manages: its entries', and those given to
    /// [`managing`](Self::managing), in increasing order.
    pub fn organizations(&self) -> &BTreeSet<u64> {
        &self.organizations
    }

    /// Whether it manages the organization.
    pub fn manages(&self, org_id: u64) -> bool {
        self.organizations.contains(&org_id)
    }

    /// The webhooks, in the order given.
    pub fn webhooks(&self) -> &[DesiredWebhook] {
        &self.webhooks
    }
}

/// Why desired webhooks cannot be compared: which entry, by its position in
/// the list (counting from 1) and its organization and event type, and what
/// is wrong with it. Holds no URL or header value, which may be secrets.
///
/// ```
/// use partoo_webhooks::plan::DesiredErrorKind;
/// use partoo_webhooks::{DesiredError, DesiredState, DesiredWebhook, EventType};
///
/// let plain = DesiredWebhook::new(7, EventType::LeadReceived, "http://hooks.example.com/leads");
/// let error = DesiredState::new(vec![plain]).unwrap_err();
/// assert!(matches!(error, DesiredError { position: 1, org_id: 7, kind: DesiredErrorKind::NotHttps, .. }));
/// assert_eq!(error.to_string(), "entry 1 (org 7, lead_received): the url must start with https://");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DesiredError {
    /// The entry's position, from 1. For a
    /// [`Duplicate`](DesiredErrorKind::Duplicate), the second entry's.
    pub position: usize,
    /// Its organization.
    pub org_id: u64,
    /// Its event type.
    pub event_type: EventType,
    /// What is wrong with it.
    pub kind: DesiredErrorKind,
}

/// What is wrong with a desired webhook, from [`DesiredError::kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DesiredErrorKind {
    /// The URL does not start with `https://`.
    NotHttps,
    /// The custom headers break a rule of the API, which is the error's
    /// [`source`](std::error::Error::source): the rule, and which header.
    CustomHeaders(CustomHeaderError),
    /// An earlier entry is for the same organization and event type, where
    /// Partoo allows one webhook.
    Duplicate {
        /// The position of the earlier entry, from 1.
        first: usize,
    },
}

/// Describes this error alone; the rule a header breaks is the `source()`.
/// An event type unknown to this crate is shown escaped, as error messages
/// show server text.
impl fmt::Display for DesiredError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (position, org_id) = (self.position, self.org_id);
        let event_type = escape(self.event_type.as_str());
        let entry = format!("entry {position} (org {org_id}, {event_type})");
        match self.kind {
            DesiredErrorKind::NotHttps => write!(f, "{entry}: the url must start with https://"),
            DesiredErrorKind::CustomHeaders(_) => {
                write!(f, "{entry}: its custom headers break a rule of the API")
            }
            DesiredErrorKind::Duplicate { first } => write!(
                f,
                "entries {first} and {position} are both for org {org_id} and {event_type}; \
                 Partoo allows one webhook per organization and event type"
            ),
        }
    }
}

impl std::error::Error for DesiredError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DesiredErrorKind::CustomHeaders(source) => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_means_the_scheme_and_something_after_it() {
        for url in ["https://h", "HTTPS://h/x", "Https://h"] {
            assert!(is_https(url), "{url}");
        }
        for url in [
            "http://h",
            "https://",
            "https:/h",
            "ftp://h",
            "",
            "https:/éé",
        ] {
            assert!(!is_https(url), "{url}");
        }
    }
}
