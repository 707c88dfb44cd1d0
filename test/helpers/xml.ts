import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** The element's own text, entities decoded. */
  text: string;
  children: XmlElement[];
  parent: XmlElement | null;
}

type Ordered = Record<string, unknown>;

/**
 * Parse XML with a real parser (fast-xml-parser): throws unless the document is
 * well-formed, and returns the root element as a plain tree.
 */
export function parseXml(xml: string): XmlElement {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: false,
    ignoreDeclaration: true,
    commentPropName: '#comment',
  });
  const nodes = parser.parse(xml) as Ordered[];
  const build = (node: Ordered, parent: XmlElement | null): XmlElement | null => {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (!name || name === '#text' || name === '#comment') return null;
    const element: XmlElement = { name, attributes: (node[':@'] as Record<string, string> | undefined) ?? {}, text: '', children: [], parent };
    for (const child of (node[name] as Ordered[] | undefined) ?? []) {
      if ('#text' in child) element.text += String(child['#text']);
      const built = build(child, element);
      if (built) element.children.push(built);
    }
    return element;
  };
  const roots = nodes.map((n) => build(n, null)).filter((e): e is XmlElement => e !== null);
  if (roots.length !== 1 || !roots[0]) throw new Error(`expected one root element, got ${roots.length}`);
  return roots[0];
}

/** Every element under (and including) root, document order. */
export function descendants(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(descendants)];
}

/** All text under an element, concatenated. */
export function textOf(element: XmlElement): string {
  return element.text + element.children.map(textOf).join('');
}
