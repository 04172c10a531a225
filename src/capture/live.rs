//! Live capture through libpcap (cargo feature `libpcap`).

use super::dump::DumpFormat;
use super::{CaptureStats, PacketBatch, PacketSource, ReadWarning};
use pcap::{Active, Capture, Device, Precision};

/// How long a read may wait before the pipeline gets what has arrived (and
/// checks for SIGINT).
const READ_TIMEOUT_MS: i32 = 100;

pub struct LiveCapture {
    cap: Capture<Active>,
    link_type: u32,
    nanos: bool,
}

pub struct LiveOptions<'a> {
    pub interface: &'a str,
    pub promisc: bool,
    pub snaplen: i32,
    /// Bytes of the kernel's capture buffer (tcpdump's `-B`), which holds
    /// packets until the reader thread takes them.
    pub buffer_size: i32,
    pub bpf: Option<&'a str>,
}

impl LiveCapture {
    /// Opens `interface`; the error says why it could not start (no such
    /// interface, no permission, bad filter).
    pub fn open(o: &LiveOptions) -> Result<Self, String> {
        let name = o.interface;
        let inactive = Capture::from_device(name)
            .map_err(|e| format!("cannot capture on {name}: {e}"))?
            .promisc(o.promisc)
            .snaplen(o.snaplen)
            .timeout(READ_TIMEOUT_MS)
            .buffer_size(o.buffer_size)
            // Not immediate mode: on Linux that makes libpcap fall back from
            // TPACKET_V3 to TPACKET_V2, whose ring has one fixed slot per
            // packet sized for the snap length (64 KiB on `lo`), so even 32
            // MiB held only ~500 packets and a burst overran it. TPACKET_V3
            // packs packets into blocks by their real size, so the same
            // buffer holds ~100,000 small ones. The price is latency: a
            // block is handed over when full or after READ_TIMEOUT_MS, well
            // below the pipeline's own batching.
            .immediate_mode(false)
            .precision(Precision::Nano);
        // Non-blocking: a blocking read can wait forever on a quiet
        // interface, and then SIGINT would not be noticed.
        let mut cap =
            inactive.open().and_then(|c| c.setnonblock()).map_err(|e| format!("cannot capture on {name}: {e}"))?;
        if let Some(expr) = o.bpf {
            cap.filter(expr, true).map_err(|e| format!("invalid filter {expr:?}: {e}"))?;
        }
        let link_type = cap.get_datalink().0 as u32;
        // libpcap falls back to microseconds where the kernel cannot do better;
        // a nanosecond request that succeeded keeps nine digits.
        Ok(LiveCapture { cap, link_type, nanos: true })
    }
}

/// Names and descriptions of the capture devices.
pub fn interfaces() -> Result<Vec<(String, String)>, String> {
    let list = Device::list().map_err(|e| e.to_string())?;
    Ok(list.into_iter().map(|d| (d.name, d.desc.unwrap_or_default())).collect())
}

impl PacketSource for LiveCapture {
    fn fill(&mut self, batch: &mut PacketBatch, max_packets: usize, max_bytes: usize) -> Result<bool, ReadWarning> {
        let started = std::time::Instant::now();
        while batch.len() < max_packets && batch.byte_len() < max_bytes {
            match self.cap.next_packet() {
                Ok(p) => {
                    let secs = p.header.ts.tv_sec as i64;
                    let frac = p.header.ts.tv_usec as i64;
                    let ns = if self.nanos { frac } else { frac * 1000 };
                    batch.push(secs * 1_000_000_000 + ns, self.link_type, 0, p.header.len, p.data);
                }
                // Nothing waiting: hand over what has arrived, so records of
                // sparse traffic are not held back, and let the caller check
                // the stop flag at least every READ_TIMEOUT_MS.
                Err(pcap::Error::TimeoutExpired) => {
                    if !batch.is_empty() || started.elapsed().as_millis() >= READ_TIMEOUT_MS as u128 {
                        return Ok(true);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Err(pcap::Error::NoMorePackets) => return Ok(false),
                Err(e) => return Err(ReadWarning { offset: 0, message: format!("live capture stopped: {e}") }),
            }
        }
        Ok(true)
    }

    fn timestamp_digits(&self) -> u32 {
        if self.nanos { 9 } else { 6 }
    }

    fn dump_format(&self) -> DumpFormat {
        DumpFormat::Pcap { link_type: self.link_type, nanos: self.nanos }
    }

    fn stats(&mut self) -> Option<CaptureStats> {
        self.cap.stats().ok().map(|s| CaptureStats {
            received: u64::from(s.received),
            dropped: u64::from(s.dropped),
            if_dropped: u64::from(s.if_dropped),
        })
    }
}
