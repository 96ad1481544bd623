// The text of mail templates: {{placeholders}} and sections that show only when a value is
// there ({{#managerDisplayName}}…{{/managerDisplayName}}) or only when it is not ({{^…}}…{{/…}}).
//
// Grammar:
//   template := ( text | placeholder | section )*
//   placeholder := "{{" ws name ws "}}"
//   section := "{{" ws ("#" | "^") name ws "}}" template "{{" ws "/" name ws "}}"
//   name := letter+
// A placeholder whose value is missing is never rendered silently: rendering reports it.

export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'value'; name: string }
  | { kind: 'section'; name: string; inverted: boolean; body: TemplateNode[] };

export class TemplateSyntaxError extends Error {}

const tag = /\{\{\s*([#^/]?)\s*([A-Za-z]+)\s*\}\}/g;

/** Sections nest at most this deep; deeper is a mistake (and must not exhaust the stack). */
const maxDepth = 8;

export function parseTemplateText(text: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const open: { name: string; body: TemplateNode[] }[] = [];
  let current = root;
  let last = 0;
  const pushText = (chunk: string) => {
    if (!chunk) return;
    if (/\{\{|\}\}/.test(chunk)) throw new TemplateSyntaxError('a "{{" or "}}" that is not a placeholder');
    current.push({ kind: 'text', text: chunk });
  };
  for (const match of text.matchAll(tag)) {
    pushText(text.slice(last, match.index));
    last = match.index + match[0].length;
    const [, sigil, name] = match as unknown as [string, string, string];
    if (sigil === '#' || sigil === '^') {
      if (open.length >= maxDepth) throw new TemplateSyntaxError(`sections nest deeper than ${maxDepth}`);
      const section: TemplateNode = { kind: 'section', name, inverted: sigil === '^', body: [] };
      current.push(section);
      open.push({ name, body: current });
      current = section.body;
    } else if (sigil === '/') {
      const closing = open.pop();
      if (!closing || closing.name !== name) throw new TemplateSyntaxError(`{{/${name}}} closes no open {{#${name}}} section`);
      current = closing.body;
    } else {
      current.push({ kind: 'value', name });
    }
  }
  pushText(text.slice(last));
  if (open.length > 0) throw new TemplateSyntaxError(`the section {{#${open[open.length - 1]!.name}}} is never closed`);
  return root;
}

/** Every name a template mentions, in placeholders and section tags. */
export function templateNames(nodes: TemplateNode[]): string[] {
  return nodes.flatMap((node) => (node.kind === 'text' ? [] : node.kind === 'value' ? [node.name] : [node.name, ...templateNames(node.body)]));
}

const present = (value: string | undefined) => value !== undefined && value !== '';

/** Fills the template; answers the names of placeholders that would have rendered empty. */
export function renderTemplateText(nodes: TemplateNode[], values: Record<string, string | undefined>): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const walk = (list: TemplateNode[]): string =>
    list
      .map((node) => {
        if (node.kind === 'text') return node.text;
        if (node.kind === 'value') {
          if (!present(values[node.name])) missing.add(node.name);
          return values[node.name] ?? '';
        }
        return present(values[node.name]) !== node.inverted ? walk(node.body) : '';
      })
      .join('');
  return { text: walk(nodes), missing: [...missing] };
}
