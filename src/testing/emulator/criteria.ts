/**
 * Search `criteria` (docs/zoho-facts.md §2.2): `((Field:operator:value)and(Field:operator:value))`, up to 10
 * conditions, `and`/`or` (one kind per bracket level), and backslash escapes for `(`, `)`, `,` and `\`
 * inside values. Anything else is malformed (`INVALID_QUERY`).
 * @internal
 * @module
 */

/** A parsed criteria tree. */
export type CriteriaNode =
  | {
      readonly kind: 'cond';
      readonly field: string;
      readonly operator: string;
      readonly values: readonly string[];
    }
  | { readonly kind: 'and' | 'or'; readonly children: readonly CriteriaNode[] };

/** Why criteria were refused. */
export interface CriteriaError {
  readonly reason: string;
  readonly details?: Record<string, unknown>;
}

/** Most conditions one criteria string may hold. */
export const MAX_CONDITIONS = 10;
/** Most values of an `in` condition. */
export const MAX_IN_VALUES = 100;

/** Parses a (URL-decoded) criteria string. */
export function parseCriteria(input: string): CriteriaNode | CriteriaError {
  const p = new Parser(input);
  try {
    p.skipSpace();
    const node = p.expr();
    p.skipSpace();
    if (!p.done()) return { reason: `unexpected text at position ${p.pos}` };
    const conditions = countConditions(node);
    if (conditions > MAX_CONDITIONS) {
      return {
        reason: `criteria has ${conditions} conditions; at most ${MAX_CONDITIONS} are allowed`,
        details: { limit: MAX_CONDITIONS },
      };
    }
    return node;
  } catch (err) {
    if (err instanceof ParseError) return { reason: err.message };
    throw err;
  }
}

/** Whether a parse result is an error. */
export function isCriteriaError(value: CriteriaNode | CriteriaError): value is CriteriaError {
  return 'reason' in value;
}

/** Every condition of a tree, left to right. */
export function conditionsOf(node: CriteriaNode): Extract<CriteriaNode, { kind: 'cond' }>[] {
  if (node.kind === 'cond') return [node];
  return node.children.flatMap(conditionsOf);
}

// --- Internal helpers ---

class ParseError extends Error {}

function countConditions(node: CriteriaNode): number {
  return node.kind === 'cond' ? 1 : node.children.reduce((n, c) => n + countConditions(c), 0);
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.pos >= this.s.length;
  }

  skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos] ?? '')) this.pos++;
  }

  /** expr := group (conj group)*, with a single conjunction kind per level. */
  expr(): CriteriaNode {
    const first = this.group();
    const children: CriteriaNode[] = [first];
    let kind: 'and' | 'or' | undefined;
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      const conj = this.conjunction();
      if (!conj) {
        this.pos = save;
        break;
      }
      if (kind && conj !== kind) {
        throw new ParseError(`mixed 'and' and 'or' at one level: add brackets (position ${this.pos})`);
      }
      kind = conj;
      this.skipSpace();
      children.push(this.group());
    }
    return kind ? { kind, children } : first;
  }

  /** group := '(' (expr | condition) ')' */
  group(): CriteriaNode {
    if (this.s[this.pos] !== '(') throw new ParseError(`expected '(' at position ${this.pos}`);
    this.pos++;
    this.skipSpace();
    const node = this.s[this.pos] === '(' ? this.expr() : this.condition();
    this.skipSpace();
    if (this.s[this.pos] !== ')') throw new ParseError(`expected ')' at position ${this.pos}`);
    this.pos++;
    return node;
  }

  conjunction(): 'and' | 'or' | undefined {
    const rest = this.s.slice(this.pos, this.pos + 3).toLowerCase();
    if (rest === 'and') {
      this.pos += 3;
      return 'and';
    }
    if (rest.startsWith('or')) {
      this.pos += 2;
      return 'or';
    }
    return undefined;
  }

  /** condition := field ':' operator ':' value */
  condition(): CriteriaNode {
    const field = this.match(/[A-Za-z0-9_$.]+/y, 'a field API name');
    this.expect(':');
    const operator = this.match(/[A-Za-z_]+/y, 'an operator').toLowerCase();
    this.expect(':');
    const values = this.values();
    return { kind: 'cond', field, operator, values };
  }

  /** Value text up to the closing bracket; `\(`, `\)`, `\,`, `\\` are escapes, bare `,` separates values. */
  values(): string[] {
    const values: string[] = [];
    let current = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined) throw new ParseError('unterminated condition: missing )');
      if (c === '\\') {
        const next = this.s[this.pos + 1];
        if (next === '(' || next === ')' || next === ',' || next === '\\') {
          current += next;
          this.pos += 2;
          continue;
        }
        current += c;
        this.pos++;
        continue;
      }
      if (c === ')') break;
      if (c === '(') throw new ParseError(`unescaped '(' in a value at position ${this.pos}`);
      if (c === ',') {
        values.push(current);
        current = '';
        this.pos++;
        continue;
      }
      current += c;
      this.pos++;
    }
    values.push(current);
    if (values.some((v) => v.length === 0)) throw new ParseError('empty value in a condition');
    return values;
  }

  match(re: RegExp, what: string): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (!m) throw new ParseError(`expected ${what} at position ${this.pos}`);
    this.pos += m[0].length;
    return m[0];
  }

  expect(c: string): void {
    if (this.s[this.pos] !== c) throw new ParseError(`expected '${c}' at position ${this.pos}`);
    this.pos++;
  }
}
