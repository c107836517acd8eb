//! Proxies from the environment. A loopback API is never reached through one:
//! the key would reach it in clear text over plain http, and it may sit on
//! another machine. A remote API is reached through it by a tunnel
//! (`CONNECT`): the proxy relays TLS, never sees the key, and the server's
//! certificate is still checked end to end.
//!
//! Alone in its own test binary because it sets process-wide environment
//! variables, which other tests running in parallel threads would read; its
//! tests set them and build their clients one at a time ([`ENV`]).

mod common;
#[path = "common/https.rs"]
mod https;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use common::raw::RawServer;
use common::{client, mock_page, page, KEY};
use httpmock::prelude::*;
use https::{HttpsServer, Pki, REMOTE_NAME};
use partoo_webhooks::{Client, Error};

/// Held while a test sets the environment and builds its client from it.
static ENV: Mutex<()> = Mutex::new(());

/// Every proxy variable ureq reads set to `proxy`, and `NO_PROXY` to `no_proxy`.
fn proxy_env(proxy: &str, no_proxy: &str) -> MutexGuard<'static, ()> {
    let guard = ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for name in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        std::env::set_var(name, proxy);
    }
    for name in ["NO_PROXY", "no_proxy"] {
        std::env::set_var(name, no_proxy);
    }
    guard
}

#[test]
fn a_loopback_base_url_is_reached_directly_whatever_proxy_the_environment_names() {
    let server = MockServer::start();
    let listed = mock_page(&server, 1, page(1, 1, 2, [1, 2]));
    // A recording "proxy": it accepts and records whatever connects to it.
    let proxy = RawServer::start([]);
    let env = proxy_env(&proxy.base_url().replace("/v2", ""), "");
    let client = client(&server);
    drop(env);

    let ids: Vec<u64> = client
        .list_webhooks()
        .items()
        .map(|item| item.expect("listed directly").id)
        .collect();

    assert_eq!(ids, [1, 2]);
    listed.assert_calls(1);
    assert_eq!(
        proxy.request_count(),
        0,
        "the proxy saw {:?}",
        proxy.requests()
    );
}

/// A `CONNECT` proxy on loopback that tunnels every connection to `target`,
/// whatever host it is asked for, recording each request head it reads and
/// every byte the client sends through the tunnel.
struct Tunnel {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    relayed: Arc<Mutex<Vec<u8>>>,
}

impl Tunnel {
    fn start(target: SocketAddr) -> Tunnel {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let (heads, relayed) = (Arc::default(), Arc::default());
        let (seen, sent) = (Arc::clone(&heads), Arc::clone(&relayed));
        // Detached: it ends with the test binary.
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (seen, sent) = (Arc::clone(&seen), Arc::clone(&sent));
                thread::spawn(move || tunnel(client, target, &seen, &sent));
            }
        });
        Tunnel {
            addr,
            heads,
            relayed,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn tunnel(
    client: TcpStream,
    target: SocketAddr,
    heads: &Mutex<Vec<String>>,
    sent: &Mutex<Vec<u8>>,
) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&client);
    let mut head = String::new();
    while reader.read_line(&mut head).is_ok_and(|n| n > 2) {}
    heads.lock().unwrap().push(head.clone());
    if !head.starts_with("CONNECT ") {
        let _ =
            (&client).write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
        return;
    }
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    let _ = (&client).write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (mut from_server, mut to_client) =
        (server.try_clone().unwrap(), client.try_clone().unwrap());
    thread::spawn(move || std::io::copy(&mut from_server, &mut to_client));
    let mut buffer = [0; 4096];
    let mut to_server = &server;
    // Whatever the reader already buffered past the head, then the rest.
    let buffered = reader.buffer().to_vec();
    sent.lock().unwrap().extend(&buffered);
    let _ = to_server.write_all(&buffered);
    let mut from_client = reader.into_inner();
    while let Ok(n @ 1..) = from_client.read(&mut buffer) {
        sent.lock().unwrap().extend(&buffer[..n]);
        if to_server.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    // The client hung up: so does the tunnel, on both sides.
    let _ = server.shutdown(Shutdown::Both);
}

/// A client of the https server by a name that is not this machine's, which
/// only the proxy's tunnel reaches, trusting `pki`'s CA or not.
fn remote_client(server: &HttpsServer, pki: Option<&Pki>) -> Client {
    let base_url = format!("https://{REMOTE_NAME}:{}/v2", server.addr().port());
    let builder = Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .max_retries(0)
        .timeout(Duration::from_secs(5));
    match pki {
        Some(pki) => builder.replace_root_certs_pem(pki.ca_pem()),
        None => builder,
    }
    .build()
    .unwrap()
}

#[test]
fn a_remote_api_is_reached_through_the_proxys_tunnel_which_never_sees_the_key() {
    let pki = Pki::new();
    let server = HttpsServer::start(&pki, page(1, 1, 2, [1, 2]));
    let proxy = Tunnel::start(server.addr());
    let env = proxy_env(&proxy.url(), "");
    let client = remote_client(&server, Some(&pki));
    drop(env);

    let ids: Vec<u64> = client
        .list_webhooks()
        .items()
        .map(|item| item.expect("listed through the tunnel").id)
        .collect();

    assert_eq!(ids, [1, 2]);
    let port = server.addr().port();
    let heads = proxy.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("CONNECT {REMOTE_NAME}:{port} HTTP/1.1\r\n")),
        "{heads:?}"
    );
    // The key reached the server, in the TLS the proxy only relayed.
    assert_eq!(server.requests()[0].api_key.as_deref(), Some(KEY));
    let relayed = proxy.relayed.lock().unwrap().clone();
    assert!(relayed.len() > 100, "{} bytes relayed", relayed.len());
    let seen = [heads.concat().into_bytes(), relayed].concat();
    assert!(
        !seen.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
        "the proxy saw the key"
    );
}

#[test]
fn through_a_tunnel_the_certificate_is_still_checked_end_to_end() {
    let pki = Pki::new();
    let server = HttpsServer::start(&pki, page(1, 1, 2, [1, 2]));
    let proxy = Tunnel::start(server.addr());
    let env = proxy_env(&proxy.url(), "");
    // The built-in roots, which do not hold the test CA.
    let client = remote_client(&server, None);
    drop(env);

    let error = client.list_webhooks().send().unwrap_err();

    assert!(
        matches!(error, Error::Connection { .. }) && !error.is_retryable(),
        "{error:?}"
    );
    assert_eq!(proxy.heads.lock().unwrap().len(), 1);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}
