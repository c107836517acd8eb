//! The fake API's pages and the test key, shared by the library's tests and
//! the tool's (`cli/tests/common/mod.rs` includes this file).

use httpmock::prelude::*;
use httpmock::Mock;
use serde_json::{json, Value};

/// The API key of every test client; tests check it never leaks.
pub const KEY: &str = "test-key-5ec8e7-do-not-leak";

/// Asserts that `text` holds no piece of the test key of 6 characters or
/// more: a key cut short still leaks most of itself.
#[track_caller]
pub fn assert_no_key_piece(text: &str) {
    for piece in KEY.as_bytes().windows(6) {
        let piece = std::str::from_utf8(piece).expect("an ASCII key");
        assert!(
            !text.contains(piece),
            "a piece of the API key ({piece:?}) leaked into {text:?}"
        );
    }
}

/// The path of the list endpoint under the mock's `/v2` base.
pub const PATH: &str = "/v2/webhooks";

/// A webhook configuration as the API renders it.
pub fn webhook(id: u64) -> Value {
    json!({
        "id": id,
        "url": format!("https://hooks.example.com/{id}"),
        "event_type": "business_created",
        "created_at": "2024-11-27T16:10:44.929678Z",
        "updated_at": "2024-11-27T16:10:44.929678Z",
        "org_id": 7,
    })
}

/// A page body holding the webhooks with these ids.
pub fn page(page: u32, max_page: u32, count: u64, ids: impl IntoIterator<Item = u64>) -> Value {
    let items: Vec<Value> = ids.into_iter().map(webhook).collect();
    json!({ "page": page, "max_page": max_page, "count": count, "items": items })
}

/// Serves `body` for `GET /v2/webhooks?page=<page>` carrying the test key.
pub fn mock_page<'a>(server: &'a MockServer, page: u32, body: Value) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .query_param("page", page.to_string())
            .header("x-apikey", KEY);
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    })
}
