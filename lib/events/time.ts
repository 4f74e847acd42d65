/**
 * When an exported line's event happened, for offline reports (the clouds' tables carry the
 * ingestion time; exported files carry only the line). Reads, in order: the CEF `rt` extension,
 * an ISO 8601 syslog timestamp (RFC 5424), then a BSD syslog timestamp (RFC 3164, which has no
 * year or zone: UTC, as the sandbox VMs run, and the most recent such date not after `now`).
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const ISO_HEADER = /^(?:<\d{1,3}>)?(?:\d{1,2} )?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)/;
const BSD_HEADER = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)/;
const RT_EPOCH_MS = /[| ]rt=(\d{12,14})(?: |$)/;
const RT_TEXT = /[| ]rt=([A-Z][a-z]{2}) (\d{1,2}) (\d{4}) (\d\d):(\d\d):(\d\d)(?: (?:GMT|UTC)([+-]\d\d):?(\d\d))?/;

function isoTime(text: string): Date | null {
  let normalized = text.replace(' ', 'T');
  if (!/(?:Z|[+-]\d\d:?\d\d)$/.test(normalized)) normalized += 'Z';
  const t = new Date(normalized);
  return Number.isNaN(t.getTime()) ? null : t;
}

export function eventTimeOf(line: string, now: Date = new Date()): Date | null {
  const epoch = RT_EPOCH_MS.exec(line);
  if (epoch) return new Date(Number(epoch[1]));
  const rt = RT_TEXT.exec(line);
  if (rt) {
    const month = MONTHS.indexOf(rt[1]);
    if (month >= 0) {
      const offsetMinutes = rt[7] ? Number(rt[7]) * 60 + Math.sign(Number(rt[7]) || 1) * Number(rt[8]) : 0;
      const utc = Date.UTC(Number(rt[3]), month, Number(rt[2]), Number(rt[4]), Number(rt[5]), Number(rt[6]));
      return new Date(utc - offsetMinutes * 60_000);
    }
  }
  const iso = ISO_HEADER.exec(line);
  if (iso) return isoTime(iso[1]);
  const bsd = BSD_HEADER.exec(line);
  if (bsd) {
    const month = MONTHS.indexOf(bsd[1]);
    if (month < 0) return null;
    const at = (year: number) => Date.UTC(year, month, Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5]));
    const year = now.getUTCFullYear();
    // A day of slack for clocks; anything later must be last year's (a December line read in January).
    const t = at(year) > now.getTime() + 86_400_000 ? at(year - 1) : at(year);
    return new Date(t);
  }
  return null;
}
