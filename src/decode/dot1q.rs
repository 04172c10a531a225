//! IEEE 802.1Q VLAN tags (also 802.1ad QinQ outer tags).

use super::wire::be16;
use super::{DecodeError, Emitter, EncodeConfig, Layers};
use crate::schema::pb;

pub const TAG_LEN: usize = 4;

/// One decoded tag: the tag control information and the EtherType after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VlanTag {
    pub tci: u16,
    pub ethertype: u16,
}

impl VlanTag {
    pub fn parse(buf: &[u8]) -> Result<(VlanTag, &[u8]), DecodeError> {
        let payload = buf.get(TAG_LEN..).ok_or(DecodeError::truncated("Dot1Q", TAG_LEN, buf.len()))?;
        Ok((VlanTag { tci: be16(buf, 0), ethertype: be16(buf, 2) }, payload))
    }
    pub fn priority(&self) -> u8 {
        (self.tci >> 13) as u8
    }
    pub fn drop_eligible(&self) -> bool {
        self.tci & 0x1000 != 0
    }
    pub fn vlan_id(&self) -> u16 {
        self.tci & 0x0fff
    }
}

/// One record per tag, outermost first.
pub fn encode(l: &Layers, _cfg: &EncodeConfig, out: &mut Emitter) {
    if !l.has(super::kind::DOT1Q) {
        return;
    }
    for tag in crate::layers_of!(l, Dot1Q) {
        out.emit(&pb::Dot1Q {
            timestamp: l.timestamp,
            priority: i32::from(tag.priority()),
            drop_eligible: tag.drop_eligible(),
            vlan_identifier: i32::from(tag.vlan_id()),
            r#type: i32::from(tag.ethertype),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tci_fields() {
        let (tag, rest) = VlanTag::parse(&[0xb0, 0x64, 0x08, 0x00, 0x45]).expect("4 bytes present");
        assert_eq!((tag.priority(), tag.drop_eligible(), tag.vlan_id()), (5, true, 100));
        assert_eq!(tag.ethertype, 0x0800);
        assert_eq!(rest, &[0x45]);
    }
}
