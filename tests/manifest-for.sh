#!/bin/bash
# Writes DIR/MANIFEST.tsv for the captures under DIR, with the columns the
# differential tests read from ../shared/pcaps/MANIFEST.tsv (file, linktype,
# fuzz_or_malformed, protocols, extra), so that those tests run on other
# captures too — held-out ones, or ones made by a traffic generator:
#
#   bash tests/manifest-for.sh /data/heldout
#   NETCAP_PCAPS=/data/heldout cargo test --release --test tshark_diff -- --nocapture
#
# protocols: each name of tshark's frame.protocols with the number of
# packets that carry it ("eth:300,ip:298,udp:12"); extra: the field-level
# markers some tests select on (snap, eapol.key, http.request,
# tls.clienthello, tls.serverhello, ospf.version=N). A capture that tshark
# cannot read to the end or shows a malformed or cut-short packet in is
# marked fuzz_or_malformed=yes. Needs tshark and capinfos (Debian: tshark).
set -euo pipefail
dir=${1:?usage: manifest-for.sh DIR}
cd "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
columns="set_path selected_for note file source repo commit repo_path license bytes packets linktype format status fuzz_or_malformed duplicate_of sha256 protocols extra"
{
    echo "$columns" | tr ' ' '\t'
    find . -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.pcap.gz' \) | sed 's|^\./||' | sort |
    while read -r f; do
        linktype=$(capinfos -T -r -E "$f" 2>/dev/null | cut -f2)
        packets=$(capinfos -T -r -c "$f" 2>/dev/null | cut -f2)
        malformed=no
        tshark -r "$f" -T fields -E separator=/t -e frame.protocols -e llc.oui -e eapol.keydes.type \
            -e http.request -e tls.handshake.type -e ospf.version -e _ws.malformed -e _ws.short \
            > "$tmp/fields" 2> "$tmp/err" || malformed=yes
        # (tshark's "Running as user root" warning is not about the capture.)
        if grep -qv "Running as user" "$tmp/err" || awk -F'\t' '$7 != "" || $8 != "" { bad = 1 } END { exit !bad }' "$tmp/fields"; then
            malformed=yes
        fi
        protocols=$(cut -f1 "$tmp/fields" | tr ':' '\n' | grep -v '^$' | sort | uniq -c |
            awk '{printf "%s%s:%s", (NR>1?",":""), $2, $1}' || true)
        extra=$(awk -F'\t' '
            $2 != "" { n["snap"]++ }
            $3 != "" { n["eapol.key"]++ }
            $4 != "" { n["http.request"]++ }
            $5 ~ /(^|,)1(,|$)/ { n["tls.clienthello"]++ }
            $5 ~ /(^|,)2(,|$)/ { n["tls.serverhello"]++ }
            $6 ~ /(^|,)2(,|$)/ { n["ospf.version=2"]++ }
            $6 ~ /(^|,)3(,|$)/ { n["ospf.version=3"]++ }
            END { s = ""; for (k in n) s = s (s == "" ? "" : ",") k ":" n[k]; print s }' "$tmp/fields")
        bytes=$(stat -c %s "$f")
        format=${f##*.}
        printf '%s\t\t\t%s\t\t\t\t\t\t%s\t%s\t%s\t%s\tOK\t%s\t\t\t%s\t%s\n' \
            "$f" "$f" "$bytes" "$packets" "$linktype" "$format" "$malformed" "$protocols" "$extra"
    done
} > MANIFEST.tsv
echo "$(($(wc -l < MANIFEST.tsv) - 1)) captures in $dir/MANIFEST.tsv"
