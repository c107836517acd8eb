//! Real TLS over loopback: a CA and a `localhost` certificate made at run time,
//! and an https server in the test process that serves one page.
//!
//! Only `tests/tls.rs` and `tests/proxy.rs` include this module: rcgen brings the `time` crate,
//! whose extra `PartialEq` impls for `Duration` would make `assert_eq!(delays, [])`
//! ambiguous in the other test files.
//!
//! The server counts TCP connections and HTTP requests apart: a request is only
//! read after the handshake succeeded, so `requests() == 0` with
//! `connections() == 1` shows a client that hung up during the handshake
//! without sending anything, its API key included.

#![allow(dead_code)] // each test file uses a different part
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::Value;

use crate::common::raw::json_response;

/// How often the accepting loop looks at the stop flag.
const POLL: Duration = Duration::from_millis(1);
/// No server outlives this, even if its owner is leaked.
const LIFETIME: Duration = Duration::from_secs(30);

/// The name of a host that is not this machine's, which the certificate is
/// also for: a client reaches it only through a proxy that tunnels to this
/// server (`tests/proxy.rs`).
pub const REMOTE_NAME: &str = "partoo-api.test";

/// A private CA and a server certificate it signed for `localhost`,
/// `127.0.0.1` and [`REMOTE_NAME`].
pub struct Pki {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

impl Pki {
    /// A fresh CA (ECDSA P-256) and server certificate; no file is written.
    pub fn new() -> Pki {
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.distinguished_name
            .push(DnType::CommonName, "partoo-webhooks test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca.self_signed(&ca_key).expect("a self-signed CA");

        let server_key = KeyPair::generate().expect("a server key");
        let mut server = CertificateParams::new(vec![
            "localhost".into(),
            "127.0.0.1".into(),
            REMOTE_NAME.into(),
        ])
        .expect("server parameters");
        server
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server
            .signed_by(&server_key, &ca, &ca_key)
            .expect("a server certificate");

        Pki {
            ca_pem: ca.pem(),
            server_chain: vec![server.der().clone()],
            server_key: server_key.serialize_der(),
        }
    }

    /// The CA certificate, as a PEM bundle a client can trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

/// A request as the server read it: what the tests look at.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request target, e.g. `/v2/webhooks?page=1&per_page=100`.
    pub target: String,
    /// The value of the `x-APIKey` header, if sent.
    pub api_key: Option<String>,
}

/// A running https server; dropping it stops its thread and waits for it.
pub struct HttpsServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpsServer {
    /// Listens on a free loopback port with `pki`'s server certificate and
    /// answers every request with `body` as JSON, one request per connection.
    pub fn start(pki: &Pki, body: Value) -> HttpsServer {
        // Explicitly ring: rustls refuses to guess when a build holds two providers.
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(
                    pki.server_chain.clone(),
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
                )
                .expect("the server certificate and key");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (connections, requests, stop) =
                (connections.clone(), requests.clone(), stop.clone());
            let (config, answer) = (Arc::new(config), json_response(200, &body));
            thread::spawn(move || {
                serve(&listener, &config, &answer, &connections, &requests, &stop)
            })
        };
        HttpsServer {
            addr,
            connections,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `https://localhost:<port>/v2`: the name the certificate is for.
    pub fn base_url(&self) -> String {
        format!("https://localhost:{}/v2", self.addr.port())
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// TCP connections accepted so far, whether or not their handshake succeeded.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// HTTP requests received so far, in order (each after a successful handshake).
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    listener: &TcpListener,
    config: &Arc<ServerConfig>,
    answer: &[u8],
    connections: &AtomicUsize,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    let deadline = Instant::now() + LIFETIME;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(POLL);
                continue;
            }
            Err(_) => continue,
        };
        connections.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_nonblocking(false);
        // A client that neither finishes the handshake nor hangs up cannot hold the thread.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let connection = ServerConnection::new(config.clone()).expect("a TLS session");
        let mut tls = StreamOwned::new(connection, stream);
        // The handshake runs inside the first read; a refused certificate ends it here.
        let Some(request) = read_request(&mut tls) else {
            continue;
        };
        // Recorded before answering, so a client that got its answer sees the count.
        requests.lock().unwrap().push(request);
        let _ = tls.write_all(answer);
        let _ = tls.flush();
        tls.conn.send_close_notify();
        let _ = tls.conn.complete_io(&mut tls.sock);
    }
}

fn read_request(tls: &mut StreamOwned<ServerConnection, TcpStream>) -> Option<Request> {
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let target = lines.next()?.split(' ').nth(1)?.to_owned();
    let api_key = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("x-apikey"))
        .map(|(_, value)| value.trim().to_owned());
    Some(Request { target, api_key })
}
