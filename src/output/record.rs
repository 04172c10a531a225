//! A record type's layout, compiled once from its descriptor, and a
//! decoder that reads protobuf wire data against it without allocating.
//!
//! Decoding keeps every value as a [`Wire`] that points into the record's
//! bytes (strings and bytes are not copied); nested messages are decoded
//! only when they are printed. Nothing here knows a record type: field
//! names, kinds and numbers all come from the schema's descriptors.

use prost_reflect::{Kind as PKind, MessageDescriptor};
use std::collections::HashMap;

/// Deepest nesting of messages inside a record that is printed; deeper
/// data is refused rather than recursed into.
pub const MAX_DEPTH: usize = 32;

/// A field's protobuf type; messages by index into [`Schema::messages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Double,
    Float,
    Int32,
    Int64,
    UInt32,
    UInt64,
    SInt32,
    SInt64,
    Fixed32,
    Fixed64,
    SFixed32,
    SFixed64,
    Bool,
    String,
    Bytes,
    Enum,
    Message(usize),
}

impl Kind {
    /// The wire type a single value of this kind is encoded with.
    fn wire_type(self) -> u8 {
        match self {
            Kind::Double | Kind::Fixed64 | Kind::SFixed64 => 1,
            Kind::Float | Kind::Fixed32 | Kind::SFixed32 => 5,
            Kind::String | Kind::Bytes | Kind::Message(_) => 2,
            _ => 0,
        }
    }

    /// The message type index of a message kind.
    pub fn message(self) -> Option<usize> {
        match self {
            Kind::Message(m) => Some(m),
            _ => None,
        }
    }

    /// Scalars a repeated field may pack into one length-delimited value.
    fn packable(self) -> bool {
        !matches!(self, Kind::String | Kind::Bytes | Kind::Message(_))
    }
}

/// One field of a message, in declaration order.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    /// `"name":`, ready for JSON output.
    pub json_key: Box<[u8]>,
    pub number: u32,
    pub kind: Kind,
    /// A list (`repeated`, maps included).
    pub repeated: bool,
    /// Nanoseconds since the epoch, by the schema's convention: an int64
    /// field whose name starts with `Timestamp`.
    pub timestamp: bool,
}

/// A message's fields and a lookup from field number to position.
#[derive(Debug, Clone)]
pub struct Message {
    pub name: String,
    pub fields: Vec<Field>,
    /// Field number → index in `fields` for small numbers (the common case).
    dense: Vec<u16>,
    sparse: HashMap<u32, u16>,
}

const NONE: u16 = u16::MAX;
const DENSE_LIMIT: u32 = 1024;

impl Message {
    /// Position of the field numbered `number`, if the schema has one.
    #[inline]
    pub fn index_of(&self, number: u32) -> Option<usize> {
        let i = if number < DENSE_LIMIT { *self.dense.get(number as usize)? } else { *self.sparse.get(&number)? };
        (i != NONE).then_some(i as usize)
    }

    /// Position of the field called `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// A record type and every message type reachable from it.
#[derive(Debug, Clone)]
pub struct Schema {
    /// `messages[0]` is the record type itself.
    pub messages: Vec<Message>,
}

impl Schema {
    pub fn compile(root: &MessageDescriptor) -> Schema {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut order: Vec<MessageDescriptor> = vec![root.clone()];
        index.insert(root.full_name().to_owned(), 0);
        let mut messages = Vec::new();
        let mut next = 0;
        while next < order.len() {
            let desc = order[next].clone();
            let nested = next > 0;
            next += 1;
            let mut fields = Vec::new();
            for f in desc.fields() {
                // The packet key belongs to the record, not to a part of it:
                // a record type used as a nested message (IPv6's HopByHop)
                // never carries it there, so a column of zeros would mislead.
                if nested && f.number() == crate::decode::FRAME_NUMBER_FIELD && f.name() == "FrameNumber" {
                    continue;
                }
                let kind = match f.kind() {
                    PKind::Double => Kind::Double,
                    PKind::Float => Kind::Float,
                    PKind::Int32 => Kind::Int32,
                    PKind::Int64 => Kind::Int64,
                    PKind::Uint32 => Kind::UInt32,
                    PKind::Uint64 => Kind::UInt64,
                    PKind::Sint32 => Kind::SInt32,
                    PKind::Sint64 => Kind::SInt64,
                    PKind::Fixed32 => Kind::Fixed32,
                    PKind::Fixed64 => Kind::Fixed64,
                    PKind::Sfixed32 => Kind::SFixed32,
                    PKind::Sfixed64 => Kind::SFixed64,
                    PKind::Bool => Kind::Bool,
                    PKind::String => Kind::String,
                    PKind::Bytes => Kind::Bytes,
                    PKind::Enum(_) => Kind::Enum,
                    PKind::Message(m) => {
                        let i = match index.get(m.full_name()) {
                            Some(&i) => i,
                            None => {
                                let i = order.len();
                                index.insert(m.full_name().to_owned(), i);
                                order.push(m);
                                i
                            }
                        };
                        Kind::Message(i)
                    }
                };
                let mut json_key = Vec::new();
                super::json::push_json_str(&mut json_key, f.name());
                json_key.push(b':');
                fields.push(Field {
                    name: f.name().to_owned(),
                    json_key: json_key.into(),
                    number: f.number(),
                    kind,
                    repeated: f.is_list() || f.is_map(),
                    timestamp: kind == Kind::Int64 && f.name().starts_with("Timestamp"),
                });
            }
            let mut dense = Vec::new();
            let mut sparse = HashMap::new();
            for (i, f) in fields.iter().enumerate() {
                if f.number < DENSE_LIMIT {
                    if dense.len() <= f.number as usize {
                        dense.resize(f.number as usize + 1, NONE);
                    }
                    dense[f.number as usize] = i as u16;
                } else {
                    sparse.insert(f.number, i as u16);
                }
            }
            messages.push(Message { name: desc.name().to_owned(), fields, dense, sparse });
        }
        Schema { messages }
    }

    pub fn root(&self) -> &Message {
        &self.messages[0]
    }
}

/// One value as it is on the wire; `Len` is a byte range of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Varint(u64),
    I64(u64),
    I32(u32),
    Len(usize, usize),
}

/// The values of one decoded message, by field position. Reused from
/// record to record: clearing keeps the capacity.
#[derive(Debug, Default)]
pub struct Values {
    slots: Vec<Vec<Wire>>,
}

impl Values {
    /// Empties every slot for a message of `fields` fields.
    pub fn reset(&mut self, fields: usize) {
        if self.slots.len() < fields {
            self.slots.resize_with(fields, Vec::new);
        }
        self.slots.truncate(fields);
        for s in &mut self.slots {
            s.clear();
        }
    }

    /// Every occurrence of field `i`, in wire order.
    pub fn get(&self, i: usize) -> &[Wire] {
        self.slots.get(i).map_or(&[], Vec::as_slice)
    }
}

/// Reads a varint at `*pos`, not past `end` (through [`crate::varint`]).
#[inline(always)]
pub fn read_varint(buf: &[u8], pos: &mut usize, end: usize) -> Result<u64, String> {
    let rest = buf.get(*pos..end.min(buf.len())).unwrap_or_default();
    match crate::varint::decode(rest) {
        Ok((value, len)) => {
            *pos += len;
            Ok(value)
        }
        Err(e) => Err(varint_error(e)),
    }
}

/// Kept out of line so that [`read_varint`] stays small enough to inline.
#[cold]
#[inline(never)]
fn varint_error(e: crate::varint::VarintError) -> String {
    match e {
        crate::varint::VarintError::Truncated => "truncated varint".into(),
        crate::varint::VarintError::TooLong => "varint longer than 10 bytes".into(),
        crate::varint::VarintError::Overflow => "varint overflows 64 bits".into(),
    }
}

fn read_fixed<const N: usize>(buf: &[u8], pos: &mut usize, end: usize) -> Result<[u8; N], String> {
    let bytes = buf.get(..end.min(buf.len())).and_then(|b| b.get(*pos..)?.get(..N));
    let Some(bytes) = bytes else {
        return Err(format!("truncated {N}-byte value"));
    };
    let mut b = [0u8; N];
    b.copy_from_slice(bytes);
    *pos += N;
    Ok(b)
}

/// Decodes message `msg` from `buf[start..end]` into `out`, adding to what
/// `out` holds (protobuf merge semantics: call [`Values::reset`] first for
/// a fresh message). Unknown fields are skipped; a known field with the
/// wrong wire type, or bytes that are not protobuf, are an error.
pub fn decode(
    schema: &Schema,
    msg: usize,
    buf: &[u8],
    start: usize,
    end: usize,
    out: &mut Values,
) -> Result<(), String> {
    let message = &schema.messages[msg];
    let end = end.min(buf.len());
    let mut pos = start;
    while pos < end {
        let at = pos;
        let (number, wire_type, value) = read_field(buf, &mut pos, end)?;
        let Some(i) = message.index_of(number) else { continue };
        check_wire_type(message, i, wire_type, at)?;
        if let Some(slot) = out.slots.get_mut(i) {
            slot.push(value);
        }
    }
    Ok(())
}

/// Reads one field at `*pos` (not past `end`): its number, wire type and
/// value. Errors name the byte offset of the field.
#[inline(always)]
pub fn read_field(buf: &[u8], pos: &mut usize, end: usize) -> Result<(u32, u8, Wire), String> {
    let at = *pos;
    let key = read_varint(buf, pos, end).map_err(|e| format!("field key at byte {at}: {e}"))?;
    let number = key >> 3;
    let wire_type = (key & 7) as u8;
    if number == 0 || number > u64::from(u32::MAX >> 3) {
        return Err(format!("invalid field number {number} at byte {at}"));
    }
    let value = match wire_type {
        0 => Wire::Varint(read_varint(buf, pos, end).map_err(|e| format!("field {number} at byte {at}: {e}"))?),
        1 => Wire::I64(u64::from_le_bytes(
            read_fixed::<8>(buf, pos, end).map_err(|e| format!("field {number} at byte {at}: {e}"))?,
        )),
        5 => Wire::I32(u32::from_le_bytes(
            read_fixed::<4>(buf, pos, end).map_err(|e| format!("field {number} at byte {at}: {e}"))?,
        )),
        2 => {
            let len = read_varint(buf, pos, end).map_err(|e| format!("field {number} at byte {at}: {e}"))?;
            if len > (end - *pos) as u64 {
                return Err(format!("field {number} at byte {at}: length {len} runs past the end of the message"));
            }
            let s = *pos;
            *pos += len as usize;
            Wire::Len(s, *pos)
        }
        3 | 4 => return Err(format!("field {number} at byte {at}: group wire type {wire_type} is not supported")),
        _ => return Err(format!("field {number} at byte {at}: invalid wire type {wire_type}")),
    };
    Ok((number as u32, wire_type, value))
}

/// Whether field `i` of `message` may carry `wire_type` (its own, or a
/// packed run of a repeated scalar); the error names the field.
#[inline(always)]
pub fn check_wire_type(message: &Message, i: usize, wire_type: u8, at: usize) -> Result<(), String> {
    let Some(field) = message.fields.get(i) else { return Ok(()) };
    let expected = field.kind.wire_type();
    if wire_type == expected || (wire_type == 2 && field.repeated && field.kind.packable()) {
        return Ok(());
    }
    Err(format!("{}.{} at byte {at}: wire type {wire_type}, the schema says {expected}", message.name, field.name))
}

/// Most values one record may expand to when every field of every nested
/// message is materialized (a Parquet column value, a JSON or CSV value).
/// An empty nested message is two bytes of a record but a value per field
/// of its type: a hostile 16 MiB record of empty DNS answers became
/// 1.7 GB of Parquet columns and a 1.3 GB JSON line. netcap's own records
/// stay far below it (a 64 KiB DNS message has a few thousand resource
/// records of about twenty values each).
pub const MAX_RECORD_VALUES: usize = 8 << 20;

/// Records shorter than this cannot reach [`MAX_RECORD_VALUES`] (each
/// two bytes expand to at most [`Schema::max_expansion`] values, which a
/// test bounds), so only longer ones are walked by [`check_expansion`].
pub const EXPANSION_CHECKED_FROM: usize = 64 << 10;

impl Schema {
    /// Values one occurrence of message `msg` adds at most apart from its
    /// list elements and the nested messages it carries: one for itself,
    /// one per scalar or list field, and a nested message field's own
    /// count (what an absent one expands to as defaults).
    fn expansion(&self, msg: usize, depth: usize) -> usize {
        let Some(m) = self.messages.get(msg) else { return 1 };
        1 + m
            .fields
            .iter()
            .map(|f| match f.kind {
                Kind::Message(c) if !f.repeated && depth < MAX_DEPTH => self.expansion(c, depth + 1),
                _ => 1,
            })
            .sum::<usize>()
    }

    /// The most values any two bytes of a record can expand to: an empty
    /// nested message (a key and a zero length) of the widest type with
    /// its list element, or two packed one-byte scalars.
    pub fn max_expansion(&self) -> usize {
        (0..self.messages.len()).map(|m| self.expansion(m, 0) + 1).max().unwrap_or(1).max(2)
    }
}

/// Refuses a record that would expand to more than [`MAX_RECORD_VALUES`]
/// values. `read`, `label` and `export` all call it before decoding, so
/// they accept and refuse the same records. The count is an upper bound
/// (every occurrence of a nested message is counted in full, merged ones
/// too); malformed bytes are left to the decoder to report.
pub fn check_expansion(schema: &Schema, buf: &[u8]) -> Result<(), String> {
    if buf.len() < EXPANSION_CHECKED_FROM {
        return Ok(());
    }
    let weights: Vec<usize> = (0..schema.messages.len()).map(|m| schema.expansion(m, 0)).collect();
    let mut total = 0usize;
    if count_values(schema, &weights, 0, buf, 0, buf.len(), 0, &mut total) {
        Ok(())
    } else {
        Err(format!("the record expands to more than {MAX_RECORD_VALUES} values"))
    }
}

/// Adds the values of message `msg` in `buf[start..end]` to `total`;
/// false once past [`MAX_RECORD_VALUES`]. Stops quietly at malformed
/// bytes (the decoder reports them).
#[allow(clippy::too_many_arguments)]
fn count_values(
    schema: &Schema,
    weights: &[usize],
    msg: usize,
    buf: &[u8],
    start: usize,
    end: usize,
    depth: usize,
    total: &mut usize,
) -> bool {
    *total += weights.get(msg).copied().unwrap_or(1);
    let Some(message) = schema.messages.get(msg) else { return true };
    if depth > MAX_DEPTH {
        return *total <= MAX_RECORD_VALUES;
    }
    let end = end.min(buf.len());
    let mut pos = start;
    while pos < end && *total <= MAX_RECORD_VALUES {
        let Ok(key) = read_varint(buf, &mut pos, end) else { break };
        let (number, wire_type) = (key >> 3, key & 7);
        let (s, e) = match wire_type {
            0 => match read_varint(buf, &mut pos, end) {
                Ok(_) => (pos, pos),
                Err(_) => break,
            },
            1 | 5 => {
                let n = if wire_type == 1 { 8 } else { 4 };
                if end - pos < n {
                    break;
                }
                pos += n;
                (pos, pos)
            }
            2 => {
                let Ok(len) = read_varint(buf, &mut pos, end) else { break };
                if len > (end - pos) as u64 {
                    break;
                }
                let s = pos;
                pos += len as usize;
                (s, pos)
            }
            _ => break,
        };
        let Some(field) =
            u32::try_from(number).ok().and_then(|n| message.index_of(n)).and_then(|i| message.fields.get(i))
        else {
            continue;
        };
        match field.kind {
            Kind::Message(m) if wire_type == 2 => {
                *total += usize::from(field.repeated);
                if !count_values(schema, weights, m, buf, s, e, depth + 1, total) {
                    return false;
                }
            }
            kind if field.repeated && wire_type == 2 && kind.packable() => {
                // A packed run: one value per element.
                *total += match kind.wire_type() {
                    0 => buf.get(s..e).map_or(0, |b| b.iter().filter(|&&b| b < 0x80).count()),
                    1 => (e - s) / 8,
                    _ => (e - s) / 4,
                };
            }
            _ => *total += usize::from(field.repeated),
        }
    }
    *total <= MAX_RECORD_VALUES
}

/// The elements of a repeated field, unpacking packed scalars.
pub struct Elements<'a> {
    kind: Kind,
    wires: std::slice::Iter<'a, Wire>,
    buf: &'a [u8],
    packed: (usize, usize),
}

pub fn elements<'a>(kind: Kind, wires: &'a [Wire], buf: &'a [u8]) -> Elements<'a> {
    Elements { kind, wires: wires.iter(), buf, packed: (0, 0) }
}

impl Iterator for Elements<'_> {
    type Item = Result<Wire, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (pos, end) = self.packed;
            if pos < end {
                let mut p = pos;
                let r = match self.kind.wire_type() {
                    0 => read_varint(self.buf, &mut p, end).map(Wire::Varint),
                    1 => read_fixed::<8>(self.buf, &mut p, end).map(|b| Wire::I64(u64::from_le_bytes(b))),
                    _ => read_fixed::<4>(self.buf, &mut p, end).map(|b| Wire::I32(u32::from_le_bytes(b))),
                };
                // After an error, stop: the rest of the packed run is garbage.
                self.packed = if r.is_ok() { (p, end) } else { (0, 0) };
                return Some(r.map_err(|e| format!("packed list: {e}")));
            }
            match *self.wires.next()? {
                Wire::Len(s, e) if self.kind.packable() => self.packed = (s, e),
                w => return Some(Ok(w)),
            }
        }
    }
}

/// A scalar value, typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    I(i64),
    U(u64),
    F(f64),
    B(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
}

/// The value of a scalar field, or its proto3 default when absent.
#[inline(always)]
pub fn scalar<'a>(kind: Kind, wire: Option<Wire>, buf: &'a [u8]) -> Result<Scalar<'a>, String> {
    let Some(w) = wire else {
        return Ok(match kind {
            Kind::UInt32 | Kind::UInt64 | Kind::Fixed32 | Kind::Fixed64 => Scalar::U(0),
            Kind::Double | Kind::Float => Scalar::F(0.0),
            Kind::Bool => Scalar::B(false),
            Kind::String => Scalar::Str(""),
            Kind::Bytes | Kind::Message(_) => Scalar::Bytes(&[]),
            _ => Scalar::I(0),
        });
    };
    Ok(match (kind, w) {
        (Kind::Int32 | Kind::Enum, Wire::Varint(v)) => Scalar::I(i64::from(v as i32)),
        (Kind::Int64, Wire::Varint(v)) => Scalar::I(v as i64),
        (Kind::UInt32, Wire::Varint(v)) => Scalar::U(u64::from(v as u32)),
        (Kind::UInt64, Wire::Varint(v)) => Scalar::U(v),
        (Kind::SInt32, Wire::Varint(v)) => {
            let v = v as u32;
            Scalar::I(i64::from((v >> 1) as i32 ^ -((v & 1) as i32)))
        }
        (Kind::SInt64, Wire::Varint(v)) => Scalar::I((v >> 1) as i64 ^ -((v & 1) as i64)),
        (Kind::Bool, Wire::Varint(v)) => Scalar::B(v != 0),
        (Kind::Fixed64, Wire::I64(v)) => Scalar::U(v),
        (Kind::SFixed64, Wire::I64(v)) => Scalar::I(v as i64),
        (Kind::Double, Wire::I64(v)) => Scalar::F(f64::from_bits(v)),
        (Kind::Fixed32, Wire::I32(v)) => Scalar::U(u64::from(v)),
        (Kind::SFixed32, Wire::I32(v)) => Scalar::I(i64::from(v as i32)),
        (Kind::Float, Wire::I32(v)) => Scalar::F(f64::from(f32::from_bits(v))),
        (Kind::String, Wire::Len(s, e)) => match buf.get(s..e).map(std::str::from_utf8) {
            Some(Ok(s)) => Scalar::Str(s),
            _ => return Err(bad_value(kind, w)),
        },
        (Kind::Bytes, Wire::Len(s, e)) => match buf.get(s..e) {
            Some(b) => Scalar::Bytes(b),
            None => return Err(bad_value(kind, w)),
        },
        (k, w) => return Err(bad_value(k, w)),
    })
}

/// Kept out of line so that [`scalar`] stays small enough to inline.
#[cold]
#[inline(never)]
fn bad_value(kind: Kind, w: Wire) -> String {
    match (kind, w) {
        (Kind::String, Wire::Len(..)) => "string field is not valid UTF-8".to_owned(),
        _ => format!("value {w:?} does not fit a {kind:?} field"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Skipping the walk for records shorter than
    /// [`EXPANSION_CHECKED_FROM`] is sound: no such record of any type can
    /// reach [`MAX_RECORD_VALUES`].
    #[test]
    fn short_records_cannot_reach_the_value_limit() {
        for e in crate::registry::ENCODERS {
            let schema = Schema::compile(&crate::schema::message(e.name).expect("record type"));
            let bound = schema.expansion(0, 0) + schema.max_expansion() * (EXPANSION_CHECKED_FROM / 2);
            assert!(bound <= MAX_RECORD_VALUES, "{}: {bound} values", e.name);
        }
    }

    /// A record of empty DNS answers: refused when it would expand past
    /// the limit, accepted below it; a normal record is never walked.
    #[test]
    fn expansion_is_bounded() {
        let schema = Schema::compile(&crate::schema::message("DNS").expect("DNS"));
        let answers = crate::schema::message("DNS").and_then(|d| d.get_field_by_name("Answers")).expect("Answers");
        let mut empty_answer = Vec::new();
        prost::encoding::encode_key(answers.number(), prost::encoding::WireType::LengthDelimited, &mut empty_answer);
        empty_answer.push(0);
        let per_answer = schema.expansion(
            schema.root().fields[schema.root().field_index("Answers").expect("i")].kind.message().expect("m"),
            0,
        ) + 1;
        let fits = (MAX_RECORD_VALUES - schema.expansion(0, 0)) / per_answer;
        let record = |n: usize| empty_answer.repeat(n);
        assert!(record(fits).len() >= EXPANSION_CHECKED_FROM);
        assert_eq!(check_expansion(&schema, &record(fits)), Ok(()));
        let e = check_expansion(&schema, &record(fits + 1)).expect_err("one answer too many");
        assert!(e.contains("more than 8388608 values"), "{e}");
        // Malformed bytes are the decoder's to report.
        let mut cut = record(fits + 1);
        cut.truncate(EXPANSION_CHECKED_FROM + 1);
        assert_eq!(check_expansion(&schema, &cut), Ok(()));
    }

    #[test]
    fn schema_comes_from_the_descriptor() {
        let tcp = Schema::compile(&crate::schema::message("TCP").expect("TCP"));
        let root = tcp.root();
        assert_eq!(root.name, "TCP");
        assert_eq!(root.fields[0].name, "Timestamp");
        assert!(root.fields[0].timestamp);
        let opts = &root.fields[root.field_index("Options").expect("Options")];
        assert!(opts.repeated);
        let Kind::Message(m) = opts.kind else { panic!("Options is a message") };
        assert_eq!(tcp.messages[m].name, "TCPOption");
        assert!(!root.fields[root.field_index("SrcPort").expect("SrcPort")].timestamp);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let s = Schema::compile(&crate::schema::message("TCP").expect("TCP"));
        let mut v = Values::default();
        for bad in [&[0x08][..], &[0x08, 0xff], &[0x0b], &[0x0f], &[0x00, 0x01], &[0x12, 0x05, 0x01], &[0x09, 1, 2, 3]]
        {
            v.reset(s.root().fields.len());
            assert!(decode(&s, 0, bad, 0, bad.len(), &mut v).is_err(), "{bad:?}");
        }
        // Timestamp (field 1, int64) sent as a string: wrong wire type.
        v.reset(s.root().fields.len());
        let e = decode(&s, 0, &[0x0a, 0x00], 0, 2, &mut v).expect_err("wire type");
        assert!(e.contains("TCP.Timestamp"), "{e}");
        // Unknown field 99 (varint) is skipped.
        v.reset(s.root().fields.len());
        decode(&s, 0, &[0x98, 0x06, 0x01, 0x10, 0x50], 0, 5, &mut v).expect("unknown field skipped");
        assert_eq!(v.get(1), &[Wire::Varint(80)]);
    }

    #[test]
    fn packed_and_signed() {
        let buf = [0x01, 0x96, 0x01, 0x03];
        let got: Vec<_> = elements(Kind::Int32, &[Wire::Len(0, 4)], &buf).collect::<Result<_, _>>().expect("packed");
        assert_eq!(got, [Wire::Varint(1), Wire::Varint(150), Wire::Varint(3)]);
        assert_eq!(scalar(Kind::SInt32, Some(Wire::Varint(3)), &[]), Ok(Scalar::I(-2)));
        assert_eq!(scalar(Kind::SInt64, Some(Wire::Varint(4)), &[]), Ok(Scalar::I(2)));
        assert_eq!(scalar(Kind::Int32, Some(Wire::Varint(u64::MAX)), &[]), Ok(Scalar::I(-1)));
        assert!(scalar(Kind::String, Some(Wire::Len(0, 1)), &[0xff]).is_err());
    }
}
