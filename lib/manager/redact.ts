/**
 * What came from the manager is untrusted text. Two defences, applied where it enters and where
 * it leaves:
 * - `redactor`: every string the server sends is scrubbed of the API key (in the forms a server
 *   or proxy would echo it: as sent, JSON-escaped, URL-encoded, base64) before anything else sees
 *   it, whatever the key's length — a short key is still a key.
 * - `printable`: a server-provided name is shown with control characters escaped, so a display
 *   name cannot move the cursor, recolour the terminal, fake an extra output line or reorder text.
 */

/** C0 and C1 controls, DEL, zero-width and bidirectional formatting characters, BOM. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** `s` with every unsafe character as a visible `\xNN` / `\u{NNNN}` escape. */
export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Control characters escaped, cut to `max` characters. */
export function shown(s: string, max = 200): string {
  const p = printable(s);
  return p.length > max ? `${p.slice(0, max)}…` : p;
}

/** What JSON.stringify leaves raw but a terminal acts on: DEL, C1, zero-width and bidi characters (C0 it escapes itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Escapes those inside already serialised JSON (they can only be inside strings there, so the data is unchanged). */
export function printableJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export type Redact = (s: string) => string;

/** The marker that replaces the key: one that cannot itself contain the key. */
function markerFor(secret: string): string {
  for (const m of ['***', '###', '~~~', '!!!']) if (!secret.includes(m[0])) return m;
  return '';
}

export function redactor(secret: string): Redact {
  const forms = [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64')])]
    .filter((f) => f.length > 0)
    .sort((a, b) => b.length - a.length);
  const marker = markerFor(secret);
  return (s) => {
    let out = s;
    for (const f of forms) if (out.includes(f)) out = out.split(f).join(marker);
    return out;
  };
}

/** A parsed JSON value with every string (keys included) passed through `redact`. */
export function redactDeep(value: unknown, redact: Redact): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = redactDeep(value[i], redact);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redact(k)] = redactDeep(v, redact);
    return out;
  }
  return value;
}
