//! End-to-end tests of `netcap -r CAPTURE`: the files it writes, their
//! order and determinism, the flags, and bad input.
//!
//! Expected values for testdata/sample.pcap come from the packets'
//! construction (examples/make_testdata.rs) and were confirmed with tshark;
//! field-by-field agreement with tshark over all shared captures is
//! tests/tshark_diff.rs.

use netcap::container::RecordReader;
use netcap::schema::pb;
use prost::Message;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "common/cli.rs"]
mod cli;
use cli::{netcap, repo, run_ok, shared, temp_dir, NETCAP};

fn read_records<M: Message + Default>(path: &Path) -> (pb::Header, Vec<M>) {
    let mut r = RecordReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let header = r.header().clone();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
        out.push(M::decode(buf.as_slice()).expect("record decodes"));
    }
    (header, out)
}

fn sample_run(name: &str, extra: &[&str]) -> PathBuf {
    let out = temp_dir(name);
    let sample = repo().join("testdata/sample.pcap");
    let mut args = vec!["-r", sample.to_str().expect("utf-8 path"), "-out", out.to_str().expect("utf-8"), "-quiet"];
    args.extend_from_slice(extra);
    run_ok(&args);
    out
}

const START: i64 = 1_499_254_223_848_884_000;
const STEP: i64 = 1_000_137_000;

/// make_testdata builds sample.pcap with etherparse's headers and
/// checksums; Wireshark, checking every checksum it can, must find each
/// one good (status 1), so the fixture is the clean traffic it claims to be.
#[test]
fn sample_checksums_are_good_as_wireshark_checks_them() {
    let sample = repo().join("testdata/sample.pcap");
    let fields = [
        "ip.checksum.status",
        "tcp.checksum.status",
        "udp.checksum.status",
        "icmp.checksum.status",
        "icmpv6.checksum.status",
        "igmp.checksum.status",
    ];
    let mut cmd = Command::new("tshark");
    cmd.args(["-r", sample.to_str().expect("utf-8"), "-T", "fields", "-E", "separator=/t"]);
    for pref in ["ip.check_checksum:TRUE", "tcp.check_checksum:TRUE", "udp.check_checksum:TRUE"] {
        cmd.args(["-o", pref]);
    }
    for f in fields {
        cmd.args(["-e", f]);
    }
    let o = cmd.output().unwrap_or_else(|e| panic!("tshark is the oracle here and could not be run ({e})"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let mut checked = [0usize; 6];
    for (frame, line) in text.lines().enumerate() {
        for (i, cell) in line.split('\t').enumerate() {
            for status in cell.split(',').filter(|c| !c.is_empty()) {
                assert_eq!(status, "1", "frame {}: {} is {status} (0: bad)", frame + 1, fields[i]);
                checked[i] += 1;
            }
        }
    }
    assert_eq!(text.lines().count(), 41);
    assert!(checked.iter().all(|&n| n > 0), "every checksum kind was checked: {checked:?}");
}

#[test]
fn sample_records_have_the_constructed_values() {
    let out = sample_run("sample", &[]);

    let (h, tcp) = read_records::<pb::Tcp>(&out.join("TCP.ncap.gz"));
    assert_eq!(h.r#type, "TCP");
    assert_eq!(h.version, netcap::VERSION);
    assert!(h.input_source.ends_with("testdata/sample.pcap"));
    assert_eq!(h.timestamp_digits, 6);
    assert!(!h.contains_payloads);
    assert_eq!(tcp.len(), 6, "four of the HTTP connection, Modbus/TCP, and the SYN inside VXLAN");
    let syn = &tcp[0];
    assert_eq!(syn.timestamp, START);
    assert_eq!((syn.src_port, syn.dst_port, syn.seq_num, syn.ack_num), (51000, 80, 1000, 0));
    assert!(syn.syn && !syn.ack && !syn.fin && !syn.rst && !syn.psh);
    assert_eq!(syn.data_offset, 8);
    assert_eq!(syn.window, 64240);
    let kinds: Vec<i32> = syn.options.iter().map(|o| o.option_type).collect();
    assert_eq!(kinds, vec![2, 1, 3, 4, 0]);
    assert_eq!(syn.options[0].option_data, vec![0x05, 0xb4]);
    assert_eq!(syn.padding, vec![0], "one byte after End of Option List");
    let get = &tcp[2];
    assert_eq!(get.timestamp, START + 2 * STEP);
    assert!(get.psh && get.ack);
    assert_eq!(get.payload_size, 72);
    assert!(get.payload.is_empty(), "payload only with -payload");
    assert!(get.payload_entropy > 3.5 && get.payload_entropy < 5.0, "{}", get.payload_entropy);
    assert!(tcp[3].fin && tcp[3].ack);

    let (_, ip) = read_records::<pb::IPv4>(&out.join("IPv4.ncap.gz"));
    assert_eq!(
        ip.len(),
        28,
        "six complete IPv4 packets, the one with a truncated TCP header, 16 of the layer packets, 4 inside tunnels \
         and one over LLC/SNAP"
    );
    assert_eq!((ip[0].src_ip.as_str(), ip[0].dst_ip.as_str()), ("192.168.10.2", "93.184.216.34"));
    assert_eq!((ip[0].version, ip[0].ihl, ip[0].tos, ip[0].length), (4, 5, 0x10, 52));
    assert_eq!((ip[0].id, ip[0].flags, ip[0].ttl, ip[0].protocol), (0x1001, 2, 64, 6));
    assert_eq!(ip[0].payload_size, 32);
    let dns_ip = &ip[4];
    assert_eq!(dns_ip.ihl, 6);
    assert_eq!(dns_ip.options.len(), 1);
    assert_eq!((dns_ip.options[0].option_type, dns_ip.options[0].option_length), (148, 4));

    let (_, udp) = read_records::<pb::Udp>(&out.join("UDP.ncap.gz"));
    assert_eq!(
        udp.len(),
        13,
        "the DNS query, the first IPv6 fragment, 10 of the layer packets (one inside Geneve) and one over LLC/SNAP"
    );
    assert_eq!((udp[0].src_port, udp[0].dst_port, udp[0].length, udp[0].payload_size), (53000, 53, 41, 33));

    let (_, eth) = read_records::<pb::Ethernet>(&out.join("Ethernet.ncap.gz"));
    assert_eq!(eth.len(), 43, "41 frames and the frames inside VXLAN and Geneve");
    assert_eq!(eth[0].src_mac, "00:1b:21:0a:0b:0c");
    assert_eq!(eth[0].dst_mac, "3c:52:82:01:02:03");
    assert_eq!(eth[5].ethernet_type, 0x0806);
    let ts: Vec<i64> = eth.iter().map(|e| e.timestamp).take(16).collect();
    let expected: Vec<i64> = (0..16).map(|i| START + i * STEP).collect();
    assert_eq!(ts, expected, "records in capture order with exact timestamps");

    let (_, arp) = read_records::<pb::Arp>(&out.join("ARP.ncap.gz"));
    assert_eq!(arp.len(), 1);
    assert_eq!((arp[0].operation, arp[0].src_prot_address.as_str()), (1, "192.168.10.2"));
    assert_eq!(
        (arp[0].src_hw_address.as_str(), arp[0].dst_prot_address.as_str()),
        ("00:1b:21:0a:0b:0c", "192.168.10.1")
    );

    let (_, vlan) = read_records::<pb::Dot1Q>(&out.join("Dot1Q.ncap.gz"));
    assert_eq!(vlan.len(), 1);
    assert_eq!(
        (vlan[0].priority, vlan[0].drop_eligible, vlan[0].vlan_identifier, vlan[0].r#type),
        (5, false, 100, 0x0800)
    );

    let (_, icmp) = read_records::<pb::IcmPv4>(&out.join("ICMPv4.ncap.gz"));
    assert_eq!((icmp[0].type_code, icmp[0].id, icmp[0].seq), (8 << 8, 0x1234, 1));

    let (_, echo6) = read_records::<pb::IcmPv6Echo>(&out.join("ICMPv6Echo.ncap.gz"));
    assert_eq!((echo6[0].identifier, echo6[0].seq_number), (0x0bad, 7));
    let (_, icmp6) = read_records::<pb::IcmPv6>(&out.join("ICMPv6.ncap.gz"));
    let types: Vec<i32> = icmp6.iter().map(|r| r.type_code >> 8).collect();
    assert_eq!(types, vec![128, 135, 136, 133, 134, 143]);

    let (_, ns) = read_records::<pb::IcmPv6NeighborSolicitation>(&out.join("ICMPv6NeighborSolicitation.ncap.gz"));
    assert_eq!(ns[0].target_address, "2001:db8::1");
    assert_eq!((ns[0].options[0].r#type, ns[0].options[0].length), (1, 1));
    assert_eq!(ns[0].options[0].data, vec![0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c]);
    let (_, na) = read_records::<pb::IcmPv6NeighborAdvertisement>(&out.join("ICMPv6NeighborAdvertisement.ncap.gz"));
    assert_eq!((na[0].flags, na[0].target_address.as_str()), (0xe0, "2001:db8::1"));
    let (_, ra) = read_records::<pb::IcmPv6RouterAdvertisement>(&out.join("ICMPv6RouterAdvertisement.ncap.gz"));
    assert_eq!((ra[0].hop_limit, ra[0].flags, ra[0].router_lifetime), (64, 0x80, 1800));
    assert_eq!((ra[0].reachable_time, ra[0].retrans_timer), (30000, 1000));
    assert_eq!(ra[0].options[0].r#type, 3);
    let (_, rs) = read_records::<pb::IcmPv6RouterSolicitation>(&out.join("ICMPv6RouterSolicitation.ncap.gz"));
    assert_eq!(rs.len(), 1);

    let (_, ip6) = read_records::<pb::IPv6>(&out.join("IPv6.ncap.gz"));
    assert_eq!((ip6[0].traffic_class, ip6[0].flow_label, ip6[0].hop_limit), (0, 0x1234, 64));
    assert_eq!(ip6[0].src_ip, "fe80::21b:21ff:fe0a:b0c");
    let with_hbh: Vec<&pb::IPv6> = ip6.iter().filter(|r| r.hop_by_hop.is_some()).collect();
    assert_eq!(with_hbh.len(), 1);
    let (_, hbh) = read_records::<pb::IPv6HopByHop>(&out.join("IPv6HopByHop.ncap.gz"));
    let opts: Vec<(i32, i32)> = hbh[0].options.iter().map(|o| (o.option_type, o.option_length)).collect();
    assert_eq!(opts, vec![(5, 2), (1, 0)]);
    let (_, frag) = read_records::<pb::IPv6Fragment>(&out.join("IPv6Fragment.ncap.gz"));
    assert_eq!((frag[0].next_header, frag[0].fragment_offset, frag[0].more_fragments), (17, 0, true));
    assert_eq!(frag[0].identification, 0xcafebabe);

    // The truncated TCP header is an error; LLDP is unknown.
    let log = std::fs::read_to_string(out.join("errors.log")).expect("errors.log");
    assert!(log.starts_with("2017-07-05T11:30:37.850802000Z\nFrame: 15\nError: TCP: truncated header: need 20 bytes, have 12\nLayers: Ethernet, IPv4\n00000000  3c 52 82"), "{log}");
    // The summary names where each kind first occurred (Issue 16), as its entry does.
    assert!(log.ends_with("--- summary of 1 error kinds ---\nTCP: truncated: 1 (first: frame 15)\n"), "{log}");
    for (file, ts) in [("errors.pcap", START + 14 * STEP), ("unknown.pcap", START + 15 * STEP)] {
        let mut r = netcap::capture::file::CaptureReader::open(&out.join(file)).expect("a readable capture");
        assert_eq!(r.link_type(), 1, "{file} keeps the input's link type");
        let mut batch = netcap::capture::PacketBatch::with_capacity(4, 4096);
        while r.fill(&mut batch, 16, 1 << 20).expect("clean file") {}
        assert_eq!(batch.len(), 1, "{file}");
        assert_eq!(batch.meta(0).map(|m| m.timestamp), Some(ts), "{file}");
    }
}

/// The packets of the application, routing and tunnel protocols
/// (frames 17-35 of sample.pcap, built in examples/make_testdata.rs): their
/// records carry the values the packets were built with, and tunnelled
/// packets give the records of their inner layers too.
#[test]
fn sample_layer_records_have_the_constructed_values() {
    let out = sample_run("sample-layers", &[]);
    let at = |frame: i64| START + (frame - 1) * STEP;

    let (_, dns) = read_records::<pb::Dns>(&out.join("DNS.ncap.gz"));
    let resp = dns.iter().find(|d| d.timestamp == at(17)).expect("the DNS response");
    assert_eq!((resp.id, resp.qr, resp.rd, resp.ra, resp.an_count), (0x1a2b, true, true, true, 1));
    assert_eq!(resp.questions[0].name, "www.example.com");
    assert_eq!(
        (resp.answers[0].name.as_str(), resp.answers[0].ip.as_str(), resp.answers[0].ttl),
        ("www.example.com", "93.184.216.34", 3600)
    );
    let query = dns.iter().find(|d| d.timestamp == at(5)).expect("the DNS query");
    assert_eq!((query.id, query.qr, query.questions[0].r#type), (0x1a2b, false, 1));

    let (_, dhcp) = read_records::<pb::DhcPv4>(&out.join("DHCPv4.ncap.gz"));
    assert_eq!((dhcp[0].xid, dhcp[0].operation, dhcp[0].message_type), (0x3903f326, 1, 1));
    assert_eq!(dhcp[0].client_hw_addr, "00:1b:21:0a:0b:0c");
    assert_eq!(dhcp[0].parameter_request_list, vec![1, 3, 6]);
    let (_, dhcp6) = read_records::<pb::DhcPv6>(&out.join("DHCPv6.ncap.gz"));
    assert_eq!((dhcp6[0].msg_type, dhcp6[0].transaction_id), (1, 0x5f3c21));

    let (_, ntp) = read_records::<pb::Ntp>(&out.join("NTP.ncap.gz"));
    assert_eq!((ntp[0].version, ntp[0].mode, ntp[0].poll, ntp[0].transmit_timestamp), (4, 3, 6, 0xe31a2b3c80000000));
    let (_, sip) = read_records::<pb::Sip>(&out.join("SIP.ncap.gz"));
    assert_eq!((sip[0].method.as_str(), sip[0].request_uri.as_str()), ("OPTIONS", "sip:bob@example.com"));
    assert_eq!(
        (sip[0].call_id.as_str(), sip[0].c_seq, sip[0].max_forwards),
        ("a84b4c76e66710@pc33.example.com", 63104, 70)
    );

    let (_, igmp) = read_records::<pb::Igmp>(&out.join("IGMP.ncap.gz"));
    assert_eq!((igmp[0].r#type, igmp[0].group_address.as_str(), igmp[0].version), (0x16, "239.1.2.3", 2));
    let (_, sctp) = read_records::<pb::Sctp>(&out.join("SCTP.ncap.gz"));
    assert_eq!((sctp[0].src_port, sctp[0].dst_port, sctp[0].chunks[0].r#type), (5000, 36412, 1));
    let (_, ah) = read_records::<pb::IpSecAh>(&out.join("IPSecAH.ncap.gz"));
    assert_eq!((ah[0].spi, ah[0].seq, ah[0].next_header), (0x1000, 1, 1));
    let (_, esp) = read_records::<pb::IpSecEsp>(&out.join("IPSecESP.ncap.gz"));
    assert_eq!((esp[0].spi, esp[0].seq, esp[0].len_encrypted), (0x2000, 7, 32));
    let (_, icmp) = read_records::<pb::IcmPv4>(&out.join("ICMPv4.ncap.gz"));
    let ids: Vec<(i32, i32)> = icmp.iter().map(|r| (r.id, r.seq)).collect();
    assert_eq!(ids, vec![(0x1234, 1), (0x4242, 1), (1, 2), (1, 3)], "after AH, inside GRE, under MPLS");

    let (_, gre) = read_records::<pb::Gre>(&out.join("GRE.ncap.gz"));
    assert_eq!((gre[0].key_present, gre[0].key, gre[0].protocol), (true, 0xabcdef, 0x0800));
    let (_, mpls) = read_records::<pb::Mpls>(&out.join("MPLS.ncap.gz"));
    let labels: Vec<(u32, bool, i32)> = mpls.iter().map(|m| (m.label, m.stack_bottom, m.ttl)).collect();
    assert_eq!(labels, vec![(100, false, 64), (200, true, 64)]);
    let (_, vxlan) = read_records::<pb::Vxlan>(&out.join("VXLAN.ncap.gz"));
    assert_eq!((vxlan[0].valid_id_flag, vxlan[0].vni), (true, 5001));
    let (_, geneve) = read_records::<pb::Geneve>(&out.join("Geneve.ncap.gz"));
    assert_eq!((geneve[0].protocol, geneve[0].vni), (0x6558, 0x123));
    let (_, tcp) = read_records::<pb::Tcp>(&out.join("TCP.ncap.gz"));
    assert!(tcp.iter().any(|t| t.timestamp == at(28) && t.dst_port == 22 && t.syn), "the SYN inside VXLAN");
    let (_, udp) = read_records::<pb::Udp>(&out.join("UDP.ncap.gz"));
    assert!(
        udp.iter().any(|u| u.timestamp == at(29) && (u.src_port, u.dst_port) == (1234, 5678)),
        "the datagram inside Geneve"
    );

    let (_, ospf) = read_records::<pb::OspFv2>(&out.join("OSPFv2.ncap.gz"));
    assert_eq!((ospf[0].r#type, ospf[0].router_id.as_str(), ospf[0].area_id.as_str()), (1, "1.1.1.1", "0.0.0.0"));
    let (_, ospf3) = read_records::<pb::OspFv3>(&out.join("OSPFv3.ncap.gz"));
    assert_eq!((ospf3[0].r#type, ospf3[0].router_id.as_str()), (1, "2.2.2.2"));
    let (_, bfd) = read_records::<pb::Bfd>(&out.join("BFD.ncap.gz"));
    assert_eq!(
        (bfd[0].state, bfd[0].detect_multiplier, bfd[0].my_discriminator, bfd[0].your_discriminator),
        (3, 3, 1, 2)
    );
    assert!(bfd[0].auth_header.is_none());
    let (_, vrrp) = read_records::<pb::Vrrp>(&out.join("VRRP.ncap.gz"));
    assert_eq!(
        (vrrp[0].virtual_rtr_id, vrrp[0].priority, vrrp[0].ip_adresses.clone()),
        (7, 100, vec!["192.168.10.254".to_string()])
    );
    let (_, modbus) = read_records::<pb::ModbusTcp>(&out.join("ModbusTCP.ncap.gz"));
    assert_eq!((modbus[0].transaction_identifier, modbus[0].unit_identifier, modbus[0].function_code), (1, 17, 3));
    let (_, lcm) = read_records::<pb::Lcm>(&out.join("LCM.ncap.gz"));
    assert_eq!((lcm[0].sequence_number, lcm[0].channel_name.as_str(), lcm[0].fragmented), (9, "POSE", false));

    // Flow and Connection key tunnelled packets by their inner packet.
    let (_, conns) = read_records::<pb::Connection>(&out.join("Connection.ncap.gz"));
    let inner = conns.iter().find(|c| c.dst_port == 22).expect("the connection inside VXLAN");
    assert_eq!((inner.src_ip.as_str(), inner.dst_ip.as_str(), inner.tunnel_depth), ("10.2.0.1", "10.2.0.2", 1));
    assert!(conns.iter().all(|c| c.tunnel_depth == 0 || c.src_ip.starts_with("10.")));
}

#[test]
fn payload_flag_keeps_payload_bytes() {
    let out = sample_run("payload", &["-payload"]);
    let (h, tcp) = read_records::<pb::Tcp>(&out.join("TCP.ncap.gz"));
    assert!(h.contains_payloads);
    assert!(tcp[2].payload.starts_with(b"GET /index.html HTTP/1.1\r\n"));
    assert_eq!(tcp[2].payload.len(), 72);
    let (_, udp) = read_records::<pb::Udp>(&out.join("UDP.ncap.gz"));
    assert_eq!(&udp[0].payload[..4], &[0x1a, 0x2b, 0x01, 0x00]);
}

#[test]
fn include_exclude_and_uncompressed_output() {
    let out = sample_run("include", &["-include", "TCP,udp", "-comp=false", "-buf", "false"]);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    names.sort();
    // errors.pcap/.log and unknown.pcap do not depend on the encoders.
    assert_eq!(names, ["TCP.ncap", "UDP.ncap", "errors.log", "errors.pcap", "unknown.pcap", "unknown.tsv"]);
    let (_, tcp) = read_records::<pb::Tcp>(&out.join("TCP.ncap"));
    assert_eq!(tcp.len(), 6, "four of the HTTP connection, Modbus/TCP, and the SYN inside VXLAN");
    let raw = std::fs::read(out.join("TCP.ncap")).expect("file");
    assert_ne!(&raw[..2], &[0x1f, 0x8b], "-comp=false writes no gzip");

    let out = sample_run("exclude", &["--exclude", "Ethernet,IPv4,IPv6,TCP,UDP,ICMPv6", "-comp", "false"]);
    assert!(!out.join("Ethernet.ncap").exists());
    assert!(out.join("ARP.ncap").exists());
    assert!(out.join("ICMPv6Echo.ncap").exists(), "sub-types still decode when their parent is excluded");
}

#[test]
fn encoders_lists_every_record_type_of_the_schema() {
    let out = run_ok(&["-encoders"]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let listed: Vec<&str> = text.lines().map(|l| l.trim_start_matches("+ ")).collect();
    assert_eq!(listed.len(), 62);
    for name in &listed {
        assert!(netcap::schema::message(name).is_some(), "{name} has no message in the schema");
    }
    let schema_records: Vec<String> = netcap::schema::pool()
        .all_messages()
        .filter(|m| m.fields().any(|f| f.name() == "Timestamp") && m.fields().len() > 2 || m.name() == "IPv6HopByHop")
        .map(|m| m.name().to_string())
        .collect();
    for name in schema_records {
        assert!(listed.contains(&name.as_str()), "{name} is in the schema but has no encoder");
    }
}

#[test]
fn bad_flags_and_bad_files_exit_2_with_a_clear_message() {
    let out = netcap(&["-r", "testdata/sample.pcap", "-include", "TCP,Bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown encoder \"Bogus\"") && err.contains("ICMPv6RouterAdvertisement"), "{err}");

    let not_capture = repo().join("Cargo.toml");
    let out =
        netcap(&["-r", not_capture.to_str().expect("utf-8"), "-out", temp_dir("notcap").to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!("netcap: not a pcap or pcapng file: {}", not_capture.display())
    );

    let out = netcap(&["-r", "/no/such/capture.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file: /no/such/capture.pcap"));

    // Issue 16: -workers 100000 aborted the process (thread spawn failure,
    // exit 134) after creating the output directory.
    let dir = temp_dir("too-many-workers").join("out");
    for n in ["100000", "0"] {
        let out = netcap(&["-r", "testdata/sample.pcap", "-out", dir.to_str().expect("utf-8"), "-workers", n]);
        assert_eq!(out.status.code(), Some(2), "-workers {n}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("invalid value '{n}'")) && err.contains("1..=256"), "{err}");
        assert!(!dir.exists(), "-workers {n}: no output directory for a refused command line");
    }
    let out =
        netcap(&["-r", "testdata/sample.pcap", "-out", dir.to_str().expect("utf-8"), "-workers", "256", "-quiet"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Reads every record file of a run (uncompressed) without its header,
/// whose creation time differs between runs.
fn output_without_headers(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
            let bytes = std::fs::read(&p).expect("read");
            if name.ends_with(".ncap") {
                let mut r = RecordReader::open(&p).expect("container");
                let mut all = Vec::new();
                let mut buf = Vec::new();
                while r.next_raw(&mut buf).expect("record") {
                    all.extend_from_slice(&buf);
                    all.push(0xff);
                }
                (name, all)
            } else {
                (name, bytes)
            }
        })
        .collect()
}

#[test]
fn output_is_identical_for_any_number_of_workers() {
    let capture = shared("bench/base.pcap.gz");
    let mut runs = Vec::new();
    for workers in ["1", "2", "3"] {
        let out = temp_dir(&format!("workers{workers}"));
        run_ok(&[
            "-r",
            capture.to_str().expect("utf-8"),
            "-out",
            out.to_str().expect("utf-8"),
            "-workers",
            workers,
            "-pbuf",
            "300",
            "-comp=false",
            "-quiet",
        ]);
        runs.push(output_without_headers(&out));
    }
    assert!(
        runs[0].len() >= 10,
        "base.pcap.gz yields many record types: {:?}",
        runs[0].iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    assert_eq!(runs[0], runs[1], "1 vs 2 workers");
    assert_eq!(runs[0], runs[2], "1 vs 3 workers");
}

#[test]
fn gzipped_and_nanosecond_captures() {
    // A gzip-compressed pcap (the benchmark capture).
    let out = temp_dir("gz");
    run_ok(&[
        "-r",
        shared("bench/base.pcap.gz").to_str().expect("utf-8"),
        "-out",
        out.to_str().expect("utf-8"),
        "-quiet",
    ]);
    let (_, eth) = read_records::<pb::Ethernet>(&out.join("Ethernet.ncap.gz"));
    assert!(eth.len() > 20_000, "{}", eth.len());

    // Nanosecond pcaps keep all nine digits.
    let manifest = std::fs::read_to_string(shared("pcaps/MANIFEST.tsv")).expect("manifest");
    let ns_files: Vec<&str> = manifest
        .lines()
        .filter(|l| l.split('\t').nth(12) == Some("nsecpcap"))
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert!(!ns_files.is_empty(), "the shared set has nanosecond pcaps");
    for f in ns_files {
        let out = temp_dir("ns");
        run_ok(&[
            "-r",
            shared(&format!("pcaps/{f}")).to_str().expect("utf-8"),
            "-out",
            out.to_str().expect("utf-8"),
            "-quiet",
        ]);
        let Some(first) = std::fs::read_dir(&out)
            .expect("dir")
            .map(|e| e.expect("e").path())
            .find(|p| p.to_string_lossy().ends_with(".ncap.gz"))
        else {
            continue;
        };
        let r = RecordReader::open(&first).expect("open");
        assert_eq!(r.header().timestamp_digits, 9, "{f}");
    }
}

#[test]
fn sigint_stops_cleanly_with_complete_files() {
    // A capture long enough to still be running when the signal arrives:
    // the benchmark capture, replicated.
    let dir = temp_dir("sigint");
    let big = dir.join("big.pcap");
    {
        let mut reader = netcap::capture::file::CaptureReader::open(&shared("bench/base.pcap.gz")).expect("open");
        let mut batch = netcap::capture::PacketBatch::with_capacity(1 << 15, 32 << 20);
        while reader.fill(&mut batch, 1 << 16, 64 << 20).expect("clean") {}
        let mut dump = netcap::capture::dump::PacketDump::new(
            &big,
            netcap::capture::dump::DumpFormat::Pcap { link_type: 1, nanos: false },
        );
        for copy in 0..20i64 {
            for (m, data) in batch.iter() {
                dump.write(m.timestamp + copy * 600_000_000_000, m.link_type, 0, m.orig_len, data).expect("write");
            }
        }
        dump.finish().expect("flush");
    }
    let out = dir.join("out");
    let child = Command::new(NETCAP)
        .args(["-r", big.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-workers", "1"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(400));
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("interrupted, files closed cleanly"), "the run must still have been going: {err}");
    let (_, eth) = read_records::<pb::Ethernet>(&out.join("Ethernet.ncap.gz"));
    assert!(!eth.is_empty() && eth.len() < 20 * 24_000, "{}", eth.len());
    // Flow tables are emitted on the signal too.
    let (_, conns) = read_records::<pb::Connection>(&out.join("Connection.ncap.gz"));
    assert!(!conns.is_empty());
    for f in std::fs::read_dir(&out).expect("dir") {
        let p = f.expect("entry").path();
        if p.to_string_lossy().ends_with(".ncap.gz") {
            let mut r = RecordReader::open(&p).expect("open");
            let mut buf = Vec::new();
            while r.next_raw(&mut buf).unwrap_or_else(|e| panic!("incomplete file after SIGINT: {e}")) {}
        }
    }
}

#[test]
fn truncated_last_packet_is_a_warning_not_a_failure() {
    let dir = temp_dir("truncated");
    let bytes = std::fs::read(repo().join("testdata/sample.pcap")).expect("sample");
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).expect("write");
    let out = dir.join("out");
    let res = netcap(&["-r", cut.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success(), "{err}");
    assert!(err.contains("warning:") && err.contains("truncated last packet"), "{err}");
    assert!(err.contains("40 packets ("), "every complete packet is decoded: {err}");
    let (_, eth) = read_records::<pb::Ethernet>(&out.join("Ethernet.ncap.gz"));
    assert_eq!(eth.len(), 42, "40 frames and the two inside VXLAN and Geneve");
}

/// A header cut by the capture's snap length is an error entry that says
/// so, as Wireshark marks such frames "[Packet size limited during
/// capture]" instead of "Malformed"; a header cut inside a complete frame
/// says nothing of the kind (the sample's frame 15).
#[test]
fn errors_log_says_when_the_snap_length_cut_the_header() {
    // tcpdump's ipv6_39_byte_header.pcap: 39 of 118 bytes kept (tshark:
    // eth:ethertype:ipv6, "[Packet size limited during capture]").
    let capture = shared("pcaps/tcpdump/tests/ipv6_39_byte_header.pcap");
    let out = temp_dir("snaplen").join("out");
    run_ok(&["-r", capture.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-quiet"]);
    let log = std::fs::read_to_string(out.join("errors.log")).expect("errors.log");
    let error = log.lines().find(|l| l.starts_with("Error: ")).unwrap_or_default();
    assert_eq!(
        error,
        "Error: IPv6: truncated header: need 40 bytes, have 25 (packet size limited during capture: 39 of 118 bytes kept)"
    );
    let sample = sample_run("not-snaplen", &[]);
    let log = std::fs::read_to_string(sample.join("errors.log")).expect("errors.log");
    assert!(log.contains("Error: TCP: truncated header: need 20 bytes, have 12\n"), "{log}");
}

#[test]
fn a_capture_piped_through_stdin_is_read() {
    // `tcpdump -w - | netcap -r /dev/stdin`: a pipe cannot be sniffed for
    // the .ncap header without consuming it, so it must go straight to the
    // capture reader.
    let out = temp_dir("stdin");
    let sample = repo().join("testdata/sample.pcap");
    let script = format!("cat '{}' | '{NETCAP}' -r /dev/stdin -out '{}' -quiet", sample.display(), out.display());
    let res = Command::new("sh").args(["-c", &script]).output().expect("sh");
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let (_, eth) = read_records::<pb::Ethernet>(&out.join("Ethernet.ncap.gz"));
    assert_eq!(eth.len(), 43, "41 frames and the frames inside VXLAN and Geneve");

    // Issue 16: `-r -` is standard input, as for tcpdump and tshark.
    let out = temp_dir("stdin-dash");
    let script = format!("cat '{}' | '{NETCAP}' -r - -out '{}' -quiet", sample.display(), out.display());
    let res = Command::new("sh").args(["-c", &script]).output().expect("sh");
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let (h, eth) = read_records::<pb::Ethernet>(&out.join("Ethernet.ncap.gz"));
    assert_eq!((eth.len(), h.input_source.as_str()), (43, "stdin"));
}

/// Issue 16: `-out -` created a directory named `-`.
#[test]
fn out_dash_is_refused_without_creating_a_directory() {
    let cwd = temp_dir("out-dash");
    let sample = repo().join("testdata/sample.pcap");
    let res = Command::new(NETCAP)
        .args(["-r", sample.to_str().expect("utf-8"), "-out", "-"])
        .current_dir(&cwd)
        .output()
        .expect("netcap");
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("-out -: records go to one file per record type, not to standard output"), "{err}");
    assert!(!cwd.join("-").exists(), "no directory named -");
}

/// The link-layer protocols Ethernet carries (frames 36-41 of sample.pcap,
/// built in examples/make_testdata.rs): LLDP, CDP, Nortel discovery,
/// EAPOL/EAP, CTP and IPv4 over LLC/SNAP carry the values they were built with.
#[test]
fn sample_link_records_have_the_constructed_values() {
    let out = sample_run("sample-link", &[]);
    let at = |frame: i64| START + (frame - 1) * STEP;

    let (_, lldp) = read_records::<pb::LinkLayerDiscovery>(&out.join("LinkLayerDiscovery.ncap.gz"));
    assert_eq!(lldp.len(), 1);
    let (chassis, port) = (lldp[0].chassis_id.clone().expect("chassis"), lldp[0].port_id.clone().expect("port"));
    assert_eq!((lldp[0].timestamp, chassis.subtype, chassis.id.as_str()), (at(36), 4, "3c:52:82:01:02:03"));
    assert_eq!((port.subtype, port.id.as_str(), lldp[0].ttl, lldp[0].values.len()), (5, "Gi0/1", 120, 10));
    let (_, info) = read_records::<pb::LinkLayerDiscoveryInfo>(&out.join("LinkLayerDiscoveryInfo.ncap.gz"));
    assert_eq!((info[0].sys_name.as_str(), info[0].port_description.as_str()), ("sw1.example.org", "uplink to core"));
    assert_eq!((info[0].sys_description.as_str(), info[0].port_vlanid), ("netcap sample switch", 10));
    assert_eq!(info[0].mgmt_address.len(), 1);

    let (_, cdp) = read_records::<pb::CiscoDiscovery>(&out.join("CiscoDiscovery.ncap.gz"));
    assert_eq!((cdp[0].timestamp, cdp[0].version, cdp[0].ttl, cdp[0].values.len()), (at(37), 2, 180, 8));
    let (_, cdpi) = read_records::<pb::CiscoDiscoveryInfo>(&out.join("CiscoDiscoveryInfo.ncap.gz"));
    assert_eq!((cdpi[0].device_id.as_str(), cdpi[0].port_id.as_str()), ("sw01", "GigabitEthernet0/1"));
    assert_eq!((cdpi[0].platform.as_str(), cdpi[0].native_vlan, cdpi[0].full_duplex), ("cisco WS-C2960X", 10, true));
    assert_eq!(cdpi[0].addresses, ["192.168.10.1"]);
    assert_eq!(cdpi[0].version, "Cisco IOS Software, 15.2(4)E7");

    let (_, ndp) = read_records::<pb::NortelDiscovery>(&out.join("NortelDiscovery.ncap.gz"));
    assert_eq!((ndp[0].timestamp, ndp[0].ip_address.as_str(), ndp[0].segment_id), (at(38), "192.168.10.3", 0x103));
    assert_eq!((ndp[0].chassis, ndp[0].backplane, ndp[0].state, ndp[0].num_links), (12, 12, 2, 1));

    let (_, eapol) = read_records::<pb::Eapol>(&out.join("EAPOL.ncap.gz"));
    assert_eq!((eapol[0].timestamp, eapol[0].version, eapol[0].r#type, eapol[0].length), (at(39), 2, 0, 22));
    let (_, eap) = read_records::<pb::Eap>(&out.join("EAP.ncap.gz"));
    assert_eq!((eap[0].code, eap[0].id, eap[0].length, eap[0].r#type), (2, 1, 22, 1));
    assert_eq!(eap[0].identity, "alice@example.org");

    let (_, ctp) = read_records::<pb::EthernetCtp>(&out.join("EthernetCTP.ncap.gz"));
    assert_eq!((ctp[0].timestamp, ctp[0].skip_count, ctp[0].function), (at(40), 0, 1));
    let (_, reply) = read_records::<pb::EthernetCtpReply>(&out.join("EthernetCTPReply.ncap.gz"));
    // CTP has no length field: the data runs to the end of the frame, its
    // 11 bytes and the Ethernet padding (as tshark's loop.data shows it).
    assert_eq!((reply[0].function, reply[0].receipt_number, reply[0].data_size), (1, 7, 40));

    // LLC/SNAP: the CDP and Nortel frames, and IPv4 over SNAP (RFC 1042),
    // whose IPv4 and UDP records are there as over Ethernet II.
    let (_, llc) = read_records::<pb::Llc>(&out.join("LLC.ncap.gz"));
    let llc: Vec<(u32, u32, u32)> = llc.iter().map(|r| (r.dsap, r.ssap, r.control)).collect();
    assert_eq!(llc, vec![(0xaa, 0xaa, 3); 3]);
    let (_, snap) = read_records::<pb::Snap>(&out.join("SNAP.ncap.gz"));
    let snap: Vec<(u32, i32)> = snap.iter().map(|r| (r.organizational_code, r.r#type)).collect();
    assert_eq!(snap, vec![(0x0c, 0x2000), (0x81, 0x01a2), (0, 0x0800)]);
    let (_, udp) = read_records::<pb::Udp>(&out.join("UDP.ncap.gz"));
    let over_snap = udp.iter().find(|u| u.timestamp == at(41)).expect("UDP over LLC/SNAP");
    assert_eq!((over_snap.src_port, over_snap.dst_port, over_snap.payload_size), (40123, 9, 10));
}

/// testdata/sample-links.pcapng frames 11-18: a PPP link, a Cisco HDLC
/// link, a Frame Relay link, a PPPoE session on Ethernet, PPTP (PPP in
/// GRE), NFLOG, PKTAP and IP over InfiniBand carry IPv4 with no record of
/// their own; each IPv4 header, the tunnelled one too, is a record, as
/// tshark finds them.
#[test]
fn link_layers_without_records_lead_to_ip() {
    let links = repo().join("testdata/sample-links.pcapng");
    let out = temp_dir("sample-ppp");
    run_ok(&["-r", links.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-quiet"]);
    let (_, ipv4) = read_records::<pb::IPv4>(&out.join("IPv4.ncap.gz"));
    let mut ours: Vec<String> = ipv4.iter().map(|r| format!("{} {} {}", r.src_ip, r.dst_ip, r.id)).collect();
    let mut theirs = Vec::new();
    for line in
        tshark(&links, "ip.src", "ip").iter().zip(tshark(&links, "ip.dst", "ip")).zip(tshark(&links, "ip.id", "ip"))
    {
        let ((src, dst), id) = line;
        for ((s, d), i) in src.split(',').zip(dst.split(',')).zip(id.split(',')) {
            let id = u32::from_str_radix(i.trim_start_matches("0x"), 16).expect("hex ip.id");
            theirs.push(format!("{s} {d} {id}"));
        }
    }
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
    // One IPv4 record per construction: ids 0x4010-0x4018 (0x4014 inside PPTP).
    for id in 0x4010..=0x4018 {
        assert!(ipv4.iter().any(|r| r.id == id), "no IPv4 record with id {id:#x}");
    }
    let (_, dns) = read_records::<pb::Dns>(&out.join("DNS.ncap.gz"));
    assert_eq!(dns.len(), 2, "the DNS query over PPP and its copy in NFLOG");
    let (_, gre) = read_records::<pb::Gre>(&out.join("GRE.ncap.gz"));
    assert_eq!((gre.len(), gre[0].protocol, gre[0].version), (1, 0x880b, 1));
    assert!(!out.join("unknown.tsv").exists(), "every packet of the file decodes");
}

/// Issue 16: a second run into the same -out would mix its files with the
/// first's (`.ncap` beside `.ncap.gz` of one type, types the second run has
/// not): it is refused unless `-overwrite` replaces the old output.
#[test]
fn a_second_run_into_the_same_directory_needs_overwrite() {
    let out = sample_run("overwrite", &["-comp", "false", "-include", "TCP,UDP"]);
    std::fs::write(out.join("notes.txt"), "mine").expect("write");
    let sample = repo().join("testdata/sample.pcap");
    let args = ["-r", sample.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-quiet"];
    let res = netcap(&args);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("already holds netcap output (TCP.ncap, UDP.ncap"), "{err}");
    assert!(err.contains("-overwrite"), "{err}");
    assert!(out.join("TCP.ncap").exists() && !out.join("TCP.ncap.gz").exists(), "a refused run changes nothing");

    let mut with = args.to_vec();
    with.extend(["-overwrite", "-include", "TCP"]);
    run_ok(&with);
    let mut names: Vec<String> =
        std::fs::read_dir(&out).expect("dir").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["TCP.ncap.gz", "errors.log", "errors.pcap", "notes.txt", "unknown.pcap", "unknown.tsv"]);
    let (_, tcp) = read_records::<pb::Tcp>(&out.join("TCP.ncap.gz"));
    // The handshake, request and FIN, Modbus/TCP and the SYN inside VXLAN.
    assert_eq!(tcp.len(), 6);
}

/// Issue 16: the unknown-protocol breakdown is also a file (it vanished
/// with -quiet), and the packet dumps of a pcapng input are pcapng files
/// named `.pcapng` that keep the input's interface names (tshark reads them).
#[test]
fn unknown_tsv_and_pcapng_dumps_with_interface_names() {
    let capture = shared("pcaps/tcpdump/tests/vsock-1.pcapng");
    let out = temp_dir("unknown-ng");
    let res = run_ok(&["-r", capture.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(!out.join("unknown.pcap").exists(), "a pcapng dump is not named .pcap");
    let dump = out.join("unknown.pcapng");
    let names = tshark(&dump, "frame.interface_name", "");
    assert_eq!(names, tshark(&capture, "frame.interface_name", ""), "every packet of the capture is unknown");
    assert_eq!(names.len(), 10);
    assert!(names.iter().all(|n| n == "vsockmon0"), "{names:?}");
    let tsv = std::fs::read_to_string(out.join("unknown.tsv")).expect("unknown.tsv");
    assert_eq!(tsv, "Protocol\tPackets\tFirstFrame\nlink type 271\t10\t1\n");
    assert!(
        err.contains(
            "10 packets with unknown protocols (link type 271: 10 (first: frame 1)) → unknown.pcapng, unknown.tsv"
        ),
        "{err}"
    );

    // A pcap input keeps .pcap; -quiet still writes unknown.tsv.
    let out = sample_run("unknown-pcap", &[]);
    assert!(out.join("unknown.pcap").exists() && !out.join("unknown.pcapng").exists());
    let tsv = std::fs::read_to_string(out.join("unknown.tsv")).expect("unknown.tsv");
    let sample = repo().join("testdata/sample.pcap");
    let ptp = tshark(&sample, "frame.number", "eth.type == 0x88f7");
    assert_eq!(ptp.len(), 1, "{ptp:?}");
    assert_eq!(tsv, format!("Protocol\tPackets\tFirstFrame\nEtherType 0x88f7\t1\t{}\n", ptp[0]));

    // -overwrite removes unknown.tsv and the pcapng dump of the earlier run.
    let ng_out = temp_dir("unknown-ng-overwrite");
    run_ok(&["-r", capture.to_str().expect("utf-8"), "-out", ng_out.to_str().expect("utf-8"), "-quiet"]);
    let again = ["-r", sample.to_str().expect("utf-8"), "-out", ng_out.to_str().expect("utf-8"), "-quiet"];
    let refused = netcap(&again);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown.tsv"));
    let mut with = again.to_vec();
    with.extend(["-overwrite", "-include", "TCP"]);
    run_ok(&with);
    assert!(!ng_out.join("unknown.pcapng").exists(), "the earlier run's dump is gone");
    let tsv = std::fs::read_to_string(ng_out.join("unknown.tsv")).expect("unknown.tsv");
    assert!(!tsv.contains("link type 271"), "{tsv}");
}

/// tshark's `field` of each packet of `file` (that matches `filter`, if any).
fn tshark(file: &Path, field: &str, filter: &str) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-r", file.to_str().expect("utf-8"), "-T", "fields", "-e", field]);
    if !filter.is_empty() {
        cmd.args(["-Y", filter]);
    }
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("tshark is the oracle here and could not be run ({e}): apt-get install tshark"));
    assert!(o.status.success(), "tshark {}: {}", file.display(), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).lines().map(str::to_owned).collect()
}

/// The summary of `capture` (stderr of a run without -quiet) with `COLUMNS`.
fn summary(name: &str, capture: &Path, columns: Option<&str>, extra: &[&str]) -> String {
    let out = temp_dir(name);
    let mut cmd = Command::new(NETCAP);
    cmd.args(["-r", capture.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8")]).args(extra);
    match columns {
        Some(c) => cmd.env("COLUMNS", c),
        None => cmd.env_remove("COLUMNS"),
    };
    let res = cmd.output().expect("netcap runs");
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    String::from_utf8_lossy(&res.stderr).into_owned()
}

/// Issue 16: the summary's rows come in one order (the registry's, not the
/// order files happened to be created in), its lines fit an 80 or 120
/// column terminal without breaking a word, numbers have thousands
/// separators, and a run without records says so instead of an empty table.
#[test]
fn summary_is_stable_fits_the_terminal_and_says_when_there_is_nothing() {
    let espn = shared("pcaps/chrissanders-packets/http_espn.pcapng");
    let unwrapped = summary("sum-plain", &espn, None, &[]);
    // Times, rates and the output directory differ between runs; nothing else may.
    let steady = |s: &str| -> Vec<String> {
        let words: Vec<&str> =
            s.lines().filter(|l| !l.starts_with("output in ")).flat_map(str::split_whitespace).collect();
        let mut keep = Vec::new();
        let mut skip = 0;
        for (i, w) in words.iter().enumerate() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            // "in 0.048 s (20,104 packets/s)" and "peak RSS 11 MiB"
            if (*w == "in" && words.get(i + 2) == Some(&"s")) || (*w == "RSS") {
                skip = if *w == "in" { 4 } else { 2 };
                continue;
            }
            keep.push(w.to_string());
        }
        keep
    };
    let second = summary("sum-plain2", &espn, None, &[]);
    assert_eq!(steady(&unwrapped), steady(&second), "{unwrapped}\n{second}");
    let rows: Vec<&str> = unwrapped
        .lines()
        .filter(|l| l.starts_with('│') && !l.contains("Record type"))
        .filter_map(|l| l.trim_matches('│').split('┆').next().map(str::trim))
        .collect();
    let order: Vec<usize> = rows
        .iter()
        .map(|n| netcap::registry::ENCODERS.iter().position(|e| e.name == *n).unwrap_or_else(|| panic!("{n}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "rows in registry order: {rows:?}");
    assert!(unwrapped.contains("│ TCP           ┆     928 │"), "{unwrapped}");
    assert!(unwrapped.contains("956 packets (652,181 bytes)"), "{unwrapped}");
    for columns in ["80", "120"] {
        let wrapped = summary(&format!("sum-{columns}"), &espn, Some(columns), &[]);
        let width: usize = columns.parse().expect("number");
        for line in wrapped.lines() {
            // The input path is a single word longer than 80 columns.
            let long_word = line.split(' ').any(|w| w.chars().count() > width);
            assert!(line.chars().count() <= width || long_word, "{line:?} is wider than {width}:\n{wrapped}");
        }
        assert_eq!(steady(&wrapped), steady(&unwrapped), "no word broken or lost:\n{wrapped}");
    }
    // No ARP in the capture: no records, said in words.
    let none = summary("sum-none", &espn, None, &["-include", "ARP"]);
    assert!(!none.contains("Record type"), "{none}");
    assert!(none.contains("no records: none of the 956 packets decoded into a selected record type"), "{none}");
}

/// Issue 16: the progress bar of a file input counts the file's bytes
/// (compressed bytes of a gzipped one) against its size.
#[test]
fn file_input_reports_progress_in_bytes_of_its_size() {
    use netcap::capture::{file::CaptureReader, PacketBatch, PacketSource};
    let pcap = repo().join("testdata/sample.pcap");
    let gz = temp_dir("progress").join("sample.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&pcap).expect("sample")).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    for path in [pcap, gz] {
        let size = std::fs::metadata(&path).expect("size").len();
        let mut r = CaptureReader::open(&path).expect("open");
        let progress = PacketSource::progress(&r).expect("a file has a known size");
        assert_eq!(progress.total(), size);
        let mut batch = PacketBatch::with_capacity(64, 1 << 16);
        while r.fill(&mut batch, 64, 1 << 20).expect("no warning") {
            batch = PacketBatch::with_capacity(64, 1 << 16);
        }
        assert_eq!(progress.read(), size, "{}", path.display());
    }
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (mount(8) syntax) or says why not; needs
    /// root, as in CI, where a failure is a test failure.
    fn mount(name: &str, size: &str) -> Option<Tmpfs> {
        let dir = temp_dir(name);
        let status =
            Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(&dir).status();
        if status.is_ok_and(|s| s.success()) {
            return Some(Tmpfs(dir));
        }
        assert!(std::env::var_os("CI").is_none(), "cannot mount a tmpfs on {} (needs root)", dir.display());
        eprintln!("skipped: cannot mount a tmpfs on {} (needs root)", dir.display());
        None
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Issue 16: on a full disk a run left a truncated TCP.ncap.gz, 0-byte
/// files `read` rejects, no summary. Now every record file left is a
/// valid stream `netcap read` reads to its end, the summary is printed,
/// the error names the full directory, and the exit status is 1 — with
/// buffered writes (the failure shows when a buffer is flushed) and
/// without (it shows in the middle of a batch).
#[test]
fn a_full_disk_leaves_valid_files_a_summary_and_exit_1() {
    let input = shared("pcaps/pcapplusplus/Tests/Pcap++Test/PcapExamples/example.pcap");
    // Room for the first batch's records (2,048 packets with payloads) but
    // not for all of them.
    let Some(fs) = Tmpfs::mount("fulldisk", "512k") else { return };
    for buf in ["-buf=true", "-buf=false"] {
        let out = fs.0.join(&buf[5..]);
        let run =
            netcap(&["-r", input.to_str().expect("utf-8"), "-out", out.to_str().expect("utf-8"), "-payload", buf]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{buf}: {err}");
        assert!(err.contains(&format!("{} is full", out.display())), "{buf}: names the directory: {err}");
        assert!(err.contains("No space left on device") && err.contains("bytes of record files"), "{buf}: {err}");
        assert!(err.contains("Record type") && err.contains(" packets ("), "{buf}: the summary: {err}");
        let mut records = 0;
        for entry in std::fs::read_dir(&out).expect("output") {
            let path = entry.expect("entry").path();
            if !path.to_string_lossy().ends_with(".ncap.gz") {
                continue;
            }
            let read = netcap(&["read", path.to_str().expect("utf-8")]);
            assert!(read.status.success(), "{buf}: {}: {}", path.display(), String::from_utf8_lossy(&read.stderr));
            let mut r = RecordReader::open(&path).unwrap_or_else(|e| panic!("{buf}: {e}"));
            let mut one = Vec::new();
            let mut n = 0;
            while r.next_raw(&mut one).unwrap_or_else(|e| panic!("{buf}: {e}")) {
                n += 1;
            }
            assert!(n > 0, "{buf}: {} holds no record: it must have been removed", path.display());
            records += n;
        }
        assert!(records > 0, "{buf}: the records before the failure are kept");
    }
}
