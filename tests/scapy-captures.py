#!/usr/bin/env python3
"""Captures of packets with randomised fields, made with scapy (pip install
scapy), for a differential run of netcap against tshark on packets that no
shared capture has (README, Tests, "Other captures"):

    python3 tests/scapy-captures.py DIR [SEED]
    bash tests/manifest-for.sh DIR
    NETCAP_PCAPS=DIR cargo test --release --test tshark_diff -- --nocapture

Writes DIR/<protocol>-<seed>.pcap, 300 packets each (the fragment captures
as many as their 60 datagrams take): scapy's fuzz() for whole headers,
random values for the fields of well-formed ones.
"""
import random
import sys

from scapy.all import *
from scapy.contrib.bfd import BFD
from scapy.contrib.cdp import *
from scapy.contrib.geneve import GENEVE
from scapy.contrib.igmp import IGMP
from scapy.contrib.igmpv3 import *
from scapy.contrib.lldp import *
from scapy.contrib.modbus import *
from scapy.contrib.mpls import MPLS
from scapy.contrib.ospf import *
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dhcp6 import *
from scapy.layers.dns import *
from scapy.layers.dot11 import *
from scapy.layers.eap import EAPOL, EAP
from scapy.layers.inet6 import *
from scapy.layers.ipsec import AH, ESP
from scapy.layers.l2 import *
from scapy.layers.ntp import NTP
from scapy.layers.sctp import *
from scapy.layers.vrrp import VRRP, VRRPv3
from scapy.layers.vxlan import VXLAN


def layer_packets(random, add):
    E = lambda: Ether(src=RandMAC()._fix(), dst=RandMAC()._fix())
    IP4 = lambda: IP(src=RandIP()._fix(), dst=RandIP()._fix())
    IP6 = lambda: IPv6(src=RandIP6()._fix(), dst=RandIP6()._fix())

    for i in range(300):
        add("tcp", E()/IP4()/fuzz(TCP(dataofs=None, chksum=None))/Raw(RandString(random.randint(0, 200))._fix()))
        opts = random.sample([('MSS', random.randint(0, 65535)), ('WScale', random.randint(0, 14)), ('SAckOK', b''),
                              ('Timestamp', (random.randint(0, 2**32-1), random.randint(0, 2**32-1))), ('NOP', None),
                              ('SAck', (random.randint(0, 2**32-1), random.randint(0, 2**32-1))), ('EOL', None),
                              ('AltChkSum', (1, 2)), ('TFO', b'\x01\x02\x03\x04')], random.randint(0, 6))
        add("tcpopt", E()/IP4()/TCP(sport=RandShort()._fix(), dport=RandShort()._fix(), flags=random.randint(0, 511), options=opts))
        add("tcp6", E()/IP6()/fuzz(TCP(dataofs=None, chksum=None)))
        add("udp", E()/IP4()/fuzz(UDP(len=None, chksum=None))/Raw(RandString(random.randint(0, 100))._fix()))
        add("ip4", E()/fuzz(IP(src=RandIP()._fix(), dst=RandIP()._fix(), ihl=None, len=None, chksum=None, proto=random.choice([6, 17, 1, 47, 99])))/Raw(b"x"*random.randint(0, 60)))
        add("ip4opt", E()/IP(src=RandIP()._fix(), dst=RandIP()._fix(), options=[IPOption_RR(routers=[RandIP()._fix()]), IPOption_NOP(), IPOption_Timestamp(flg=0, timestamp=random.randint(0, 2**31))])/UDP())
        add("icmp", E()/IP4()/fuzz(ICMP(chksum=None)))
        add("icmp6", E()/IP6()/fuzz(ICMPv6Unknown()) if random.random() < 0.2 else E()/IP6()/random.choice([
            ICMPv6ND_NS(tgt=RandIP6()._fix())/ICMPv6NDOptSrcLLAddr(lladdr=RandMAC()._fix()),
            ICMPv6ND_NA(tgt=RandIP6()._fix(), R=random.randint(0, 1), S=random.randint(0, 1), O=random.randint(0, 1))/ICMPv6NDOptDstLLAddr(lladdr=RandMAC()._fix()),
            ICMPv6ND_RA(chlim=random.randint(0, 255), routerlifetime=random.randint(0, 65535))/ICMPv6NDOptPrefixInfo(prefix=RandIP6()._fix())/ICMPv6NDOptMTU(mtu=random.randint(0, 2**32-1)),
            ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr=RandMAC()._fix()),
            ICMPv6ND_Redirect(tgt=RandIP6()._fix(), dst=RandIP6()._fix()),
            ICMPv6EchoRequest(id=RandShort()._fix(), seq=RandShort()._fix(), data=RandString(random.randint(0, 40))._fix()),
            ICMPv6DestUnreach(code=random.randint(0, 7))/IPv6()/UDP(),
            ICMPv6PacketTooBig(mtu=random.randint(0, 2**32-1))/IPv6()/TCP(),
            ICMPv6TimeExceeded(code=random.randint(0, 1))/IPv6()/ICMPv6EchoRequest(),
            ICMPv6MLQuery(mladdr=RandIP6()._fix()),
            ICMPv6MLReport(mladdr=RandIP6()._fix()),
        ]))
        add("ip6ext", E()/IP6()/random.choice([IPv6ExtHdrHopByHop(options=[RouterAlert()]), IPv6ExtHdrHopByHop(options=[PadN(optdata=b'\x00'*random.randint(0, 6))]),
            IPv6ExtHdrDestOpt(), IPv6ExtHdrRouting(addresses=[RandIP6()._fix()]), IPv6ExtHdrFragment(offset=random.randint(0, 8191), m=random.randint(0, 1), id=random.randint(0, 2**32-1))])/UDP(sport=RandShort()._fix(), dport=RandShort()._fix())/Raw(b"abc"))
        add("arp", E()/fuzz(ARP(hwlen=6, plen=4, hwtype=1, ptype=0x0800)))
        add("vlan", E()/Dot1Q(vlan=random.randint(0, 4095), prio=random.randint(0, 7), id=random.randint(0, 1))/IP4()/UDP())
        add("qinq", Ether(src=RandMAC()._fix(), dst=RandMAC()._fix(), type=0x88a8)/Dot1Q(vlan=random.randint(0, 4095))/Dot1Q(vlan=random.randint(0, 4095))/IP4()/TCP())
        q = DNSQR(qname="h%d.example.com" % random.randint(0, 10**6), qtype=random.choice([1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 255, 65]))
        rrs = [
            DNSRR(rrname="a.example", type="A", rdata=RandIP()._fix(), ttl=random.randint(0, 2**31-1)),
            DNSRR(rrname="b.example", type="AAAA", rdata=RandIP6()._fix()),
            DNSRR(rrname="c.example", type="CNAME", rdata="target.example.org"),
            DNSRR(rrname="d.example", type="NS", rdata="ns1.example.net"),
            DNSRR(rrname="e.example", type="PTR", rdata="host.example"),
            DNSRR(rrname="f.example", type="TXT", rdata=[b"hello world", b"v=spf1 -all"]),
            DNSRRMX(rrname="g.example", preference=random.randint(0, 65535), exchange="mx.example"),
            DNSRRSOA(rrname="h.example", mname="ns.example", rname="admin.example", serial=random.randint(0, 2**32-1), refresh=1, retry=2, expire=3, minimum=4),
            DNSRRSRV(rrname="_sip._tcp.example", priority=1, weight=2, port=5060, target="sip.example"),
            DNSRROPT(rclass=random.randint(512, 4096), rdata=[EDNS0TLV(optcode=random.randint(0, 20), optdata=b"ab")]),
            DNSRR(rrname="z.example", type=random.randint(100, 300), rdata=RandString(random.randint(0, 10))._fix()),
        ]
        picks = random.sample(rrs, random.randint(0, 4))
        dns = DNS(id=RandShort()._fix(), qr=random.randint(0, 1), opcode=random.choice([0, 1, 2, 4, 5]), aa=random.randint(0, 1), tc=random.randint(0, 1),
                  rd=random.randint(0, 1), ra=random.randint(0, 1), z=random.randint(0, 1), rcode=random.randint(0, 5), qd=q, an=picks)
        add("dns", E()/IP4()/UDP(sport=RandShort()._fix(), dport=53)/dns)
        add("dns6", E()/IP6()/UDP(sport=53, dport=RandShort()._fix())/dns)
        dopts = random.sample([("message-type", random.randint(1, 8)), ("server_id", RandIP()._fix()), ("lease_time", random.randint(0, 2**32-1)),
                               ("subnet_mask", "255.255.255.0"), ("router", RandIP()._fix()), ("name_server", RandIP()._fix()), ("hostname", b"host-" + str(i).encode()),
                               ("domain", b"example.com"), ("requested_addr", RandIP()._fix()), ("param_req_list", [1, 3, 6, 15]), ("client_id", b"\x01" + bytes(6)),
                               ("vendor_class_id", b"MSFT 5.0"), ("renewal_time", 100), ("rebinding_time", 200), ("max_dhcp_size", 1500)], random.randint(0, 8))
        add("dhcp", E()/IP4()/UDP(sport=68, dport=67)/BOOTP(op=random.randint(1, 2), xid=random.randint(0, 2**32-1), secs=random.randint(0, 65535), flags=random.choice([0, 0x8000]),
            ciaddr=RandIP()._fix(), yiaddr=RandIP()._fix(), siaddr=RandIP()._fix(), giaddr=RandIP()._fix(), chaddr=bytes.fromhex(RandMAC()._fix().replace(':', '')))/DHCP(options=dopts + ["end"]))
        add("dhcp6", E()/IP6()/UDP(sport=546, dport=547)/random.choice([DHCP6_Solicit(trid=random.randint(0, 2**24-1))/DHCP6OptClientId(duid=DUID_LLT(lladdr=RandMAC()._fix()))/DHCP6OptElapsedTime(elapsedtime=random.randint(0, 65535))/DHCP6OptIA_NA(iaid=random.randint(0, 2**32-1)),
            DHCP6_Advertise(trid=random.randint(0, 2**24-1))/DHCP6OptServerId(duid=DUID_LL(lladdr=RandMAC()._fix()))/DHCP6OptDNSServers(dnsservers=[RandIP6()._fix()]),
            DHCP6_Request()/DHCP6OptOptReq(reqopts=[23, 24]), DHCP6_Reply()/DHCP6OptStatusCode(statuscode=random.randint(0, 5), statusmsg="ok"),
            DHCP6_RelayForward(hopcount=random.randint(0, 32), linkaddr=RandIP6()._fix(), peeraddr=RandIP6()._fix())/DHCP6OptRelayMsg(message=DHCP6_Solicit())]))
        add("ntp", E()/IP4()/UDP(sport=123, dport=123)/fuzz(NTP()))
        add("igmp", E()/IP(src=RandIP()._fix(), dst="224.0.0.1")/random.choice([IGMP(type=random.choice([0x11, 0x12, 0x16, 0x17]), gaddr=RandIP()._fix(), mrcode=random.randint(0, 255)),
            IGMPv3()/IGMPv3mr(records=[IGMPv3gr(rtype=random.randint(1, 6), maddr=RandIP()._fix(), srcaddrs=[RandIP()._fix() for _ in range(random.randint(0, 3))])]),
            IGMPv3(type=0x11)/IGMPv3mq(gaddr=RandIP()._fix(), srcaddrs=[RandIP()._fix()])]))
        add("sctp", E()/IP4()/SCTP(sport=RandShort()._fix(), dport=RandShort()._fix(), tag=random.randint(0, 2**32-1))/random.choice([SCTPChunkData(data=b"hello", tsn=random.randint(0, 2**32-1)),
            SCTPChunkInit(init_tag=random.randint(0, 2**32-1)), SCTPChunkSACK(), SCTPChunkHeartbeatReq(), SCTPChunkAbort(), SCTPChunkShutdown(), SCTPChunkCookieEcho(cookie=b"abcd")]))
        add("gre", E()/IP4()/GRE(key_present=random.randint(0, 1), seqnum_present=random.randint(0, 1), chksum_present=random.randint(0, 1), key=random.randint(0, 2**32-1), seqence_number=random.randint(0, 2**32-1))/IP4()/UDP(sport=1234, dport=4321))
        add("vxlan", E()/IP4()/UDP(sport=RandShort()._fix(), dport=4789)/VXLAN(vni=random.randint(0, 2**24-1))/E()/IP4()/TCP(sport=80, dport=RandShort()._fix()))
        add("geneve", E()/IP4()/UDP(sport=RandShort()._fix(), dport=6081)/GENEVE(vni=random.randint(0, 2**24-1), proto=0x6558)/E()/IP4()/UDP(sport=53, dport=53))
        add("mpls", Ether(src=RandMAC()._fix(), dst=RandMAC()._fix(), type=0x8847)/MPLS(label=random.randint(16, 2**20-1), cos=random.randint(0, 7), s=0, ttl=random.randint(0, 255))/MPLS(label=random.randint(16, 2**20-1), s=1, ttl=64)/IP4()/ICMP())
        add("vrrp", E()/IP(src=RandIP()._fix(), dst="224.0.0.18", ttl=255)/random.choice([VRRP(vrid=random.randint(1, 255), priority=random.randint(0, 255), addrlist=[RandIP()._fix() for _ in range(random.randint(1, 3))]),
            VRRPv3(vrid=random.randint(1, 255), priority=random.randint(0, 255), addrlist=[RandIP()._fix()])]))
        add("bfd", E()/IP4()/UDP(sport=RandShort()._fix(), dport=3784)/BFD(sta=random.randint(0, 3), my_discriminator=random.randint(0, 2**32-1), your_discriminator=random.randint(0, 2**32-1),
            min_tx_interval=random.randint(0, 2**32-1), min_rx_interval=random.randint(0, 2**32-1), echo_rx_interval=random.randint(0, 2**32-1), detect_mult=random.randint(0, 255), diag=random.randint(0, 8)))
        add("ospf", E()/IP(src=RandIP()._fix(), dst="224.0.0.5")/OSPF_Hdr(src=RandIP()._fix(), area=RandIP()._fix())/random.choice([OSPF_Hello(router=RandIP()._fix(), backup=RandIP()._fix(), neighbors=[RandIP()._fix()]),
            OSPF_DBDesc(ddseq=random.randint(0, 2**32-1)), OSPF_LSReq(), OSPF_LSAck(), OSPF_LSUpd(lsalist=[OSPF_Router_LSA(id=RandIP()._fix(), adrouter=RandIP()._fix(), linklist=[OSPF_Link(id=RandIP()._fix(), data=RandIP()._fix())])])]))
        add("ah", E()/IP4()/AH(spi=random.randint(0, 2**32-1), seq=random.randint(0, 2**32-1), icv=b"\x00"*12, nh=17)/UDP(sport=1, dport=2))
        add("esp", E()/IP4()/ESP(spi=random.randint(0, 2**32-1), seq=random.randint(0, 2**32-1), data=RandString(random.randint(8, 64))._fix()))
        add("lldp", Ether(src=RandMAC()._fix(), dst="01:80:c2:00:00:0e")/LLDPDUChassisID(subtype=4, id=RandMAC()._fix())/LLDPDUPortID(subtype=random.choice([3, 5, 7]), id=b"port" + str(i).encode())/LLDPDUTimeToLive(ttl=random.randint(0, 65535))/
            LLDPDUSystemName(system_name=b"sw" + str(i).encode())/LLDPDUSystemDescription(description=b"desc")/LLDPDUSystemCapabilities()/LLDPDUEndOfLLDPDU())
        add("stp", Dot3(src=RandMAC()._fix(), dst="01:80:c2:00:00:00")/LLC()/STP(rootid=random.randint(0, 65535), rootmac=RandMAC()._fix(), pathcost=random.randint(0, 2**32-1), bridgeid=random.randint(0, 65535), bridgemac=RandMAC()._fix(), portid=random.randint(0, 65535), age=random.randint(0, 255), maxage=20, hellotime=2, fwddelay=15))
        add("snap", Dot3(src=RandMAC()._fix(), dst=RandMAC()._fix())/LLC(dsap=0xaa, ssap=0xaa, ctrl=3)/SNAP(OUI=0, code=0x0800)/IP4()/UDP())


def link_and_app_packets(random, add):
    M = lambda: RandMAC()._fix()
    IP4 = lambda: IP(src=RandIP()._fix(), dst=RandIP()._fix())
    for i in range(300):
        rt = RadioTap(present='Flags+Rate+Channel+dBm_AntSignal+Antenna', Flags=0, Rate=random.choice([2, 4, 11, 22, 108]), ChannelFrequency=random.choice([2412, 2437, 5180]), ChannelFlags=0x00a0, dBm_AntSignal=-random.randint(20, 90), Antenna=random.randint(0, 3))
        d = Dot11(type=random.randint(0, 2), subtype=random.randint(0, 15), FCfield=random.randint(0, 255) & ~0x40, ID=random.randint(0, 65535), addr1=M(), addr2=M(), addr3=M(), SC=random.randint(0, 65535), addr4=M())
        add("dot11", rt/d/Raw(RandString(random.randint(0, 40))._fix()))
        add("beacon", rt/Dot11(type=0, subtype=8, addr1="ff:ff:ff:ff:ff:ff", addr2=M(), addr3=M(), SC=random.randint(0, 65535))/Dot11Beacon(cap=random.randint(0, 65535), beacon_interval=random.randint(0, 65535))/Dot11Elt(ID="SSID", info=b"net%d" % i)/Dot11EltRates(rates=[0x82, 0x84, 0x8b, 0x96])/Dot11Elt(ID=random.randint(0, 255), info=RandString(random.randint(0, 20))._fix()))
        add("wdata", rt/Dot11(type=2, subtype=random.choice([0, 8]), FCfield=random.choice([1, 2]), addr1=M(), addr2=M(), addr3=M(), SC=random.randint(0, 65535))/(Dot11QoS(TID=random.randint(0, 7)) if random.random() < 0.5 else Raw(b""))/LLC(dsap=0xaa, ssap=0xaa, ctrl=3)/SNAP(OUI=0, code=0x0800)/IP4()/UDP(sport=RandShort()._fix(), dport=RandShort()._fix())/Raw(b"hello"))
        add("eapol", Ether(src=M(), dst=M())/EAPOL(version=random.randint(1, 3), type=random.choice([0, 1, 2]))/random.choice([EAP(code=random.randint(1, 4), id=random.randint(0, 255), type=random.choice([1, 3, 4, 13, 21, 25]) ), Raw(b"")]) if random.random() < 0.5 else
            Ether(src=M(), dst=M())/EAPOL(version=random.choice([1, 2]), type=3)/Raw(bytes([2]) + random.randint(0, 65535).to_bytes(2, 'big') + (16).to_bytes(2, 'big') + random.randint(0, 2**64-1).to_bytes(8, 'big') + RandString(32)._fix().encode('latin1')[:32].ljust(32, b'\0') + bytes(16) + bytes(8) + bytes(8) + RandString(16)._fix().encode('latin1')[:16].ljust(16, b'\0') + (4).to_bytes(2, 'big') + b"\xdd\x02\x00\x0f"))
        add("cdp", Dot3(src=M(), dst="01:00:0c:cc:cc:cc")/LLC(dsap=0xaa, ssap=0xaa, ctrl=3)/SNAP(OUI=0x0c, code=0x2000)/CDPv2_HDR(vers=random.choice([1, 2]), ttl=random.randint(0, 255), msg=[CDPMsgDeviceID(val=b"sw%d" % i), CDPMsgPortID(iface=b"Gi0/%d" % random.randint(0, 48)), CDPMsgPlatform(val=b"cisco WS-C2960"), CDPMsgSoftwareVersion(val=b"IOS 15"), CDPMsgAddr(addr=[CDPAddrRecordIPv4(addr=RandIP()._fix())]), CDPMsgNativeVLAN(vlan=random.randint(1, 4094)), CDPMsgDuplex(duplex=random.randint(0, 1))]))
        meth = random.choice(["INVITE", "REGISTER", "OPTIONS", "BYE", "ACK"])
        sip = (("%s sip:user%d@example.com SIP/2.0\r\n" % (meth, i)) if random.random() < 0.5 else "SIP/2.0 %d %s\r\n" % random.choice([(100, "Trying"), (180, "Ringing"), (200, "OK"), (404, "Not Found")])) + \
            "Via: SIP/2.0/UDP 10.0.0.%d:5060;branch=z9hG4bK%d\r\nFrom: <sip:a@example.com>;tag=%d\r\nTo: <sip:b@example.com>\r\nCall-ID: %d@host\r\nCSeq: %d %s\r\nContact: <sip:a@10.0.0.1>\r\nUser-Agent: test\r\nContent-Length: 0\r\n\r\n" % (i % 250, i, i, random.randint(0, 10**9), random.randint(1, 1000), meth)
        add("sip", Ether(src=M(), dst=M())/IP4()/UDP(sport=5060, dport=5060)/Raw(sip.encode()))
        add("modbus", Ether(src=M(), dst=M())/IP4()/TCP(sport=RandShort()._fix(), dport=502, flags="PA", seq=random.randint(0, 2**32-1))/ModbusADURequest(transId=random.randint(0, 65535), unitId=random.randint(0, 255))/random.choice([ModbusPDU01ReadCoilsRequest(startAddr=random.randint(0, 65535), quantity=random.randint(1, 2000)), ModbusPDU03ReadHoldingRegistersRequest(startAddr=random.randint(0, 65535), quantity=random.randint(1, 125)), ModbusPDU06WriteSingleRegisterRequest(registerAddr=random.randint(0, 65535), registerValue=random.randint(0, 65535)), ModbusPDU10WriteMultipleRegistersRequest(startAddr=1, quantityRegisters=2, outputsValue=[1, 2])]))


def link_type_packets(random, add):
    """IPv4, IPv6 and ARP behind the other common link types: Linux cooked
    (v1 and v2), raw IPv4 and IPv6, BSD null/loopback and PPP."""
    IP4 = lambda: IP(src=RandIP()._fix(), dst=RandIP()._fix(), ttl=random.randint(1, 255), id=random.randint(0, 65535), flags=random.randint(0, 2))
    IP6 = lambda: IPv6(src=RandIP6()._fix(), dst=RandIP6()._fix(), hlim=random.randint(0, 255), fl=random.randint(0, 2**20 - 1), tc=random.randint(0, 255))
    def l4():
        return random.choice([TCP(sport=RandShort()._fix(), dport=RandShort()._fix(), flags=random.randint(0, 255), seq=random.randint(0, 2**32 - 1),
                                  options=[('MSS', 1460), ('NOP', None), ('WScale', 7)])/Raw(b"a" * random.randint(0, 50)),
                              UDP(sport=RandShort()._fix(), dport=RandShort()._fix())/Raw(b"b" * random.randint(0, 50)),
                              ICMP(type=random.choice([0, 8, 3, 11]), code=random.randint(0, 3))])
    lladdr = lambda: bytes.fromhex(RandMAC()._fix().replace(':', '')) + b"\0\0"
    for i in range(300):
        add("sll", CookedLinux(pkttype=random.randint(0, 4), lladdrtype=1, lladdrlen=6, src=lladdr())/random.choice([IP4()/l4(), IP6()/l4(), ARP(psrc=RandIP()._fix(), pdst=RandIP()._fix())]))
        add("sll2", CookedLinuxV2(pkttype=random.randint(0, 4), ifindex=random.randint(0, 100), lladdrtype=1, lladdrlen=6, src=lladdr())/random.choice([IP4()/l4(), IP6()/l4()]))
        add("raw4", IP4()/l4())
        add("raw6", IP6()/l4())
        v6 = random.random() < 0.5
        add("null", Loopback(type=30 if v6 else 2)/(IP6() if v6 else IP4())/l4())
        add("ppp", PPP(proto=0x57 if v6 else 0x21)/(IP6() if v6 else IP4())/l4())


def http_connection(add, cip, sip, cport, sport, exchanges, mss, name="http"):
    """A TCP connection (handshake, data in segments of `mss`, FINs) that
    carries `exchanges`, a list of ('c' or 's', bytes) in order."""
    cseq, sseq = random.randint(0, 2**32-1), random.randint(0, 2**32-1)
    E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    def pkt(d, flags, data=b""):
        nonlocal cseq, sseq
        if d == 'c':
            p = E/IP(src=cip, dst=sip)/TCP(sport=cport, dport=sport, flags=flags, seq=cseq, ack=sseq)/Raw(data)
            cseq = (cseq + len(data) + (1 if 'S' in flags or 'F' in flags else 0)) % 2**32
        else:
            p = E/IP(src=sip, dst=cip)/TCP(sport=sport, dport=cport, flags=flags, seq=sseq, ack=cseq)/Raw(data)
            sseq = (sseq + len(data) + (1 if 'S' in flags or 'F' in flags else 0)) % 2**32
        add(name, p)
    pkt('c', 'S'); pkt('s', 'SA'); pkt('c', 'A')
    for d, data in exchanges:
        for i in range(0, len(data), mss):
            pkt(d, 'PA', data[i:i+mss])
    pkt('c', 'FA'); pkt('s', 'FA'); pkt('c', 'A')


def http_body(n):
    return bytes(random.choice(b"abcdefgh \n") for _ in range(n))


def http_response(method):
    code = random.choice([200, 200, 200, 404, 301, 304, 204, 500])
    reason = {200: "OK", 404: "Not Found", 301: "Moved Permanently", 304: "Not Modified", 204: "No Content", 500: "Internal Server Error"}[code]
    ctype = random.choice(["text/html", "application/json", "image/png", "text/plain; charset=utf-8"])
    h = "HTTP/1.1 %d %s\r\nServer: test/%d\r\nContent-Type: %s\r\n" % (code, reason, random.randint(1, 9), ctype)
    b = b"" if code in (204, 304) or method == "HEAD" else http_body(random.randint(0, 3000))
    pre = b""
    if random.random() < 0.1:
        pre = b"HTTP/1.1 100 Continue\r\n\r\n"
    if code in (204, 304):
        return pre + (h + "\r\n").encode()
    if method != "HEAD" and random.random() < 0.4:
        chunks = b""
        rest = b
        while rest:
            n = random.randint(1, 700); c, rest = rest[:n], rest[n:]
            chunks += b"%x\r\n" % len(c) + c + b"\r\n"
        return pre + (h + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + b"0\r\n\r\n"
    length = len(b) if method != "HEAD" else random.randint(0, 5000)
    return pre + (h + "Content-Length: %d\r\n\r\n" % length).encode() + b


def http_request(i, j):
    method = random.choice(["GET", "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"])
    uri = "/p%d/%d?q=%s" % (i, j, random.choice(["a", "b,c", "d%20e", "\"x\""]))
    ua = random.choice(["curl/8.0", "Mozilla/5.0 (X11; Linux x86_64)", "agent, with comma"])
    h = "%s %s HTTP/1.1\r\nHost: h%d.example\r\nUser-Agent: %s\r\n" % (method, uri, i, ua)
    if method in ("POST", "PUT"):
        b = http_body(random.randint(0, 2000))
        return method, (h + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(b)).encode() + b
    return method, (h + "\r\n").encode()


def http_packets(random, add):
    """80 HTTP/1.1 connections on ports 80, 8080, 8000 and 3128: 1 to 4
    requests each (GET, POST, HEAD, PUT, DELETE, OPTIONS; values with
    commas and quotes), pipelined or not, answered with Content-Length or
    chunked bodies, 204/304 without one, sometimes after a 100 Continue,
    in segments of 100, 536 or 1460 bytes."""
    for i in range(80):
        n = random.randint(1, 4)
        ex = []
        pipelined = random.random() < 0.3
        reqs = [http_request(i, j) for j in range(n)]
        if pipelined:
            ex.append(('c', b"".join(r for _, r in reqs)))
            ex.append(('s', b"".join(http_response(m) for m, _ in reqs)))
        else:
            for m, r in reqs:
                ex.append(('c', r)); ex.append(('s', http_response(m)))
        port = random.choice([80, 8080, 8000, 3128, 80])
        http_connection(add, "10.1.%d.%d" % (i // 200, i % 200 + 1), "10.2.0.%d" % (i % 50 + 1), 40000 + i, port, ex, random.choice([100, 536, 1460]))


def tls_packets(random, add):
    """80 TLS handshakes on random ports: ClientHellos with random cipher
    suites, GREASE values (RFC 8701) among suites, extensions and groups,
    SNI, ALPN, supported versions, groups, point formats and signature
    algorithms in random order; ServerHellos with a chosen suite and some
    extensions; hellos cut into segments of 20 to 1,460 bytes."""
    load_layer("tls")
    from scapy.layers.tls.all import (TLS, TLSClientHello, TLSServerHello, TLS_Ext_ALPN, TLS_Ext_ServerName,
                                      TLS_Ext_SignatureAlgorithms, TLS_Ext_SupportedGroups,
                                      TLS_Ext_SupportedPointFormat, TLS_Ext_SupportedVersion_CH,
                                      TLS_Ext_SupportedVersion_SH, TLS_Ext_Unknown, ProtocolName, ServerName)
    grease = lambda: random.choice(range(0x0a0a, 0x10000, 0x1010))
    suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    for i in range(80):
        ciphers = random.sample(suites, random.randint(1, len(suites)))
        if random.random() < 0.5:
            ciphers.insert(random.randint(0, len(ciphers)), grease())
        groups = random.sample([0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100], random.randint(1, 4))
        if random.random() < 0.5:
            groups.insert(0, grease())
        ext = [TLS_Ext_ServerName(servernames=[ServerName(servername=b"host%d.example" % i)]),
               TLS_Ext_SupportedGroups(groups=groups),
               TLS_Ext_SupportedPointFormat(ecpl=random.sample([0, 1, 2], random.randint(1, 3))),
               TLS_Ext_ALPN(protocols=[ProtocolName(protocol=p) for p in random.sample([b"h2", b"http/1.1", b"h3", b"spdy/3"], random.randint(1, 3))]),
               TLS_Ext_SignatureAlgorithms(sig_algs=random.sample([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601], random.randint(1, 8))),
               TLS_Ext_Unknown(type=random.choice([0x0017, 0x0023, 0xff01, 0x0012, 0x001b]), val=b"")]
        if random.random() < 0.6:
            ext.append(TLS_Ext_SupportedVersion_CH(versions=random.sample([0x0304, 0x0303, 0x0302], random.randint(1, 3))))
        if random.random() < 0.5:
            ext.insert(random.randint(0, len(ext)), TLS_Ext_Unknown(type=grease(), val=b""))
        random.shuffle(ext)
        hello = raw(TLS(type=22, version=0x0301, msg=[TLSClientHello(version=0x0303, ciphers=ciphers, ext=ext)]))
        sext = [TLS_Ext_Unknown(type=0xff01, val=b"\x00")]
        if random.random() < 0.5:
            sext.append(TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b"h2")]))
        if random.random() < 0.5:
            sext.append(TLS_Ext_SupportedVersion_SH(version=0x0304))
        server = raw(TLS(type=22, version=0x0303, msg=[TLSServerHello(version=0x0303, cipher=random.choice(ciphers[:1] + suites[:3]), ext=sext)]))
        port = random.choice([443, 443, 8443, 4433, 993, random.randint(1024, 65535)])
        http_connection(add, "10.3.%d.%d" % (i // 200, i % 200 + 1), "10.4.0.%d" % (i % 50 + 1), 41000 + i, port,
                        [('c', hello), ('s', server)], random.choice([20, 100, 536, 1460]), name="tls")


def ssh_packets(random, add):
    """60 SSH connections on port 22 or another: identification lines
    (some servers send text lines first), then each side's KEXINIT with
    random algorithm lists, in segments of 20 to 1,460 bytes."""
    import struct
    def name_list(names):
        text = ",".join(names).encode()
        return struct.pack("!I", len(text)) + text
    def kexinit(lists):
        payload = bytes([20]) + bytes(random.getrandbits(8) for _ in range(16))
        payload += b"".join(name_list(l) for l in lists) + bytes([0]) + bytes(4)
        padding = 8 - (len(payload) + 5) % 8 + 8
        return struct.pack("!IB", len(payload) + padding + 1, padding) + payload + bytes(padding)
    kex = ["curve25519-sha256", "ecdh-sha2-nistp256", "diffie-hellman-group14-sha256", "sntrup761x25519-sha512@openssh.com", "ext-info-c"]
    hostkey = ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ecdsa-sha2-nistp256"]
    enc = ["chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"]
    mac = ["umac-64-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "hmac-sha2-256", "hmac-sha1"]
    comp = ["none", "zlib@openssh.com", "zlib"]
    pick = lambda l: random.sample(l, random.randint(1, len(l)))
    for i in range(60):
        lists = lambda: [pick(kex), pick(hostkey), pick(enc), pick(enc), pick(mac), pick(mac), pick(comp), pick(comp), [], []]
        client = b"SSH-2.0-OpenSSH_%d.%dp1 Debian-%d\r\n" % (random.randint(7, 9), random.randint(0, 9), i)
        server = random.choice([b"", b"Welcome\r\n"]) + b"SSH-2.0-dropbear_2022.%d\r\n" % random.randint(80, 83)
        port = random.choice([22, 22, 2222, random.randint(1024, 65535)])
        http_connection(add, "10.5.%d.%d" % (i // 200, i % 200 + 1), "10.6.0.%d" % (i % 50 + 1), 42000 + i, port,
                        [('c', client), ('s', server), ('c', kexinit(lists())), ('s', kexinit(lists()))],
                        random.choice([20, 100, 536, 1460]), name="ssh")


def fragment_packets(random, add):
    """DNS responses of 0.5 to 5 KB in IPv4 and IPv6 fragments, in order,
    reversed, shuffled or with a fragment sent twice; an IPv6 response that
    fits one packet becomes an atomic fragment (RFC 6946)."""
    for i in range(60):
        txt = [("x%d-" % i).encode() * 40 for _ in range(random.randint(3, 12))]
        dns = DNS(id=i, qr=1, qd=DNSQR(qname="big%d.example.com" % i, qtype="TXT"),
                  an=[DNSRR(rrname="big%d.example.com" % i, type="TXT", rdata=txt)])
        eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        v4 = fragment(eth/IP(src="10.0.0.53", dst="10.0.0.%d" % (i % 200 + 1), id=1000 + i)/UDP(sport=53, dport=40000 + i)/dns,
                      fragsize=random.choice([256, 512, 1000]))
        v6 = fragment6(eth/IPv6(src="fd00::53", dst="fd00::%x" % (i + 1))/IPv6ExtHdrFragment(id=5000 + i)/UDP(sport=53, dport=40000 + i)/dns,
                       random.choice([600, 1000, 1280]))
        order = random.choice(["in", "reversed", "shuffled", "twice"])
        for name, frags in (("frag4", v4), ("frag6", v6)):
            frags = list(frags)
            if order == "reversed":
                frags.reverse()
            elif order == "shuffled":
                random.shuffle(frags)
            elif order == "twice":
                frags.append(frags[0])
            for f in frags:
                add(name, f)


def main():
    out_dir = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    random.seed(seed)  # scapy's RandMAC/RandIP/fuzz draw from the module's generator
    captures = {}
    add = lambda name, p: captures.setdefault(name, []).append(p)
    layer_packets(random, add)
    link_and_app_packets(random, add)
    link_type_packets(random, add)
    fragment_packets(random, add)
    http_packets(random, add)
    tls_packets(random, add)
    ssh_packets(random, add)
    for name, pkts in captures.items():
        for j, p in enumerate(pkts):
            p.time = 1700000000.0 + j * 0.001
        wrpcap(f"{out_dir}/{name}-{seed}.pcap", pkts)
    print(len(captures), "captures,", sum(len(v) for v in captures.values()), "packets in", out_dir)


if __name__ == "__main__":
    main()
