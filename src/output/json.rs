//! JSON Lines: one object per record, keys from the schema, typed values:
//! integers and floats as numbers (non-finite floats as null), bools,
//! strings, bytes as lowercase hex strings, nested messages as objects
//! (null when absent), lists as arrays. Timestamps per [`TsFormat`]:
//! RFC 3339 strings by default (`read` chooses that for JSON, because a
//! number in seconds is rounded to ~µs by readers that parse floats),
//! integer nanoseconds, or seconds as a number.

use super::record::{elements, scalar, Kind, Scalar, Values, Wire};
use super::{push_hex, push_timestamp, Error, Renderer, Sink, TsFormat};
use std::io::{BufWriter, Write};

pub struct JsonSink<W: Write> {
    out: BufWriter<W>,
    line: Vec<u8>,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> Self {
        JsonSink { out: BufWriter::with_capacity(1 << 16, out), line: Vec::with_capacity(1024) }
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn begin(&mut self, _r: &Renderer) -> Result<(), Error> {
        Ok(())
    }

    fn record(&mut self, r: &mut Renderer, vals: &Values, buf: &[u8]) -> Result<(), Error> {
        self.line.clear();
        self.line.push(b'{');
        for c in 0..r.columns.len() {
            if c > 0 {
                self.line.push(b',');
            }
            let fi = r.columns[c];
            self.line.extend_from_slice(&r.schema.root().fields[fi].json_key);
            r.field_json(0, vals, fi, buf, &mut self.line, 0)?;
        }
        self.line.extend_from_slice(b"}\n");
        self.out.write_all(&self.line)?;
        Ok(())
    }

    fn finish(&mut self, _r: &Renderer) -> Result<(), Error> {
        self.out.flush()?;
        Ok(())
    }
}

impl Renderer {
    /// Appends field `fi` of message `msg` as a JSON value.
    pub fn field_json(&mut self, msg: usize, vals: &Values, fi: usize, buf: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
        let field = &self.schema.messages[msg].fields[fi];
        let (kind, repeated, timestamp) = (field.kind, field.repeated, field.timestamp);
        let wires = vals.get(fi);
        if repeated {
            out.push(b'[');
            for (i, el) in elements(kind, wires, buf).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let el = el?;
                match kind {
                    Kind::Message(m) => self.message_json(m, std::slice::from_ref(&el), buf, out, depth + 1)?,
                    _ => self.push_json_scalar(out, scalar(kind, Some(el), buf)?, timestamp),
                }
            }
            out.push(b']');
        } else if let Kind::Message(m) = kind {
            if wires.is_empty() {
                out.extend_from_slice(b"null");
            } else {
                self.message_json(m, wires, buf, out, depth + 1)?;
            }
        } else {
            self.push_json_scalar(out, scalar(kind, wires.last().copied(), buf)?, timestamp);
        }
        Ok(())
    }

    fn message_json(&mut self, msg: usize, ranges: &[Wire], buf: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
        self.with_message(msg, ranges, buf, depth, |r, vals| {
            out.push(b'{');
            for fi in 0..r.schema.messages[msg].fields.len() {
                if fi > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&r.schema.messages[msg].fields[fi].json_key);
                r.field_json(msg, vals, fi, buf, out, depth)?;
            }
            out.push(b'}');
            Ok(())
        })
    }

    fn push_json_scalar(&self, out: &mut Vec<u8>, v: Scalar<'_>, timestamp: bool) {
        match v {
            Scalar::I(ns) if timestamp => {
                if self.style.ts == TsFormat::Rfc3339 {
                    out.push(b'"');
                    push_timestamp(out, ns, &self.style);
                    out.push(b'"');
                } else {
                    push_timestamp(out, ns, &self.style);
                }
            }
            Scalar::I(i) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
            Scalar::U(u) => out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes()),
            Scalar::F(f) if f.is_finite() => out.extend_from_slice(ryu::Buffer::new().format_finite(f).as_bytes()),
            Scalar::F(_) => out.extend_from_slice(b"null"),
            Scalar::B(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Scalar::Str(s) => push_json_str(out, s),
            Scalar::Bytes(b) => {
                out.push(b'"');
                push_hex(out, b);
                out.push(b'"');
            }
        }
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        push_json_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8_lossy(&out), r#""a\"b\\c\nd\u0001é""#);
    }
}
