//! `-check`: every row of a CSV stream must have as many separators as
//! the header row. Separators inside quoted fields don't count (RFC 4180
//! lets a quoted field hold separators, quotes as `""`, and line breaks,
//! so a row ends only at a line break outside quotes).
//!
//! The checker is a `Write`: netcap's own CSV output, stdin or a file are
//! all fed through it as a stream, without running another process.

use std::io::{self, Write};

const RED: &[u8] = b"\x1b[31m";
const RESET: &[u8] = b"\x1b[0m";

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Rows after the header.
    pub rows: u64,
    /// Rows with the wrong number of separators (or an unterminated quote).
    pub bad: u64,
    /// Separators per row, from the header; `None` for empty input.
    pub expected: Option<usize>,
}

/// Streams CSV bytes in, writes a report line per offending row to `out`.
pub struct Checker<W: Write> {
    out: W,
    sep: u8,
    color: bool,
    in_quotes: bool,
    row: Vec<u8>,
    seps: usize,
    /// Line breaks seen so far, and the 1-based line the current row began on.
    lines: u64,
    row_line: u64,
    summary: Summary,
}

impl<W: Write> Checker<W> {
    /// `color`: highlight the separators of offending rows in red (for a terminal).
    pub fn new(out: W, sep: u8, color: bool) -> Self {
        Checker { out, sep, color, in_quotes: false, row: Vec::new(), seps: 0, lines: 0, row_line: 1, summary: Summary::default() }
    }

    fn feed(&mut self, data: &[u8]) -> io::Result<()> {
        for &b in data {
            if b == b'"' {
                self.in_quotes = !self.in_quotes;
            } else if b == b'\n' {
                self.lines += 1;
                if !self.in_quotes {
                    self.end_row(false)?;
                    continue;
                }
            } else if b == self.sep && !self.in_quotes {
                self.seps += 1;
            }
            self.row.push(b);
        }
        Ok(())
    }

    fn end_row(&mut self, unterminated: bool) -> io::Result<()> {
        if self.row.last() == Some(&b'\r') {
            self.row.pop();
        }
        if !self.row.is_empty() || unterminated {
            match self.summary.expected {
                None if !unterminated => self.summary.expected = Some(self.seps),
                expected => {
                    if self.summary.expected.is_some() {
                        self.summary.rows += 1;
                    }
                    if unterminated || expected != Some(self.seps) {
                        self.summary.bad += 1;
                        self.report(expected, unterminated)?;
                    }
                }
            }
        }
        self.row.clear();
        self.seps = 0;
        self.row_line = self.lines + 1;
        Ok(())
    }

    fn report(&mut self, expected: Option<usize>, unterminated: bool) -> io::Result<()> {
        let mut line = Vec::with_capacity(self.row.len() + 64);
        match expected {
            Some(e) => write!(line, "line {}: {} separators, expected {e}", self.row_line, self.seps)?,
            None => write!(line, "line {}: {} separators", self.row_line, self.seps)?,
        }
        if unterminated {
            line.extend_from_slice(b" (unterminated quoted field)");
        }
        line.extend_from_slice(b": ");
        let mut quoted = false;
        for &b in &self.row {
            if b == b'"' {
                quoted = !quoted;
            }
            if b == self.sep && !quoted && self.color {
                line.extend_from_slice(RED);
                line.push(b);
                line.extend_from_slice(RESET);
            } else {
                line.push(b);
            }
        }
        line.push(b'\n');
        self.out.write_all(&line)
    }

    /// Ends the input (a last row without a line break counts) and
    /// returns what was found, with the output writer.
    pub fn finish(mut self) -> io::Result<(Summary, W)> {
        let unterminated = self.in_quotes;
        if !self.row.is_empty() || unterminated {
            self.end_row(unterminated)?;
        }
        self.out.flush()?;
        Ok((self.summary, self.out))
    }
}

impl<W: Write> Write for Checker<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.feed(data)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Checks `input` (all of it) and returns the report text and summary.
pub fn check_bytes(input: &[u8], sep: u8, color: bool) -> (Summary, String) {
    let mut c = Checker::new(Vec::new(), sep, color);
    // Writing into a Vec cannot fail.
    let _ = c.write_all(input);
    match c.finish() {
        Ok((s, out)) => (s, String::from_utf8_lossy(&out).into_owned()),
        Err(_) => (Summary::default(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_separators_outside_quotes() {
        let csv = "a,b,c\n1,\"x,y\",3\n\"multi\nline, with comma\",2,3\n1,2\n1,2,3,4\r\n5,6,7";
        let (s, report) = check_bytes(csv.as_bytes(), b',', false);
        assert_eq!(s, Summary { rows: 5, bad: 2, expected: Some(2) });
        assert_eq!(report, "line 5: 1 separators, expected 2: 1,2\nline 6: 3 separators, expected 2: 1,2,3,4\n");
    }

    #[test]
    fn red_only_when_asked_and_only_outside_quotes() {
        let (_, report) = check_bytes(b"a;b\n\"x;\";y;z\n", b';', true);
        assert_eq!(report, "line 2: 2 separators, expected 1: \"x;\"\x1b[31m;\x1b[0my\x1b[31m;\x1b[0mz\n");
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let (s, report) = check_bytes(b"a,b\n\"x,y\n", b',', false);
        assert_eq!(s.bad, 1, "{report}");
        assert!(report.contains("unterminated"), "{report}");
    }

    #[test]
    fn escaped_quotes_and_blank_lines() {
        let (s, _) = check_bytes(b"a,b\n\"say \"\"hi, there\"\"\",2\n\n3,4\n", b',', false);
        assert_eq!(s, Summary { rows: 2, bad: 0, expected: Some(1) });
    }
}
