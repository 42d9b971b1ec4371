/**
 * Turning events into the JSON text stored in the log's `raw` column.
 *
 * JSON.stringify escapes a lone UTF-16 surrogate as `\udXXX`, which is valid
 * JavaScript but not valid JSON text for DuckDB's JSON type (it refuses the
 * whole INSERT, and with it every request of the commit). Such escapes are
 * replaced by `\ufffd`, the Unicode replacement character.
 */

// A `\uD800`-`\uDFFF` escape preceded by an even number of backslashes (a real escape, not an escaped backslash).
const SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u[dD][89a-fA-F][0-9a-fA-F]{2}/g;

/** Serialize a value as JSON text that DuckDB's JSON type accepts. Throws on values JSON.stringify can't handle (cycles). */
export function toStoredJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('value is not serializable as JSON');
  return fixLoneSurrogates(text);
}

/**
 * Replace escaped lone surrogates in JSON text produced by JSON.stringify,
 * which writes well-formed surrogate pairs as characters and escapes only
 * lone surrogates: every surrogate escape in its output is a lone one.
 */
export function fixLoneSurrogates(text: string): string {
  // A cheap pre-check (a plain substring search) before the regular expressions: most texts have no escape at all.
  if (!text.includes('\\ud') && !text.includes('\\uD')) return text;
  if (!/\\u[dD][89a-fA-F]/.test(text)) return text;
  return text.replace(SURROGATE_ESCAPE, '$1\\ufffd');
}
const PREVIEW_CHARS = 2048;

/**
 * What a rejected event looked like, as JSON text no bigger than `maxChars`
 * (default 2 KiB): the full JSON when it fits, else a JSON object
 * `{"truncated":true,"bytes":N,"preview":"<first characters>"}`.
 */
export function previewPayload(value: unknown, maxChars = PREVIEW_CHARS): string {
  let text: string;
  try {
    text = toStoredJson(value === undefined ? null : value);
  } catch (err) {
    return toStoredJson({ unserializable: true, message: (err as Error).message.slice(0, 200) });
  }
  if (text.length <= maxChars) return text;
  return toStoredJson({ truncated: true, bytes: Buffer.byteLength(text), preview: text.slice(0, maxChars) });
}
