//! The API's stand-in: an HTTP/1.1 keep-alive server on loopback, one thread
//! per connection, sending pages rendered before the run.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use partoo_webhooks::WebhookItem;
use serde_json::json;

use crate::listings::PER_PAGE;

pub struct Server {
    pub base_url: String,
    pub pages: u32,
    /// What the listing prints as jsonl: the length of every item's line.
    pub jsonl_bytes: u64,
    /// The first page's body alone, as `curl` prints it.
    pub first_body_bytes: u64,
    connections: Arc<AtomicUsize>,
}

impl Server {
    /// Serves `pages` pages of 100 webhooks with distinct ids, answering each
    /// request after `latency`. Runs until the process exits.
    pub fn start(pages: u32, latency: Duration) -> Server {
        let rendered: Vec<Rendered> = (1..=pages).map(|p| render(p, pages)).collect();
        let jsonl_bytes = rendered.iter().map(|r| r.jsonl_bytes).sum();
        let first_body_bytes = rendered.first().map_or(0, |r| r.body_bytes);
        let responses: Arc<Vec<Vec<u8>>> =
            Arc::new(rendered.into_iter().map(|r| r.response).collect());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base_url = format!("http://{}/v2", listener.local_addr().expect("address"));
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                accepted.fetch_add(1, Ordering::SeqCst);
                let responses = responses.clone();
                thread::spawn(move || serve(stream, &responses, latency));
            }
        });
        Server {
            base_url,
            pages,
            jsonl_bytes,
            first_body_bytes,
            connections,
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

struct Rendered {
    response: Vec<u8>,
    body_bytes: u64,
    jsonl_bytes: u64,
}

/// A whole `200 OK` response for one page, body as `tests/common`'s `page()` renders it.
fn render(page: u32, max_page: u32) -> Rendered {
    let first = u64::from(page - 1) * u64::from(PER_PAGE) + 1;
    let items: Vec<_> = (first..first + u64::from(PER_PAGE))
        .map(|id| {
            json!({
                "id": id,
                "url": format!("https://hooks.example.com/{id}"),
                "event_type": "business_created",
                "created_at": "2024-11-27T16:10:44.929678Z",
                "updated_at": "2024-11-27T16:10:44.929678Z",
                "org_id": 7,
            })
        })
        .collect();
    // Printed through the crate's own type, as both the CLI and the hand-written program print.
    let jsonl_bytes = items
        .iter()
        .map(|item| {
            let item: WebhookItem = serde_json::from_value(item.clone()).expect("a webhook");
            serde_json::to_vec(&item).expect("print webhook").len() as u64 + 1
        })
        .sum();
    let count = u64::from(max_page) * u64::from(PER_PAGE);
    let body = json!({ "page": page, "max_page": max_page, "count": count, "items": items });
    let body = serde_json::to_vec(&body).expect("render page");
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    Rendered {
        response,
        body_bytes: body.len() as u64,
        jsonl_bytes,
    }
}

const NOT_FOUND: &[u8] = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

/// Answers the requests of one keep-alive connection until the client closes it.
fn serve(stream: TcpStream, responses: &[Vec<u8>], latency: Duration) {
    // A response's last segment must not wait for the client's delayed ACK.
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if !matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            return;
        }
        let page = requested_page(&line);
        // A GET has no body: the request ends with its headers.
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line.trim_end().is_empty() => break,
                Ok(_) => {}
            }
        }
        if !latency.is_zero() {
            thread::sleep(latency);
        }
        let response = page
            .and_then(|p| responses.get(p.checked_sub(1)?))
            .map_or(NOT_FOUND, Vec::as_slice);
        if writer.write_all(response).is_err() {
            return;
        }
    }
}

/// The `page` query parameter of a request line, 1 when absent.
fn requested_page(request_line: &str) -> Option<usize> {
    let target = request_line.split(' ').nth(1)?;
    let Some((_, query)) = target.split_once('?') else {
        return Some(1);
    };
    match query.split('&').find_map(|pair| pair.strip_prefix("page=")) {
        Some(page) => page.parse().ok(),
        None => Some(1),
    }
}
