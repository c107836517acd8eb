//! `cargo bench --bench pagination`: this crate against the loop a user would
//! write by hand with `ureq` and `serde_json`, over an in-process HTTP/1.1
//! keep-alive server on loopback. Prints one table of medians, ratios and
//! the targets of issue 5.
//!
//! The machine may be shared and noisy, so speed is only ever compared as
//! ratios of runs interleaved in one process. CPU time is the listing
//! thread's own (`/proc/thread-self/schedstat`), which leaves the server's
//! threads out; peak memory is measured in child processes (this binary
//! re-executed), so that the server's pre-rendered pages are not counted.

use std::fmt::Display;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use partoo_webhooks::{Client, WebhookItem};
use serde::Deserialize;
use serde_json::json;

const KEY: &str = "bench-key";
const PER_PAGE: u32 = 100;
/// The crate's default body limit, so that the baseline refuses the same bodies.
const BODY_LIMIT: u64 = 10 * 1024 * 1024;

const CPU_PAGES: u32 = 1_000;
/// Interleaved rounds, each one listing of the crate, the baseline and its variant.
const CPU_ROUNDS: usize = 25;
const RSS_SMALL: u32 = 10;
const RSS_LARGE: u32 = 1_000;
/// Child processes per implementation and size; peak RSS barely varies.
const RSS_RUNS: usize = 3;
const CONNECTION_PAGES: u32 = 100;
const LATENCY_PAGES: u32 = 20;
const LATENCY: Duration = Duration::from_millis(20);
const PREFETCH: usize = 4;
const LATENCY_ROUNDS: usize = 5;

const CPU_TARGET: f64 = 1.05;
const RSS_TARGET: f64 = 1.10;
const SPEEDUP_TARGET: f64 = 3.0;

fn main() {
    // `cargo bench` passes `--bench` to every harness-less bench.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        [] => run_all(),
        ["--rss-child", which, base_url, pages] => {
            let pages = parse_pages(pages);
            check(&list(which, base_url, 0), pages);
            println!("vmhwm_kib {}", vmhwm_kib());
        }
        // One listing of an in-process server, to profile, e.g. with
        // valgrind --tool=callgrind --collect-atstart=no --toggle-collect=pagination::list
        ["--listing", which, pages] => {
            let pages = parse_pages(pages);
            let server = Server::start(pages, Duration::ZERO);
            let (ns, tally) = cpu_ns(|| list(which, &server.base_url, 0));
            check(&tally, pages);
            println!("{which}: {pages} pages, {} us CPU", ns / 1_000);
        }
        _ => {
            eprintln!(
                "usage: pagination [--listing crate|baseline|phased PAGES | --rss-child crate|baseline URL PAGES]"
            );
            std::process::exit(2);
        }
    }
}

fn parse_pages(pages: &str) -> u32 {
    pages.parse().expect("PAGES is a number")
}

// ---------------------------------------------------------------------------
// The two listings under test.

/// What a listing saw: proof that every listing did the same work, and a use
/// of each item so that none of it is optimised away.
#[derive(Default)]
struct Tally {
    items: u64,
    id_sum: u64,
    url_bytes: u64,
}

impl Tally {
    fn add(&mut self, item: &WebhookItem) {
        self.items += 1;
        self.id_sum += item.id;
        self.url_bytes += item.url.len() as u64;
    }
}

/// Never inlined: callgrind's `--toggle-collect=pagination::list` needs the symbol.
#[inline(never)]
fn list(which: &str, base_url: &str, prefetch: usize) -> Tally {
    match which {
        "crate" => list_crate(base_url, prefetch),
        "baseline" => list_baseline(base_url, Timeouts::Global),
        "phased" => list_baseline(base_url, Timeouts::PerPhase),
        other => panic!("unknown listing {other:?}: crate, baseline or phased"),
    }
}

fn list_crate(base_url: &str, prefetch: usize) -> Tally {
    let client = Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .build()
        .expect("crate client");
    let mut tally = Tally::default();
    for item in client.list_webhooks().per_page(PER_PAGE).prefetch(prefetch) {
        tally.add(&item.expect("crate listing"));
    }
    tally
}

/// A page as a user would declare it for `serde_json::from_slice`.
#[derive(Deserialize)]
struct RawPage {
    page: u32,
    max_page: u32,
    count: u64,
    items: Vec<WebhookItem>,
}

#[derive(Clone, Copy)]
enum Timeouts {
    /// As the crate does: one budget for the whole request.
    Global,
    /// A budget per phase and none overall. With any overall budget (global,
    /// per call or resolve), ureq 3 resolves the host on a new thread for
    /// every request, pooled connection or not; this shows what that costs.
    PerPhase,
}

/// The hand-written loop: the crate's agent settings (see `Client::from_config`),
/// a fresh `Vec` per body, and the crate's stop rules.
fn list_baseline(base_url: &str, timeouts: Timeouts) -> Tally {
    let (timeout, config) = (Some(Duration::from_secs(30)), ureq::Agent::config_builder());
    let config = match timeouts {
        Timeouts::Global => config.timeout_global(timeout),
        Timeouts::PerPhase => config
            .timeout_send_request(timeout)
            .timeout_recv_response(timeout)
            .timeout_recv_body(timeout),
    };
    let agent = config
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10)))
        .user_agent("baseline/1")
        .accept("application/json")
        .build()
        .new_agent();
    let mut tally = Tally::default();
    let mut page = 1u32;
    loop {
        let url = format!("{base_url}/webhooks?page={page}&per_page={PER_PAGE}");
        let mut response = agent
            .get(&url)
            .header("x-APIKey", KEY)
            .call()
            .expect("baseline request");
        assert_eq!(response.status(), 200, "baseline page {page}");
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
            .expect("baseline body");
        let raw: RawPage = serde_json::from_slice(&body).expect("baseline decode");
        let last = raw.items.is_empty() || raw.count == 0 || raw.page >= raw.max_page;
        for item in raw.items {
            tally.add(&item);
        }
        if last {
            return tally;
        }
        page += 1;
    }
}

/// Panics unless the listing yielded every item of `pages` pages exactly once.
fn check(tally: &Tally, pages: u32) {
    let n = u64::from(pages) * u64::from(PER_PAGE);
    assert_eq!(tally.items, n, "items listed");
    assert_eq!(tally.id_sum, n * (n + 1) / 2, "ids listed");
    let url_bytes: u64 = (1..=n).map(|id| 26 + id.to_string().len() as u64).sum();
    assert_eq!(tally.url_bytes, url_bytes, "urls listed");
}

// ---------------------------------------------------------------------------
// The server: pre-rendered pages, one thread per connection.

struct Server {
    base_url: String,
    connections: Arc<AtomicUsize>,
}

impl Server {
    /// Serves `pages` pages of 100 webhooks with distinct ids, answering each
    /// request after `latency`. Runs until the process exits.
    fn start(pages: u32, latency: Duration) -> Server {
        let responses: Arc<Vec<Vec<u8>>> =
            Arc::new((1..=pages).map(|p| render(p, pages)).collect());
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
            connections,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A whole `200 OK` response for one page, body as `tests/common`'s `page()` renders it.
fn render(page: u32, max_page: u32) -> Vec<u8> {
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
    let count = u64::from(max_page) * u64::from(PER_PAGE);
    let body = json!({ "page": page, "max_page": max_page, "count": count, "items": items });
    let body = serde_json::to_vec(&body).expect("render page");
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    response
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

// ---------------------------------------------------------------------------
// Measuring.

/// Nanoseconds this thread has spent on a CPU (the first field of schedstat).
fn thread_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("/proc/thread-self/schedstat (Linux with schedstats)");
    stat.split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .expect("schedstat's first field")
}

fn cpu_ns<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let start = thread_cpu_ns();
    let value = f();
    (thread_cpu_ns() - start, value)
}

/// This process's peak resident set, in KiB.
fn vmhwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// The peak RSS of a child process listing `pages` pages of `server`.
fn child_peak_rss(which: &str, server: &Server, pages: u32) -> u64 {
    let exe = std::env::current_exe().expect("bench executable");
    let output = Command::new(exe)
        .args(["--rss-child", which, &server.base_url, &pages.to_string()])
        .output()
        .expect("run child listing");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child listing failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("vmhwm_kib "))
        .and_then(|kib| kib.parse().ok())
        .expect("child prints its peak RSS")
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() % 2 {
        0 => (sorted[mid - 1] + sorted[mid]) / 2.0,
        _ => sorted[mid],
    }
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

// ---------------------------------------------------------------------------
// The run.

/// The printed table: measure, crate, baseline, ratio, target, result.
#[derive(Default)]
struct Table {
    rows: Vec<[String; 6]>,
    notes: Vec<String>,
}

impl Table {
    fn row(&mut self, measure: &str, cells: [&dyn Display; 4], pass: Option<bool>) {
        let [a, b, c, d] = cells.map(ToString::to_string);
        let result = match pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "",
        };
        self.rows
            .push([measure.to_owned(), a, b, c, d, result.to_owned()]);
    }

    fn print(&self) {
        let header =
            ["measure", "crate", "baseline", "ratio", "target", "result"].map(String::from);
        let mut widths = [0; 6];
        for line in std::iter::once(&header).chain(&self.rows) {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let print = |line: &[String; 6]| {
            let mut out = format!("| {:<w$} |", line[0], w = widths[0]);
            for (cell, width) in line.iter().zip(widths).skip(1) {
                out.push_str(&format!(" {cell:>width$} |"));
            }
            println!("{out}");
        };
        println!();
        print(&header);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        println!("|-{}-|", rule.join("-|-"));
        self.rows.iter().for_each(print);
        println!();
        for note in &self.notes {
            println!("  {note}");
        }
    }
}

fn run_all() {
    let started = Instant::now();
    let mut table = Table::default();
    let large = Server::start(CPU_PAGES, Duration::ZERO);
    cpu(&mut table, &large);
    peak_rss(&mut table, &large);
    connections(&mut table);
    latency(&mut table);
    table.print();
    let results = table.rows.iter().map(|row| row[5].as_str());
    let (passed, targets) = (
        results.clone().filter(|r| *r == "PASS").count(),
        results.filter(|r| !r.is_empty()).count(),
    );
    println!(
        "\n{passed} of {targets} targets met{}; {:.0} s in all. Reproduce: cargo bench --bench pagination",
        if passed == targets { "" } else { " (FAIL above)" },
        started.elapsed().as_secs_f64()
    );
}

/// CPU time of the listing thread for the crate, the baseline and its
/// per-phase variant, interleaved.
fn cpu(table: &mut Table, server: &Server) {
    let listings = ["crate", "baseline", "phased"];
    for which in listings {
        check(&list(which, &server.base_url, 0), CPU_PAGES); // warm-up
    }
    let mut ns: [Vec<f64>; 3] = Default::default();
    let (mut ratios, mut phased_ratios) = (Vec::new(), Vec::new());
    for round in 0..CPU_ROUNDS {
        // Rotate which goes first, so that none always runs on a warmer cache.
        let mut round_ns = [0.0; 3];
        for i in (0..3).map(|i| (i + round) % 3) {
            let (cpu, tally) = cpu_ns(|| list(listings[i], &server.base_url, 0));
            check(&tally, CPU_PAGES);
            round_ns[i] = cpu as f64;
            ns[i].push(cpu as f64);
        }
        ratios.push(round_ns[0] / round_ns[1]);
        phased_ratios.push(round_ns[2] / round_ns[1]);
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            let [a, b, c] = round_ns.map(|ns| ns / 1e6);
            eprintln!("round {round}: crate {a:.1} ms, baseline {b:.1} ms, phased {c:.1} ms");
        }
    }
    let per_page = |ns: &[f64]| format!("{:.1}", median(ns) / f64::from(CPU_PAGES) / 1e3);
    let items_per_s = |ns: &[f64]| f64::from(CPU_PAGES * PER_PAGE) / (median(ns) / 1e9);
    let ratio = median(&ratios);
    table.row(
        "CPU per page, 1,000 pages x 100 (us)",
        [
            &per_page(&ns[0]),
            &per_page(&ns[1]),
            &format!("{ratio:.3}"),
            &"<= 1.05",
        ],
        Some(ratio <= CPU_TARGET),
    );
    let (ours, theirs) = (items_per_s(&ns[0]), items_per_s(&ns[1]));
    table.row(
        "items per CPU second",
        [
            &format!("{:.0}k", ours / 1e3),
            &format!("{:.0}k", theirs / 1e3),
            &format!("{:.3}", ours / theirs),
            &"",
        ],
        None,
    );
    table.row(
        "ref: baseline, per-phase timeouts (us/page)",
        [
            &"",
            &per_page(&ns[2]),
            &format!("{:.3}", median(&phased_ratios)),
            &"",
        ],
        None,
    );
    let (lo, hi) = min_max(&ratios);
    table.notes.push(format!(
        "CPU: the listing thread's, median of {CPU_ROUNDS} interleaved rounds; ratio = median of \
         per-round ratios (crate/baseline ranged {lo:.3}..{hi:.3})"
    ));
    table.notes.push(
        "ref: the baseline with timeout_send_request/recv_response/recv_body instead of \
         timeout_global, so that ureq resolves the host without a thread per request"
            .to_owned(),
    );
}

/// Peak RSS of child processes; the servers, and their pages, stay in this one.
fn peak_rss(table: &mut Table, large: &Server) {
    let small = Server::start(RSS_SMALL, Duration::ZERO);
    let rss = |which: &str, server: &Server, pages: u32| {
        let runs: Vec<f64> = (0..RSS_RUNS)
            .map(|_| child_peak_rss(which, server, pages) as f64)
            .collect();
        median(&runs)
    };
    let ours = [
        rss("crate", &small, RSS_SMALL),
        rss("crate", large, RSS_LARGE),
    ];
    let theirs = [
        rss("baseline", &small, RSS_SMALL),
        rss("baseline", large, RSS_LARGE),
    ];
    for (i, measure) in ["peak RSS, 10 pages (KiB)", "peak RSS, 1,000 pages (KiB)"]
        .iter()
        .enumerate()
    {
        table.row(
            measure,
            [
                &ours[i],
                &theirs[i],
                &format!("{:.3}", ours[i] / theirs[i]),
                &"",
            ],
            None,
        );
    }
    let growth = ours[1] / ours[0];
    table.row(
        "peak RSS 1,000 / 10 pages",
        [
            &format!("{growth:.3}"),
            &format!("{:.3}", theirs[1] / theirs[0]),
            &"",
            &"<= 1.10",
        ],
        Some(growth <= RSS_TARGET),
    );
    table.notes.push(format!(
        "RSS: VmHWM of a child process, median of {RSS_RUNS}"
    ));
}

/// Connections the server accepted during one listing.
fn connections(table: &mut Table) {
    let server = Server::start(CONNECTION_PAGES, Duration::ZERO);
    let accepted = |which: &str| {
        let before = server.connections();
        check(&list(which, &server.base_url, 0), CONNECTION_PAGES);
        server.connections() - before
    };
    let (ours, theirs) = (accepted("crate"), accepted("baseline"));
    table.row(
        "TCP connections, 100-page listing",
        [&ours, &theirs, &"", &"== 1"],
        Some(ours == 1),
    );
}

/// Wall time with latency injected by the server: sequential against prefetch, interleaved.
fn latency(table: &mut Table) {
    let server = Server::start(LATENCY_PAGES, LATENCY);
    let (mut sequential, mut prefetched) = (Vec::new(), Vec::new());
    for round in 0..LATENCY_ROUNDS {
        let order = if round % 2 == 0 {
            [0, PREFETCH]
        } else {
            [PREFETCH, 0]
        };
        for prefetch in order {
            let start = Instant::now();
            check(&list_crate(&server.base_url, prefetch), LATENCY_PAGES);
            let ms = start.elapsed().as_secs_f64() * 1e3;
            match prefetch {
                0 => sequential.push(ms),
                _ => prefetched.push(ms),
            }
        }
    }
    let speedup = median(&sequential) / median(&prefetched);
    table.row(
        "20 pages, 20 ms latency: sequential (ms)",
        [&format!("{:.0}", median(&sequential)), &"", &"", &""],
        None,
    );
    table.row(
        "20 pages, 20 ms latency: prefetch(4) (ms)",
        [
            &format!("{:.0}", median(&prefetched)),
            &"",
            &format!("{speedup:.2}x"),
            &">= 3x",
        ],
        Some(speedup >= SPEEDUP_TARGET),
    );
    table.notes.push(format!(
        "latency: wall time, median of {LATENCY_ROUNDS} interleaved rounds; ratio = sequential / prefetch(4)"
    ));
}
