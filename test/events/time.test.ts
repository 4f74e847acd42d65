/** Event times: the line's own (rt, then the syslog timestamp), else the source's, by the SQL's rules. */
import { exportedLine } from '../../lib/events/exported';
import { eventTimeOf } from '../../lib/events/time';

const NOW = new Date('2025-01-10T00:00:00Z');
const iso = (t: Date | null) => t?.toISOString() ?? null;
const EVENT = 'CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|act=Deny';

describe('eventTimeOf', () => {
  it('prefers the CEF rt extension (epoch ms, or text with a zone)', () => {
    expect(iso(eventTimeOf(`<134>Jan 09 01:00:00 h ${EVENT} rt=1704067200000`, NOW))).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(eventTimeOf(`${EVENT} rt=Mar 09 2024 17:05:21 GMT+09:00`, NOW))).toBe('2024-03-09T08:05:21.000Z');
    expect(iso(eventTimeOf(`${EVENT} rt=Mar 9 2024 17:05:21 UTC-0130`, NOW))).toBe('2024-03-09T18:35:21.000Z');
  });

  it('an rt of the right shape but impossible fields gives no time (it does not fall back to the header)', () => {
    expect(eventTimeOf(`<134>Jan 09 01:00:00 h ${EVENT} rt=Mar 09 2024 25:05:21`, NOW)).toBeNull();
    // an rt of neither shape is ignored
    expect(iso(eventTimeOf(`<134>Jan 09 01:00:00 h ${EVENT} rt=soon`, NOW))).toBe('2025-01-09T01:00:00.000Z');
  });

  it('reads RFC 5424 timestamps with and without a zone, fractions to the millisecond', () => {
    expect(iso(eventTimeOf(`<134>1 2024-11-27T07:15:00+09:00 h app - - - ${EVENT}`, NOW))).toBe('2024-11-26T22:15:00.000Z');
    expect(iso(eventTimeOf(`<134>1 2024-11-27T07:15:00.123456-0530 h app - - - ${EVENT}`, NOW))).toBe('2024-11-27T12:45:00.123Z');
    expect(iso(eventTimeOf(`2024-11-27 07:15:00 h ${EVENT}`, NOW))).toBe('2024-11-27T07:15:00.000Z');
  });

  it('gives BSD timestamps the latest year not after now (a December line read in January is last year)', () => {
    expect(iso(eventTimeOf(`<134>Jan  9 23:00:00 h ${EVENT}`, NOW))).toBe('2025-01-09T23:00:00.000Z');
    expect(iso(eventTimeOf(`Dec 31 23:59:59 h ${EVENT}`, NOW))).toBe('2024-12-31T23:59:59.000Z');
    // Feb 29 of a leap year, read in the next year
    expect(iso(eventTimeOf(`Feb 29 12:00:00 h ${EVENT}`, new Date('2025-01-10T00:00:00Z')))).toBe('2024-02-29T12:00:00.000Z');
  });

  it('returns null when the line has no time, or no event', () => {
    expect(eventTimeOf(EVENT, NOW)).toBeNull();
    expect(eventTimeOf('<134>Jan 09 01:00:00 h no event here', NOW)).toBeNull();
  });
});

describe('exportedLine', () => {
  it('unwraps Cloud Logging exports (textPayload, timestamp as the fallback)', () => {
    const e = exportedLine(JSON.stringify({ textPayload: EVENT, timestamp: '2024-11-27T07:15:00.5Z' }), NOW);
    expect(e).toEqual({ line: EVENT, eventTime: new Date('2024-11-27T07:15:00.5Z') });
  });

  it("the line's own time wins over the record's", () => {
    const e = exportedLine(JSON.stringify({ textPayload: `<134>1 2024-11-27T07:00:00Z h - - - - ${EVENT}`, timestamp: '2024-11-27T07:15:00Z' }), NOW);
    expect(e.eventTime).toEqual(new Date('2024-11-27T07:00:00Z'));
  });

  it('unwraps CloudWatch Logs events (message, timestamp in ms)', () => {
    const e = exportedLine(JSON.stringify({ message: `${EVENT}\n`, timestamp: 1704067200000 }), NOW);
    expect(e).toEqual({ line: EVENT, eventTime: new Date(1704067200000) });
  });

  it('keeps a line that only looks like JSON as it is', () => {
    expect(exportedLine('{not json CEF:0|z', NOW)).toEqual({ line: '{not json CEF:0|z', eventTime: null });
  });
});
