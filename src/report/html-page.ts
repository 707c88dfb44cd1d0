import { createHash } from 'node:crypto';

/** No fetch of any kind: the only thing a page allows is its own inline stylesheet, by hash. */
export function selfContainedCsp(css: string): string {
  return `default-src 'none'; style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'; base-uri 'none'; form-action 'none'`;
}

/**
 * A self-contained HTML page (the report, the comparison): its CSP, no referrer, a phone's
 * viewport, one inline stylesheet, and `main` as given. `title` is already escaped.
 */
export function htmlPage(page: { title: string; css: string; main: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${selfContainedCsp(page.css)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<style>${page.css}</style>
</head>
<body>
<main>
${page.main}</main>
</body>
</html>
`;
}
