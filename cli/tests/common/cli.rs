//! The `partoo-webhooks` binary as a child process, run as a user would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::{assert_no_key_piece, KEY};

pub const BIN: &str = env!("CARGO_BIN_EXE_partoo-webhooks");

/// The binary with the test key in `PARTOO_API_KEY`, and none of the caller's
/// other `PARTOO_*` or `SSL_CERT_*` variables, so that the machine's
/// environment cannot change a test's outcome.
pub fn cli() -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("PARTOO_") || name.starts_with("SSL_CERT_") {
            command.env_remove(&*name);
        }
    }
    command.env("PARTOO_API_KEY", KEY).stdin(Stdio::null());
    command
}

/// How a run ended, and what it printed.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the command to its end; in every test, no piece of the key may be in
/// its output.
pub fn run(command: &mut Command) -> Run {
    finish(command.output().expect("the binary runs"))
}

/// [`run`], with `input` on standard input (then closed).
pub fn run_with_input(command: &mut Command, input: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().expect("a pipe");
    // A child that exits before reading all of it closes the pipe: not a failure here.
    let _ = stdin.write_all(input);
    drop(stdin);
    finish(child.wait_with_output().expect("the binary ends"))
}

fn finish(output: Output) -> Run {
    let run = Run {
        status: output.status.code().expect("an exit status, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    };
    assert_no_key_piece(&run.stdout);
    assert_no_key_piece(&run.stderr);
    run
}

/// The ids of jsonl output, one object per line.
pub fn jsonl_ids(stdout: &str) -> Vec<u64> {
    stdout
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            value["id"].as_u64().expect("an id")
        })
        .collect()
}

/// `command` run with its standard output closed (`>&-`), through `sh`: the
/// standard library offers no closed descriptor to a child.
pub fn with_stdout_closed(command: &Command) -> Command {
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(r#"exec "$0" "$@" >&-"#)
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => shell.env(name, value),
            None => shell.env_remove(name),
        };
    }
    shell.stdin(Stdio::null());
    shell
}
