//! Compression of record-file members (see `container::Members`) on
//! threads of their own.
//!
//! Why: the capture's writer thread is the one stage that sees every
//! record in order, and deflate was more than half of its time. While it
//! compressed, the workers' result channels filled up and, on a two-core
//! machine, a core went idle (1.67 of 2 cores busy with gzip against 1.8
//! with `-comp none`). Members are independent (each starts a fresh
//! deflate stream or zstd frame), so compressing them elsewhere changes no
//! byte of the output; the writer still writes them, in order, so a failed
//! write cuts a file back exactly as before.

use crate::compress::{self, Compression};
use crossbeam_channel::{bounded, Receiver, Sender};
use flate2::write::DeflateEncoder;
use flate2::Crc;
use std::io::{self, Write};
use std::thread::JoinHandle;

/// Member header: gzip magic, deflate, no flags, no time, no extra flags, OS unknown.
const MEMBER_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// Turns uncompressed bytes into one complete gzip member or zstd frame,
/// reusing its compression state from member to member.
pub(crate) enum MemberCodec {
    Gzip {
        deflate: DeflateEncoder<Vec<u8>>,
        /// The other output buffer, swapped with the encoder's at each member.
        spare: Vec<u8>,
        crc: Crc,
    },
    Zstd(zstd::bulk::Compressor<'static>),
}

impl MemberCodec {
    /// A codec for `compression` (gzip or zstd; `None` gets gzip, unused).
    pub(crate) fn new(compression: Compression) -> io::Result<Self> {
        Ok(match compression {
            Compression::Zstd => MemberCodec::Zstd(zstd::bulk::Compressor::new(compress::ZSTD_LEVEL)?),
            Compression::Gzip | Compression::None => MemberCodec::Gzip {
                deflate: DeflateEncoder::new(
                    Vec::with_capacity(1 << 16),
                    flate2::Compression::new(compress::GZIP_LEVEL),
                ),
                spare: Vec::with_capacity(1 << 16),
                crc: Crc::new(),
            },
        })
    }

    /// Appends `bytes`, compressed into one complete member, to `out`.
    ///
    /// flate2's `GzEncoder` cannot be reset, and a new one per member would
    /// allocate the deflate state each time; a `DeflateEncoder` is reset
    /// instead, and the 10-byte header and 8-byte trailer (CRC-32 and
    /// length) are written here.
    pub(crate) fn member(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            MemberCodec::Gzip { deflate, spare, crc } => {
                crc.reset();
                crc.update(bytes);
                deflate.write_all(bytes)?;
                // Finishes the deflate stream, swapping in the spare buffer for the next.
                let body = deflate.reset(std::mem::take(spare))?;
                out.extend_from_slice(&MEMBER_HEADER);
                out.extend_from_slice(&body);
                out.extend_from_slice(&crc.sum().to_le_bytes());
                out.extend_from_slice(&crc.amount().to_le_bytes());
                *spare = body;
                spare.clear();
                Ok(())
            }
            MemberCodec::Zstd(compressor) => {
                out.extend_from_slice(&compressor.compress(bytes)?);
                Ok(())
            }
        }
    }
}

/// What a pool thread sends back: the member, and the uncompressed
/// buffer for reuse.
pub(crate) type MemberResult = io::Result<(Vec<u8>, Vec<u8>)>;

struct Job {
    compression: Compression,
    raw: Vec<u8>,
    reply: Sender<MemberResult>,
}

/// Threads that compress members handed to them. Each job answers on its
/// own channel, so the writer collects members in the order it needs.
pub struct MemberPool {
    jobs: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

/// Jobs waiting for a thread: beyond this the writer waits, so memory
/// stays bounded by the writer, not by the input.
const QUEUED_JOBS: usize = 4;

impl MemberPool {
    /// A pool of `threads` (at least one) compression threads.
    pub fn start(threads: usize) -> io::Result<Self> {
        let (tx, rx) = bounded::<Job>(QUEUED_JOBS);
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let handle = std::thread::Builder::new().name(format!("compress-{i}")).spawn(move || serve(rx))?;
            handles.push(handle);
        }
        Ok(MemberPool { jobs: Some(tx), threads: handles })
    }

    /// Hands `raw` over for compression; the member arrives on the returned
    /// channel. Waits while [`QUEUED_JOBS`] jobs are queued.
    pub(crate) fn submit(&self, compression: Compression, raw: Vec<u8>) -> io::Result<Receiver<MemberResult>> {
        let (reply, result) = bounded(1);
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(Job { compression, raw, reply }));
        match sent {
            Some(Ok(())) => Ok(result),
            _ => Err(io::Error::other("the compression threads stopped")),
        }
    }
}

impl Drop for MemberPool {
    fn drop(&mut self) {
        // Closing the job channel ends every thread once its queue is done.
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn serve(jobs: Receiver<Job>) {
    let mut gzip: Option<MemberCodec> = None;
    let mut zstd: Option<MemberCodec> = None;
    for job in jobs {
        let slot = if job.compression == Compression::Zstd { &mut zstd } else { &mut gzip };
        let result = compress_into(slot, job.compression, &job.raw);
        // A writer that stopped waiting (it failed) does not need the answer.
        let _ = job.reply.send(result.map(|member| (member, job.raw)));
    }
}

fn compress_into(slot: &mut Option<MemberCodec>, compression: Compression, raw: &[u8]) -> io::Result<Vec<u8>> {
    if slot.is_none() {
        *slot = Some(MemberCodec::new(compression)?);
    }
    let mut member = Vec::with_capacity(raw.len() / 2);
    if let Some(codec) = slot {
        codec.member(raw, &mut member)?;
    }
    Ok(member)
}
