//! One webhook by id, and the writes: create, update, try out. Each is one
//! request, whose values are checked before anything is sent.

use std::fmt;

use serde::{Deserialize, Serialize};
use ureq::http::Method;

use crate::client::Client;
use crate::error::Error;
use crate::text::mask_url;
use crate::webhooks::{is_https, CustomHeaders, EventType, WebhookItem};

/// A webhook to create, or to send a test delivery for: an event type and
/// the HTTPS URL that receives it. `Debug` masks the URL's query values.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NewWebhook {
    /// The event that triggers the webhook.
    pub event_type: EventType,
    /// The HTTPS URL that receives the events.
    pub url: String,
}

impl NewWebhook {
    /// A new webhook of `event_type` delivered to `url`.
    #[must_use]
    pub fn new(event_type: EventType, url: impl Into<String>) -> Self {
        NewWebhook {
            event_type,
            url: url.into(),
        }
    }
}

impl fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWebhook")
            .field("event_type", &self.event_type)
            .field("url", &mask_url(&self.url))
            .finish()
    }
}

/// What an update of one webhook sets: its URL and, if given, its custom
/// headers (all of them: the ones not given are removed). `Debug` masks the
/// URL's query values and shows no header value.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WebhookUpdate {
    /// The HTTPS URL that receives the events.
    pub url: String,
    /// The custom headers Partoo sends with each delivery; not sent when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_headers: Option<CustomHeaders>,
}

impl WebhookUpdate {
    /// An update that sets the URL.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        WebhookUpdate {
            url: url.into(),
            custom_headers: None,
        }
    }

    /// Sets the custom headers too.
    ///
    /// Defaults to none: the field is not sent.
    #[must_use]
    pub fn custom_headers(mut self, headers: CustomHeaders) -> Self {
        self.custom_headers = Some(headers);
        self
    }
}

impl fmt::Debug for WebhookUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookUpdate")
            .field("url", &mask_url(&self.url))
            .field("custom_headers", &self.custom_headers)
            .finish()
    }
}

/// The `{"items": [...]}` of Partoo's create and try-out bodies and answers.
#[derive(Serialize, Deserialize)]
struct Items<T> {
    items: T,
}

/// How a request is sent and its answer read.
type Call<T> = fn(&Client, Method, &str, Option<&[u8]>) -> Result<T, Error>;

/// The JSON body (none for a `GET`), or why the values given cannot be sent.
type Body = Result<Option<Vec<u8>>, Error>;

/// One request about webhooks, from [`Client::get_webhook`],
/// [`Client::create_webhooks`], [`Client::update_webhook`] or
/// [`Client::tryout`]: set [`org_id`](Self::org_id) if needed, then
/// [`send`](Self::send). Nothing is sent before `send`.
#[must_use = "a request does nothing until it is sent"]
pub struct WebhookRequest<T> {
    client: Client,
    method: Method,
    path: String,
    body: Body,
    org_id: Option<u64>,
    call: Call<T>,
}

impl<T> fmt::Debug for WebhookRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("org_id", &self.org_id)
            .finish_non_exhaustive()
    }
}

impl<T> WebhookRequest<T> {
    fn new(client: &Client, method: Method, path: String, body: Body, call: Call<T>) -> Self {
        WebhookRequest {
            client: client.clone(),
            method,
            path,
            body,
            org_id: None,
            call,
        }
    }

    /// The organization, needed only with a `PROVIDER` user's key.
    ///
    /// Defaults to none: the parameter is not sent.
    pub fn org_id(mut self, org_id: u64) -> Self {
        self.org_id = Some(org_id);
        self
    }

    /// Sends the request. A `GET` is retried as configured; a write only
    /// when it cannot have been applied (a 429, a refused connection): after
    /// any other failure it may have been, and reading the account tells.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] for a value Partoo would refuse (a URL that
    /// is not HTTPS, a custom header against Partoo's rules), before anything
    /// is sent; then any error of the request.
    pub fn send(self) -> Result<T, Error> {
        let body = self.body?;
        let target = match self.org_id {
            Some(org_id) => format!("{}?org_id={org_id}", self.path),
            None => self.path,
        };
        (self.call)(&self.client, self.method, &target, body.as_deref())
    }
}

impl Client {
    /// `GET /webhooks/{id}`: one webhook configuration.
    ///
    /// ```no_run
    /// # let client = partoo_webhooks::Client::new("key")?;
    /// let hook = client.get_webhook(42).org_id(7).send()?;
    /// println!("{} {}", hook.event_type, hook.org_id);
    /// # Ok::<_, partoo_webhooks::Error>(())
    /// ```
    pub fn get_webhook(&self, id: u64) -> WebhookRequest<WebhookItem> {
        let path = format!("/webhooks/{id}");
        WebhookRequest::new(self, Method::GET, path, Ok(None), Client::call)
    }

    /// `POST /webhooks`: creates webhooks (of one organization: set
    /// [`org_id`](WebhookRequest::org_id) with a `PROVIDER` key) and returns
    /// them as created. Partoo allows one webhook per organization and event
    /// type: it refuses a second one. Its create body holds the URL and the
    /// event type only: set custom headers with an update.
    ///
    /// ```no_run
    /// use partoo_webhooks::{EventType, NewWebhook};
    /// # let client = partoo_webhooks::Client::new("key")?;
    /// let leads = NewWebhook::new(EventType::LeadReceived, "https://crm.example.com/leads");
    /// let made = client.create_webhooks(vec![leads]).org_id(7).send()?;
    /// println!("created webhook {}", made[0].id);
    /// # Ok::<_, partoo_webhooks::Error>(())
    /// ```
    pub fn create_webhooks(&self, webhooks: Vec<NewWebhook>) -> WebhookRequest<Vec<WebhookItem>> {
        let body = webhooks.iter().try_for_each(|w| check(&w.url, None));
        let body = body.map(|()| json(&Items { items: &webhooks }));
        let call: Call<_> = |client, m, t, b| Ok(client.call::<Items<_>>(m, t, b)?.items);
        WebhookRequest::new(self, Method::POST, "/webhooks".into(), body, call)
    }

    /// `PUT /webhooks/{id}`: sets a webhook's URL and, if given, its custom
    /// headers, and returns it as updated.
    ///
    /// Partoo's reference page does not show the method of this update; its
    /// newer resources (`/groups/{id}`, `/custom_fields/{id}`, ...) all update
    /// with `PUT`, so this does. Should Partoo refuse it (405, or 404 for the
    /// route), the [`Error::Status`] says so and what to do.
    ///
    /// ```no_run
    /// use partoo_webhooks::{CustomHeaders, WebhookUpdate};
    /// # let client = partoo_webhooks::Client::new("key")?;
    /// let headers: CustomHeaders = [("X-Auth-Token", "s3cret")].into_iter().collect();
    /// let update = WebhookUpdate::new("https://crm.example.com/v2/leads").custom_headers(headers);
    /// let changed = client.update_webhook(42, update).org_id(7).send()?;
    /// # Ok::<_, partoo_webhooks::Error>(())
    /// ```
    pub fn update_webhook(&self, id: u64, update: WebhookUpdate) -> WebhookRequest<WebhookItem> {
        let body = check(&update.url, update.custom_headers.as_ref()).map(|()| json(&update));
        let call: Call<_> = |client, m, t, b| client.call(m, t, b).map_err(refused_update);
        WebhookRequest::new(self, Method::PUT, format!("/webhooks/{id}"), body, call)
    }

    /// `POST /webhooks/tryout`: Partoo sends a test delivery of `webhook`'s
    /// event type to its URL, with an `X-Partoo-Webhook-Tryout` header. Returns
    /// Partoo's answer as JSON text, whose shape it does not document.
    pub fn tryout(&self, webhook: NewWebhook) -> WebhookRequest<String> {
        let body = check(&webhook.url, None).map(|()| json(&Items { items: [&webhook] }));
        let call: Call<_> =
            |client, m, t, b| Ok(client.call::<serde_json::Value>(m, t, b)?.to_string());
        WebhookRequest::new(self, Method::POST, "/webhooks/tryout".into(), body, call)
    }
}

/// Checks a URL and custom headers against Partoo's rules, before anything
/// is sent: the error names the field, never a value.
fn check(url: &str, headers: Option<&CustomHeaders>) -> Result<(), Error> {
    let invalid = |name, reason| Err(Error::InvalidSetting { name, reason });
    if !is_https(url) {
        return invalid("url", "Partoo calls https:// URLs only".into());
    }
    match headers.map(CustomHeaders::validate) {
        Some(Err(error)) => invalid("custom_headers", error.to_string()),
        _ => Ok(()),
    }
}

/// The JSON of a body; serializing these types cannot fail.
fn json(value: &impl Serialize) -> Option<Vec<u8>> {
    serde_json::to_vec(value).ok()
}

/// A refused update, with what it means and what to do.
fn refused_update(mut error: Error) -> Error {
    if let Error::Status {
        status: 404 | 405,
        message,
        ..
    } = &mut error
    {
        message.push_str(
            " (PUT /webhooks/{id}, the update this crate sends, was refused: \
             either no such webhook, or Partoo updates webhooks another way; change it \
             in Partoo's app, Settings > Integrations > Webhooks)",
        );
    }
    error
}
