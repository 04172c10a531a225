//! Linux usbmon packets: the pseudo-header the kernel's binary usbmon
//! interface puts before every URB event (Linux
//! Documentation/usb/usbmon.rst, `struct mon_bin_hdr` of
//! drivers/usb/mon/mon_bin.c), as libpcap writes it: link type 189
//! (LINKTYPE_USB_LINUX, the first 48 bytes) and 220
//! (LINKTYPE_USB_LINUX_MMAPPED, all 64 bytes). The USB setup packet
//! follows USB 2.0 section 9.3. Windows USBPcap packets are in `usbpcap`.
//!
//! Header (offsets in bytes): URB id (8), event type 'S'/'C'/'E' (1),
//! transfer type (1), endpoint address (1, bit 0x80 = IN), device address
//! (1), bus id (2), setup flag (1), data flag (1), seconds (8),
//! microseconds (4), status (4), URB length (4), captured data length (4),
//! then 8 bytes that hold the setup packet (setup flag 0) or, for
//! isochronous transfers, the error count and number of packets (4 + 4).
//! Link type 220 adds interval, start frame, transfer flags and the number
//! of isochronous descriptors (4 each). Isochronous descriptors (16 bytes:
//! status, offset, length, padding) follow the header, then the data.
//!
//! Byte order: the header's numbers are in the byte order of the host that
//! captured (the setup packet is little-endian, as on the bus). libpcap and
//! Wireshark's wiretap swap the header when a file of the other byte order
//! is read, so tshark shows the values the capturing host had; that is
//! what `new_checked_with_byte_order(.., big_endian)` does for a file
//! written on a big-endian host (pcap magic or pcapng section byte order
//! big-endian). `new_checked` reads little-endian, the order of every
//! shared capture and of the hosts that write nearly all usbmon captures.
//!
//! Choices, following tshark where gopacket's layers/usb.go differs:
//! Direction is the endpoint address bit as tshark's
//! `usb.endpoint_address.direction` (1 IN, 0 OUT; gopacket had 1 In, 2 Out);
//! the setup packet is decoded only where Wireshark decodes it, a control
//! submit with setup flag 0 (the kernel sets the flag to 0 nowhere else);
//! the fields of the 64-byte header are read (gopacket's code for them was
//! disabled, and would have put the transfer flags into UrbDataLength).
//! For the isochronous descriptors before the
//! data, link type 220 counts `ndesc`, the descriptors the kernel wrote
//! (at most 128), where Wireshark takes the URB's number of packets: the
//! two differ only for URBs of more than 128 packets.

use super::wire::{le16, le32, le64};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const LINKTYPE_USB_LINUX: u32 = 189;
pub const LINKTYPE_USB_LINUX_MMAPPED: u32 = 220;
/// Header length of link type 189.
pub const HEADER_LEN: usize = 48;
/// Header length of link type 220.
pub const MMAPPED_HEADER_LEN: usize = 64;
pub const ISO_DESCRIPTOR_LEN: usize = 16;
pub const SETUP_LEN: usize = 8;

pub const EVENT_SUBMIT: u8 = b'S';
pub const EVENT_COMPLETE: u8 = b'C';
pub const EVENT_ERROR: u8 = b'E';

pub const TRANSFER_ISOCHRONOUS: u8 = 0;
pub const TRANSFER_INTERRUPT: u8 = 1;
pub const TRANSFER_CONTROL: u8 = 2;
pub const TRANSFER_BULK: u8 = 3;

/// Bit of the endpoint address set for IN (device to host) endpoints.
pub const ENDPOINT_DIR_IN: u8 = 0x80;

/// Offset of the 8 bytes that hold the setup packet or the isochronous
/// error count and number of packets.
const SETUP_OFFSET: usize = 40;

/// A usbmon packet whose header (48 or 64 bytes) is complete.
#[derive(Clone, Copy)]
pub struct UsbPacket<'a> {
    buf: &'a [u8],
    mmapped: bool,
    big_endian: bool,
}

impl<'a> UsbPacket<'a> {
    /// A packet of link type 220 (`mmapped`) or 189, its header
    /// little-endian. Rejects a header cut short.
    pub fn new_checked(buf: &'a [u8], mmapped: bool) -> Result<Self, DecodeError> {
        Self::new_checked_with_byte_order(buf, mmapped, false)
    }

    /// Same, with the header in the given byte order (that of the file:
    /// big-endian for a file written on a big-endian host).
    pub fn new_checked_with_byte_order(buf: &'a [u8], mmapped: bool, big_endian: bool) -> Result<Self, DecodeError> {
        let need = if mmapped { MMAPPED_HEADER_LEN } else { HEADER_LEN };
        if buf.len() < need {
            return Err(DecodeError::truncated("USB", need, buf.len()));
        }
        Ok(UsbPacket { buf, mmapped, big_endian })
    }

    fn h16(&self, off: usize) -> u16 {
        let v = le16(self.buf, off);
        if self.big_endian {
            v.swap_bytes()
        } else {
            v
        }
    }
    fn h32(&self, off: usize) -> u32 {
        let v = le32(self.buf, off);
        if self.big_endian {
            v.swap_bytes()
        } else {
            v
        }
    }
    fn h64(&self, off: usize) -> u64 {
        let v = le64(self.buf, off);
        if self.big_endian {
            v.swap_bytes()
        } else {
            v
        }
    }

    /// Whether this is the 64-byte header of link type 220.
    pub fn mmapped(&self) -> bool {
        self.mmapped
    }
    pub fn header_len(&self) -> usize {
        if self.mmapped {
            MMAPPED_HEADER_LEN
        } else {
            HEADER_LEN
        }
    }
    pub fn link_type(&self) -> u32 {
        if self.mmapped {
            LINKTYPE_USB_LINUX_MMAPPED
        } else {
            LINKTYPE_USB_LINUX
        }
    }
    /// The URB id (the kernel's address of the URB): the same for a
    /// submit and its completion.
    pub fn id(&self) -> u64 {
        self.h64(0)
    }
    /// 'S' submit, 'C' complete, 'E' error.
    pub fn event_type(&self) -> u8 {
        self.buf.get(8).copied().unwrap_or(0)
    }
    /// 0 isochronous, 1 interrupt, 2 control, 3 bulk.
    pub fn transfer_type(&self) -> u8 {
        self.buf.get(9).copied().unwrap_or(0)
    }
    /// The endpoint address: number and direction bit (0x80 IN).
    pub fn endpoint_address(&self) -> u8 {
        self.buf.get(10).copied().unwrap_or(0)
    }
    pub fn endpoint_number(&self) -> u8 {
        self.endpoint_address() & !ENDPOINT_DIR_IN
    }
    /// Whether the endpoint is IN (device to host).
    pub fn direction_in(&self) -> bool {
        self.endpoint_address() & ENDPOINT_DIR_IN != 0
    }
    pub fn device_address(&self) -> u8 {
        self.buf.get(11).copied().unwrap_or(0)
    }
    pub fn bus_id(&self) -> u16 {
        self.h16(12)
    }
    /// 0 when the setup packet is there, else a character ('-' no setup).
    pub fn setup_flag(&self) -> u8 {
        self.buf.get(14).copied().unwrap_or(0)
    }
    /// 0 when data was captured, else a character saying why not ('<' an
    /// IN submit, '>' an OUT completion, 'Z' zero length, ...).
    pub fn data_flag(&self) -> u8 {
        self.buf.get(15).copied().unwrap_or(0)
    }
    pub fn setup_present(&self) -> bool {
        self.setup_flag() == 0
    }
    pub fn data_present(&self) -> bool {
        self.data_flag() == 0
    }
    /// Seconds of the event time (signed in the kernel, unsigned as tshark
    /// shows it).
    pub fn ts_sec(&self) -> u64 {
        self.h64(16)
    }
    pub fn ts_usec(&self) -> u32 {
        self.h32(24)
    }
    /// The URB status: 0, or a negative errno (-115 -EINPROGRESS on a
    /// submit).
    pub fn status(&self) -> i32 {
        self.h32(28) as i32
    }
    /// Length of the URB's transfer buffer.
    pub fn urb_len(&self) -> u32 {
        self.h32(32)
    }
    /// Bytes captured after the header (isochronous descriptors included).
    pub fn data_len(&self) -> u32 {
        self.h32(36)
    }
    /// The 8-byte setup packet, where Wireshark reads one: a control
    /// transfer's submit with setup flag 0 (for other transfers these
    /// bytes are unused or the isochronous counts).
    pub fn setup(&self) -> Option<&'a [u8]> {
        if self.setup_present() && self.transfer_type() == TRANSFER_CONTROL && self.event_type() == EVENT_SUBMIT {
            self.buf.get(SETUP_OFFSET..SETUP_OFFSET + SETUP_LEN)
        } else {
            None
        }
    }
    fn isochronous(&self) -> bool {
        self.transfer_type() == TRANSFER_ISOCHRONOUS
    }
    /// Isochronous transfers: the URB's error count (else 0).
    pub fn iso_error_count(&self) -> u32 {
        if self.isochronous() {
            self.h32(SETUP_OFFSET)
        } else {
            0
        }
    }
    /// Isochronous transfers: the URB's number of packets (else 0).
    pub fn iso_numdesc(&self) -> u32 {
        if self.isochronous() {
            self.h32(SETUP_OFFSET + 4)
        } else {
            0
        }
    }
    fn ext(&self, off: usize) -> u32 {
        if self.mmapped {
            self.h32(off)
        } else {
            0
        }
    }
    /// Link type 220: polling interval of interrupt and isochronous URBs.
    pub fn interval(&self) -> u32 {
        self.ext(48)
    }
    /// Link type 220: start frame of isochronous URBs.
    pub fn start_frame(&self) -> u32 {
        self.ext(52)
    }
    /// Link type 220: the URB's transfer_flags (URB_SHORT_NOT_OK 0x1,
    /// URB_ISO_ASAP 0x2, ..., URB_DIR_IN 0x200).
    pub fn xfer_flags(&self) -> u32 {
        self.ext(56)
    }
    /// Link type 220: the number of isochronous descriptors captured.
    pub fn ndesc(&self) -> u32 {
        self.ext(60)
    }
    /// How many isochronous descriptors precede the data.
    fn descriptors(&self) -> u32 {
        match (self.isochronous(), self.mmapped) {
            (false, _) => 0,
            (true, true) => self.ndesc(),
            (true, false) => self.iso_numdesc(),
        }
    }
    /// The transfer data: after the header and any isochronous
    /// descriptors (empty when they run past the end).
    pub fn payload(&self) -> &'a [u8] {
        let skip = (self.descriptors() as usize).saturating_mul(ISO_DESCRIPTOR_LEN);
        self.buf.get(self.header_len().saturating_add(skip)..).unwrap_or_default()
    }
}

pub fn record(v: &UsbPacket, timestamp: i64, cfg: &EncodeConfig) -> pb::Usb {
    pb::Usb {
        timestamp,
        id: v.id(),
        event_type: i32::from(v.event_type()),
        transfer_type: i32::from(v.transfer_type()),
        direction: i32::from(v.direction_in()),
        endpoint_number: i32::from(v.endpoint_number()),
        device_address: i32::from(v.device_address()),
        bus_id: i32::from(v.bus_id()),
        timestamp_sec: v.ts_sec(),
        timestamp_usec: v.ts_usec(),
        setup: v.setup_present(),
        data: v.data_present(),
        status: v.status(),
        urb_length: v.urb_len(),
        urb_data_length: v.data_len(),
        urb_interval: v.interval(),
        urb_start_frame: v.start_frame(),
        urb_copy_of_transfer_flags: v.xfer_flags(),
        iso_num_desc: if v.mmapped() { v.ndesc() } else { v.iso_numdesc() },
        payload: if cfg.include_payload { v.payload().to_vec() } else { Vec::new() },
        link_type: v.link_type() as i32,
        setup_flag: i32::from(v.setup_flag()),
        data_flag: i32::from(v.data_flag()),
        iso_error_count: v.iso_error_count(),
        function: 0,
        irp_info: 0,
        control_stage: 0,
    }
}

/// The setup record of a packet that carries a setup packet.
pub fn setup_record(v: &UsbPacket, timestamp: i64, _cfg: &EncodeConfig) -> Option<pb::UsbRequestBlockSetup> {
    v.setup().map(|s| setup_packet_record(s, v.id(), timestamp))
}

/// A USBRequestBlockSetup record from the 8 bytes of a setup packet
/// (shared with USBPcap). The 16-bit fields are little-endian, as on the
/// bus (USB 2.0 section 8.1).
pub fn setup_packet_record(setup: &[u8], id: u64, timestamp: i64) -> pb::UsbRequestBlockSetup {
    pb::UsbRequestBlockSetup {
        timestamp,
        request_type: i32::from(setup.first().copied().unwrap_or(0)),
        request: i32::from(setup.get(1).copied().unwrap_or(0)),
        value: i32::from(le16(setup, 2)),
        index: i32::from(le16(setup, 4)),
        length: i32::from(le16(setup, 6)),
        id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::{hex, mutate};

    /// usbmon-tools/testdata/test1.pcap (link type 220) frame 1: control
    /// submit of GET_DESCRIPTOR (device) to device 2 on bus 1.
    const CONTROL_SUBMIT: &str = "00aacdda00000000530280020100003cc52f685c0000000022ca01008dffffff\
                                  2800000000000000800600010000280000000000000000000002000000000000";
    /// test1.pcap frame 2: its completion with the 18-byte device descriptor.
    const CONTROL_COMPLETE: &str = "00aacdda000000004302800201002d00c52f685c0000000051d0010000000000\
                                    1200000012000000000000000000000000000000000000000002000000000000\
                                    12010002000000086e05ff00000101020001";
    /// test1.pcap frame 5: interrupt IN completion with 8 bytes of data.
    const INTERRUPT_COMPLETE: &str = "80b8b6da000000004301810201002d00c82f685c00000000b24a040000000000\
                                      0800000008000000000000000000000008000000000000000402000000000000\
                                      0120000000000000";
    /// test1.pcap frame 6: the interrupt IN submit that follows.
    const INTERRUPT_SUBMIT: &str = "80b8b6da000000005301810201002d3cc82f685c000000004b4b04008dffffff\
                                    0800000000000000000000000000000008000000000000000402000000000000";
    /// No shared capture has isochronous transfers: this link type 220
    /// frame is built from usbmon.rst (an IN completion, error count 1,
    /// 2 packets; interval 1, start frame 100, flags 0x206, ndesc 2; the
    /// descriptors (status 0, offset 0, length 4) and (-18, 4, 4); 8 data
    /// bytes). tshark 4.0 reads it (written to a pcap) as usb.urb_id
    /// 0x00000000ffff8801, urb_type 'C', transfer_type 0x00,
    /// endpoint_address 0x82, device_address 3, bus_id 2, setup_flag '-',
    /// data_flag '\0', urb_ts_sec 1550331846, urb_ts_usec 5, urb_status 0,
    /// urb_len 8, data_len 40, interval 1, start_frame 100,
    /// copy_of_transfer_flags 0x00000206, iso.error_count 1, iso.numdesc
    /// 2,2, iso.iso_status 0,-18, iso.iso_off 0,4, iso.iso_len 4,4,
    /// iso.data 01020304.
    const ISO_MMAPPED: &str = "0188ffff000000004300820302002d00c62f685c000000000500000000000000\
                               0800000028000000010000000200000001000000640000000602000002000000\
                               00000000000000000400000000000000eeffffff040000000400000000000000\
                               0102030405060708";

    fn cfg(include_payload: bool) -> EncodeConfig {
        EncodeConfig { include_payload }
    }

    #[test]
    fn control_transfer_as_tshark_reads_it() {
        let buf = hex(CONTROL_SUBMIT);
        let v = UsbPacket::new_checked(&buf, true).expect("valid");
        // tshark: usb.urb_id 0x00000000dacdaa00, urb_type 'S', transfer_type
        // 0x02, endpoint_address 0x80 (number 0, direction 1),
        // device_address 2, bus_id 1, setup_flag '\0', data_flag '<',
        // urb_ts_sec 1550331845, urb_ts_usec 117282, urb_status -115,
        // urb_len 40, data_len 0, interval 0, start_frame 0,
        // copy_of_transfer_flags 0x00000200, iso.numdesc 0.
        assert_eq!((v.id(), v.event_type(), v.transfer_type()), (0xdacd_aa00, b'S', TRANSFER_CONTROL));
        assert_eq!((v.endpoint_address(), v.endpoint_number(), v.direction_in()), (0x80, 0, true));
        assert_eq!((v.device_address(), v.bus_id(), v.setup_flag(), v.data_flag()), (2, 1, 0, b'<'));
        assert!(v.setup_present() && !v.data_present());
        assert_eq!((v.ts_sec(), v.ts_usec(), v.status()), (1_550_331_845, 117_282, -115));
        assert_eq!((v.urb_len(), v.data_len()), (40, 0));
        assert_eq!((v.interval(), v.start_frame(), v.xfer_flags(), v.ndesc()), (0, 0, 0x200, 0));
        assert_eq!((v.iso_error_count(), v.iso_numdesc()), (0, 0));
        assert!(v.mmapped() && v.header_len() == 64 && v.link_type() == 220);
        assert!(v.payload().is_empty());
        // Setup: usb.bmRequestType 0x80, setup.bRequest 6, DescriptorIndex
        // 0x00, bDescriptorType 0x01 (wValue 0x0100), LanguageId 0x0000,
        // setup.wLength 40.
        assert_eq!(v.setup(), Some(&[0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x28, 0x00][..]));
        let s = setup_record(&v, 7, &cfg(false)).expect("setup packet");
        assert_eq!((s.timestamp, s.request_type, s.request, s.value, s.index, s.length), (7, 0x80, 6, 0x0100, 0, 40));
        assert_eq!(s.id, 0xdacd_aa00);
        let r = record(&v, 7, &cfg(true));
        assert_eq!((r.timestamp, r.id, r.event_type, r.transfer_type), (7, 0xdacd_aa00, 83, 2));
        assert_eq!((r.direction, r.endpoint_number, r.device_address, r.bus_id), (1, 0, 2, 1));
        assert_eq!((r.timestamp_sec, r.timestamp_usec, r.status), (1_550_331_845, 117_282, -115));
        assert!(r.setup && !r.data);
        assert_eq!((r.urb_length, r.urb_data_length, r.urb_interval, r.urb_start_frame), (40, 0, 0, 0));
        assert_eq!((r.urb_copy_of_transfer_flags, r.iso_num_desc, r.iso_error_count), (0x200, 0, 0));
        assert_eq!((r.link_type, r.setup_flag, r.data_flag), (220, 0, i32::from(b'<')));
        assert_eq!((r.function, r.irp_info, r.control_stage), (0, 0, 0));
        assert!(r.payload.is_empty());

        let buf = hex(CONTROL_COMPLETE);
        let v = UsbPacket::new_checked(&buf, true).expect("valid");
        // tshark frame 2: urb_type 'C', setup_flag '-', data_flag '\0',
        // urb_ts_usec 118865, urb_status 0, urb_len 18, data_len 18; the
        // DEVICE DESCRIPTOR (bLength 18, idVendor 0x056e) follows.
        assert_eq!((v.event_type(), v.setup_flag(), v.data_flag()), (b'C', b'-', 0));
        assert_eq!((v.ts_usec(), v.status(), v.urb_len(), v.data_len()), (118_865, 0, 18, 18));
        assert_eq!(v.setup(), None);
        assert!(setup_record(&v, 0, &cfg(false)).is_none());
        assert_eq!(v.payload().len(), 18);
        assert_eq!(v.payload().get(8..10), Some(&[0x6e, 0x05][..]));
        let r = record(&v, 0, &cfg(true));
        assert!(!r.setup && r.data);
        assert_eq!(r.payload, v.payload());
        assert!(record(&v, 0, &cfg(false)).payload.is_empty());
    }

    #[test]
    fn interrupt_transfer_as_tshark_reads_it() {
        let buf = hex(INTERRUPT_COMPLETE);
        let v = UsbPacket::new_checked(&buf, true).expect("valid");
        // tshark frame 5: urb_id 0x00000000dab6b880, urb_type 'C',
        // transfer_type 0x01, endpoint_address 0x81 (number 1, direction 1),
        // device_address 2, bus_id 1, setup_flag '-', data_flag '\0',
        // urb_ts_sec 1550331848, urb_ts_usec 281266, urb_status 0, urb_len 8,
        // data_len 8, interval 8, start_frame 0, copy_of_transfer_flags
        // 0x00000204, iso.numdesc 0, capdata 0120000000000000.
        let r = record(&v, 0, &cfg(true));
        assert_eq!((r.id, r.event_type, r.transfer_type, r.direction), (0xdab6_b880, 67, 1, 1));
        assert_eq!((r.endpoint_number, r.device_address, r.bus_id), (1, 2, 1));
        assert_eq!((r.timestamp_sec, r.timestamp_usec, r.status), (1_550_331_848, 281_266, 0));
        assert_eq!((r.urb_length, r.urb_data_length, r.urb_interval, r.urb_start_frame), (8, 8, 8, 0));
        assert_eq!((r.urb_copy_of_transfer_flags, r.iso_num_desc), (0x204, 0));
        assert!(!r.setup && r.data);
        assert_eq!(r.payload, hex("0120000000000000"));
        assert!(setup_record(&v, 0, &cfg(false)).is_none());

        let buf = hex(INTERRUPT_SUBMIT);
        let v = UsbPacket::new_checked(&buf, true).expect("valid");
        // tshark frame 6: urb_type 'S', data_flag '<', urb_ts_usec 281419,
        // urb_status -115, urb_len 8, data_len 0.
        assert_eq!((v.event_type(), v.data_flag(), v.ts_usec(), v.status()), (b'S', b'<', 281_419, -115));
        assert_eq!((v.urb_len(), v.data_len()), (8, 0));
        assert!(v.payload().is_empty());
    }

    #[test]
    fn linux_48_byte_header() {
        // Link type 189: test1.pcap frame 1 cut to its first 48 bytes (no
        // shared capture has this link type). tshark 4.0 reads it, written
        // as a link type 189 pcap, as frame 1 above without the 220 fields
        // (no usb.interval, start_frame, copy_of_transfer_flags,
        // iso.numdesc) and the same setup packet.
        let full = hex(CONTROL_SUBMIT);
        let buf = &full[..HEADER_LEN];
        let v = UsbPacket::new_checked(buf, false).expect("valid");
        assert!(!v.mmapped() && v.header_len() == 48 && v.link_type() == 189);
        assert_eq!((v.interval(), v.start_frame(), v.xfer_flags(), v.ndesc()), (0, 0, 0, 0));
        assert_eq!(setup_record(&v, 0, &cfg(false)).map(|s| (s.value, s.length)), Some((0x0100, 40)));
        let r = record(&v, 0, &cfg(true));
        assert_eq!((r.link_type, r.urb_copy_of_transfer_flags, r.status), (189, 0, -115));
        // The 64-byte reading needs 64 bytes.
        assert!(UsbPacket::new_checked(buf, true).is_err());
        assert!(UsbPacket::new_checked(&full[..47], false).is_err());
    }

    #[test]
    fn isochronous_transfers() {
        let buf = hex(ISO_MMAPPED);
        let v = UsbPacket::new_checked(&buf, true).expect("valid");
        assert_eq!((v.id(), v.event_type(), v.transfer_type(), v.endpoint_address()), (0xffff_8801, b'C', 0, 0x82));
        assert_eq!((v.device_address(), v.bus_id(), v.setup_flag(), v.data_flag()), (3, 2, b'-', 0));
        assert_eq!((v.ts_sec(), v.ts_usec(), v.status(), v.urb_len(), v.data_len()), (1_550_331_846, 5, 0, 8, 40));
        assert_eq!((v.iso_error_count(), v.iso_numdesc()), (1, 2));
        assert_eq!((v.interval(), v.start_frame(), v.xfer_flags(), v.ndesc()), (1, 100, 0x206, 2));
        // The 4 + 4 bytes after the two descriptors.
        assert_eq!(v.payload(), &[1, 2, 3, 4, 5, 6, 7, 8][..]);
        assert_eq!(v.setup(), None);
        let r = record(&v, 0, &cfg(true));
        assert_eq!((r.iso_num_desc, r.iso_error_count, r.urb_interval, r.urb_start_frame), (2, 1, 1, 100));
        assert_eq!(r.payload, v.payload());

        // The same as link type 189: the header's first 40 bytes and the
        // counts, then the descriptors and data. tshark 4.0: iso.error_count
        // 1, iso.numdesc 2 (once), the same descriptors and iso.data.
        let mut short = buf[..HEADER_LEN].to_vec();
        short.extend_from_slice(&buf[MMAPPED_HEADER_LEN..]);
        let v = UsbPacket::new_checked(&short, false).expect("valid");
        assert_eq!((v.iso_numdesc(), v.ndesc(), v.interval()), (2, 0, 0));
        assert_eq!(v.payload(), &[1, 2, 3, 4, 5, 6, 7, 8][..]);
        assert_eq!(record(&v, 0, &cfg(false)).iso_num_desc, 2);

        // Descriptors that run past the end leave no data.
        let mut many = buf.clone();
        many[60..64].copy_from_slice(&u32::MAX.to_le_bytes());
        let v = UsbPacket::new_checked(&many, true).expect("valid");
        assert!(v.payload().is_empty());
    }

    #[test]
    fn big_endian_header() {
        // INTERRUPT_COMPLETE as a big-endian host writes it. tshark 4.0
        // reads a big-endian pcap holding it (wiretap swaps the header) with
        // the values of the little-endian frame: urb_id 0x00000000dab6b880,
        // bus_id 1, urb_ts_sec 1550331848, urb_ts_usec 281266, urb_len 8,
        // data_len 8, interval 8, copy_of_transfer_flags 0x00000204.
        let be =
            hex("00000000dab6b8804301810200012d00000000005c682fc800044ab200000000000000080000000800000000000000000000\
                      00080000000000000204000000000120000000000000");
        let le = hex(INTERRUPT_COMPLETE);
        let v = UsbPacket::new_checked_with_byte_order(&be, true, true).expect("valid");
        let want = record(&UsbPacket::new_checked(&le, true).expect("valid"), 0, &cfg(true));
        assert_eq!(record(&v, 0, &cfg(true)), want);
    }

    #[test]
    fn setup_only_where_wireshark_reads_it() {
        // Setup flag 0 on a completion or a bulk submit: no setup packet
        // (tshark shows the 8 bytes as "Unused Setup Header" there).
        let mut buf = hex(CONTROL_SUBMIT);
        buf[8] = EVENT_COMPLETE;
        assert!(UsbPacket::new_checked(&buf, true).expect("valid").setup().is_none());
        buf[8] = EVENT_SUBMIT;
        buf[9] = TRANSFER_BULK;
        let v = UsbPacket::new_checked(&buf, true).expect("valid");
        assert!(v.setup().is_none() && v.setup_present());
        assert!(record(&v, 0, &cfg(false)).setup);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for base in [hex(CONTROL_SUBMIT), hex(ISO_MMAPPED), hex(CONTROL_COMPLETE)] {
            for mmapped in [false, true] {
                let need = if mmapped { MMAPPED_HEADER_LEN } else { HEADER_LEN };
                for n in 0..=base.len() {
                    match UsbPacket::new_checked(&base[..n], mmapped) {
                        Ok(v) => {
                            assert!(n >= need && v.payload().len() <= n - need);
                            let _ = record(&v, 0, &cfg(true));
                            let _ = setup_record(&v, 0, &cfg(true));
                        }
                        Err(_) => assert!(n < need),
                    }
                }
                let mut state = 0x5eed_0000_0000_0001u64;
                for _ in 0..3000 {
                    let (m, cut) = mutate(&base, &mut state, 3);
                    for big_endian in [false, true] {
                        if let Ok(v) = UsbPacket::new_checked_with_byte_order(&m[..cut], mmapped, big_endian) {
                            let _ = record(&v, 0, &cfg(true));
                            let _ = setup_record(&v, 0, &cfg(true));
                        }
                    }
                }
            }
        }
    }
}
