/**
 * Make peer-supplied text safe to log and display: control and 8-bit bytes (line breaks
 * included) become \xNN, and it is cut to a bound with a note of how much was cut.
 */
export function printable(text: string, max: number): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  // eslint-disable-next-line no-control-regex
  const escaped = cut.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length > max ? `${escaped}…[${text.length - max} more]` : escaped;
}
