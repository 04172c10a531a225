//! IGMP, VRRP, OSPFv2 and OSPFv3 records against tshark.
//!
//! Counting rule. IGMP: netcap writes one record per IP protocol 2
//! payload of a membership message type (0x11, 0x12, 0x16, 0x17, 0x22) of
//! at least 8 bytes; tshark shows `igmp.version` for exactly those (DVMRP
//! and PIMv1 go to their own dissectors, multicast traceroute has no
//! version), so a packet with `igmp.version` is one expected record.
//! VRRP: one record per IP protocol 112 payload of version 2 or 3 with the
//! 8-byte header; tshark: one packet with `vrrp.version`. OSPF: one record
//! per IP protocol 89 payload, OSPFv2 when its version byte is 2 (24-byte
//! header present), OSPFv3 when it is 3 (16 bytes); tshark: one packet
//! with `ospf.version` 2 or 3. Tunnelled packets count like any other (one
//! OSPF PDU per packet in the shared captures).
//!
//! LSA lists: tshark's LS type, link state ID, advertising router and age
//! fields occur once per LS request entry, Database Description header, LS
//! update LSA or acknowledged header, in packet order; netcap's rows list
//! LSR, DbDesc.LSAHeaders, LSU.LSAs and LSAs in that order (a packet
//! fills only one of them). Ages are compared without the DoNotAge bit,
//! which tshark shows as a separate field.

use crate::common::layers::{self, field_list, field_present, field_str, field_values, ip, num, Pkt, Spec};
use prost_reflect::DynamicMessage;

fn nums(v: Vec<&str>) -> String {
    v.into_iter().map(num).collect::<Vec<_>>().join(",")
}

fn ips(v: Vec<&str>) -> String {
    v.into_iter().map(ip).collect::<Vec<_>>().join(",")
}

fn join(v: impl IntoIterator<Item = String>) -> String {
    v.into_iter().collect::<Vec<_>>().join(",")
}

/// A sub-message field of `m` (None when unset).
fn sub(m: &DynamicMessage, name: &str) -> Option<DynamicMessage> {
    if field_present(m, name) {
        field_list(m, name).into_iter().next()
    } else {
        None
    }
}

// ---------------------------------------------------------------- IGMP

const IGMP_COLUMNS: &[&str] = &[
    "Version",
    "Type",
    "Checksum",
    "GroupAddress",
    "MaxResponseTime",
    "SupressRouterProcessing",
    "RobustnessValue",
    "QQIC",
    "NumberOfSources",
    "SourceAddresses",
    "NumberOfGroupRecords",
    "GroupRecords.Type",
    "GroupRecords.MulticastAddress",
];

fn igmp_expected(p: &Pkt) -> Vec<Vec<String>> {
    let Some(version) = p.first("igmp.version") else {
        return Vec::new();
    };
    let one = |f: &str| p.first(f).map(num).unwrap_or_default();
    let report3 = p.first("igmp.type").map(num).as_deref() == Some("34");
    let maddr = p.all("igmp.maddr");
    vec![vec![
        num(version),
        one("igmp.type"),
        one("igmp.checksum"),
        // A v3 report's igmp.maddr are its group records' addresses.
        if report3 { String::new() } else { maddr.first().map(|a| ip(a)).unwrap_or_default() },
        one("igmp.max_resp"),
        p.first("igmp.s").map(layers::boolean).unwrap_or_default(),
        one("igmp.qrv"),
        one("igmp.qqic"),
        nums(p.all("igmp.num_src")),
        ips(p.all("igmp.saddr")),
        one("igmp.num_grp_recs"),
        nums(p.all("igmp.record_type")),
        if report3 { ips(maddr) } else { String::new() },
    ]]
}

fn igmp_actual(m: &DynamicMessage) -> Vec<String> {
    let s = |f: &str| field_str(m, f);
    let version = s("Version");
    let ty = s("Type");
    let query3 = ty == "17" && version == "3";
    let report3 = ty == "34";
    let records = field_list(m, "GroupRecords");
    let rec_field = |f: &str| join(records.iter().map(|r| field_str(r, f)));
    // Fields that exist only in some messages are blank elsewhere, as in tshark.
    let only = |cond: bool, v: String| if cond { v } else { String::new() };
    let sources = if report3 {
        join(records.iter().flat_map(|r| field_values(r, "SourceAddresses")))
    } else {
        field_values(m, "SourceAddresses").join(",")
    };
    vec![
        version.clone(),
        ty.clone(),
        s("Checksum"),
        s("GroupAddress"),
        only(version != "1" && !report3, s("MaxResponseTime")),
        only(query3, s("SupressRouterProcessing")),
        only(query3, s("RobustnessValue")),
        only(query3, s("QQIC")),
        if report3 { rec_field("NumberOfSources") } else { only(query3, s("NumberOfSources")) },
        sources,
        only(report3, s("NumberOfGroupRecords")),
        rec_field("Type"),
        rec_field("MulticastAddress"),
    ]
}

pub const IGMP: Spec = Spec {
    record: "IGMP",
    protocols: &["igmp"],
    fields: &[
        "igmp.version",
        "igmp.type",
        "igmp.checksum",
        "igmp.maddr",
        "igmp.max_resp",
        "igmp.s",
        "igmp.qrv",
        "igmp.qqic",
        "igmp.num_src",
        "igmp.saddr",
        "igmp.num_grp_recs",
        "igmp.record_type",
    ],
    prefs: &[],
    columns: IGMP_COLUMNS,
    expected: igmp_expected,
    actual: igmp_actual,
    exceptions: &[],
};

#[test]
fn igmp_agrees_with_tshark() {
    layers::run(&IGMP)
}

// ---------------------------------------------------------------- VRRP

const VRRP_COLUMNS: &[&str] =
    &["Version", "Type", "VirtualRtrID", "Priority", "CountIPAddr", "AuthType", "AdverInt", "Checksum", "IPAdresses"];

fn vrrp_expected(p: &Pkt) -> Vec<Vec<String>> {
    let Some(version) = p.first("vrrp.version") else {
        return Vec::new();
    };
    let one = |f: &str| p.first(f).map(num).unwrap_or_default();
    let mut addrs = p.all("vrrp.ip_addr");
    addrs.extend(p.all("vrrp.ipv6_addr"));
    vec![vec![
        num(version),
        one("vrrp.type"),
        one("vrrp.virt_rtr_id"),
        one("vrrp.prio"),
        one("vrrp.addr_count"),
        // v3 has no authentication type: netcap's field is 0.
        p.first("vrrp.auth_type").map(num).unwrap_or_else(|| "0".into()),
        // v2: Adver Int (s); v3: Max Adver Int (cs).
        p.first("vrrp.adver_int").or(p.first("vrrp.short_adver_int")).map(num).unwrap_or_default(),
        one("vrrp.checksum"),
        ips(addrs),
    ]]
}

fn vrrp_actual(m: &DynamicMessage) -> Vec<String> {
    let mut row: Vec<String> = VRRP_COLUMNS[..8].iter().map(|f| field_str(m, f)).collect();
    row.push(field_values(m, "IPAdresses").join(","));
    row
}

pub const VRRP: Spec = Spec {
    record: "VRRP",
    protocols: &["vrrp"],
    fields: &[
        "vrrp.version",
        "vrrp.type",
        "vrrp.virt_rtr_id",
        "vrrp.prio",
        "vrrp.addr_count",
        "vrrp.auth_type",
        "vrrp.adver_int",
        "vrrp.short_adver_int",
        "vrrp.checksum",
        "vrrp.ip_addr",
        "vrrp.ipv6_addr",
    ],
    prefs: &[],
    columns: VRRP_COLUMNS,
    expected: vrrp_expected,
    actual: vrrp_actual,
    exceptions: &[],
};

#[test]
fn vrrp_agrees_with_tshark() {
    layers::run(&VRRP)
}

// ---------------------------------------------------------------- OSPF

const OSPF_COLUMNS: &[&str] = &[
    "Type",
    "RouterID",
    "AreaID",
    "PacketLength",
    "Checksum",
    "AuType/Instance",
    "Hello.NetworkMask/InterfaceID",
    "Hello.Options",
    "Hello.HelloInterval",
    "Hello.RtrPriority",
    "Hello.RouterDeadInterval",
    "Hello.DesignatedRouter",
    "Hello.BackupDesignatedRouter",
    "Hello.Neighbors",
    "DbDesc.InterfaceMTU",
    "DbDesc.Flags",
    "DbDesc.DDSeqNumber",
    "LSU.NumOfLSAs",
    "LS types",
    "LS IDs (but opaque LSAs')",
    "Opaque LSA types (v2)",
    "LS advertising routers",
    "LS ages",
    "Router LSA links (v2: # links; v3: neighbor router IDs)",
    "Router link IDs (v2)",
    "Network LSA attached routers",
    "Prefixes (v3)",
];

/// Fields of both versions; the version picks which of a pair it reads.
const OSPF_FIELDS: &[&str] = &[
    "ospf.version",
    "ospf.msg",
    "ospf.srcrouter",
    "ospf.area_id",
    "ospf.packet_length",
    "ospf.checksum",
    "ospf.auth.type",
    "ospf.instance_id",
    "ospf.hello.network_mask",
    "ospf.hello.interface_id",
    "ospf.v2.options",
    "ospf.v3.options",
    "ospf.hello.hello_interval",
    "ospf.hello.router_priority",
    "ospf.hello.router_dead_interval",
    "ospf.hello.designated_router",
    "ospf.hello.backup_designated_router",
    "ospf.hello.active_neighbor",
    "ospf.db.interface_mtu",
    "ospf.dbd",
    "ospf.db.dd_sequence",
    "ospf.ls.number_of_lsas",
    "ospf.lsa",
    "ospf.v3.lsa",
    "ospf.lsa.id",
    "ospf.lsid_opaque_type",
    "ospf.link_state_id",
    "ospf.advrouter",
    "ospf.lsa.age",
    "ospf.lsa.number_of_links",
    "ospf.lsa.router.linkid",
    "ospf.lsa.network.attchrtr",
    "ospf.v3.lsa.neighbor_router_id",
    "ospf.v3.lsa.attached_router",
    "ospf.v3.address_prefix.ipv6",
];

fn ospf_expected(p: &Pkt, version: &str) -> Vec<Vec<String>> {
    if p.first("ospf.version") != Some(version) {
        return Vec::new();
    }
    let v2 = version == "2";
    let one = |f: &str| p.first(f).map(num).unwrap_or_default();
    let addr = |f: &str| p.first(f).map(ip).unwrap_or_default();
    let hello = p.first("ospf.msg") == Some("1");
    let dbd = p.first("ospf.msg") == Some("2");
    // Options occur in Hellos and DbDescs before any LSA.
    let options = if hello { one(if v2 { "ospf.v2.options" } else { "ospf.v3.options" }) } else { String::new() };
    let mut ids = p.all("ospf.lsa.id");
    ids.extend(p.all("ospf.link_state_id"));
    vec![vec![
        one("ospf.msg"),
        addr("ospf.srcrouter"),
        addr("ospf.area_id"),
        one("ospf.packet_length"),
        one("ospf.checksum"),
        one(if v2 { "ospf.auth.type" } else { "ospf.instance_id" }),
        if v2 { addr("ospf.hello.network_mask") } else { one("ospf.hello.interface_id") },
        options,
        one("ospf.hello.hello_interval"),
        one("ospf.hello.router_priority"),
        one("ospf.hello.router_dead_interval"),
        addr("ospf.hello.designated_router"),
        addr("ospf.hello.backup_designated_router"),
        ips(p.all("ospf.hello.active_neighbor")),
        if dbd { one("ospf.db.interface_mtu") } else { String::new() },
        if dbd { one("ospf.dbd") } else { String::new() },
        if dbd { one("ospf.db.dd_sequence") } else { String::new() },
        one("ospf.ls.number_of_lsas"),
        nums(p.all(if v2 { "ospf.lsa" } else { "ospf.v3.lsa" })),
        ips(ids),
        nums(p.all("ospf.lsid_opaque_type")),
        ips(p.all("ospf.advrouter")),
        nums(p.all("ospf.lsa.age")),
        if v2 { nums(p.all("ospf.lsa.number_of_links")) } else { ips(p.all("ospf.v3.lsa.neighbor_router_id")) },
        ips(p.all("ospf.lsa.router.linkid")),
        ips(p.all(if v2 { "ospf.lsa.network.attchrtr" } else { "ospf.v3.lsa.attached_router" })),
        ips(p.all("ospf.v3.address_prefix.ipv6")),
    ]]
}

fn ospf_actual(m: &DynamicMessage, v2: bool) -> Vec<String> {
    let s = |f: &str| field_str(m, f);
    let hello = sub(m, if v2 { "HelloV2" } else { "Hello" });
    let dbd = sub(m, "DbDesc");
    let lsu = sub(m, "LSU");
    let h = |f: &str| hello.as_ref().map(|x| field_str(x, f)).unwrap_or_default();
    let d = |f: &str| dbd.as_ref().map(|x| field_str(x, f)).unwrap_or_default();
    let lsr = field_list(m, "LSR");
    let headers = dbd.as_ref().map(|x| field_list(x, "LSAHeaders")).unwrap_or_default();
    let updates = lsu.as_ref().map(|x| field_list(x, "LSAs")).unwrap_or_default();
    let acks = field_list(m, "LSAs");
    let lsas: Vec<&DynamicMessage> = headers.iter().chain(&updates).chain(&acks).collect();
    // Every LSA-ish entry in packet order: LSR entries, then LSA headers.
    let each = |lsr_field: &str, lsa_field: &str| {
        join(lsr.iter().map(|r| field_str(r, lsr_field)).chain(lsas.iter().map(|l| field_str(l, lsa_field))))
    };
    let bodies =
        |body: &str, f: &str| join(updates.iter().filter_map(|l| sub(l, body)).flat_map(|b| field_values(&b, f)));
    let links: Vec<DynamicMessage> =
        updates.iter().filter_map(|l| sub(l, "Router")).flat_map(|r| field_list(&r, "Links")).collect();
    let v3_prefixes: Vec<String> = updates
        .iter()
        .flat_map(|l| {
            let mut out = Vec::new();
            for (body, one) in
                [("InterAreaPrefix", true), ("ASExternal", true), ("Link", false), ("IntraAreaPrefix", false)]
            {
                if let Some(b) = sub(l, body) {
                    let ps = if one { sub(&b, "Prefix").into_iter().collect() } else { field_list(&b, "Prefixes") };
                    out.extend(ps.iter().map(|p| field_str(p, "AddressPrefix")));
                }
            }
            out
        })
        .collect();
    vec![
        s("Type"),
        s("RouterID"),
        s("AreaID"),
        s("PacketLength"),
        s("Checksum"),
        s(if v2 { "AuType" } else { "Instance" }),
        h(if v2 { "NetworkMask" } else { "InterfaceID" }),
        h("Options"),
        h("HelloInterval"),
        h("RtrPriority"),
        h("RouterDeadInterval"),
        h("DesignatedRouter"),
        h("BackupDesignatedRouter"),
        hello.as_ref().map(|x| field_values(x, "Neighbors").join(",")).unwrap_or_default(),
        d("InterfaceMTU"),
        d("Flags"),
        d("DDSeqNumber"),
        lsu.as_ref().map(|x| field_str(x, "NumOfLSAs")).unwrap_or_default(),
        each("LSType", "LSType"),
        // tshark splits an opaque LSA's ID (types 9-11) into opaque type and ID.
        join(
            lsr.iter()
                .map(|r| field_str(r, "LinkStateID"))
                .chain(lsas.iter().filter(|l| !(v2 && opaque(l))).map(|l| field_str(l, "LinkStateID"))),
        ),
        join(
            lsas.iter()
                .filter(|l| v2 && opaque(l))
                .map(|l| field_str(l, "LinkStateID").split('.').next().unwrap_or_default().to_string()),
        ),
        each("AdvRouter", "AdvRouter"),
        join(lsas.iter().map(|l| (field_str(l, "LSAge").parse::<u32>().unwrap_or(0) & 0x7fff).to_string())),
        if v2 {
            bodies("Router", "NumberOfLinks")
        } else {
            join(links.iter().map(|k| field_str(k, "NeighborRouterID")))
        },
        if v2 { join(links.iter().map(|k| field_str(k, "LinkID"))) } else { String::new() },
        bodies("Network", "AttachedRouters"),
        join(v3_prefixes),
    ]
}

/// An OSPFv2 opaque LSA (RFC 5250: types 9, 10, 11).
fn opaque(l: &DynamicMessage) -> bool {
    matches!(field_str(l, "LSType").as_str(), "9" | "10" | "11")
}

fn ospfv2_expected(p: &Pkt) -> Vec<Vec<String>> {
    ospf_expected(p, "2")
}

fn ospfv3_expected(p: &Pkt) -> Vec<Vec<String>> {
    ospf_expected(p, "3")
}

fn ospfv2_actual(m: &DynamicMessage) -> Vec<String> {
    ospf_actual(m, true)
}

fn ospfv3_actual(m: &DynamicMessage) -> Vec<String> {
    ospf_actual(m, false)
}

pub const OSPFV2: Spec = Spec {
    record: "OSPFv2",
    protocols: &["ospf"],
    fields: OSPF_FIELDS,
    prefs: &[],
    columns: OSPF_COLUMNS,
    expected: ospfv2_expected,
    actual: ospfv2_actual,
    exceptions: &[],
};

pub const OSPFV3: Spec = Spec {
    record: "OSPFv3",
    protocols: &["ospf"],
    fields: OSPF_FIELDS,
    prefs: &[],
    columns: OSPF_COLUMNS,
    expected: ospfv3_expected,
    actual: ospfv3_actual,
    exceptions: &[],
};

#[test]
fn ospfv2_agrees_with_tshark() {
    layers::run(&OSPFV2)
}

#[test]
fn ospfv3_agrees_with_tshark() {
    layers::run(&OSPFV3)
}
