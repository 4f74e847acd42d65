/**
 * The events a real agent sends for each trigger, shaped after the sample CEF entries of Trend's
 * "Syslog message formats" page (signature ids, names, extension keys), behind the rsyslog header
 * the AWS receiver writes. Documentation addresses only.
 */
import type { ModuleKey, Platform } from '../../../lib/exercise/catalogue';

const CEF = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690';

export interface Host {
  /** cn1: the computer's id in the manager. */
  readonly hostId: number;
  readonly dvchost: string;
}

function syslog(at: Date, host: string, event: string): string {
  const month = at.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const day = String(at.getUTCDate()).padStart(2, ' ');
  return `<134>${month} ${day} ${at.toISOString().slice(11, 19)} ${host} ${event}`;
}

/** The CEF line the agent of `host` sends when `module`'s trigger is detected. */
export function triggerEvent(module: ModuleKey, platform: Platform, host: Host, at: Date = new Date()): string {
  const who = `cn1=${host.hostId} cn1Label=Host ID dvchost=${host.dvchost}`;
  const events: Record<ModuleKey, string> = {
    am: `${CEF}|4000000|Eicar_test_file|6|${who} filePath=/var/tmp/dskit-exercise/x1/eicar.com act=Quarantine result=Quarantined msg=Realtime TrendMicroDsFileMD5=44D88612FEA8A8F36DE82E1278ABB02F`,
    wrs: `${CEF}|5000000|WebReputation|5|${who} request=http://wrs21.winshipway.com/ msg=Dangerous`,
    ips: `${CEF}|1005924|Restrict Download of EICAR Test File Over HTTP|3|${who} src=198.51.100.7 dst=10.60.1.10 proto=TCP spt=80 dpt=49786 act=IDS:Reset`,
    im:
      platform === 'linux'
        ? `${CEF}|2003513|Unix - File attributes changes in /etc location|6|${who} act=updated filePath=/etc/hosts msg=lastModified,sha1,size`
        : `${CEF}|2002773|Microsoft Windows - 'Hosts' file modified|6|${who} act=updated filePath=C:\\Windows\\System32\\drivers\\etc\\hosts msg=lastModified,sha1,size`,
    li:
      platform === 'linux'
        ? `${CEF}|3002831|Unix - Syslog|5|${who} cs1Label=LI Description cs1=Attempt to login using a non-existent user fname=/var/log/auth.log msg=sshd: Invalid user dskit-nouser-x1 from 127.0.0.1`
        : `${CEF}|3002795|Microsoft Windows Events|8|${who} cs1Label=LI Description cs1=Multiple Windows Logon Failures fname=Security msg=WinEvtLog Security: AUDIT_FAILURE(4625)`,
    fw: `${CEF}|21|dskit exercise deny|5|${who} act=Deny src=10.60.1.10 dst=169.254.169.254 proto=TCP spt=40000 dpt=9`,
  };
  return syslog(at, host.dvchost, events[module]);
}

/** An event of another kind from the same host: counted by nothing the exercise looks for. */
export function unrelatedEvent(host: Host, at: Date = new Date()): string {
  return syslog(at, host.dvchost, `${CEF}|20|Log for TCP Port 80|0|cn1=${host.hostId} cn1Label=Host ID dvchost=${host.dvchost} act=Log proto=TCP dpt=80`);
}
