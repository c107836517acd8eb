//! The pagination settings of a Partoo list endpoint, and the requests they
//! make.
//!
//! Nothing here knows about webhooks: an endpoint is a path, the JSON key of
//! its array (`items`, `businesses`, ...), its largest `per_page`, and filters.

use std::fmt::Write as _;

use crate::Error;

/// What to ask a list endpoint for.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    path: &'static str,
    items_key: &'static str,
    max_per_page: u32,
    filters: Vec<(&'static str, String)>,
    /// The page `send` asks for, and the first page of an iteration.
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// The most items an iteration yields.
    pub limit: Option<u64>,
    /// How many pages an iteration requests ahead; 0 is strictly sequential.
    pub prefetch: usize,
}

/// One request, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct PageRequest {
    pub url: String,
    /// The page asked for, as errors name it (the server's default is 1).
    pub page: u32,
    pub items_key: &'static str,
    /// The `per_page` asked for: room for that many items is made at once.
    pub per_page: u32,
}

impl Listing {
    pub(crate) fn new(path: &'static str, items_key: &'static str, max_per_page: u32) -> Self {
        Listing {
            path,
            items_key,
            max_per_page,
            filters: Vec::new(),
            page: None,
            per_page: None,
            limit: None,
            prefetch: 0,
        }
    }

    /// Sets a query filter such as `org_id`, replacing an earlier value.
    pub(crate) fn filter(&mut self, name: &'static str, value: impl ToString) {
        self.filters.retain(|(n, _)| *n != name);
        self.filters.push((name, value.to_string()));
    }

    /// The `per_page` sent with every request: the user's, or the largest
    /// (fewest requests). Never the server's default, so that page `n` holds
    /// the same items whether it is fetched alone or while iterating.
    pub(crate) fn per_page(&self) -> u32 {
        self.per_page.unwrap_or(self.max_per_page)
    }

    /// Refuses what the server would reject or misread, before anything is sent.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(0) = self.page {
            return Err(Error::InvalidParameter {
                name: "page",
                value: 0,
                expected: "1 or more".to_owned(),
            });
        }
        match self.per_page {
            Some(n) if n == 0 || n > self.max_per_page => Err(Error::InvalidParameter {
                name: "per_page",
                value: n.into(),
                expected: format!("between 1 and {}", self.max_per_page),
            }),
            _ => Ok(()),
        }
    }

    /// The request for `page` (the server's default, 1, when `None`).
    pub(crate) fn request(&self, base_url: &str, page: impl Into<Option<u32>>) -> PageRequest {
        let page = page.into();
        let mut url = format!("{base_url}{}", self.path);
        let numbers = [("page", page), ("per_page", Some(self.per_page()))]
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?.to_string())));
        for (i, (name, value)) in self.filters.iter().cloned().chain(numbers).enumerate() {
            let separator = if i == 0 { '?' } else { '&' };
            // Writing to a String cannot fail.
            let _ = write!(url, "{separator}{name}={value}");
        }
        PageRequest {
            url,
            page: page.unwrap_or(1),
            items_key: self.items_key,
            per_page: self.per_page(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_query_from_filters_and_what_was_set() {
        let mut listing = Listing::new("/webhooks", "items", 100);
        assert_eq!(
            listing.request("http://h/v2", None).url,
            "http://h/v2/webhooks?per_page=100"
        );
        listing.filter("org_id", 7);
        listing.filter("org_id", 8);
        listing.per_page = Some(50);
        let request = listing.request("http://h/v2", 3);
        assert_eq!(
            request.url,
            "http://h/v2/webhooks?org_id=8&page=3&per_page=50"
        );
        assert_eq!(request.page, 3);
    }

    #[test]
    fn refuses_out_of_range_parameters() {
        let mut listing = Listing::new("/webhooks", "items", 100);
        for (page, per_page, ok) in [
            (Some(1), Some(1), true),
            (None, Some(100), true),
            (Some(0), None, false),
            (None, Some(0), false),
            (None, Some(101), false),
        ] {
            listing.page = page;
            listing.per_page = per_page;
            assert_eq!(listing.validate().is_ok(), ok, "{page:?} {per_page:?}");
        }
    }
}
