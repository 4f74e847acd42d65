/**
 * Generated event exports for the events benchmark: a stated size of mixed CEF and LEEF lines
 * shaped like a honeypot's (DS's documented formats behind BSD and RFC 5424 headers), with
 * realistic cardinality: thousands of sources, a few dozen ports and rules, ten hosts, a week of
 * times. Deterministic for a given seed.
 */
import * as fs from 'node:fs';

export interface DataMix {
  /** Share of LEEF 2.0 lines (tab-delimited); the rest CEF. */
  readonly leef: number;
}

export const DEFAULT_MIX: DataMix = { leef: 0.25 };

const CEF = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690';
const LEEF = 'LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1.690';
const PORTS = [22, 22, 22, 3389, 3389, 1433, 1433, 445, 23, 80, 443, 5900, 8080, 3306, 25, 53, 161, 6379];
const FIREWALL = ['Deny All Inbound', 'Out Of Connection', 'Invalid Flags', 'Deny Inbound Management'];
const IPS = [
  [1008610, 'Block Administrative Share \\| SMB'],
  [1000552, 'Generic SQL Injection Prevention'],
  [1001126, 'SSH Server Brute Force'],
  [1011242, 'Microsoft Windows RDP Brute Force'],
  [10, 'Custom honeypot rule'],
] as const;
const USERS = ['root', 'admin', 'sa', 'test', 'oracle', 'ubuntu', 'user', 'postgres', 'guest', 'ftpuser'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A small deterministic generator (xorshift32) of numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Writes about `bytes` of lines to `file`; returns the line count. */
export function writeEventData(file: string, bytes: number, mix: DataMix = DEFAULT_MIX, seed = 42): number {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const start = Date.UTC(2024, 10, 20);
  // A honeypot's week: tens of thousands of sources, a few of them very busy (rand()^2 skews to the front).
  const sources = Array.from({ length: 30_000 }, () => `${pick([203, 198, 192, 45, 61, 185])}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let lines = 0;
  try {
    while (written < bytes) {
      const parts: string[] = [];
      for (let n = 0; n < 2000; n++) {
        const t = new Date(start + Math.floor(rand() * 7 * 86_400_000));
        const host = `ds-eval-aws-web-${1 + Math.floor(rand() * 10)}`;
        const hostId = 100 + Math.floor(rand() * 10);
        const src = sources[Math.floor(rand() ** 2 * sources.length)];
        const dpt = rand() < 0.9 ? pick(PORTS) : 1 + Math.floor(rand() * 65535);
        const spt = 1024 + Math.floor(rand() * 60000);
        const header =
          rand() < 0.5
            ? `<134>${MONTHS[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, ' ')} ${t.toISOString().slice(11, 19)} ip-10-60-1-${hostId - 90} `
            : `<134>1 ${t.toISOString()} ${host} ds_agent - - - `;
        const kind = rand();
        const leef = rand() < mix.leef;
        let fields: [string, string][];
        let sig: number;
        let name: string;
        let severity = 5;
        if (kind < 0.62) {
          sig = rand() < 0.2 ? 100 + Math.floor(rand() * 20) : pick([20, 21, 21, 21]);
          name = pick(FIREWALL);
          fields = [['cn1', String(hostId)], ['cn1Label', 'Host ID'], ['dvchost', host], ['act', rand() < 0.9 ? 'Deny' : 'IDS:Deny'], ['dmac', '00:50:56:F5:7F:65'], ['smac', '00:0C:29:EB:35:DE'], ['TrendMicroDsFrameType', 'IP'], ['src', src], ['dst', `10.60.1.${hostId - 90}`], ['in', '60'], ['cs3', 'DF'], ['cs3Label', 'Fragmentation Bits'], ['proto', rand() < 0.9 ? 'TCP' : 'UDP'], ['spt', String(spt)], ['dpt', String(dpt)], ['cs2', '0x02 SYN'], ['cs2Label', 'TCP Flags'], ['cnt', '1']];
        } else if (kind < 0.85) {
          const [id, rule] = pick(IPS);
          sig = id;
          name = rule;
          severity = 8;
          fields = [['cn1', String(hostId)], ['cn1Label', 'Host ID'], ['dvchost', host], ['TrendMicroDsTenant', 'Primary'], ['src', src], ['dst', `10.60.1.${hostId - 90}`], ['proto', 'TCP'], ['spt', String(spt)], ['dpt', String(dpt)], ['act', rand() < 0.7 ? 'IDS:Reset' : 'Reset'], ['cn3', '10'], ['cn3Label', 'Intrusion Prevention Packet Position'], ['TrendMicroDsPacketData', 'R0VUIC9zP3Q9MSBIVFRQLzEuMQ==']];
        } else if (kind < 0.93) {
          sig = pick([3002795, 3002830, 40]);
          name = 'Multiple SSH failures';
          const user = pick(USERS);
          fields = [['cn1', String(hostId)], ['cn1Label', 'Host ID'], ['dvchost', host], ['cs1Label', 'LI Description'], ['cs1', 'sshd: authentication failed'], ['fname', '/var/log/secure'], ['src', src], ['duser', user], ['shost', host], ['msg', `sshd[123]: Failed password for invalid user ${user} from ${src} port ${spt} ssh2`]];
        } else if (kind < 0.97) {
          sig = pick([4000000, 2002779]);
          name = sig === 4000000 ? 'Eicar_test_file' : 'Microsoft Windows - System file modified';
          fields = [['cn1', String(hostId)], ['cn1Label', 'Host ID'], ['dvchost', host], ['filePath', 'C:\\\\Users\\\\trend\\\\Desktop\\\\eicar.exe'], ['act', 'Delete'], ['msg', 'Realtime']];
        } else {
          sig = pick([1008, 1009, 851]);
          name = 'Kernel Unsupported';
          fields = [['cn1', String(hostId)], ['cn1Label', 'Host ID'], ['dvchost', host]];
        }
        if (leef) {
          parts.push(`${header}${LEEF}|${sig}|cat=Firewall\tname=${name.replace('\\|', '|')}\tdesc=${name.replace('\\|', '|')}\tsev=${severity}\t${fields.map(([k, v]) => `${k === 'spt' ? 'srcPort' : k === 'dpt' ? 'dstPort' : k}=${v}`).join('\t')}`);
        } else {
          parts.push(`${header}${CEF}|${sig}|${name}|${severity}|${fields.map(([k, v]) => `${k}=${v}`).join(' ')}`);
        }
      }
      const text = parts.join('\n') + '\n';
      fs.writeSync(fd, text);
      written += Buffer.byteLength(text);
      lines += parts.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  // Exported right after the week: BSD timestamps (no year) are dated by the file's time.
  const exported = new Date(start + 7 * 86_400_000);
  fs.utimesSync(file, exported, exported);
  return lines;
}
