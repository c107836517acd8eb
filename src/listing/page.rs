//! One page of a Partoo list endpoint, and how it is decoded: any endpoint's
//! array key, unknown fields ignored, without buffering the document.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// One page of a Partoo list endpoint.
///
/// `#[non_exhaustive]`, so that a later version can add what the server
/// sends beside the items: read its fields, and make one with
/// [`Page::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page number, starting at 1.
    pub page: u32,
    /// The last page number, as the server sees it now.
    pub max_page: u32,
    /// How many resources match the request, across all pages.
    pub count: u64,
    /// The resources of this page.
    pub items: Vec<T>,
}

impl<T> Page<T> {
    /// A page, for tests and mocks: the way to make one outside this crate,
    /// and the same page as one decoded from the server's answer with these
    /// fields. Fields a later version adds get their default.
    ///
    /// ```
    /// use partoo_webhooks::Page;
    ///
    /// let page = Page::new(2, 3, 250, vec!["a webhook"]);
    /// assert_eq!((page.page, page.max_page, page.count, page.items.len()), (2, 3, 250, 1));
    /// ```
    #[must_use]
    pub fn new(page: u32, max_page: u32, count: u64, items: Vec<T>) -> Self {
        Page {
            page,
            max_page,
            count,
            items,
        }
    }
}

/// Decodes a page whose array sits under `items_key`, ignoring unknown fields.
///
/// A seed rather than a derive, so one `Page<T>` serves every endpoint without
/// buffering the document (as `#[serde(flatten)]` would).
pub(crate) struct PageSeed<T> {
    items_key: &'static str,
    /// The items expected, reserved at once rather than grown to by doubling.
    capacity: usize,
    item: PhantomData<T>,
}

impl<T> PageSeed<T> {
    /// A seed expecting up to `capacity` items (`per_page`, at most 100 on
    /// Partoo: a server sending more only makes the vector grow).
    pub(crate) fn new(items_key: &'static str, capacity: u32) -> Self {
        PageSeed {
            items_key,
            capacity: usize::try_from(capacity).unwrap_or(0).min(MAX_RESERVED),
            item: PhantomData,
        }
    }
}

/// The most items reserved ahead, whatever `per_page` says.
const MAX_RESERVED: usize = 1000;

/// The items array, into a vector with room made ahead.
struct ItemsSeed<T> {
    capacity: usize,
    item: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for ItemsSeed<T> {
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ItemsSeed<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(self.capacity);
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(items)
    }
}

enum Field {
    Page,
    MaxPage,
    Count,
    Items,
    Other,
}

struct FieldSeed(&'static str);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
        Ok(match key {
            "page" => Field::Page,
            "max_page" => Field::MaxPage,
            "count" => Field::Count,
            _ if key == self.0 => Field::Items,
            _ => Field::Other,
        })
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for PageSeed<T> {
    type Value = Page<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Page<T>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for PageSeed<T> {
    type Value = Page<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a page object with page, max_page, count and {}",
            self.items_key
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
        fn set<'de, A: MapAccess<'de>, V: Deserialize<'de>>(
            slot: &mut Option<V>,
            name: &'static str,
            map: &mut A,
        ) -> Result<(), A::Error> {
            if slot.is_some() {
                return Err(de::Error::duplicate_field(name));
            }
            *slot = Some(map.next_value()?);
            Ok(())
        }
        let (mut page, mut max_page, mut count, mut items) = (None, None, None, None);
        while let Some(field) = map.next_key_seed(FieldSeed(self.items_key))? {
            match field {
                Field::Page => set(&mut page, "page", &mut map)?,
                Field::MaxPage => set(&mut max_page, "max_page", &mut map)?,
                Field::Count => set(&mut count, "count", &mut map)?,
                Field::Items if items.is_some() => {
                    return Err(de::Error::duplicate_field(self.items_key))
                }
                Field::Items => {
                    items = Some(map.next_value_seed(ItemsSeed {
                        capacity: self.capacity,
                        item: PhantomData,
                    })?)
                }
                Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(Page {
            page: page.ok_or_else(|| de::Error::missing_field("page"))?,
            max_page: max_page.ok_or_else(|| de::Error::missing_field("max_page"))?,
            count: count.ok_or_else(|| de::Error::missing_field("count"))?,
            items: items.ok_or_else(|| de::Error::missing_field(self.items_key))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str, key: &'static str) -> Result<Page<u32>, serde_json::Error> {
        PageSeed::new(key, 2).deserialize(&mut serde_json::Deserializer::from_str(json))
    }

    #[test]
    fn decodes_any_items_key_and_ignores_unknown_fields() {
        let json = r#"{"extra":{"a":[1]},"businesses":[1,2],"page":2,"max_page":3,"count":5}"#;
        assert_eq!(
            decode(json, "businesses").unwrap(),
            Page::new(2, 3, 5, vec![1, 2])
        );
    }

    #[test]
    fn missing_or_repeated_fields_are_errors() {
        let missing = decode(r#"{"page":1,"count":0,"items":[]}"#, "items").unwrap_err();
        assert!(missing.to_string().contains("max_page"), "{missing}");
        let repeated = decode(r#"{"page":1,"page":1}"#, "items").unwrap_err();
        assert!(
            repeated.to_string().contains("duplicate field `page`"),
            "{repeated}"
        );
        let other_key = decode(r#"{"page":1,"max_page":1,"count":0,"items":[]}"#, "reviews");
        assert!(other_key.unwrap_err().to_string().contains("reviews"));
    }
}
