//! The binary with one of its streams on a pseudo-terminal, as a person at a
//! terminal runs it, the other on a pipe. The test's own terminal, if any, is
//! never touched: the pseudo-terminal is a new one, opened for the run.

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;

use nix::pty::{openpty, OpenptyResult};

use super::assert_no_key_piece;
use super::cli::Run;

/// Which stream of the child is the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    Stdout,
    Stderr,
}

/// Runs the command with `terminal` on a new pseudo-terminal, and returns what
/// both streams received. The terminal's `\r\n` (its line discipline turns
/// each `\n` into it) is read back as `\n`; a lone `\r` is kept.
pub fn run_on_terminal(command: &mut Command, terminal: Terminal) -> Run {
    let OpenptyResult { master, slave } = openpty(None, None).expect("a pseudo-terminal");
    let slave = File::from(slave);
    let tty = || Stdio::from(slave.try_clone().expect("a copy of the terminal"));
    match terminal {
        Terminal::Stdout => command.stdout(tty()).stderr(Stdio::piped()),
        Terminal::Stderr => command.stdout(Stdio::piped()).stderr(tty()),
    };
    let child = command.spawn().expect("the binary runs");
    // Only the child holds the terminal now, so that reading ends with it.
    command.stdout(Stdio::null()).stderr(Stdio::null());
    drop(slave);
    let reader = thread::spawn(move || {
        let mut master = File::from(master);
        let (mut text, mut chunk) = (Vec::new(), [0; 4096]);
        // Linux answers EIO, others 0, once the child has closed the terminal.
        while let Ok(n @ 1..) = master.read(&mut chunk) {
            text.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(text)
            .expect("UTF-8 on the terminal")
            .replace("\r\n", "\n")
    });
    let output = child.wait_with_output().expect("the binary ends");
    let on_terminal = reader.join().expect("the terminal is read");
    let piped = String::from_utf8(match terminal {
        Terminal::Stdout => output.stderr,
        Terminal::Stderr => output.stdout,
    })
    .expect("UTF-8 on the pipe");
    let (stdout, stderr) = match terminal {
        Terminal::Stdout => (on_terminal, piped),
        Terminal::Stderr => (piped, on_terminal),
    };
    assert_no_key_piece(&stdout);
    assert_no_key_piece(&stderr);
    Run {
        status: output.status.code().expect("an exit status, not a signal"),
        stdout,
        stderr,
    }
}

/// Runs the command with standard input and standard error on a new
/// pseudo-terminal, as a person at a terminal runs it, standard output on a
/// pipe; `typed` is what the person types, buffered by the terminal until the
/// command reads it. What the terminal shows (the command's standard error,
/// and the echo of `typed`) is returned as `stderr`.
pub fn run_typing(command: &mut Command, typed: &str) -> Run {
    let OpenptyResult { master, slave } = openpty(None, None).expect("a pseudo-terminal");
    let slave = File::from(slave);
    let tty = || Stdio::from(slave.try_clone().expect("a copy of the terminal"));
    command.stdin(tty()).stdout(Stdio::piped()).stderr(tty());
    let mut master = File::from(master);
    master
        .write_all(typed.as_bytes())
        .expect("typed on the terminal");
    let child = command.spawn().expect("the binary runs");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    drop(slave);
    let reader = thread::spawn(move || {
        let (mut text, mut chunk) = (Vec::new(), [0; 4096]);
        while let Ok(n @ 1..) = master.read(&mut chunk) {
            text.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(text)
            .expect("UTF-8 on the terminal")
            .replace("\r\n", "\n")
    });
    let output = child.wait_with_output().expect("the binary ends");
    let stderr = reader.join().expect("the terminal is read");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 on the pipe");
    assert_no_key_piece(&stdout);
    assert_no_key_piece(&stderr);
    Run {
        status: output.status.code().expect("an exit status, not a signal"),
        stdout,
        stderr,
    }
}
