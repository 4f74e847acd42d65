/**
 * `dskit events report --html`: one self-contained page, rendered for real in headless Chromium
 * (Debian's `chromium`, installed by .ci/run): every chart drawn, nothing fetched, no console
 * error, and the screenshot's structure (the chart panels and their bars, found by colour)
 * matching the page's layout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { renderHtmlReport } from '../../lib/events/html';
import type { ReportResult } from '../../lib/events/offline';
import { runDskit } from '../helpers/cli';
import { SAMPLES } from './samples';

const CHROMIUM = process.env.DSKIT_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium && process.env.CI !== 'true') {
  console.warn(`SKIPPING the HTML report's browser test: no Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it)`);
}
const browserIt = haveChromium || process.env.CI === 'true' ? it : it.skip;

const CHARTS = ['events-over-time', 'top-sources', 'source-countries', 'destination-ports', 'ips-rules', 'firewall-denies', 'users-tried', 'host-activity'];

describe('renderHtmlReport', () => {
  const result = (rows: ReportResult['rows']): ReportResult => ({
    id: 'ips-rules-hit',
    title: 'IPS rules hit',
    columns: [
      { name: 'rule_id', type: 'integer' },
      { name: 'rule_name', type: 'text' },
      { name: 'action', type: 'text' },
      { name: 'events', type: 'integer' },
    ],
    rows,
  });
  const html = renderHtmlReport([result([{ rule_id: 1, rule_name: '<script>alert(1)</script> & "x"', action: 'IDS:Reset', events: 3 }])], { files: 1, lines: 3, events: 3, untimed: 0, cachedFiles: 0 });

  it('escapes what the events say (a rule name is text, never markup)', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
  });

  it('loads nothing from anywhere: a policy forbids it, and no address is in the page', () => {
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(html).not.toMatch(/\b(?:src|href)=|https?:\/\/|@import|url\(/);
  });

  it('says so when a chart has nothing to show', () => {
    expect(html).toContain('<section class="chart" id="chart-top-sources" data-chart="top-sources"><h2>Top sources</h2><p class="empty">No events for this chart.</p></section>');
  });
});

describe('dskit events report --html, in headless Chromium', () => {
  let dir: string;
  let page: string;
  let cli: ReturnType<typeof runDskit>;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-html-'));
    const lines = SAMPLES.map(({ line, time }) => line.replace(/^(?:<\d+>)?(?:1 \S+ |[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d )?/, `<134>1 ${time} `));
    fs.writeFileSync(path.join(dir, 'events.log'), lines.join('\n') + '\n');
    page = path.join(dir, 'report.html');
    cli = runDskit(['events', 'report', '--no-cache', '--from', path.join(dir, 'events.log'), '--html', page]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the page and says where', () => {
    expect(cli.code).toBe(0);
    expect(cli.stderr).toContain(`wrote the HTML report to ${page}`);
    expect(cli.stdout).toBe('');
  });

  browserIt('renders every chart, fetches nothing, logs no error, and its screenshot has the page\'s structure', async () => {
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const tab = await browser.newPage({ viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
      const requests: string[] = [];
      const problems: string[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      tab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      tab.on('pageerror', (e) => problems.push(e.message));
      await tab.goto(`file://${page}`);
      expect(requests).toEqual([`file://${page}`]);
      expect(problems).toEqual([]);

      // The structure the page declares: one panel per chart, each with its bars.
      expect(await tab.locator('section.chart').evaluateAll((s) => s.map((e: any) => e.dataset.chart))).toEqual(CHARTS);
      const boxes = await tab.locator('section.chart').evaluateAll((sections) =>
        sections.map((s: any) => {
          const r = s.getBoundingClientRect();
          return { id: (s as any).dataset.chart as string, x: r.x + (globalThis as any).scrollX, y: r.y + (globalThis as any).scrollY, w: r.width, h: r.height, bars: s.querySelectorAll('rect.bar, rect.cell').length };
        }),
      );
      for (const b of boxes) expect([b.id, b.bars > 0]).toEqual([b.id, true]);
      expect(await tab.locator('details.report').count()).toBe(8);
      expect(await tab.locator('#chart-events-over-time .legend li').allTextContents()).toEqual(expect.arrayContaining(['firewall', 'intrusion-prevention', 'anti-malware']));

      // The structure the screenshot shows: panels found by their background, bars by colour.
      const png = PNG.sync.read(await tab.screenshot({ fullPage: true }));
      const at = (x: number, y: number) => {
        const i = (png.width * Math.round(y) + Math.round(x)) * 4;
        return [png.data[i], png.data[i + 1], png.data[i + 2]];
      };
      const isPanel = ([r, g, b]: number[]) => r === 250 && g === 250 && b === 250;
      const isBar = ([r, g, b]: number[]) => Math.abs(r - 0x00) < 30 && Math.abs(g - 0x72) < 30 && Math.abs(b - 0xb2) < 30;
      // Walk down a column just inside the panels' left edge: each run of panel background is a panel.
      const x = boxes[0].x + 6;
      const runs: Array<{ top: number; bottom: number }> = [];
      for (let y = 0; y < png.height; y++) {
        const inside = isPanel(at(x, y));
        const last = runs[runs.length - 1];
        if (inside && last && last.bottom === y - 1) last.bottom = y;
        else if (inside) runs.push({ top: y, bottom: y });
      }
      const panels = runs.filter((r) => r.bottom - r.top > 40);
      expect(panels).toHaveLength(CHARTS.length);
      panels.forEach((p, i) => {
        expect(Math.abs(p.top - boxes[i].y)).toBeLessThanOrEqual(3);
        expect(Math.abs(p.bottom - (boxes[i].y + boxes[i].h))).toBeLessThanOrEqual(3);
      });
      // Every bar chart panel shows bar-coloured pixels; the page outside the panels is white.
      for (const b of boxes.filter((b) => ['top-sources', 'destination-ports', 'ips-rules', 'host-activity'].includes(b.id))) {
        let barPixels = 0;
        for (let y = b.y; y < b.y + b.h; y += 2) for (let xx = b.x; xx < b.x + b.w; xx += 2) if (isBar(at(xx, y))) barPixels++;
        expect([b.id, barPixels > 50]).toEqual([b.id, true]);
      }
      expect(at(boxes[0].x + boxes[0].w + 10, boxes[0].y + 20)).toEqual([255, 255, 255]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
