//! Fixtures shared by the tool's tests: the binary as a child process, the
//! pages of a fake Partoo API, files removed when a test ends.
#![allow(dead_code)] // each test file uses a different part
/// The test key, and the pages of the fake API, as the library's tests have them.
#[path = "../../../tests/common/api.rs"]
pub mod api;
pub mod cli;
#[cfg(unix)]
pub mod pty;
#[cfg(feature = "verify")]
#[path = "../../../tests/common/signing.rs"]
pub mod signing;
pub mod temp;

#[allow(unused_imports)] // each test file uses a different part
pub use api::{assert_no_key_piece, mock_page, page, webhook, KEY, PATH};

use httpmock::{Mock, MockServer};
use serde_json::Value;

/// Where the library's `https.rs`, shared with these tests, finds
/// [`json_response`].
#[allow(unused_imports)] // only the https tests use it
pub mod raw {
    pub use super::json_response;
}

/// A complete HTTP/1.1 JSON response, for the https server of `https.rs`.
pub fn json_response(status: u16, body: &Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Answers any request; tests of errors caught before a request expect 0 calls.
pub fn any_request(server: &MockServer) -> Mock<'_> {
    server.mock(|when, then| {
        when.any_request();
        then.status(500);
    })
}
