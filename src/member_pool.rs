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
    Zstd {
        compressor: zstd::bulk::Compressor<'static>,
        /// The chunks of a member, joined.
        joined: Vec<u8>,
    },
}

impl MemberCodec {
    /// A codec for `compression` (gzip or zstd; `None` gets gzip, unused).
    pub(crate) fn new(compression: Compression) -> io::Result<Self> {
        Ok(match compression {
            Compression::Zstd => {
                MemberCodec::Zstd { compressor: zstd::bulk::Compressor::new(compress::ZSTD_LEVEL)?, joined: Vec::new() }
            }
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

    /// Appends the concatenation of `chunks`, compressed into one complete
    /// member, to `out`. The chunks are the workers' record buffers, handed
    /// over whole: copying them into one buffer first was a third of the
    /// writer thread's time.
    ///
    /// flate2's `GzEncoder` cannot be reset, and a new one per member would
    /// allocate the deflate state each time; a `DeflateEncoder` is reset
    /// instead, and the 10-byte header and 8-byte trailer (CRC-32 and
    /// length) are written here.
    pub(crate) fn member(&mut self, chunks: &[Vec<u8>], out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            MemberCodec::Gzip { deflate, spare, crc } => {
                crc.reset();
                for chunk in chunks {
                    crc.update(chunk);
                    deflate.write_all(chunk)?;
                }
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
            MemberCodec::Zstd { compressor, joined } => {
                // zstd's one-shot API (a frame that states its size) takes
                // one slice: the chunks are joined here.
                let frame = match chunks {
                    [one] => compressor.compress(one)?,
                    _ => {
                        joined.clear();
                        chunks.iter().for_each(|c| joined.extend_from_slice(c));
                        compressor.compress(joined)?
                    }
                };
                out.extend_from_slice(&frame);
                Ok(())
            }
        }
    }
}

/// What a pool thread sends back: the member.
pub(crate) type MemberResult = io::Result<Vec<u8>>;

struct Job {
    compression: Compression,
    /// The member's uncompressed bytes, in order.
    raw: Vec<Vec<u8>>,
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
    pub(crate) fn submit(&self, compression: Compression, raw: Vec<Vec<u8>>) -> io::Result<Receiver<MemberResult>> {
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
        let _ = job.reply.send(result);
    }
}

fn compress_into(slot: &mut Option<MemberCodec>, compression: Compression, raw: &[Vec<u8>]) -> io::Result<Vec<u8>> {
    if slot.is_none() {
        *slot = Some(MemberCodec::new(compression)?);
    }
    let mut member = Vec::with_capacity(raw.iter().map(Vec::len).sum::<usize>() / 2);
    if let Some(codec) = slot {
        codec.member(raw, &mut member)?;
    }
    Ok(member)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Bytes that compress somewhat, like records: repeats with variation.
    fn records(n: usize, seed: u32) -> Vec<u8> {
        (0..n as u32).map(|i| ((i.wrapping_mul(seed) >> 7) % 23 + (i % 5) * 40) as u8).collect()
    }

    #[test]
    fn a_member_of_chunks_holds_their_concatenation_and_depends_only_on_them() {
        // Chunk sizes around deflate's 32 KiB window and a member's
        // 256 KiB, an empty one, and a one-byte one.
        let chunks = vec![records(70_000, 7), Vec::new(), records(1, 3), records(200_000, 11), records(33_000, 5)];
        let joined: Vec<u8> = chunks.concat();
        for compression in [Compression::Gzip, Compression::Zstd] {
            let mut codec = MemberCodec::new(compression).expect("codec");
            let (mut first, mut again, mut of_joined) = (Vec::new(), Vec::new(), Vec::new());
            codec.member(&chunks, &mut first).expect("member");
            codec.member(std::slice::from_ref(&joined), &mut of_joined).expect("member");
            // A reused codec gives the same member for the same chunks.
            // zlib-rs's deflate does not give the same member for the
            // same bytes cut differently (this test saw it), so the cuts
            // are part of the input: the writer's follow batches and
            // record order, the same for any number of workers.
            codec.member(&chunks, &mut again).expect("member");
            assert_eq!(first, again, "{compression:?}");
            if compression == Compression::Zstd {
                assert_eq!(first, of_joined, "zstd compresses the joined chunks");
            }
            for member in [first, of_joined] {
                let mut back = Vec::new();
                let mut reader = compress::decompressed(io::Cursor::new(member)).expect("decoder").0;
                reader.read_to_end(&mut back).expect("decode");
                assert_eq!(back, joined, "{compression:?}");
            }
        }
    }
}
