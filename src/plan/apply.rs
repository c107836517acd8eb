//! Making an account hold what a [`DesiredState`] declares: read, plan,
//! write, and read again, until the account holds it or a round limit.

use std::collections::HashMap;

use crate::client::Client;
use crate::error::Error;
use crate::plan::{DesiredState, DesiredWebhook, Plan};
use crate::webhooks::{NewWebhook, WebhookItem, WebhookUpdate};

/// A write that [`Apply`] made, as Partoo answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Write {
    /// A webhook was created.
    Created(WebhookItem),
    /// A webhook's URL or custom headers were set.
    Updated(WebhookItem),
}

/// What [`Apply::run`] did and left.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Every write made, in order. A create whose answer was lost is here
    /// once the next reading found it made.
    pub writes: Vec<Write>,
    /// The plan of the last reading of the account: empty when the account
    /// holds exactly what was declared. What remains is what the API cannot
    /// do (deletes, and organizations with several webhooks for one event
    /// type), or writes left when the rounds ran out.
    pub remaining: Plan,
    /// How many times the account was read.
    pub readings: u32,
}

impl Applied {
    /// Whether the last reading found the account as declared: nothing to
    /// create, update, delete, and no conflict.
    pub fn converged(&self) -> bool {
        self.remaining.is_empty()
    }
}

/// Makes an account hold what a [`DesiredState`] declares, within its scope:
/// creates and updates, never deletes (Partoo documents no delete endpoint:
/// a webhook to delete stays in [`Applied::remaining`], to delete in Partoo's
/// app, Settings > Integrations > Webhooks).
///
/// Each round reads the account as a [`snapshot`](crate::ListWebhooks::snapshot),
/// plans, and writes: one create request per organization for its new
/// webhooks, then one update per webhook that differs. The next round reads
/// the account again, which verifies the writes and finds what they could
/// not do at once: Partoo's create body takes no custom headers, so a
/// created webhook's headers are set by an update in the next round. It ends
/// when a reading finds nothing to create or update, or after
/// [`max_readings`](Self::max_readings) readings.
///
/// A write is never sent twice blindly: when one fails in a way that may
/// have applied it (a timeout, a broken connection, a 5xx), the round ends
/// and the next reading tells what happened. A failure that cannot have
/// applied it (a 4xx) is returned at once.
///
/// ```no_run
/// use partoo_webhooks::plan::Apply;
/// use partoo_webhooks::{DesiredState, DesiredWebhook, EventType};
/// # let client = partoo_webhooks::Client::new("key")?;
/// let leads = DesiredWebhook::new(7, EventType::LeadReceived, "https://crm.example.com/leads");
/// let desired = DesiredState::new(vec![leads])?;
/// let applied = Apply::new(&client, &desired).org_id(7).run(|write| println!("{write:?}"))?;
/// println!("converged: {}", applied.converged());
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing is applied until run() is called"]
pub struct Apply<'a> {
    client: &'a Client,
    desired: &'a DesiredState,
    org_id: Option<u64>,
    max_readings: u32,
    max_items: u64,
    reading: Option<Vec<WebhookItem>>,
}

impl<'a> Apply<'a> {
    /// Applies `desired` with `client`.
    pub fn new(client: &'a Client, desired: &'a DesiredState) -> Self {
        Apply {
            client,
            desired,
            org_id: None,
            max_readings: 4,
            max_items: 100_000,
            reading: None,
        }
    }

    /// Reads (and writes) only this organization, as `diff --org-id` does:
    /// the desired state may then declare webhooks of it alone.
    ///
    /// Defaults to none: every webhook the key can see is read.
    pub fn org_id(mut self, org_id: u64) -> Self {
        self.org_id = Some(org_id);
        self
    }

    /// The most readings of the account (0 counts as 1). Three suffice for a
    /// fresh account with custom headers (create, set the headers, verify); a
    /// fourth leaves room for one write whose answer was lost.
    ///
    /// Defaults to 4.
    pub fn max_readings(mut self, readings: u32) -> Self {
        self.max_readings = readings;
        self
    }

    /// The most webhooks a reading holds (see
    /// [`ListWebhooks::max_items`](crate::ListWebhooks::max_items)).
    ///
    /// Defaults to 100,000.
    pub fn max_items(mut self, items: u64) -> Self {
        self.max_items = items;
        self
    }

    /// Starts from this reading of the account (a snapshot of the same
    /// scope, such as the one whose plan a person confirmed) instead of
    /// reading it first, so that what is written is the plan that was shown.
    /// It counts as the first reading.
    ///
    /// Defaults to none: the account is read first.
    pub fn from_reading(mut self, live: Vec<WebhookItem>) -> Self {
        self.reading = Some(live);
        self
    }

    /// Runs it, calling `on_write` after each write Partoo accepted.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] before any request when
    /// [`org_id`](Self::org_id) is set and the desired state declares a
    /// webhook of another organization: the reading would not show it, and
    /// every round would create it again. Then the first error of a reading,
    /// or of a write that cannot have been applied; the writes made before it
    /// were reported to `on_write`.
    pub fn run(mut self, mut on_write: impl FnMut(&Write)) -> Result<Applied, Error> {
        let declared = self.desired.webhooks();
        let outside = |w: &&DesiredWebhook| self.org_id.is_some_and(|o| o != w.org_id);
        if let Some(DesiredWebhook { org_id, .. }) = declared.iter().find(outside) {
            let reason = format!("the desired state declares webhooks of organization {org_id}");
            return Err(Error::InvalidSetting {
                name: "org_id",
                reason,
            });
        }
        let wanted: HashMap<_, _> = (declared.iter())
            .map(|w| ((w.org_id, &w.event_type), w))
            .collect();
        let (mut writes, mut readings) = (Vec::new(), 0);
        let mut record = |write: Write| {
            on_write(&write);
            writes.push(write);
        };
        // Creates whose answer was lost: the next reading tells whether they were made.
        let mut unsure: Vec<DesiredWebhook> = Vec::new();
        loop {
            let mut listing = self.client.list_webhooks().max_items(self.max_items);
            if let Some(org_id) = self.org_id {
                listing = listing.org_id(org_id);
            }
            let live = self.reading.take().map_or_else(|| listing.snapshot(), Ok)?;
            for item in &live {
                if unsure
                    .iter()
                    .any(|u| (u.org_id, &u.event_type) == (item.org_id, &item.event_type))
                {
                    record(Write::Created(item.clone()));
                }
            }
            let plan = Plan::new(self.desired, &live);
            readings += 1;
            if (plan.creates.is_empty() && plan.updates.is_empty()) || readings >= self.max_readings
            {
                return Ok(Applied {
                    writes,
                    remaining: plan,
                    readings,
                });
            }
            unsure.clear();
            let mut send = || -> Result<(), Error> {
                // The creates are sorted by organization: one request for each.
                for creates in plan.creates.chunk_by(|a, b| a.org_id == b.org_id) {
                    let new = creates
                        .iter()
                        .map(|c| NewWebhook::new(c.event_type.clone(), &c.url));
                    let request = self.client.create_webhooks(new.collect());
                    let made = request.org_id(creates[0].org_id).send();
                    for item in made.inspect_err(|_| unsure = creates.to_vec())? {
                        record(Write::Created(item));
                    }
                }
                // Every update is of a desired webhook, by its key.
                for update in &plan.updates {
                    let want = wanted[&(update.org_id, &update.event_type)];
                    let change =
                        WebhookUpdate::new(&want.url).custom_headers(want.custom_headers.clone());
                    let request = self.client.update_webhook(update.id, change);
                    record(Write::Updated(request.org_id(update.org_id).send()?));
                }
                Ok(())
            };
            match send() {
                Err(error) if !error.is_retryable() => return Err(error),
                // May have been applied: the next reading tells.
                Err(error) => log::warn!("apply: {error}; reading the account again"),
                Ok(()) => {}
            }
        }
    }
}
