/** A small XML writer: elements with attributes and children, escaped as XML 1.0 §2.4 and §3.3.3 ask. */
export type XmlNode = XmlElement | { comment: string };
export interface XmlElement {
  name: string;
  attrs?: Record<string, string | number | undefined>;
  children?: XmlNode[];
  text?: string;
}

const escapeText = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const escapeAttr = (text: string) => escapeText(text).replaceAll("'", '&apos;').replaceAll('"', '&quot;');

export function el(
  name: string,
  attrs: XmlElement['attrs'] = {},
  children: (XmlNode | null | false)[] = [],
): XmlElement {
  return { name, attrs, children: children.filter((c): c is XmlNode => c !== null && c !== false) };
}

export function textEl(name: string, text: string, attrs: XmlElement['attrs'] = {}): XmlElement {
  return { name, attrs, text };
}

export function renderXml(node: XmlNode, indent = ''): string {
  if ('comment' in node) {
    // "--" may not appear inside a comment (XML 1.0 §2.5).
    const body = node.comment.replaceAll('--', '- -');
    return body.includes('\n')
      ? `${indent}<!--\n${body
          .split('\n')
          .map((line) => (line ? `${indent}  ${line}` : ''))
          .join('\n')}\n${indent}-->\n`
      : `${indent}<!-- ${body} -->\n`;
  }
  const attrs = Object.entries(node.attrs ?? {})
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}='${escapeAttr(String(v))}'`)
    .join('');
  if (node.text !== undefined)
    return `${indent}<${node.name}${attrs}>${escapeText(node.text)}</${node.name}>\n`;
  const children = node.children ?? [];
  if (children.length === 0) return `${indent}<${node.name}${attrs}/>\n`;
  return `${indent}<${node.name}${attrs}>\n${children.map((c) => renderXml(c, `${indent}  `)).join('')}${indent}</${node.name}>\n`;
}
