/** Event times of exported lines, for offline reports. */
import { exportedLine } from '../../lib/events/exported';
import { eventTimeOf } from '../../lib/events/time';

const NOW = new Date('2025-01-10T00:00:00Z');
const iso = (t: Date | null) => t?.toISOString() ?? null;

describe('eventTimeOf', () => {
  it('prefers the CEF rt extension (epoch ms, or text with a zone)', () => {
    expect(iso(eventTimeOf('<134>Jan 09 01:00:00 h CEF:0|a|b|c|21|n|5|rt=1704067200000 act=Deny', NOW))).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(eventTimeOf('CEF:0|a|b|c|21|n|5|rt=Mar 09 2024 17:05:21 GMT+09:00 act=Deny', NOW))).toBe('2024-03-09T08:05:21.000Z');
  });

  it('reads RFC 5424 timestamps with and without a zone', () => {
    expect(iso(eventTimeOf('<134>1 2024-11-27T07:15:00+09:00 h app - - - CEF:0|a', NOW))).toBe('2024-11-26T22:15:00.000Z');
    expect(iso(eventTimeOf('2024-11-27 07:15:00 h CEF:0|a', NOW))).toBe('2024-11-27T07:15:00.000Z');
  });

  it('gives BSD timestamps the latest year not after now (a December line read in January is last year)', () => {
    expect(iso(eventTimeOf('<134>Jan  9 23:00:00 h CEF:0|a', NOW))).toBe('2025-01-09T23:00:00.000Z');
    expect(iso(eventTimeOf('Dec 31 23:59:59 h CEF:0|a', NOW))).toBe('2024-12-31T23:59:59.000Z');
  });

  it('returns null when the line has no time', () => {
    expect(eventTimeOf('CEF:0|a|b|c|21|n|5|act=Deny', NOW)).toBeNull();
  });
});

describe('exportedLine', () => {
  it('unwraps Cloud Logging exports (textPayload, timestamp)', () => {
    const e = exportedLine(JSON.stringify({ textPayload: 'CEF:0|x', timestamp: '2024-11-27T07:15:00.5Z' }), NOW);
    expect(e).toEqual({ line: 'CEF:0|x', eventTime: new Date('2024-11-27T07:15:00.5Z') });
  });

  it('unwraps CloudWatch Logs events (message, timestamp in ms)', () => {
    const e = exportedLine(JSON.stringify({ message: 'CEF:0|y\n', timestamp: 1704067200000 }), NOW);
    expect(e).toEqual({ line: 'CEF:0|y', eventTime: new Date(1704067200000) });
  });

  it('keeps a line that only looks like JSON as it is', () => {
    expect(exportedLine('{not json CEF:0|z', NOW)).toEqual({ line: '{not json CEF:0|z', eventTime: null });
  });
});
