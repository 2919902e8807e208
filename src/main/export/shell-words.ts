/**
 * The shell syntax the guides' command lines use, read as POSIX sh would split them (POSIX.1-2017
 * XCU 2.2 quoting, 2.3 token recognition): backslash-newline continuations, single and double
 * quotes, backslash escapes, `#` comments, and commands separated by newlines, `;`, `&&`, `||`.
 * Nothing is expanded: a `$VAR` stays as written and is named, since its value is on the user's
 * machine, not in the text.
 */
export interface ShellCommand {
  words: string[];
  /** `$NAME` and `${NAME}` references found outside single quotes, in order, once each. */
  variables: string[];
}

export class ShellSyntaxError extends Error {}

const SEPARATORS = new Set([';', '&', '|']);

export function splitShellCommands(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let variables: string[] = [];
  let word: string | null = null;
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push({ words, variables });
    words = [];
    variables = [];
  };
  const variableAt = (i: number): number => {
    const match = /^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i));
    if (!match?.[1]) return 0;
    const name = match[1].replace(/^\{|\}$/g, '');
    if (!variables.includes(name)) variables.push(name);
    return match[0].length;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\\') {
      const next = text[i + 1];
      i++;
      if (next === '\n' || next === undefined) continue; // a continuation joins the lines
      word = (word ?? '') + next;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new ShellSyntaxError('a single quote is not closed');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j] ?? '';
        if (d === '\\' && /["\\$`\n]/.test(text[j + 1] ?? '')) {
          if (text[j + 1] !== '\n') value += text[j + 1];
          j++;
        } else if (d === '$') {
          const length = variableAt(j);
          value += length > 0 ? text.slice(j, j + length) : d;
          if (length > 0) j += length - 1;
        } else value += d;
      }
      if (j >= text.length) throw new ShellSyntaxError('a double quote is not closed');
      word = (word ?? '') + value;
      i = j;
    } else if (c === '#' && word === null) {
      while (i < text.length && text[i] !== '\n') i++;
      endCommand();
    } else if (c === '\n') {
      endCommand();
    } else if (SEPARATORS.has(c)) {
      endCommand();
      if (text[i + 1] === c) i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else if (c === '$') {
      const length = variableAt(i);
      word = (word ?? '') + (length > 0 ? text.slice(i, i + length) : c);
      if (length > 0) i += length - 1;
    } else {
      word = (word ?? '') + c;
    }
  }
  endCommand();
  return commands;
}
