/** Whitespace (line breaks included) collapsed to single spaces, trimmed: a message that must stay on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
