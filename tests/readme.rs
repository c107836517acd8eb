//! The README and the crate docs show the same examples; `cargo test` compiles both.

/// The bodies of the fenced Rust blocks of a Markdown text.
fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.starts_with("```rust") || line.starts_with("```no_run") => {
                current = Some(Vec::new())
            }
            Some(lines) if line.starts_with("```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            Some(lines) => lines.push(line),
            None => {}
        }
    }
    blocks
}

#[test]
fn readme_examples_are_the_crate_docs_examples() {
    let readme = include_str!("../README.md");
    let crate_docs: String = include_str!("../src/lib.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    let readme_examples = rust_blocks(readme);
    assert!(
        !readme_examples.is_empty(),
        "the README shows library examples"
    );
    assert_eq!(readme_examples, rust_blocks(&crate_docs));
}
