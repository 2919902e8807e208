// The layering rule of docs/layering.md: every file belongs to the first layer whose `files` match
// it, and may import only what that layer's `allow` lists. Relative imports are resolved to a path
// from the repository root (`src/main/vm/qemu-args`, a folder to its `index`), packages are matched
// as written (`node:fs`, `react-dom/client`). A glob's `*` stays inside one path segment, `**`
// crosses them. VS Code's `code-import-patterns` lint works the same way (a target glob and the
// globs it may import, relative imports resolved first).
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.dirname(path.dirname(new URL(import.meta.url).pathname));

/** @param {string} glob */
function globToRegExp(glob) {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') {
        // `a/**/b` also matches `a/b`.
        source += '(.*/)?';
        i += 2;
      } else if (glob[i + 2] === undefined && source.endsWith('/')) {
        // `a/**` also matches `a` itself.
        source = `${source.slice(0, -1)}(/.*)?`;
        i++;
      } else {
        source += '.*';
        i++;
      }
    } else if (c === '*') source += '[^/]*';
    else source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

const compiled = new Map();
/** @param {string} glob @param {string} value */
function matches(glob, value) {
  let re = compiled.get(glob);
  if (re === undefined) compiled.set(glob, (re = globToRegExp(glob)));
  return re.test(value);
}

/** The import as the allow-lists see it: a repository path without extension, or the package name. */
function resolveSpecifier(spec, filename) {
  if (!spec.startsWith('.')) return spec;
  let target = path.resolve(path.dirname(filename), spec);
  try {
    if (fs.statSync(target).isDirectory()) target = path.join(target, 'index');
  } catch {
    // a module path without its extension: not a directory
  }
  return path
    .relative(repoRoot, target)
    .split(path.sep)
    .join('/')
    .replace(/\.(ts|tsx|js|mjs)$/, '');
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'each layer and domain imports only what its allow-list names (docs/layering.md)' },
    schema: [{ type: 'array' }],
    messages: {
      notAllowed: "{{layer}} may not import '{{target}}': {{why}} (docs/layering.md)",
    },
  },
  create(context) {
    const file = path.relative(repoRoot, context.filename).split(path.sep).join('/');
    const layer = context.options[0].find((l) => l.files.some((g) => matches(g, file)));
    if (layer === undefined) return {};
    const allowed = layer.allow;
    const check = (node, source) => {
      if (source === null || source === undefined || typeof source.value !== 'string') return;
      const target = resolveSpecifier(source.value, context.filename);
      if (allowed.some((g) => matches(g, target))) return;
      context.report({ node, messageId: 'notAllowed', data: { layer: layer.name, target, why: layer.why } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : null),
    };
  },
};
