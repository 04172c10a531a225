//! A record type's Arrow schema, derived from its protobuf descriptor,
//! and column buffers that one record's wire bytes are appended to.
//!
//! Nothing here knows a record type. The mapping, field by field:
//! int64 `Timestamp*` fields (nanoseconds since the epoch, by the
//! schema's convention) become `Timestamp(Nanosecond, "UTC")`; int32,
//! int64, uint32, uint64 (and their sint/fixed spellings), bool, float and
//! double stay themselves; enums are their number (`Int32`, as `netcap read`
//! prints them); strings are `Utf8` (empty stays empty, never null); bytes
//! are `Binary`; a nested message is a nullable `Struct` (null when the
//! record lacks it, as JSON's `null`); a repeated field is a non-null
//! `List` of non-null items (empty when there are none).
//!
//! The buffers are plain `Vec`s rather than Arrow builders: appending is a
//! push, a record that turns out malformed half-way is taken back by
//! truncating every column to the row count, and a full batch becomes
//! Arrow arrays without copying.
//!
//! Column memory is counted in values, not only in record bytes: an empty
//! nested message is two bytes of a record but a value in every column
//! of its struct, so a hostile 16 MiB record of empty DNS answers filled
//! 1.7 GB of columns. [`Columns::append`] refuses a record of more than
//! [`record::MAX_RECORD_VALUES`] values (as `read` does), and
//! [`Columns::buffered_bytes`] tells the writer when a row group is full.

use crate::output::record::{self, elements, scalar, Kind, Scalar, Schema, Values, Wire, MAX_DEPTH, MAX_RECORD_VALUES};
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, Float32Array, Float64Array, Int32Array, Int64Array, ListArray, RecordBatch,
    StringArray, StructArray, TimestampNanosecondArray, UInt32Array, UInt64Array,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, Field, Fields, SchemaRef, TimeUnit};
use prost_reflect::MessageDescriptor;
use std::sync::Arc;

/// Time zone of every timestamp column: the values are UTC instants.
pub const TIME_ZONE: &str = "UTC";

/// Bytes a buffered value is counted as: the widest fixed value, or an
/// offset with its share of a validity bitmap.
const VALUE_BYTES: usize = 8;

/// Arrow type of one value of a field of `kind`.
fn value_type(schema: &Schema, kind: Kind, timestamp: bool, depth: usize) -> Result<DataType, String> {
    Ok(match kind {
        Kind::Int64 if timestamp => DataType::Timestamp(TimeUnit::Nanosecond, Some(TIME_ZONE.into())),
        Kind::Double => DataType::Float64,
        Kind::Float => DataType::Float32,
        Kind::Int32 | Kind::SInt32 | Kind::SFixed32 | Kind::Enum => DataType::Int32,
        Kind::Int64 | Kind::SInt64 | Kind::SFixed64 => DataType::Int64,
        Kind::UInt32 | Kind::Fixed32 => DataType::UInt32,
        Kind::UInt64 | Kind::Fixed64 => DataType::UInt64,
        Kind::Bool => DataType::Boolean,
        Kind::String => DataType::Utf8,
        Kind::Bytes => DataType::Binary,
        Kind::Message(m) => DataType::Struct(message_fields(schema, m, depth + 1)?),
    })
}

/// The Arrow fields of message `msg`, in declaration order.
fn message_fields(schema: &Schema, msg: usize, depth: usize) -> Result<Fields, String> {
    let message = &schema.messages[msg];
    if depth > MAX_DEPTH {
        return Err(format!("message {} nests deeper than {MAX_DEPTH} levels: it has no Arrow type", message.name));
    }
    if message.fields.is_empty() {
        // Parquet cannot store a struct without columns.
        return Err(format!("message {} has no fields: Parquet cannot store an empty struct", message.name));
    }
    let mut fields = Vec::with_capacity(message.fields.len());
    for f in &message.fields {
        let value = value_type(schema, f.kind, f.timestamp, depth)?;
        fields.push(if f.repeated {
            Field::new(&f.name, DataType::List(Arc::new(Field::new("item", value, false))), false)
        } else {
            Field::new(&f.name, value, matches!(f.kind, Kind::Message(_)))
        });
    }
    Ok(Fields::from(fields))
}

/// Offsets and bytes of a string or binary column.
#[derive(Debug)]
struct Var {
    offsets: Vec<i32>,
    data: Vec<u8>,
}

impl Var {
    fn new() -> Var {
        Var { offsets: vec![0], data: Vec::new() }
    }

    #[inline(always)]
    fn push(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.data.extend_from_slice(bytes);
        match i32::try_from(self.data.len()) {
            Ok(end) => {
                self.offsets.push(end);
                Ok(())
            }
            Err(_) => Err(column_too_large()),
        }
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn truncate(&mut self, rows: usize) {
        self.offsets.truncate(rows + 1);
        let end = self.offsets.last().copied().unwrap_or(0);
        self.data.truncate(usize::try_from(end).unwrap_or(0));
    }

    fn take(&mut self) -> (OffsetBuffer<i32>, Buffer) {
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let data = std::mem::take(&mut self.data);
        (OffsetBuffer::new(ScalarBuffer::from(offsets)), Buffer::from_vec(data))
    }
}

/// Ends the list that column `l` holds for the current row.
fn close_list(cols: &mut [Column], l: usize) -> Result<(), String> {
    let Some(Column::List(list)) = cols.get_mut(l) else { return Err("a repeated field without a list column".into()) };
    let end = offset(list.item.len())?;
    list.offsets.push(end);
    Ok(())
}

/// A value whose kind does not match its column (a bug, not input).
#[cold]
#[inline(never)]
fn misfit(v: Scalar<'_>) -> String {
    format!("value {v:?} does not fit its column")
}

/// An Arrow offset; a batch is flushed long before 2 GiB, so overflow
/// means a bug or a hostile record, reported rather than wrapped.
fn offset(n: usize) -> Result<i32, String> {
    i32::try_from(n).map_err(|_| column_too_large())
}

#[cold]
#[inline(never)]
fn column_too_large() -> String {
    "more than 2 GiB in one column of a row group".to_owned()
}

#[derive(Debug)]
struct StructColumn {
    children: Vec<Column>,
    /// Validity per row; `None` for a struct that is never null (a list item).
    valid: Option<Vec<bool>>,
    rows: usize,
}

#[derive(Debug)]
struct ListColumn {
    offsets: Vec<i32>,
    item: Column,
}

/// The values of one Arrow column of the batch being built.
#[derive(Debug)]
enum Column {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Ts(Vec<i64>),
    Str(Var),
    Bin(Var),
    Struct(Box<StructColumn>),
    List(Box<ListColumn>),
}

impl Column {
    /// Empty buffers for a column of type `t` (one the schema mapping made).
    fn for_type(t: &DataType, nullable: bool) -> Result<Column, String> {
        Ok(match t {
            DataType::Boolean => Column::Bool(Vec::new()),
            DataType::Int32 => Column::I32(Vec::new()),
            DataType::Int64 => Column::I64(Vec::new()),
            DataType::UInt32 => Column::U32(Vec::new()),
            DataType::UInt64 => Column::U64(Vec::new()),
            DataType::Float32 => Column::F32(Vec::new()),
            DataType::Float64 => Column::F64(Vec::new()),
            DataType::Timestamp(..) => Column::Ts(Vec::new()),
            DataType::Utf8 => Column::Str(Var::new()),
            DataType::Binary => Column::Bin(Var::new()),
            DataType::Struct(fields) => Column::Struct(Box::new(StructColumn {
                children: fields
                    .iter()
                    .map(|f| Column::for_type(f.data_type(), f.is_nullable()))
                    .collect::<Result<_, _>>()?,
                valid: nullable.then(Vec::new),
                rows: 0,
            })),
            DataType::List(item) => Column::List(Box::new(ListColumn {
                offsets: vec![0],
                item: Column::for_type(item.data_type(), item.is_nullable())?,
            })),
            other => return Err(format!("no column for Arrow type {other}")),
        })
    }

    fn len(&self) -> usize {
        match self {
            Column::Bool(v) => v.len(),
            Column::I32(v) => v.len(),
            Column::I64(v) | Column::Ts(v) => v.len(),
            Column::U32(v) => v.len(),
            Column::U64(v) => v.len(),
            Column::F32(v) => v.len(),
            Column::F64(v) => v.len(),
            Column::Str(v) | Column::Bin(v) => v.len(),
            Column::Struct(s) => s.rows,
            Column::List(l) => l.offsets.len() - 1,
        }
    }

    /// Drops every row from `rows` on (taking back a partly appended record).
    fn truncate(&mut self, rows: usize) {
        match self {
            Column::Bool(v) => v.truncate(rows),
            Column::I32(v) => v.truncate(rows),
            Column::I64(v) | Column::Ts(v) => v.truncate(rows),
            Column::U32(v) => v.truncate(rows),
            Column::U64(v) => v.truncate(rows),
            Column::F32(v) => v.truncate(rows),
            Column::F64(v) => v.truncate(rows),
            Column::Str(v) | Column::Bin(v) => v.truncate(rows),
            Column::Struct(s) => {
                s.rows = s.rows.min(rows);
                for c in &mut s.children {
                    c.truncate(rows);
                }
                if let Some(v) = &mut s.valid {
                    v.truncate(rows);
                }
            }
            Column::List(l) => {
                l.offsets.truncate(rows + 1);
                let end = l.offsets.last().copied().unwrap_or(0);
                l.item.truncate(usize::try_from(end).unwrap_or(0));
            }
        }
    }

    /// Appends the proto3 default: zero, false, empty, an empty list, or
    /// null for a nested message. Returns the number of values appended.
    /// Scalars inline (most absent fields are zeros and false flags).
    #[inline(always)]
    fn push_default(&mut self) -> Result<usize, String> {
        match self {
            Column::Bool(v) => v.push(false),
            Column::I32(v) => v.push(0),
            Column::I64(v) | Column::Ts(v) => v.push(0),
            Column::U32(v) => v.push(0),
            Column::U64(v) => v.push(0),
            Column::F32(v) => v.push(0.0),
            Column::F64(v) => v.push(0.0),
            _ => return self.push_default_slow(),
        }
        Ok(1)
    }

    /// [`push_default`](Self::push_default) of the other columns.
    fn push_default_slow(&mut self) -> Result<usize, String> {
        match self {
            Column::Str(v) | Column::Bin(v) => v.push(&[])?,
            Column::Struct(s) => {
                let mut values = 1;
                for c in &mut s.children {
                    values += c.push_default()?;
                }
                if let Some(v) = &mut s.valid {
                    v.push(false);
                }
                s.rows += 1;
                return Ok(values);
            }
            Column::List(l) => {
                let end = l.offsets.last().copied().unwrap_or(0);
                l.offsets.push(end);
            }
            _ => return self.push_default(),
        }
        Ok(1)
    }

    /// Appends a scalar straight from its wire value: one match where
    /// [`scalar`] and [`push_scalar`](Self::push_scalar) take two, for
    /// the kinds netcap's records are made of; the rest goes through them.
    #[inline(always)]
    fn push_wire(&mut self, kind: Kind, wire: Wire, buf: &[u8]) -> Result<(), String> {
        match (&mut *self, kind, wire) {
            (Column::I32(c), Kind::Int32 | Kind::Enum, Wire::Varint(v)) => c.push(v as i32),
            (Column::U32(c), Kind::UInt32, Wire::Varint(v)) => c.push(v as u32),
            (Column::I64(c) | Column::Ts(c), Kind::Int64, Wire::Varint(v)) => c.push(v as i64),
            (Column::U64(c), Kind::UInt64, Wire::Varint(v)) => c.push(v),
            (Column::Bool(c), Kind::Bool, Wire::Varint(v)) => c.push(v != 0),
            (Column::F64(c), Kind::Double, Wire::I64(v)) => c.push(f64::from_bits(v)),
            _ => return self.push_scalar(scalar(kind, Some(wire), buf)?),
        }
        Ok(())
    }

    /// Appends one scalar value; the column was made for its kind.
    /// Inlined into the field loop, with the error out of line: as a call
    /// its prologue and epilogue cost as much as the match.
    #[inline(always)]
    fn push_scalar(&mut self, v: Scalar<'_>) -> Result<(), String> {
        match (self, v) {
            (Column::I32(c), Scalar::I(i)) => c.push(i as i32),
            (Column::I64(c) | Column::Ts(c), Scalar::I(i)) => c.push(i),
            (Column::U32(c), Scalar::U(u)) => c.push(u as u32),
            (Column::U64(c), Scalar::U(u)) => c.push(u),
            (Column::F32(c), Scalar::F(f)) => c.push(f as f32),
            (Column::F64(c), Scalar::F(f)) => c.push(f),
            (Column::Bool(c), Scalar::B(b)) => c.push(b),
            (Column::Str(c), Scalar::Str(s)) => return c.push(s.as_bytes()),
            (Column::Bin(c), Scalar::Bytes(b)) => return c.push(b),
            (_, v) => return Err(misfit(v)),
        }
        Ok(())
    }

    /// The buffered rows as an Arrow array of `field`'s type; the buffers
    /// are left empty for the next batch.
    fn finish(&mut self, field: &Field) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Column::Bool(v) => {
                let bits = BooleanBuffer::from(v.as_slice());
                v.clear();
                Arc::new(BooleanArray::new(bits, None))
            }
            Column::I32(v) => Arc::new(Int32Array::new(ScalarBuffer::from(std::mem::take(v)), None)),
            Column::I64(v) => Arc::new(Int64Array::new(ScalarBuffer::from(std::mem::take(v)), None)),
            Column::U32(v) => Arc::new(UInt32Array::new(ScalarBuffer::from(std::mem::take(v)), None)),
            Column::U64(v) => Arc::new(UInt64Array::new(ScalarBuffer::from(std::mem::take(v)), None)),
            Column::F32(v) => Arc::new(Float32Array::new(ScalarBuffer::from(std::mem::take(v)), None)),
            Column::F64(v) => Arc::new(Float64Array::new(ScalarBuffer::from(std::mem::take(v)), None)),
            Column::Ts(v) => Arc::new(
                TimestampNanosecondArray::new(ScalarBuffer::from(std::mem::take(v)), None).with_timezone(TIME_ZONE),
            ),
            Column::Str(v) => {
                let (offsets, data) = v.take();
                Arc::new(StringArray::try_new(offsets, data, None)?)
            }
            Column::Bin(v) => {
                let (offsets, data) = v.take();
                Arc::new(BinaryArray::try_new(offsets, data, None)?)
            }
            Column::Struct(s) => {
                let DataType::Struct(fields) = field.data_type() else {
                    return Err(ArrowError::SchemaError(format!("{} is not a struct", field.name())));
                };
                let arrays = s
                    .children
                    .iter_mut()
                    .zip(fields.iter())
                    .map(|(c, f)| c.finish(f))
                    .collect::<Result<Vec<_>, _>>()?;
                let nulls = s.valid.as_mut().map(|v| {
                    let bits = NullBuffer::from(v.as_slice());
                    v.clear();
                    bits
                });
                s.rows = 0;
                Arc::new(StructArray::try_new(fields.clone(), arrays, nulls)?)
            }
            Column::List(l) => {
                let DataType::List(item) = field.data_type() else {
                    return Err(ArrowError::SchemaError(format!("{} is not a list", field.name())));
                };
                let offsets = std::mem::replace(&mut l.offsets, vec![0]);
                let values = l.item.finish(item)?;
                Arc::new(ListArray::try_new(
                    item.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    values,
                    None,
                )?)
            }
        })
    }
}

/// A record type's columns: its Arrow schema, the wire-format plan
/// compiled once from the descriptor, and the rows buffered so far.
pub struct Columns {
    schema: Schema,
    arrow: SchemaRef,
    columns: Vec<Column>,
    rows: usize,
    /// Values appended to the columns since the last batch.
    values: usize,
    /// Bytes of the records appended since the last batch.
    record_bytes: usize,
    vals: Values,
    /// One [`Values`] per nesting depth, reused from record to record.
    scratch: Vec<Values>,
    /// Whether each string value is checked for UTF-8 as it is appended
    /// (see [`own_records`](Self::own_records)).
    check_utf8: bool,
}

impl Columns {
    /// The columns of the record type `desc`.
    pub fn new(desc: &MessageDescriptor) -> Result<Columns, String> {
        let schema = Schema::compile(desc);
        let fields = message_fields(&schema, 0, 0)?;
        let columns =
            fields.iter().map(|f| Column::for_type(f.data_type(), f.is_nullable())).collect::<Result<_, _>>()?;
        let arrow = Arc::new(arrow_schema::Schema::new(fields));
        Ok(Columns {
            schema,
            arrow,
            columns,
            rows: 0,
            values: 0,
            record_bytes: 0,
            vals: Values::default(),
            scratch: Vec::new(),
            check_utf8: true,
        })
    }

    /// For records that this process's encoders made (a capture's):
    /// their strings were Rust `String`s, valid UTF-8 by construction, so
    /// the one-pass append copies them without checking each value (the
    /// check was 4 % of a table thread's time). Arrow still checks every
    /// string column once when the batch is built (`StringArray::try_new`),
    /// so a bad string fails its row group with an error; it never makes
    /// an invalid table. Records from files keep the per-value check,
    /// whose error names the record.
    pub fn own_records(mut self) -> Columns {
        self.check_utf8 = false;
        self
    }

    /// The Arrow schema every batch has.
    pub fn arrow_schema(&self) -> &SchemaRef {
        &self.arrow
    }

    /// Rows buffered since the last [`take_batch`](Self::take_batch).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// About what the buffered rows take in memory: their records' bytes
    /// (string and binary values are copies of them) and 8 bytes a value.
    pub fn buffered_bytes(&self) -> usize {
        self.record_bytes.saturating_add(self.values.saturating_mul(VALUE_BYTES))
    }

    /// Appends one record (its protobuf bytes, without length prefix).
    /// A malformed record is an error and adds nothing.
    pub fn append(&mut self, record: &[u8]) -> Result<(), String> {
        record::check_expansion(&self.schema, record)?;
        let mut cx =
            Appender { schema: &self.schema, scratch: &mut self.scratch, values: 0, check_utf8: self.check_utf8 };
        if let Ok(true) = cx.stream_fields(&mut self.columns, 0, record, 0, record.len(), 0) {
            self.rows += 1;
            self.values = self.values.saturating_add(cx.values);
            self.record_bytes = self.record_bytes.saturating_add(record.len());
            return Ok(());
        }
        // Irregular or malformed: undo the partial row and take the
        // general path, which applies protobuf's merge rules and words
        // errors as `netcap read` does.
        for c in &mut self.columns {
            c.truncate(self.rows);
        }
        self.append_decoded(record)
    }

    /// [`append`](Self::append) through a full decode of each message
    /// into [`Values`] first: protobuf's merge rules for any encoding.
    /// Public as the reference the one-pass path is fuzzed against
    /// (fuzz target `ncap_reader`).
    pub fn append_decoded(&mut self, record: &[u8]) -> Result<(), String> {
        record::check_expansion(&self.schema, record)?;
        self.vals.reset(self.schema.root().fields.len());
        let mut result = record::decode(&self.schema, 0, record, 0, record.len(), &mut self.vals);
        let mut cx = Appender { schema: &self.schema, scratch: &mut self.scratch, values: 0, check_utf8: true };
        if result.is_ok() {
            result = cx.append_fields(&mut self.columns, 0, &self.vals, record, 0);
        }
        let values = cx.values;
        match result {
            Ok(()) => {
                self.rows += 1;
                self.values = self.values.saturating_add(values);
                self.record_bytes = self.record_bytes.saturating_add(record.len());
                Ok(())
            }
            Err(e) => {
                for c in &mut self.columns {
                    c.truncate(self.rows);
                }
                Err(e)
            }
        }
    }

    /// The buffered rows as one batch; the buffers start over empty.
    pub fn take_batch(&mut self) -> Result<RecordBatch, ArrowError> {
        let arrays = self
            .columns
            .iter_mut()
            .zip(self.arrow.fields().iter())
            .map(|(c, f)| c.finish(f))
            .collect::<Result<Vec<_>, _>>()?;
        self.rows = 0;
        self.values = 0;
        self.record_bytes = 0;
        RecordBatch::try_new(self.arrow.clone(), arrays)
    }
}

/// Walks a decoded message and appends its fields to their columns.
struct Appender<'a> {
    schema: &'a Schema,
    scratch: &'a mut Vec<Values>,
    /// Values appended for the record so far.
    values: usize,
    /// See [`Columns::own_records`].
    check_utf8: bool,
}

impl Appender<'_> {
    /// Appends message `msg` from `buf[start..end]` to `cols` in one pass,
    /// straight from the wire, when its fields come as netcap's encoders
    /// (prost) write them: in field-number order, a singular field at most
    /// once, a repeated field's elements together. Answers `Ok(false)` at
    /// the first field that breaks this (the caller undoes the row and
    /// takes [`append_fields`](Self::append_fields), which merges
    /// repeated occurrences as protobuf says). Decoding every message into
    /// [`Values`] first was about half of the time spent appending.
    fn stream_fields(
        &mut self,
        cols: &mut [Column],
        msg: usize,
        buf: &[u8],
        start: usize,
        end: usize,
        depth: usize,
    ) -> Result<bool, String> {
        let message = &self.schema.messages[msg];
        let end = end.min(buf.len());
        // Columns before `next` have their value for this message.
        let mut next = 0;
        // A repeated field whose elements are being appended.
        let mut open_list: Option<usize> = None;
        let mut pos = start;
        while pos < end {
            let at = pos;
            let (number, wire_type, wire) = record::read_field(buf, &mut pos, end)?;
            let Some(i) = message.index_of(number) else { continue };
            record::check_wire_type(message, i, wire_type, at)?;
            let Some(field) = message.fields.get(i) else { return Ok(false) };
            if open_list != Some(i) {
                if i < next {
                    return Ok(false);
                }
                if let Some(l) = open_list.take() {
                    close_list(cols, l)?;
                    self.values += 1;
                }
                for c in cols.get_mut(next..i).unwrap_or_default() {
                    self.values += c.push_default()?;
                }
                next = i + 1;
            }
            let Some(col) = cols.get_mut(i) else { return Ok(false) };
            if !field.repeated {
                if !self.stream_value(col, field.kind, wire, buf, depth)? {
                    return Ok(false);
                }
                continue;
            }
            let Column::List(list) = col else { return Ok(false) };
            open_list = Some(i);
            for el in elements(field.kind, std::slice::from_ref(&wire), buf) {
                if !self.stream_value(&mut list.item, field.kind, el?, buf, depth)? {
                    return Ok(false);
                }
                if self.values > MAX_RECORD_VALUES {
                    return Ok(false);
                }
            }
        }
        if let Some(l) = open_list {
            close_list(cols, l)?;
            self.values += 1;
        }
        for c in cols.get_mut(next..).unwrap_or_default() {
            self.values += c.push_default()?;
        }
        Ok(true)
    }

    /// One value of a field (a list element, for a repeated one), as
    /// [`stream_fields`](Self::stream_fields) appends it.
    #[inline(always)]
    fn stream_value(
        &mut self,
        col: &mut Column,
        kind: Kind,
        wire: Wire,
        buf: &[u8],
        depth: usize,
    ) -> Result<bool, String> {
        self.values += 1;
        let Kind::Message(m) = kind else {
            if let (Column::Str(c), Kind::String, Wire::Len(s, e), false) = (&mut *col, kind, wire, self.check_utf8) {
                if let Some(bytes) = buf.get(s..e) {
                    c.push(bytes)?;
                    return Ok(true);
                }
            }
            col.push_wire(kind, wire, buf)?;
            return Ok(true);
        };
        let (Column::Struct(s), Wire::Len(start, end)) = (col, wire) else { return Ok(false) };
        if depth >= MAX_DEPTH {
            return Ok(false);
        }
        if !self.stream_fields(&mut s.children, m, buf, start, end, depth + 1)? {
            return Ok(false);
        }
        if let Some(v) = &mut s.valid {
            v.push(true);
        }
        s.rows += 1;
        Ok(true)
    }

    fn append_fields(
        &mut self,
        cols: &mut [Column],
        msg: usize,
        vals: &Values,
        buf: &[u8],
        depth: usize,
    ) -> Result<(), String> {
        let fields = &self.schema.messages[msg].fields;
        for (fi, (col, field)) in cols.iter_mut().zip(fields.iter()).enumerate() {
            let wires = vals.get(fi);
            if field.repeated {
                let Column::List(list) = col else { return Err(format!("{} is not a list column", field.name)) };
                for el in elements(field.kind, wires, buf) {
                    let el = el?;
                    self.append_value(&mut list.item, field.kind, std::slice::from_ref(&el), buf, depth)?;
                    if self.values > MAX_RECORD_VALUES {
                        // check_expansion's bound refused such records already.
                        return Err(format!("the record expands to more than {MAX_RECORD_VALUES} values"));
                    }
                }
                list.offsets.push(offset(list.item.len())?);
                self.values += 1;
            } else if field.kind.message().is_none() {
                // Scalars inline: a call per value was a quarter of the
                // time spent appending.
                self.values += 1;
                col.push_scalar(scalar(field.kind, wires.last().copied(), buf)?)?;
            } else {
                self.append_value(col, field.kind, wires, buf, depth)?;
            }
        }
        Ok(())
    }

    /// Appends a field's value: the last occurrence of a scalar (as
    /// protobuf decoders do), all occurrences of a message merged.
    #[inline]
    fn append_value(
        &mut self,
        col: &mut Column,
        kind: Kind,
        wires: &[Wire],
        buf: &[u8],
        depth: usize,
    ) -> Result<(), String> {
        let Kind::Message(m) = kind else {
            self.values += 1;
            return col.push_scalar(scalar(kind, wires.last().copied(), buf)?);
        };
        let Column::Struct(s) = col else { return Err("a message field without a struct column".into()) };
        if wires.is_empty() {
            self.values += col.push_default()?;
            return Ok(());
        }
        if depth >= MAX_DEPTH {
            return Err(format!("messages nested deeper than {MAX_DEPTH} levels"));
        }
        if self.scratch.len() <= depth {
            self.scratch.resize_with(depth + 1, Values::default);
        }
        let mut vals = std::mem::take(&mut self.scratch[depth]);
        vals.reset(self.schema.messages[m].fields.len());
        let mut result = Ok(());
        for w in wires {
            result = match *w {
                Wire::Len(start, end) => record::decode(self.schema, m, buf, start, end, &mut vals),
                other => Err(format!("message value {other:?} is not length-delimited")),
            };
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = self.append_fields(&mut s.children, m, &vals, buf, depth + 1);
        }
        if result.is_ok() {
            if let Some(v) = &mut s.valid {
                v.push(true);
            }
            s.rows += 1;
            self.values += 1;
        }
        self.scratch[depth] = vals;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::pb;
    use prost::Message;

    fn columns(name: &str) -> Columns {
        Columns::new(&crate::schema::message(name).expect("record type")).expect("columns")
    }

    #[test]
    fn types_come_from_the_descriptor() {
        let c = columns("TCP");
        let s = c.arrow_schema();
        let t = |n: &str| s.field_with_name(n).expect(n).data_type().clone();
        assert_eq!(t("Timestamp"), DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())));
        assert_eq!(t("SrcPort"), DataType::Int32);
        assert_eq!(t("SeqNum"), DataType::UInt32);
        assert_eq!(t("SYN"), DataType::Boolean);
        assert_eq!(t("PayloadEntropy"), DataType::Float64);
        let DataType::List(item) = t("Options") else { panic!("Options is a list") };
        assert!(!item.is_nullable());
        assert!(matches!(item.data_type(), DataType::Struct(_)));
        assert!(!s.field_with_name("Options").expect("Options").is_nullable());
        let ipv4 = columns("IPv4");
        assert_eq!(ipv4.arrow_schema().field_with_name("SrcIP").expect("SrcIP").data_type(), &DataType::Utf8);
    }

    #[test]
    fn every_record_type_has_a_schema() {
        for e in crate::registry::ENCODERS {
            let mut c = columns(e.name);
            c.append(&[]).expect("an all-default record");
            let batch = c.take_batch().expect("batch");
            assert_eq!(batch.num_rows(), 1, "{}", e.name);
        }
    }

    /// A record that expands past the value limit is refused, as `read`
    /// refuses it, and leaves nothing behind; one at the limit is a row.
    #[test]
    fn a_record_expanding_past_the_limit_is_refused_as_read_refuses_it() {
        let answers = crate::schema::message("DNS").and_then(|d| d.get_field_by_name("Answers")).expect("Answers");
        let mut empty_answer = Vec::new();
        prost::encoding::encode_key(answers.number(), prost::encoding::WireType::LengthDelimited, &mut empty_answer);
        empty_answer.push(0);
        let mut c = columns("DNS");
        let renderer =
            crate::output::Renderer::new(&crate::schema::message("DNS").expect("DNS"), crate::output::Style::default());
        let mut vals = Values::default();
        let too_many = empty_answer.repeat(MAX_RECORD_VALUES / 2);
        let e = c.append(&too_many).expect_err("past the limit");
        assert!(e.contains("expands to more than"), "{e}");
        assert_eq!(renderer.decode(&too_many, &mut vals), Err(e));
        // Walked (longer than EXPANSION_CHECKED_FROM), about 2.7M values.
        let within = empty_answer.repeat(100_000);
        assert!(within.len() >= crate::output::record::EXPANSION_CHECKED_FROM);
        c.append(&within).expect("within the limit");
        renderer.decode(&within, &mut vals).expect("read accepts it too");
        let batch = c.take_batch().expect("batch");
        assert_eq!(batch.num_rows(), 1);
        let list = batch.column_by_name("Answers").and_then(|a| a.as_any().downcast_ref::<ListArray>().cloned());
        assert_eq!(list.expect("Answers").value_length(0), 100_000);
    }

    /// Byte ranges of the top-level fields of a record.
    fn field_spans(record: &[u8]) -> Vec<std::ops::Range<usize>> {
        let mut spans = Vec::new();
        let mut pos = 0;
        while pos < record.len() {
            let at = pos;
            record::read_field(record, &mut pos, record.len()).expect("a field");
            spans.push(at..pos);
        }
        spans
    }

    /// The key of field `field` of record type `name`.
    fn key(name: &str, field: &str, wire_type: prost::encoding::WireType) -> Vec<u8> {
        let f = crate::schema::message(name).and_then(|d| d.get_field_by_name(field)).expect("field");
        let mut k = Vec::new();
        prost::encoding::encode_key(f.number(), wire_type, &mut k);
        k
    }

    /// Whether `record` takes the one-pass path, and the batch that
    /// [`Columns::append`] makes of it, which must equal the decode-first
    /// path's.
    fn both_paths(name: &str, record: &[u8]) -> bool {
        let mut fast = columns(name);
        let streamed = {
            let mut cx = Appender { schema: &fast.schema, scratch: &mut fast.scratch, values: 0, check_utf8: true };
            let r = cx.stream_fields(&mut fast.columns, 0, record, 0, record.len(), 0);
            for c in &mut fast.columns {
                c.truncate(0);
            }
            r == Ok(true)
        };
        fast.append(record).expect("append");
        let mut own = columns(name).own_records();
        own.append(record).expect("append own record");
        let mut slow = columns(name);
        slow.append_decoded(record).expect("append_decoded");
        assert_eq!(fast.values, slow.values, "{name}: value count");
        let slow = slow.take_batch().expect("batch");
        assert_eq!(fast.take_batch().expect("batch"), slow, "{name}");
        assert_eq!(own.take_batch().expect("batch"), slow, "{name}, own records");
        streamed
    }

    /// The one-pass path takes records as netcap writes them and gives
    /// the rows the decode-first path gives; encodings that only other
    /// writers produce (fields out of order, a scalar twice: the last
    /// wins; a nested message in two parts: merged; a repeated field's
    /// elements apart or unpacked) fall back and still agree.
    #[test]
    fn one_pass_and_decode_first_rows_agree() {
        let tcp = pb::Tcp {
            timestamp: 1_700_000_000_123_456_789,
            src_port: 443,
            dst_port: 51_000,
            seq_num: 0xdead_beef,
            syn: true,
            ack: true,
            window: 65_535,
            options: vec![
                pb::TcpOption { option_type: 2, option_length: 4, option_data: vec![5, 180] },
                pb::TcpOption { option_type: 1, ..Default::default() },
            ],
            payload_entropy: 3.5,
            payload: b"hi".to_vec(),
            ..Default::default()
        }
        .encode_to_vec();
        // The frame number, as the writer appends it (field 100).
        let mut tcp = tcp;
        prost::encoding::encode_key(crate::decode::FRAME_NUMBER_FIELD, prost::encoding::WireType::Varint, &mut tcp);
        prost::encoding::encode_varint(1_234_567, &mut tcp);
        assert!(both_paths("TCP", &tcp));
        assert!(both_paths("TCP", &[]));
        let spans = field_spans(&tcp);
        let reversed: Vec<u8> = spans.iter().rev().flat_map(|r| tcp[r.clone()].to_vec()).collect();
        assert!(!both_paths("TCP", &reversed), "out of order");
        let mut twice = tcp.clone();
        twice.extend(key("TCP", "SrcPort", prost::encoding::WireType::Varint));
        twice.push(81);
        assert!(!both_paths("TCP", &twice), "SrcPort twice");
        // An unknown field between known ones is skipped.
        let mut unknown = tcp[spans[0].clone()].to_vec();
        prost::encoding::encode_key(99, prost::encoding::WireType::Varint, &mut unknown);
        unknown.push(1);
        unknown.extend(spans[1..].iter().flat_map(|r| tcp[r.clone()].to_vec()));
        assert!(both_paths("TCP", &unknown), "unknown field");
        // Options, then Payload, then Options again.
        let options = spans
            .iter()
            .position(|r| tcp[r.start] == key("TCP", "Options", prost::encoding::WireType::LengthDelimited)[0]);
        let options = options.expect("Options");
        let mut apart: Vec<u8> = spans.iter().flat_map(|r| tcp[r.clone()].to_vec()).collect();
        apart.extend(&tcp[spans[options].clone()]);
        assert!(!both_paths("TCP", &apart), "Options apart");

        let soa = |serial: u32, refresh: u32| pb::DnsResourceRecord {
            name: "example.com".into(),
            r#type: 6,
            soa: Some(pb::Dnssoa { serial, refresh, ..Default::default() }),
            ..Default::default()
        };
        let dns =
            pb::Dns { id: 7, qr: true, answers: vec![soa(1, 0), soa(2, 3)], ..Default::default() }.encode_to_vec();
        assert!(both_paths("DNS", &dns));
        // An answer whose SOA comes in two parts (serial, then refresh).
        let mut answer = pb::DnsResourceRecord {
            r#type: 6,
            soa: Some(pb::Dnssoa { serial: 5, ..Default::default() }),
            ..Default::default()
        }
        .encode_to_vec();
        answer.extend(
            pb::DnsResourceRecord { soa: Some(pb::Dnssoa { refresh: 6, ..Default::default() }), ..Default::default() }
                .encode_to_vec(),
        );
        let mut merged = key("DNS", "Answers", prost::encoding::WireType::LengthDelimited);
        prost::encoding::encode_varint(answer.len() as u64, &mut merged);
        merged.extend(&answer);
        assert!(!both_paths("DNS", &merged), "SOA in two parts");

        let dhcp =
            pb::DhcPv4 { xid: 3, parameter_request_list: vec![1, 3, 6, 300], ..Default::default() }.encode_to_vec();
        assert!(both_paths("DHCPv4", &dhcp), "packed");
        let mut unpacked = pb::DhcPv4 { xid: 3, ..Default::default() }.encode_to_vec();
        for v in [1u64, 3, 6, 300] {
            unpacked.extend(key("DHCPv4", "ParameterRequestList", prost::encoding::WireType::Varint));
            prost::encoding::encode_varint(v, &mut unpacked);
        }
        assert!(both_paths("DHCPv4", &unpacked), "unpacked elements together");
    }

    /// A string that is not UTF-8: refused with the record from a file;
    /// from this capture's own records it fails the batch, so no table
    /// ever holds it.
    #[test]
    fn a_string_that_is_not_utf8_never_reaches_a_table() {
        let mut record = pb::IPv4 { ttl: 64, ..Default::default() }.encode_to_vec();
        record.extend(key("IPv4", "SrcIP", prost::encoding::WireType::LengthDelimited));
        record.extend([2, 0xff, 0xfe]);
        let mut from_file = columns("IPv4");
        let e = from_file.append(&record).expect_err("not UTF-8");
        assert!(e.contains("SrcIP") || e.contains("string"), "{e}");
        let mut own = columns("IPv4").own_records();
        own.append(&record).expect("appended unchecked");
        let e = own.take_batch().expect_err("Arrow checks the column");
        assert!(e.to_string().contains("non UTF-8"), "{e}");
    }

    #[test]
    fn a_malformed_record_adds_nothing() {
        let mut c = columns("TCP");
        let good = pb::Tcp {
            src_port: 80,
            options: vec![pb::TcpOption { option_type: 2, ..Default::default() }],
            ..Default::default()
        }
        .encode_to_vec();
        c.append(&good).expect("good");
        // A record whose Options entry is not valid protobuf: the root
        // decodes, the nested message does not.
        let options = crate::schema::message("TCP").and_then(|d| d.get_field_by_name("Options")).expect("Options");
        let mut bad = good.clone();
        bad.extend_from_slice(&[(options.number() << 3 | 2) as u8, 2, 0x08, 0xff]);
        assert!(c.append(&bad).is_err());
        c.append(&good).expect("good after bad");
        let batch = c.take_batch().expect("batch");
        assert_eq!(batch.num_rows(), 2);
        let opts = batch.column_by_name("Options").expect("Options");
        let list = opts.as_any().downcast_ref::<ListArray>().expect("list");
        assert_eq!(list.value_offsets(), &[0, 1, 2]);
    }
}
