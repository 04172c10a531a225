//! `-struc`: each record as an indented block, one `Name: value` line
//! per field, nested messages as `Name { ... }` blocks (one per list
//! element, none when absent), strings quoted.

use super::json::push_json_str;
use super::record::{elements, scalar, Kind, Scalar, Values, Wire};
use super::{push_text, Error, Renderer, Sink};
use std::io::{BufWriter, Write};

pub struct StrucSink<W: Write> {
    out: BufWriter<W>,
    text: Vec<u8>,
}

impl<W: Write> StrucSink<W> {
    pub fn new(out: W) -> Self {
        StrucSink { out: BufWriter::with_capacity(1 << 16, out), text: Vec::with_capacity(4096) }
    }
}

impl<W: Write> Sink for StrucSink<W> {
    fn begin(&mut self, _r: &Renderer) -> Result<(), Error> {
        Ok(())
    }

    fn record(&mut self, r: &mut Renderer, vals: &Values, buf: &[u8]) -> Result<(), Error> {
        self.text.clear();
        self.text.extend_from_slice(r.schema.root().name.as_bytes());
        self.text.extend_from_slice(b" {\n");
        for c in 0..r.columns.len() {
            let fi = r.columns[c];
            r.field_struc(0, vals, fi, buf, &mut self.text, 1)?;
        }
        self.text.extend_from_slice(b"}\n");
        self.out.write_all(&self.text)?;
        Ok(())
    }

    fn finish(&mut self, _r: &Renderer) -> Result<(), Error> {
        self.out.flush()?;
        Ok(())
    }
}

fn indent(out: &mut Vec<u8>, depth: usize) {
    for _ in 0..depth {
        out.extend_from_slice(b"  ");
    }
}

impl Renderer {
    /// Appends the lines of field `fi` of message `msg`, indented by `depth`.
    pub fn field_struc(&mut self, msg: usize, vals: &Values, fi: usize, buf: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
        let field = &self.schema.messages[msg].fields[fi];
        let (kind, repeated, timestamp) = (field.kind, field.repeated, field.timestamp);
        let wires = vals.get(fi);
        match kind {
            Kind::Message(m) => {
                if repeated {
                    for el in elements(kind, wires, buf) {
                        self.message_struc((msg, fi), m, std::slice::from_ref(&el?), buf, out, depth)?;
                    }
                } else if !wires.is_empty() {
                    self.message_struc((msg, fi), m, wires, buf, out, depth)?;
                }
            }
            _ => {
                indent(out, depth);
                out.extend_from_slice(field.name.as_bytes());
                out.extend_from_slice(b": ");
                if repeated {
                    out.push(b'[');
                    for (i, el) in elements(kind, wires, buf).enumerate() {
                        if i > 0 {
                            out.extend_from_slice(b", ");
                        }
                        self.push_struc_scalar(out, scalar(kind, Some(el?), buf)?, timestamp);
                    }
                    out.push(b']');
                } else {
                    self.push_struc_scalar(out, scalar(kind, wires.last().copied(), buf)?, timestamp);
                }
                out.push(b'\n');
            }
        }
        Ok(())
    }

    /// A nested message as a block named after field `parent` = (message, field index).
    fn message_struc(&mut self, parent: (usize, usize), msg: usize, ranges: &[Wire], buf: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
        self.with_message(msg, ranges, buf, depth, |r, vals| {
            indent(out, depth);
            out.extend_from_slice(r.schema.messages[parent.0].fields[parent.1].name.as_bytes());
            out.extend_from_slice(b" {\n");
            for fi in 0..r.schema.messages[msg].fields.len() {
                r.field_struc(msg, vals, fi, buf, out, depth + 1)?;
            }
            indent(out, depth);
            out.extend_from_slice(b"}\n");
            Ok(())
        })
    }

    fn push_struc_scalar(&self, out: &mut Vec<u8>, v: Scalar<'_>, timestamp: bool) {
        match v {
            Scalar::Str(s) => push_json_str(out, s),
            v => push_text(out, v, timestamp, &self.style),
        }
    }
}
