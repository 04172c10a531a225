//! USBPcap packets, the USB capture of Windows (link type 249,
//! LINKTYPE_USBPCAP; "USBPcap Capture format",
//! https://desowin.org/usbpcap/captureformat.html). Every packet starts
//! with a little-endian `USBPCAP_BUFFER_PACKET_HEADER`: header length (2),
//! IRP id (8), USBD_STATUS (4), URB function (2), IRP information (1, bit
//! 0: PDO -> FDO, i.e. on the way back from the device), bus (2), device
//! address (2), endpoint address (1, bit 0x80 = IN), transfer type (1:
//! 0 isochronous, 1 interrupt, 2 control, 3 bulk, 255 IRP information),
//! data length (4): 27 bytes. Control transfers add the stage (1: 0 setup,
//! 1 data, 2 status, 3 complete); isochronous ones the start frame, number
//! of packets and error count (4 each) and 12 bytes (offset, length,
//! status) per packet. The data follows the header, whose length the first
//! field gives; in the setup stage the data is the 8-byte setup packet.
//!
//! The packets go into the same USB and USBRequestBlockSetup records as
//! Linux usbmon packets (see `usb`), with LinkType 249: ID is the IRP id;
//! EventType 'C' when the IRP information says PDO -> FDO, else 'S' (as
//! Wireshark derives its URB type); Status the USBD_STATUS bits as a
//! signed number; UrbDataLength the data length; Setup a control transfer
//! in its setup stage, as Wireshark's "is setup"; Data whether data other
//! than the setup packet follows; the isochronous start frame, number of
//! packets and error count go to UrbStartFrame, IsoNumDesc and
//! IsoErrorCount; Function, IrpInfo and ControlStage are USBPcap's own.
//! USBPcap has no URB length, event time, interval or transfer flags: 0.
//! A setup record is written, as Wireshark decodes a setup packet, for a
//! setup stage on the way to the device (IRP information bit 0 clear).
//!
//! A header length below what the transfer type needs (27, 28 for
//! control, 39 for isochronous) is rejected as malformed; a larger one is
//! honoured: the data starts where the header length says.

use super::usb::{setup_packet_record, SETUP_LEN};
use super::wire::{le16, le32, le64};
use super::{DecodeError, EncodeConfig};
use crate::schema::pb;

pub const LINKTYPE_USBPCAP: u32 = 249;
/// The header common to every transfer type.
pub const HEADER_LEN: usize = 27;
pub const CONTROL_HEADER_LEN: usize = 28;
/// The isochronous header without its per-packet entries.
pub const ISOCH_HEADER_LEN: usize = 39;

pub const TRANSFER_ISOCHRONOUS: u8 = 0;
pub const TRANSFER_INTERRUPT: u8 = 1;
pub const TRANSFER_CONTROL: u8 = 2;
pub const TRANSFER_BULK: u8 = 3;
/// An IRP that is no transfer (USBPCAP_TRANSFER_IRP_INFO).
pub const TRANSFER_IRP_INFO: u8 = 0xff;

/// IRP information bit: the IRP goes from the PDO (bus driver) to the FDO
/// (function driver), i.e. it is completing.
pub const INFO_PDO_TO_FDO: u8 = 0x01;

pub const STAGE_SETUP: u8 = 0;
pub const STAGE_DATA: u8 = 1;
pub const STAGE_STATUS: u8 = 2;
pub const STAGE_COMPLETE: u8 = 3;

const ENDPOINT_DIR_IN: u8 = 0x80;

/// A USBPcap packet whose header is complete.
#[derive(Clone, Copy)]
pub struct UsbPcapPacket<'a> {
    buf: &'a [u8],
}

impl<'a> UsbPcapPacket<'a> {
    /// Rejects a header cut short or a header length too small for the
    /// transfer type.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated("USBPcap", HEADER_LEN, buf.len()));
        }
        let header_len = usize::from(le16(buf, 0));
        let need = match buf.get(22).copied().unwrap_or(0) {
            TRANSFER_CONTROL => CONTROL_HEADER_LEN,
            TRANSFER_ISOCHRONOUS => ISOCH_HEADER_LEN,
            _ => HEADER_LEN,
        };
        if header_len < need {
            return Err(DecodeError::malformed("USBPcap", "header length too small for the transfer type"));
        }
        if buf.len() < header_len {
            return Err(DecodeError::truncated("USBPcap", header_len, buf.len()));
        }
        Ok(UsbPcapPacket { buf })
    }
    fn u8_at(&self, off: usize) -> u8 {
        self.buf.get(off).copied().unwrap_or(0)
    }
    /// Length of the header, transfer-specific part included.
    pub fn header_len(&self) -> u16 {
        le16(self.buf, 0)
    }
    pub fn irp_id(&self) -> u64 {
        le64(self.buf, 2)
    }
    /// USBD_STATUS (0 success; 0xC0000000 and up errors).
    pub fn usbd_status(&self) -> u32 {
        le32(self.buf, 10)
    }
    /// URB function (URB_FUNCTION_CONTROL_TRANSFER 0x0008, ...).
    pub fn function(&self) -> u16 {
        le16(self.buf, 14)
    }
    pub fn info(&self) -> u8 {
        self.u8_at(16)
    }
    /// Whether the IRP is completing (PDO -> FDO).
    pub fn is_completion(&self) -> bool {
        self.info() & INFO_PDO_TO_FDO != 0
    }
    pub fn bus(&self) -> u16 {
        le16(self.buf, 17)
    }
    pub fn device_address(&self) -> u16 {
        le16(self.buf, 19)
    }
    pub fn endpoint_address(&self) -> u8 {
        self.u8_at(21)
    }
    pub fn endpoint_number(&self) -> u8 {
        self.endpoint_address() & !ENDPOINT_DIR_IN
    }
    pub fn direction_in(&self) -> bool {
        self.endpoint_address() & ENDPOINT_DIR_IN != 0
    }
    pub fn transfer_type(&self) -> u8 {
        self.u8_at(22)
    }
    /// Length of the data after the header, as USBPcap declares it.
    pub fn data_len(&self) -> u32 {
        le32(self.buf, 23)
    }
    /// Control transfers: the stage (0 setup, 1 data, 2 status, 3 complete).
    pub fn control_stage(&self) -> Option<u8> {
        (self.transfer_type() == TRANSFER_CONTROL).then(|| self.u8_at(27))
    }
    /// A control transfer in its setup stage: its data is a setup packet.
    pub fn setup_stage(&self) -> bool {
        self.control_stage() == Some(STAGE_SETUP)
    }
    fn iso(&self, off: usize) -> u32 {
        if self.transfer_type() == TRANSFER_ISOCHRONOUS {
            le32(self.buf, off)
        } else {
            0
        }
    }
    /// Isochronous transfers: the start frame (else 0).
    pub fn iso_start_frame(&self) -> u32 {
        self.iso(27)
    }
    /// Isochronous transfers: the number of packets (else 0).
    pub fn iso_packets(&self) -> u32 {
        self.iso(31)
    }
    /// Isochronous transfers: the error count (else 0).
    pub fn iso_error_count(&self) -> u32 {
        self.iso(35)
    }
    fn data(&self) -> &'a [u8] {
        self.buf.get(usize::from(self.header_len())..).unwrap_or_default()
    }
    /// The setup packet, where Wireshark decodes one: the setup stage of a
    /// control transfer going to the device, its 8 bytes captured.
    pub fn setup(&self) -> Option<&'a [u8]> {
        if self.setup_stage() && !self.is_completion() {
            self.data().get(..SETUP_LEN)
        } else {
            None
        }
    }
    /// The transfer data: after the header and, in the setup stage, after
    /// the setup packet.
    pub fn payload(&self) -> &'a [u8] {
        let data = self.data();
        if self.setup_stage() {
            data.get(SETUP_LEN..).unwrap_or_default()
        } else {
            data
        }
    }
}

pub fn record(v: &UsbPcapPacket, timestamp: i64, cfg: &EncodeConfig) -> pb::Usb {
    let setup_bytes = if v.setup_stage() { SETUP_LEN as u32 } else { 0 };
    pb::Usb {
        timestamp,
        id: v.irp_id(),
        event_type: i32::from(if v.is_completion() { b'C' } else { b'S' }),
        transfer_type: i32::from(v.transfer_type()),
        direction: i32::from(v.direction_in()),
        endpoint_number: i32::from(v.endpoint_number()),
        device_address: i32::from(v.device_address()),
        bus_id: i32::from(v.bus()),
        timestamp_sec: 0,
        timestamp_usec: 0,
        setup: v.setup_stage(),
        data: v.data_len() > setup_bytes,
        status: v.usbd_status() as i32,
        urb_length: 0,
        urb_data_length: v.data_len(),
        urb_interval: 0,
        urb_start_frame: v.iso_start_frame(),
        urb_copy_of_transfer_flags: 0,
        iso_num_desc: v.iso_packets(),
        payload: if cfg.include_payload { v.payload().to_vec() } else { Vec::new() },
        link_type: LINKTYPE_USBPCAP as i32,
        setup_flag: 0,
        data_flag: 0,
        iso_error_count: v.iso_error_count(),
        function: i32::from(v.function()),
        irp_info: i32::from(v.info()),
        control_stage: i32::from(v.control_stage().unwrap_or(0)),
    }
}

/// The setup record of a packet that carries a setup packet.
pub fn setup_record(v: &UsbPcapPacket, timestamp: i64, _cfg: &EncodeConfig) -> Option<pb::UsbRequestBlockSetup> {
    v.setup().map(|s| setup_packet_record(s, v.irp_id(), timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::decode::test_util::{hex, mutate};

    // usbmon-tools/testdata/usbpcap1.pcap (link type 249), a QEMU tablet.
    /// Frame 1: setup stage of GET_DESCRIPTOR (device).
    const GET_DESCRIPTOR: &str = "1c000000000000000000000000000b000001000100800208000000008006000100001200";
    /// Frame 2: its completion with the 18-byte device descriptor.
    const DESCRIPTOR: &str =
        "1c000000000000000000000000000800010100010080021200000003120100020000004027060100000001030a01";
    /// Frame 5: setup stage of SET_CONFIGURATION 1.
    const SET_CONFIGURATION: &str = "1c0000000000000000000000000000000001000100000208000000000009010000000000";
    /// Frame 6: its completion, no data.
    const CONFIGURED: &str = "1c000000000000000000000000000000010100010000020000000003";
    /// Frame 7: interrupt IN completion with a 6-byte HID report.
    const INTERRUPT_COMPLETE: &str = "1b00c0704ff988dbffff0000000009000101000100810106000000009f302a5500";
    /// Frame 8: the interrupt IN request that follows.
    const INTERRUPT_SUBMIT: &str = "1b00c0704ff988dbffff0000000009000001000100810100000000";
    /// No shared capture has USBPcap isochronous transfers: built from the
    /// capture format (header length 63, IRP id 0xffffdb88f94f0001, status
    /// 0, function 0x000a ISOCH_TRANSFER, info 1, bus 1, device 2, endpoint
    /// 0x82, data length 8, start frame 100, 2 packets, error count 0, the
    /// packets (0, 4, 0) and (4, 4, 0), 8 data bytes). tshark 4.0 reads it
    /// (in a pcap) as usbpcap_header_len 63, irp_id 0xffffdb88f94f0001,
    /// function 0x000a, irp_info 0x01, bus_id 1, device_address 2,
    /// endpoint_address 0x82, transfer_type 0x00, data_len 8,
    /// win32.iso_frame 100, win32.iso_num_packets 2, win32.iso_error_count 0,
    /// iso.data 01020304 and 05060708.
    const ISOCH: &str = "3f0001004ff988dbffff000000000a0001010002008200080000006400000002\
                         0000000000000000000000040000000000000004000000040000000000000001\
                         02030405060708";

    fn cfg(include_payload: bool) -> EncodeConfig {
        EncodeConfig { include_payload }
    }

    #[test]
    fn control_transfer_as_tshark_reads_it() {
        let buf = hex(GET_DESCRIPTOR);
        let v = UsbPcapPacket::new_checked(&buf).expect("valid");
        // tshark frame 1: usb.usbpcap_header_len 28, irp_id
        // 0x0000000000000000, usbd_status 0x00000000, function 0x000b,
        // irp_info 0x00, bus_id 1, device_address 1, endpoint_address 0x80
        // (number 0, direction 1), transfer_type 0x02, data_len 8,
        // control_stage 0; bmRequestType 0x80, setup.bRequest 6,
        // DescriptorIndex 0x00, bDescriptorType 0x01, LanguageId 0x0000,
        // setup.wLength 18.
        assert_eq!((v.header_len(), v.irp_id(), v.usbd_status(), v.function()), (28, 0, 0, 0x000b));
        assert_eq!((v.info(), v.is_completion(), v.bus(), v.device_address()), (0, false, 1, 1));
        assert_eq!((v.endpoint_address(), v.endpoint_number(), v.direction_in()), (0x80, 0, true));
        assert_eq!((v.transfer_type(), v.data_len(), v.control_stage()), (TRANSFER_CONTROL, 8, Some(0)));
        assert!(v.setup_stage());
        assert_eq!((v.iso_start_frame(), v.iso_packets(), v.iso_error_count()), (0, 0, 0));
        assert_eq!(v.setup(), Some(&hex("8006000100001200")[..]));
        assert!(v.payload().is_empty());
        let s = setup_record(&v, 3, &cfg(false)).expect("setup packet");
        assert_eq!((s.timestamp, s.request_type, s.request, s.value, s.index, s.length), (3, 0x80, 6, 0x0100, 0, 18));
        let r = record(&v, 3, &cfg(true));
        assert_eq!((r.timestamp, r.id, r.event_type, r.transfer_type, r.direction), (3, 0, 83, 2, 1));
        assert_eq!((r.endpoint_number, r.device_address, r.bus_id, r.status), (0, 1, 1, 0));
        assert!(r.setup && !r.data);
        assert_eq!((r.urb_length, r.urb_data_length, r.link_type), (0, 8, 249));
        assert_eq!((r.function, r.irp_info, r.control_stage), (0x0b, 0, 0));
        assert_eq!((r.timestamp_sec, r.timestamp_usec, r.urb_interval, r.urb_copy_of_transfer_flags), (0, 0, 0, 0));
        assert!(r.payload.is_empty());

        // Frame 2: function 0x0008, irp_info 0x01, data_len 18,
        // control_stage 3, the DEVICE DESCRIPTOR (idVendor 0x0627).
        let buf = hex(DESCRIPTOR);
        let v = UsbPcapPacket::new_checked(&buf).expect("valid");
        assert_eq!((v.function(), v.info(), v.data_len(), v.control_stage()), (8, 1, 18, Some(STAGE_COMPLETE)));
        assert!(v.is_completion() && v.setup().is_none());
        assert_eq!(v.payload().len(), 18);
        assert_eq!(v.payload().get(8..10), Some(&[0x27, 0x06][..]));
        let r = record(&v, 0, &cfg(true));
        assert_eq!((r.event_type, r.control_stage, r.urb_data_length), (67, 3, 18));
        assert!(!r.setup && r.data);
        assert_eq!(r.payload, v.payload());
        assert!(setup_record(&v, 0, &cfg(false)).is_none());

        // Frame 5: function 0x0000, endpoint 0x00 (direction 0),
        // control_stage 0; bmRequestType 0x00, bRequest 9,
        // bConfigurationValue 1, wIndex 0, wLength 0.
        let buf = hex(SET_CONFIGURATION);
        let v = UsbPcapPacket::new_checked(&buf).expect("valid");
        let s = setup_record(&v, 0, &cfg(false)).expect("setup packet");
        assert_eq!((s.request_type, s.request, s.value, s.index, s.length), (0, 9, 1, 0, 0));
        let r = record(&v, 0, &cfg(false));
        assert_eq!((r.direction, r.function, r.control_stage), (0, 0, 0));

        // Frame 6: irp_info 0x01, data_len 0, control_stage 3.
        let buf = hex(CONFIGURED);
        let v = UsbPcapPacket::new_checked(&buf).expect("valid");
        let r = record(&v, 0, &cfg(true));
        assert_eq!((r.event_type, r.urb_data_length, r.control_stage), (67, 0, 3));
        assert!(!r.setup && !r.data && r.payload.is_empty());
    }

    #[test]
    fn interrupt_transfer_as_tshark_reads_it() {
        // tshark frame 7: usbpcap_header_len 27, irp_id 0xffffdb88f94f70c0,
        // usbd_status 0, function 0x0009, irp_info 0x01, bus_id 1,
        // device_address 1, endpoint_address 0x81, transfer_type 0x01,
        // data_len 6 (the HID report 009f302a5500 as usbhid data).
        let buf = hex(INTERRUPT_COMPLETE);
        let v = UsbPcapPacket::new_checked(&buf).expect("valid");
        assert_eq!(v.control_stage(), None);
        let r = record(&v, 0, &cfg(true));
        assert_eq!((r.id, r.event_type, r.transfer_type, r.direction), (0xffff_db88_f94f_70c0, 67, 1, 1));
        assert_eq!((r.endpoint_number, r.device_address, r.bus_id, r.urb_data_length), (1, 1, 1, 6));
        assert_eq!((r.function, r.irp_info, r.control_stage), (9, 1, 0));
        assert!(!r.setup && r.data);
        assert_eq!(r.payload, hex("009f302a5500"));
        // Frame 8: irp_info 0x00, data_len 0.
        let buf = hex(INTERRUPT_SUBMIT);
        let r = record(&UsbPcapPacket::new_checked(&buf).expect("valid"), 0, &cfg(true));
        assert_eq!((r.event_type, r.irp_info, r.urb_data_length), (83, 0, 0));
        assert!(!r.data && r.payload.is_empty());
    }

    #[test]
    fn isochronous_transfer() {
        let buf = hex(ISOCH);
        let v = UsbPcapPacket::new_checked(&buf).expect("valid");
        assert_eq!((v.header_len(), v.irp_id(), v.function()), (63, 0xffff_db88_f94f_0001, 0x000a));
        assert_eq!((v.iso_start_frame(), v.iso_packets(), v.iso_error_count()), (100, 2, 0));
        assert_eq!(v.payload(), &[1, 2, 3, 4, 5, 6, 7, 8][..]);
        let r = record(&v, 0, &cfg(false));
        assert_eq!((r.transfer_type, r.urb_start_frame, r.iso_num_desc, r.iso_error_count), (0, 100, 2, 0));
        assert_eq!((r.device_address, r.endpoint_number, r.direction), (2, 2, 1));
    }

    #[test]
    fn header_length_is_checked() {
        // A control header that says 27 bytes has no stage byte.
        let mut buf = hex(GET_DESCRIPTOR);
        buf[0] = 27;
        assert!(UsbPcapPacket::new_checked(&buf).is_err());
        // A header length past the end.
        buf[0] = 60;
        assert!(UsbPcapPacket::new_checked(&buf).is_err());
        // An isochronous header without its counts.
        let mut buf = hex(ISOCH);
        buf[0] = 38;
        assert!(UsbPcapPacket::new_checked(&buf).is_err());
        // A longer header than needed: the data starts after it.
        let mut buf = hex(INTERRUPT_COMPLETE);
        buf[0] = 29;
        let v = UsbPcapPacket::new_checked(&buf).expect("valid");
        assert_eq!(v.payload(), &hex("302a5500")[..]);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for base in [hex(GET_DESCRIPTOR), hex(ISOCH), hex(INTERRUPT_COMPLETE)] {
            for n in 0..=base.len() {
                match UsbPcapPacket::new_checked(&base[..n]) {
                    Ok(v) => {
                        assert!(n >= usize::from(v.header_len()) && v.payload().len() <= n);
                        let _ = record(&v, 0, &cfg(true));
                        let _ = setup_record(&v, 0, &cfg(true));
                    }
                    Err(_) => assert!(n < usize::from(le16(&base, 0))),
                }
            }
            let mut state = 0x5eed_0000_0000_0001u64;
            for _ in 0..3000 {
                let (m, cut) = mutate(&base, &mut state, 2);
                if let Ok(v) = UsbPcapPacket::new_checked(&m[..cut]) {
                    let _ = record(&v, 0, &cfg(true));
                    let _ = setup_record(&v, 0, &cfg(true));
                }
            }
        }
    }
}
