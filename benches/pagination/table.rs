//! The printed table: each row compares a subject with a reference.

use std::fmt::Display;

/// Rows of `measure | value | vs | ratio | target | result`, then notes.
#[derive(Default)]
pub struct Table {
    rows: Vec<[String; 6]>,
    notes: Vec<String>,
}

impl Table {
    /// A row; `pass` is `None` for a row without target.
    pub fn row(&mut self, measure: &str, cells: [&dyn Display; 4], pass: Option<bool>) {
        let [a, b, c, d] = cells.map(ToString::to_string);
        let result = match pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "",
        };
        self.rows
            .push([measure.to_owned(), a, b, c, d, result.to_owned()]);
    }

    /// A row that could not be measured, for want of a tool.
    pub fn skipped(&mut self, measure: &str, target: &str) {
        let cells = [measure, "skipped", "", "", target, "SKIP"];
        self.rows.push(cells.map(str::to_owned));
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Targets met, targets measured, and targets skipped.
    pub fn score(&self) -> (usize, usize, usize) {
        let count = |result: &str| self.rows.iter().filter(|row| row[5] == result).count();
        let (passed, skipped) = (count("PASS"), count("SKIP"));
        (passed, passed + count("FAIL"), skipped)
    }

    pub fn print(&self) {
        let header = ["measure", "value", "vs", "ratio", "target", "result"].map(String::from);
        print_rows(&header, &self.rows);
        for note in &self.notes {
            println!("  {note}");
        }
    }
}

/// A Markdown table, first column left-aligned and the others right-aligned.
pub fn print_rows<const N: usize>(header: &[String; N], rows: &[[String; N]]) {
    let mut widths = [0; N];
    for line in std::iter::once(header).chain(rows) {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let print = |line: &[String; N]| {
        let mut out = format!("| {:<w$} |", line[0], w = widths[0]);
        for (cell, width) in line.iter().zip(widths).skip(1) {
            out.push_str(&format!(" {cell:>width$} |"));
        }
        println!("{out}");
    };
    println!();
    print(header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    println!("|-{}-|", rule.join("-|-"));
    rows.iter().for_each(print);
    println!();
}
