//! `partoo-webhooks completions SHELL`: a script for each shell clap_complete
//! knows, naming the commands and their options.

mod common;

use std::process::Command;

use common::cli::{cli, run, Run};

fn completions(shell: &str) -> Run {
    run(cli().args(["completions", shell]))
}

#[test]
fn every_shell_gets_a_script_naming_the_commands_and_options() {
    for (shell, marker) in [
        ("bash", "complete -F _partoo__webhooks"),
        ("zsh", "#compdef partoo-webhooks"),
        ("fish", "complete -c partoo-webhooks"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[partoo-webhooks]"),
    ] {
        let run = completions(shell);

        assert_eq!((run.status, run.stderr.as_str()), (0, ""), "{shell}");
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        for word in [
            "list",
            "diff",
            "completions",
            "per-page",
            "max-webhooks",
            "color",
        ] {
            assert!(run.stdout.contains(word), "{shell} lacks {word}");
        }
        // The refused --api-key is not an option, and not offered.
        assert!(!run.stdout.contains("--api-key "), "{shell}");
        assert!(!run.stdout.contains("-l api-key "), "{shell}");
    }
}

#[test]
fn the_bash_script_loads_and_registers_the_command() {
    let script = completions("bash").stdout;
    let Ok(output) = Command::new("bash")
        .args([
            "--norc",
            "--noprofile",
            "-c",
            r#"eval "$0" && complete -p partoo-webhooks"#,
        ])
        .arg(&script)
        .output()
    else {
        eprintln!("no bash here: only the script's text is checked");
        return;
    };
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("partoo-webhooks"),
        "{output:?}"
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error_that_lists_the_shells() {
    let run = completions("tcsh");

    assert_eq!((run.status, run.stdout.as_str()), (2, ""), "{run:#?}");
    assert!(
        run.stderr.starts_with(
            "partoo-webhooks: invalid <SHELL>: expected bash, elvish, fish, powershell or zsh\n"
        ),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("tcsh"), "{run:#?}");
}
