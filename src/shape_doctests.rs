//! What the public API's shapes rule out, so that they can grow without a
//! breaking change: each block fails to compile, and its twin with `..` or
//! the constructor compiles (the docs of the items show those).

/// A `Page` is made with `Page::new`, never a struct literal:
///
/// ```compile_fail
/// let page = partoo_webhooks::Page { page: 1, max_page: 1, count: 0, items: Vec::<u8>::new() };
/// ```
///
/// ```
/// let page = partoo_webhooks::Page::new(1, 1, 0, Vec::<u8>::new());
/// let partoo_webhooks::Page { page: 1, count: 0, .. } = page else { unreachable!() };
/// ```
pub struct PageIsNonExhaustive;

/// A variant of `Error` is matched with `..`, so that it can gain a field:
///
/// ```compile_fail
/// fn status(error: &partoo_webhooks::Error) -> Option<u16> {
///     match error {
///         partoo_webhooks::Error::Status { page: _, status, message: _ } => Some(*status),
///         _ => None,
///     }
/// }
/// ```
///
/// ```
/// fn status(error: &partoo_webhooks::Error) -> Option<u16> {
///     match error {
///         partoo_webhooks::Error::Status { status, .. } => Some(*status),
///         _ => None,
///     }
/// }
/// ```
pub struct ErrorVariantsAreNonExhaustive;

/// Nor can a user build a variant of `Error`:
///
/// ```compile_fail
/// let error = partoo_webhooks::Error::NoConsistentSnapshot { passes: 3 };
/// ```
pub struct ErrorVariantsAreBuiltByTheCrate;

/// The iterators have one type parameter, the item:
///
/// ```compile_fail
/// fn listing(pages: partoo_webhooks::Pages<partoo_webhooks::WebhookItem, u64>) {}
/// ```
///
/// ```
/// fn listing(
///     pages: partoo_webhooks::Pages<partoo_webhooks::WebhookItem>,
///     items: partoo_webhooks::Items<partoo_webhooks::WebhookItem>,
/// ) {
/// }
/// ```
pub struct IteratorsHaveOneTypeParameter;
