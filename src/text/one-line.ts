/** Whitespace (line breaks included) collapsed to single spaces, trimmed: a message that must stay on one line; at most `max` characters when given. */
export function oneLine(text: string, max?: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return max === undefined ? line : line.slice(0, max);
}
