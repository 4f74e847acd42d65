/**
 * The service usually behind a destination port, for the honeypot question "what did they knock
 * on". Port numbers and services follow IANA's Service Name and Transport Protocol Port Number
 * Registry; the names are the short ones people say (MSSQL, not ms-sql-s). A port maps to one
 * name whatever the protocol (DNS is 53 over UDP and TCP alike). Shared by the SQL (a CASE) and
 * the scanner.
 */
export const SERVICES: ReadonlyArray<readonly [port: number, service: string]> = [
  [20, 'FTP-data'],
  [21, 'FTP'],
  [22, 'SSH'],
  [23, 'Telnet'],
  [25, 'SMTP'],
  [53, 'DNS'],
  [69, 'TFTP'],
  [80, 'HTTP'],
  [88, 'Kerberos'],
  [110, 'POP3'],
  [111, 'RPCbind'],
  [123, 'NTP'],
  [135, 'MS-RPC'],
  [137, 'NetBIOS-NS'],
  [138, 'NetBIOS-DGM'],
  [139, 'NetBIOS-SSN'],
  [143, 'IMAP'],
  [161, 'SNMP'],
  [389, 'LDAP'],
  [443, 'HTTPS'],
  [445, 'SMB'],
  [465, 'SMTPS'],
  [500, 'IKE'],
  [514, 'Syslog'],
  [587, 'SMTP-submission'],
  [636, 'LDAPS'],
  [993, 'IMAPS'],
  [995, 'POP3S'],
  [1433, 'MSSQL'],
  [1434, 'MSSQL-browser'],
  [1521, 'Oracle'],
  [1723, 'PPTP'],
  [1900, 'SSDP'],
  [2049, 'NFS'],
  [2375, 'Docker'],
  [3306, 'MySQL'],
  [3389, 'RDP'],
  [5060, 'SIP'],
  [5432, 'PostgreSQL'],
  [5900, 'VNC'],
  [5985, 'WinRM'],
  [5986, 'WinRM-HTTPS'],
  [6379, 'Redis'],
  [8080, 'HTTP-alt'],
  [8443, 'HTTPS-alt'],
  [9200, 'Elasticsearch'],
  [11211, 'Memcached'],
  [27017, 'MongoDB'],
];

const BY_PORT = new Map<number, string>(SERVICES);

export function serviceOf(port: number | null): string | null {
  return port === null ? null : (BY_PORT.get(port) ?? null);
}
