/** The TypeScript reading of single lines: escapes, spaces, LEEF delimiters, hosts. */
import { parseEventLine } from '../../lib/events/parse';
import { NOISE, SAMPLES } from './samples';

const sample = (label: string) => SAMPLES.find((s) => s.label.startsWith(label))!.line;

describe('parseEventLine', () => {
  it('reads the CEF header after a syslog header', () => {
    expect(parseEventLine(sample('firewall deny by rule'))).toMatchObject({
      format: 'CEF',
      formatVersion: '0',
      vendor: 'Trend Micro',
      product: 'Deep Security Agent',
      deviceVersion: '20.0.1.690',
      signatureId: 21,
      name: 'Deny Inbound Management',
      severity: 5,
      module: 'firewall',
      syslogHost: 'ip-10-60-1-10',
      host: 'ds-eval-aws-web-1',
      hostId: 101,
    });
  });

  it('unescapes \\| in the header and \\\\, \\= in values; a value keeps its spaces and a bare |', () => {
    const e = parseEventLine(sample('IPS detect'))!;
    expect(e.name).toBe('Block Administrative Share | SMB');
    expect(e.extension.cs1).toBe('share C:\\Windows\\ x=1 y|z');
    expect(e.extension.cs1Label).toBe('Intrusion Prevention Note');
    expect(e.extension.cn3Label).toBe('Intrusion Prevention Packet Position');
  });

  it('does not take an escaped key=value inside a value for a key', () => {
    const e = parseEventLine(sample('log inspection'))!;
    expect(e.src).toBeNull();
    expect(e.extension.msg).toBe('Failed password for invalid user x src=192.0.2.99 port 4242');
    expect(e.extension.duser).toBe('x');
  });

  it('treats an empty value as absent and trims spaces around values', () => {
    expect(parseEventLine(sample('firewall stateful deny'))!.extension.cs3).toBe('');
    const e = parseEventLine(sample('firewall log-only'))!;
    expect(e.extension.cnt).toBe('1');
    expect(e.extension.cn1Label).toBe('Host ID');
  });

  it('reads LEEF 2.0 with tab (no delimiter field), ^, and x09 delimiters, and DS LEEF port names', () => {
    expect(parseEventLine(sample('LEEF 2.0, tab delimiter, no delimiter field'))).toMatchObject({
      format: 'LEEF',
      formatVersion: '2.0',
      signatureId: 21,
      name: 'Deny SMB',
      severity: 5,
      spt: 40000,
      dpt: 445,
      act: 'Deny',
    });
    expect(parseEventLine(sample('LEEF 2.0, custom ^'))).toMatchObject({ name: 'Generic SQL Injection Prevention', dpt: 1433, act: 'IDS:Reset' });
    const x09 = parseEventLine(sample('LEEF 2.0, tab delimiter given as x09'))!;
    expect(x09).toMatchObject({ module: 'anti-malware', act: 'Terminate' });
    expect(x09.extension.filePath).toBe('C:\\Windows\\virus.exe');
  });

  it('names the host by Host ID when neither the event nor the syslog header does', () => {
    expect(parseEventLine(sample('RFC 5424 nil host'))).toMatchObject({ syslogHost: null, host: 'host-id:106' });
  });

  it('returns null for lines without an event', () => {
    for (const line of NOISE) expect(parseEventLine(line)).toBeNull();
    expect(parseEventLine('')).toBeNull();
  });
});
