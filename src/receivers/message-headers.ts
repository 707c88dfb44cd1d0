/** The header section of a message: everything before the first empty line (RFC 5322 §2.1). */
export function headerSection(message: Buffer, maxBytes: number): string {
  const end = findHeaderEnd(message);
  const slice = message.subarray(0, Math.min(end, maxBytes));
  return slice.toString('utf8');
}

function findHeaderEnd(message: Buffer): number {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  const candidates = [crlf, lf].filter((i) => i >= 0);
  return candidates.length > 0 ? Math.min(...candidates) : message.length;
}

/** The value of the first header field with this name, unfolded (RFC 5322 §2.2.3), or null. */
export function headerValue(headers: string, name: string): string | null {
  const lower = `${name.toLowerCase()}:`;
  const lines = headers.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.toLowerCase().startsWith(lower)) continue;
    let value = line.slice(lower.length);
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1] ?? '')) value += ` ${(lines[++i] ?? '').trim()}`;
    return value.trim();
  }
  return null;
}
