/**
 * Sample exported lines: what DS agents send (shapes from DS's documented CEF/LEEF formats),
 * with the syslog headers rsyslog and RFC 5424 senders put in front, and the escaping cases.
 * Host names and addresses are documentation values.
 */
export interface Sample {
  readonly label: string;
  readonly line: string;
  readonly time: string;
}

const CEF_AGENT = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690';

export const SAMPLES: readonly Sample[] = [
  {
    label: 'firewall deny by rule, BSD syslog header, dvchost',
    time: '2024-11-27T05:00:00Z',
    line: `<134>Nov 27 05:00:00 ip-10-60-1-10 ${CEF_AGENT}|21|Deny Inbound Management|5|cn1=101 cn1Label=Host ID dvchost=ds-eval-aws-web-1 act=Deny dmac=00:50:56:F5:7F:65 smac=00:0C:29:EB:35:DE TrendMicroDsFrameType=IP src=203.0.113.7 dst=10.60.1.10 in=60 cs3=DF cs3Label=Fragmentation Bits proto=TCP spt=45856 dpt=22 cs2=0x02 SYN cs2Label=TCP Flags cnt=1`,
  },
  {
    label: 'firewall stateful deny, host only in the syslog header, empty value',
    time: '2024-11-27T05:10:00Z',
    line: `Nov 27 05:10:00 ds-eval-aws-web-1 ${CEF_AGENT}|100|Out Of Connection|5|cn1=101 cn1Label=Host ID act=Deny TrendMicroDsFrameType=IP src=203.0.113.7 dst=10.60.1.10 in=40 cs3= cs3Label=Fragmentation Bits proto=TCP spt=50000 dpt=3389 cs2=0x10 ACK cs2Label=TCP Flags cnt=1`,
  },
  {
    label: 'firewall log-only rule, no syslog header, double and trailing spaces',
    time: '2024-11-27T05:20:00Z',
    line: `${CEF_AGENT}|20|Log for TCP Port 80|0|cn1=105 cn1Label=Host ID  act=Log src=192.0.2.50 dst=10.60.1.12 proto=TCP spt=40123 dpt=80 cnt=1 `,
  },
  {
    label: 'IPS detect: escaped | in the name; escaped \\\\ and \\= and spaces in a value',
    time: '2024-11-27T05:30:00Z',
    line: `<134>Nov 27 05:30:00 ds-eval-gcp-web-1 ${CEF_AGENT}|1008610|Block Administrative Share \\| SMB|8|cn1=102 cn1Label=Host ID dvchost=ds-eval-gcp-web-1 TrendMicroDsTenant=Primary smac=11:11:11:11:11:11 src=198.51.100.20 dst=10.0.0.5 proto=TCP spt=51515 dpt=445 act=IDS:Reset cn3=0 cn3Label=Intrusion Prevention Packet Position cs1=share C:\\\\Windows\\\\ x\\=1 y|z cs1Label=Intrusion Prevention Note`,
  },
  {
    label: 'IPS prevent of the same rule on another host',
    time: '2024-11-27T06:05:00Z',
    line: `<134>Nov 27 06:05:00 ip-10-60-1-10 ${CEF_AGENT}|1008610|Block Administrative Share \\| SMB|8|cn1=101 cn1Label=Host ID dvchost=ds-eval-aws-web-1 src=198.51.100.20 dst=10.60.1.10 proto=TCP spt=51999 dpt=445 act=Reset`,
  },
  {
    label: 'anti-malware, path with spaces',
    time: '2024-11-27T06:10:00Z',
    line: `<134>Nov 27 06:10:00 ip-10-60-1-10 ${CEF_AGENT}|4000000|Eicar_test_file|6|cn1=101 cn1Label=Host ID dvchost=ds-eval-aws-web-1 filePath=/tmp/test files/eicar.com act=Quarantine msg=Realtime`,
  },
  {
    label: 'integrity monitoring, IPv4 dvc',
    time: '2024-11-27T06:20:00Z',
    line: `<134>Nov 27 06:20:00 ip-10-60-1-11 ${CEF_AGENT}|2002779|Unix - File attributes changed|6|cn1=103 cn1Label=Host ID dvc=10.60.1.11 act=updated filePath=/etc/passwd msg=lastModified,sha256`,
  },
  {
    label: 'log inspection, escaped = in msg (no stray src key)',
    time: '2024-11-27T06:30:00Z',
    line: `<134>Nov 27 06:30:00 ip-10-60-1-11 ${CEF_AGENT}|3002795|Multiple SSH failures|6|cn1=103 cn1Label=Host ID dvc=10.60.1.11 cs1Label=LI Description cs1=sshd: failed password msg=Failed password for invalid user x src\\=192.0.2.99 port 4242 duser=x`,
  },
  {
    label: 'manager system event (manager ids 100-199 are not firewall)',
    time: '2024-11-27T06:40:00Z',
    line: `<134>Nov 27 06:40:00 dsm CEF:0|Trend Micro|Deep Security Manager|20.0.913|150|System Settings Saved|3|src=10.0.0.1 suser=admin target=admin msg=User settings saved`,
  },
  {
    label: 'agent system event (id outside every module range)',
    time: '2024-11-27T06:50:00Z',
    line: `<134>Nov 27 06:50:00 ip-10-60-1-10 ${CEF_AGENT}|1008|Kernel Unsupported|6|cn1=101 cn1Label=Host ID dvchost=ds-eval-aws-web-1`,
  },
  {
    label: 'LEEF 2.0, tab delimiter, no delimiter field (as DS sends it), RFC 5424 header',
    time: '2024-11-27T07:15:00Z',
    line: `<134>1 2024-11-27T07:15:00Z ds-eval-gcp-db-1 ds_agent - - - LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1.690|21|cat=Firewall\tname=Deny SMB\tdesc=Deny SMB\tsev=5\tcn1=104\tcn1Label=Host ID\tdvchost=ds-eval-gcp-db-1\tact=Deny\tsrc=203.0.113.7\tdst=10.0.0.7\tproto=TCP\tsrcPort=40000\tdstPort=445`,
  },
  {
    label: 'LEEF 2.0, custom ^ delimiter',
    time: '2024-11-27T07:20:00Z',
    line: `<134>Nov 27 07:20:00 ds-eval-gcp-db-1 LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1.690|1000552|^|cat=Intrusion Prevention^name=Generic SQL Injection Prevention^desc=Generic SQL Injection Prevention^sev=8^cn1=104^cn1Label=Host ID^dvchost=ds-eval-gcp-db-1^act=IDS:Reset^src=198.51.100.20^dst=10.0.0.7^proto=TCP^srcPort=52000^dstPort=1433`,
  },
  {
    label: 'LEEF 2.0, tab delimiter given as x09, escaped backslashes',
    time: '2024-11-27T07:25:00Z',
    line: `<134>Nov 27 07:25:00 ds-eval-gcp-db-1 LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1.690|4000030|x09|cat=Anti-Malware\tname=HEU_AEGIS_CRYPT\tsev=6\tcn1=104\tcn1Label=Host ID\tdvchost=ds-eval-gcp-db-1\tfilePath=C:\\\\Windows\\\\virus.exe\tact=Terminate`,
  },
  {
    label: 'RFC 5424 nil host (-), no dvchost: host from the Host ID',
    time: '2024-11-27T07:40:00Z',
    line: `<134>1 2024-11-27T07:40:00Z - ds_agent - - - ${CEF_AGENT}|21|Deny All Inbound|5|cn1=106 cn1Label=Host ID act=Deny src=192.0.2.50 dst=10.60.1.13 proto=UDP spt=5353 dpt=161`,
  },
];

/** Lines that hold no event: the reports must ignore them. */
export const NOISE: readonly string[] = [
  'Nov 27 05:00:01 ip-10-60-1-10 systemd[1]: Started Session 1 of user ec2-user.',
  'CEF:0|too|short',
];

/** Odd but legal lines, for the SQL-versus-TypeScript cross-check only. */
export const EDGE_CASES: readonly string[] = [
  // escaped backslash right before the header's |: the field ends there
  String.raw`CEF:0|Trend Micro|Deep Security Agent|20.0|21|ends with backslash \\|5|act=Deny src=192.0.2.1`,
  // a key given twice (first wins), a value ending in an escaped =, severity as a word
  String.raw`CEF:0|Trend Micro|Deep Security Agent|20.0|21|twice|High|act=Deny act=Allow msg=a\= src=192.0.2.2 dpt=notaport`,
  // an empty name and a non-numeric signature id
  'CEF:0|Trend Micro|Deep Security Agent|20.0|abc||3|dvchost=h1 spt=65535',
  // LEEF 2.0 with the delimiter as a hex code, and LEEF 1.0 (always tab)
  'LEEF:2.0|Trend Micro|Deep Security Agent|20.0|21|0x5E|name=hex delim^act=Deny^src=192.0.2.3^dstPort=8080',
  'LEEF:1.0|Trend Micro|Deep Security Agent|20.0|1000001|name=leef one\tact=IDS:Reset\tsrc=192.0.2.4\tdstPort=443',
  // LEEF 2.0 with an empty delimiter field (tab), values with = and leading spaces
  'LEEF:2.0|Trend Micro|Deep Security Agent|20.0|21||name=  spaced  \tdesc=a=b\tact=Deny',
  // CEF: appears only after a |: not an event header
  'x|y CEF:0|Trend Micro|Deep Security Agent|20.0|21|n|5|act=Deny',
  // syslog header without a host: the time is not taken for one
  '<134>Nov 27 05:00:00 CEF:0|Trend Micro|Deep Security Agent|20.0|21|no host|5|cn1=7',
  // a header host glued to the priority
  '<134>web-9 CEF:0|Trend Micro|Deep Security Agent|20.0|21|glued|5|cn1=8',
  // rsyslog's "CEF: 0|" (tag, then a space), and a trailing line break
  '2024-11-27T05:00:00.123456+00:00 web-10 CEF: 0|Trend Micro|Deep Security Agent|20.0|21|spaced tag|5|act=Deny src=192.0.2.5\n',
];
