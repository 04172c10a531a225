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
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
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

    fn push(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.data.extend_from_slice(bytes);
        self.offsets.push(offset(self.data.len())?);
        Ok(())
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

/// An Arrow offset; a batch is flushed long before 2 GiB, so overflow
/// means a bug or a hostile record, reported rather than wrapped.
fn offset(n: usize) -> Result<i32, String> {
    i32::try_from(n).map_err(|_| "more than 2 GiB in one column of a row group".to_owned())
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
    fn push_default(&mut self) -> Result<usize, String> {
        match self {
            Column::Bool(v) => v.push(false),
            Column::I32(v) => v.push(0),
            Column::I64(v) | Column::Ts(v) => v.push(0),
            Column::U32(v) => v.push(0),
            Column::U64(v) => v.push(0),
            Column::F32(v) => v.push(0.0),
            Column::F64(v) => v.push(0.0),
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
        }
        Ok(1)
    }

    /// Appends one scalar value; the column was made for its kind.
    #[inline]
    fn push_scalar(&mut self, v: Scalar<'_>) -> Result<(), String> {
        match (self, v) {
            (Column::I32(c), Scalar::I(i)) => c.push(i as i32),
            (Column::I64(c) | Column::Ts(c), Scalar::I(i)) => c.push(i),
            (Column::U32(c), Scalar::U(u)) => c.push(u as u32),
            (Column::U64(c), Scalar::U(u)) => c.push(u),
            (Column::F32(c), Scalar::F(f)) => c.push(f as f32),
            (Column::F64(c), Scalar::F(f)) => c.push(f),
            (Column::Bool(c), Scalar::B(b)) => c.push(b),
            (Column::Str(c), Scalar::Str(s)) => c.push(s.as_bytes())?,
            (Column::Bin(c), Scalar::Bytes(b)) => c.push(b)?,
            (_, v) => return Err(format!("value {v:?} does not fit its column")),
        }
        Ok(())
    }

    /// The buffered rows as an Arrow array of `field`'s type; the buffers
    /// are left empty for the next batch.
    fn finish(&mut self, field: &Field) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Column::Bool(v) => Arc::new(BooleanArray::from(std::mem::take(v))),
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
                let nulls = s.valid.as_mut().map(|v| NullBuffer::from(std::mem::take(v)));
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
        })
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
        self.vals.reset(self.schema.root().fields.len());
        record::check_expansion(&self.schema, record)?;
        let mut result = record::decode(&self.schema, 0, record, 0, record.len(), &mut self.vals);
        let mut cx = Appender { schema: &self.schema, scratch: &mut self.scratch, values: 0 };
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
}

impl Appender<'_> {
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
