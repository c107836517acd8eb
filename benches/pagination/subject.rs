//! What runs in a child process: a listing of this bench binary re-executed
//! with `--child`, the CLI, or `curl`.

use crate::listings::{Listing, KEY, PER_PAGE, PREFETCH};
use crate::measure::{self, Program, Run};
use crate::server::Server;

/// The CLI, a crate of the workspace (`cli/`): built in release by the
/// cargo that built this bench, once, into the bench's own target directory.
fn cli_exe() -> std::path::PathBuf {
    static EXE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    EXE.get_or_init(|| {
        // target/release/deps/pagination-<hash> -> target/release/partoo-webhooks
        let exe = std::env::current_exe().expect("bench executable");
        let profile = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/<profile>");
        let built = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "-p",
                "partoo-webhooks-cli",
                "--target-dir",
            ])
            .arg(profile.parent().expect("target"))
            .status()
            .expect("cargo runs");
        assert!(built.success(), "cannot build the CLI");
        profile.join("partoo-webhooks")
    })
    .clone()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Subject {
    /// A listing of this bench binary.
    Lib(Listing),
    /// `partoo-webhooks list --format jsonl`, with this `--prefetch`.
    Cli { prefetch: usize },
    /// `curl` fetching the first page.
    Curl,
}

pub const LIBRARY: Subject = Subject::Lib(Listing::Crate);
pub const LIBRARY_PREFETCH: Subject = Subject::Lib(Listing::Prefetch);
pub const LIBRARY_THREADED: Subject = Subject::Lib(Listing::Threaded);
pub const LOOP: Subject = Subject::Lib(Listing::Loop);
pub const LOOP_TIMEOUTS: Subject = Subject::Lib(Listing::LoopTimeouts);
pub const CLI: Subject = Subject::Cli { prefetch: 0 };
pub const CLI_PREFETCH: Subject = Subject::Cli { prefetch: PREFETCH };
pub const JSONL_LOOP: Subject = Subject::Lib(Listing::JsonlLoop);
pub const CURL: Subject = Subject::Curl;

impl Subject {
    /// Its name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Subject::Lib(Listing::Crate) => "library",
            Subject::Lib(Listing::Prefetch) => "library prefetch(4)",
            Subject::Lib(Listing::Threaded) => "library after a thread",
            Subject::Lib(Listing::Loop) => "loop",
            Subject::Lib(Listing::LoopTimeouts) => "loop + timeouts",
            Subject::Lib(Listing::JsonlLoop) => "jsonl loop",
            Subject::Cli { prefetch: 0 } => "CLI",
            Subject::Cli { .. } => "CLI --prefetch 4",
            Subject::Curl => "curl",
        }
    }

    pub fn program(self, server: &Server) -> Program {
        let url = server.base_url.as_str();
        match self {
            Subject::Lib(listing) => {
                let exe = std::env::current_exe().expect("bench executable");
                let pages = server.pages.to_string();
                Program::new(exe, &["--child", listing.name(), url, &pages])
            }
            Subject::Cli { prefetch } => {
                let (per_page, prefetch) = (PER_PAGE.to_string(), prefetch.to_string());
                let mut program = Program::new(
                    cli_exe(),
                    &[
                        "list",
                        "--format",
                        "jsonl",
                        "--base-url",
                        url,
                        "--per-page",
                        &per_page,
                        "--prefetch",
                        &prefetch,
                    ],
                );
                program.env.push(("PARTOO_API_KEY", KEY.to_owned()));
                program
            }
            Subject::Curl => {
                let header = format!("x-APIKey: {KEY}");
                let page = format!("{url}/webhooks?page=1&per_page={PER_PAGE}");
                Program::new("curl", &["-sS", "--fail", "-H", &header, &page])
            }
        }
    }

    /// Runs the subject once to its end.
    pub fn run(self, server: &Server) -> Run {
        let run = measure::run(&self.program(server));
        self.check(&run, server);
        run
    }

    /// Panics unless the subject printed what it should: every webhook as
    /// jsonl, the first page's body, or nothing (a bench child checks its own
    /// listing, and fails if it is wrong).
    pub fn check(self, run: &Run, server: &Server) {
        let (lines, bytes) = match self {
            Subject::Lib(listing) if !listing.prints() => (0, 0),
            Subject::Curl => (run.stdout_lines, server.first_body_bytes),
            _ => (
                u64::from(server.pages) * u64::from(PER_PAGE),
                server.jsonl_bytes,
            ),
        };
        assert_eq!(
            (run.stdout_lines, run.stdout_bytes),
            (lines, bytes),
            "{}: lines and bytes printed",
            self.label()
        );
    }
}

/// The result of `subject` among results by subject.
pub fn of<T>(results: &[(Subject, T)], subject: Subject) -> &T {
    results
        .iter()
        .find_map(|(s, result)| (*s == subject).then_some(result))
        .unwrap_or_else(|| panic!("{} was not measured", subject.label()))
}
