/**
 * `dskit events report --html FILE`: the reports as one self-contained page. Charts are inline
 * SVG drawn here, styles inline, no script and nothing fetched at view time (a Content Security
 * Policy forbids it), so the file opens the same offline, in a mail attachment or an archive.
 */
import { EVENT_MODULES } from './modules';
import { GEOIP_ATTRIBUTION } from './geoip';
import type { Cell, ReportResult } from './offline';
import type { OfflineRun } from './offline-command';
import type { ReportId } from './reports';

const esc = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const show = (cell: Cell) => (cell === null ? '–' : String(cell));
const fmt = (n: number) => n.toLocaleString('en-US');

/** One colour per module, in EVENT_MODULES order (colour-blind-friendly, Okabe–Ito). */
const MODULE_COLOURS = ['#E69F00', '#0072B2', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#F0E442', '#7F3C8D', '#999999'];
const BAR = '#0072B2';
const ALT = '#D55E00';

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly colour?: string;
  readonly note?: string;
}

/** Horizontal bars, longest first as given. */
function barChart(id: string, title: string, bars: readonly Bar[], unit = 'events'): string {
  if (bars.length === 0) return emptyChart(id, title);
  const width = 720;
  const labelWidth = 260;
  const row = 22;
  const height = bars.length * row + 10;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const items = bars
    .map((b, i) => {
      const w = Math.max(1, Math.round(((width - labelWidth - 90) * b.value) / max));
      const y = 5 + i * row;
      return (
        `<g class="bar-row"><text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" class="label">${esc(b.label.length > 40 ? `${b.label.slice(0, 39)}…` : b.label)}</text>` +
        `<rect class="bar" x="${labelWidth}" y="${y + 3}" width="${w}" height="${row - 6}" fill="${b.colour ?? BAR}"><title>${esc(b.label)}: ${fmt(b.value)} ${unit}${b.note ? ` (${esc(b.note)})` : ''}</title></rect>` +
        `<text x="${labelWidth + w + 6}" y="${y + 15}" class="value">${fmt(b.value)}</text></g>`
      );
    })
    .join('');
  return chartSection(id, title, `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${items}</svg>`);
}

function emptyChart(id: string, title: string): string {
  return chartSection(id, title, '<p class="empty">No events for this chart.</p>');
}

function chartSection(id: string, title: string, body: string, extra = ''): string {
  return `<section class="chart" id="chart-${id}" data-chart="${id}"><h2>${esc(title)}</h2>${body}${extra}</section>`;
}

/** Stacked bars per hour, one colour per module, with a legend. */
function timeChart(result: ReportResult | undefined): string {
  const id = 'events-over-time';
  const title = 'Events over time, by module';
  const rows = result?.rows.filter((r) => r.hour !== null) ?? [];
  if (rows.length === 0) return emptyChart(id, title);
  const hours = [...new Set(rows.map((r) => String(r.hour)))].sort();
  const byHour = new Map(hours.map((h) => [h, new Map<string, number>()]));
  for (const r of rows) byHour.get(String(r.hour))!.set(String(r.module), Number(r.events));
  const totals = hours.map((h) => [...byHour.get(h)!.values()].reduce((a, b) => a + b, 0));
  const max = Math.max(...totals, 1);
  const width = 900;
  const plotH = 220;
  const left = 60;
  const step = (width - left - 10) / hours.length;
  const barW = Math.max(1, step * 0.85);
  const bars: string[] = [];
  hours.forEach((h, i) => {
    let y = plotH;
    for (const [m, module] of EVENT_MODULES.entries()) {
      const n = byHour.get(h)!.get(module) ?? 0;
      if (n === 0) continue;
      const bh = (plotH * n) / max;
      y -= bh;
      bars.push(`<rect class="bar" data-module="${module}" x="${(left + i * step).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(bh, 0.5).toFixed(1)}" fill="${MODULE_COLOURS[m]}"><title>${esc(h)} ${module}: ${fmt(n)}</title></rect>`);
    }
  });
  const axis =
    `<line x1="${left}" y1="${plotH}" x2="${width - 10}" y2="${plotH}" class="axis"/>` +
    `<text x="${left - 6}" y="12" text-anchor="end" class="value">${fmt(max)}</text><text x="${left - 6}" y="${plotH}" text-anchor="end" class="value">0</text>` +
    `<text x="${left}" y="${plotH + 16}" class="label">${esc(hours[0])}</text><text x="${width - 10}" y="${plotH + 16}" text-anchor="end" class="label">${esc(hours[hours.length - 1])}</text>`;
  const present = EVENT_MODULES.filter((m) => rows.some((r) => r.module === m));
  const legend = `<ul class="legend">${present.map((m) => `<li><span class="swatch" style="background:${MODULE_COLOURS[EVENT_MODULES.indexOf(m)]}"></span>${esc(m)}</li>`).join('')}</ul>`;
  return chartSection(id, title, `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${plotH + 24}" width="${width}" height="${plotH + 24}">${axis}${bars.join('')}</svg>`, legend);
}

/** Hosts by hour as a heat map: a row per host, darker for busier hours. */
function hostChart(result: ReportResult | undefined): string {
  const id = 'host-activity';
  const title = 'Activity per host';
  const rows = result?.rows.filter((r) => r.hour !== null && r.host !== null) ?? [];
  if (rows.length === 0) return emptyChart(id, title);
  const hosts = [...new Set(rows.map((r) => String(r.host)))].sort();
  const hours = [...new Set(rows.map((r) => String(r.hour)))].sort();
  const hourIndex = new Map(hours.map((h, i) => [h, i]));
  const max = Math.max(...rows.map((r) => Number(r.events)), 1);
  const width = 900;
  const left = 220;
  const row = 18;
  const cell = (width - left - 10) / hours.length;
  const cells = rows
    .map((r) => {
      const x = left + hourIndex.get(String(r.hour))! * cell;
      const y = hosts.indexOf(String(r.host)) * row;
      const opacity = (0.15 + (0.85 * Number(r.events)) / max).toFixed(2);
      return `<rect class="cell" x="${x.toFixed(1)}" y="${y + 2}" width="${Math.max(cell, 1).toFixed(1)}" height="${row - 4}" fill="${BAR}" fill-opacity="${opacity}"><title>${esc(String(r.host))} ${esc(String(r.hour))}: ${fmt(Number(r.events))}</title></rect>`;
    })
    .join('');
  const labels = hosts.map((h, i) => `<text x="${left - 8}" y="${i * row + 13}" text-anchor="end" class="label">${esc(h)}</text>`).join('');
  const height = hosts.length * row + 4;
  return chartSection(id, title, `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${labels}${cells}</svg>`);
}

function table(result: ReportResult): string {
  const names = result.columns.map((c) => c.name);
  const numeric = result.columns.map((c) => c.type === 'integer');
  const head = names.map((n, i) => `<th${numeric[i] ? ' class="num"' : ''}>${esc(n)}</th>`).join('');
  const body = result.rows.length === 0
    ? `<tr><td colspan="${names.length}" class="empty">(no events)</td></tr>`
    : result.rows.map((r) => `<tr>${names.map((n, i) => `<td${numeric[i] ? ' class="num"' : ''}>${esc(show(r[n]))}</td>`).join('')}</tr>`).join('');
  return `<details class="report" data-report="${result.id}"><summary>${esc(result.title)} <code>${result.id}</code> (${fmt(result.rows.length)} rows)</summary><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></details>`;
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:960px;color:#1b1b1b;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}
.summary{color:#444;margin:0 0 20px}.summary span{margin-right:18px}
.chart{border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin:0 0 16px;background:#fafafa}
svg{display:block;max-width:100%;height:auto}
.label{font-size:12px;fill:#333}.value{font-size:11px;fill:#555}.axis{stroke:#999}
.legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:12px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.empty{color:#777;font-style:italic}
details.report{margin:6px 0}summary{cursor:pointer}
table{border-collapse:collapse;margin:8px 0;font-size:12px}th,td{border-bottom:1px solid #eee;padding:2px 8px;text-align:left}
.num{text-align:right}.note{color:#666;font-size:12px}
`;

export function renderHtmlReport(results: readonly ReportResult[], input: OfflineRun['input'], generatedAt: Date = new Date()): string {
  const by = (id: ReportId) => results.find((r) => r.id === id);
  const top = (id: ReportId, n = 15) => by(id)?.rows.slice(0, n) ?? [];
  const perHour = by('events-per-host-hour')?.rows ?? [];
  const hours = perHour.map((r) => r.hour).filter((h): h is string => typeof h === 'string').sort();
  const span = hours.length > 0 ? `${hours[0]} – ${hours[hours.length - 1]}` : 'no times';

  const sources = top('top-source-ips').map((r) => ({ label: String(r.source_ip), value: Number(r.events), note: `${r.hosts} hosts` }));
  const countries = top('source-countries').map((r) => ({ label: r.country === null ? 'unknown' : String(r.country), value: Number(r.events), note: `${r.sources} sources` }));
  const ports = top('top-destination-ports').map((r) => ({
    label: `${r.destination_port}/${r.protocol ?? '?'}${r.service ? ` ${r.service}` : ''}`,
    value: Number(r.events),
  }));
  const rules = top('ips-rules-hit').map((r) => ({
    label: `${r.rule_id} ${r.rule_name ?? ''} (${r.action ?? '?'})`,
    value: Number(r.events),
    // Detect-only (IDS:...) in blue, prevented in orange: what a rule rollout watches.
    colour: String(r.action ?? '').startsWith('IDS:') ? BAR : ALT,
  }));
  const denies = top('firewall-denies').map((r) => ({ label: `${r.reason ?? '?'} (${r.action ?? '?'})`, value: Number(r.events) }));
  const users = top('users-tried').map((r) => ({ label: String(r.user_name), value: Number(r.events), note: `${r.sources} sources` }));

  const charts = [
    timeChart(by('events-per-module-hour')),
    barChart('top-sources', 'Top sources', sources),
    barChart('source-countries', 'Source countries', countries).replace('</section>', `<p class="note">${esc(GEOIP_ATTRIBUTION)}</p></section>`),
    barChart('destination-ports', 'Destination ports and services', ports),
    barChart('ips-rules', 'IPS rules hit (blue: detect only, orange: prevented)', rules),
    barChart('firewall-denies', 'Firewall denies by reason', denies),
    barChart('users-tried', 'User names tried', users),
    hostChart(by('events-per-host-hour')),
  ].join('\n');

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dskit events report</title><style>${CSS}</style></head>
<body>
<h1>Deep Security events</h1>
<p class="summary"><span>${fmt(input.events)} events</span><span>${fmt(input.lines)} lines</span><span>${fmt(input.files)} file${input.files === 1 ? '' : 's'}</span><span>${esc(span)}</span><span>generated ${esc(generatedAt.toISOString().replace(/\.\d+Z$/, 'Z'))} by dskit</span></p>
${charts}
<section class="tables"><h2>Reports</h2>${results.map(table).join('\n')}</section>
</body></html>
`;
}
