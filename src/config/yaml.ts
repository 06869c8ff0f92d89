/**
 * The one place that knows which YAML library we use, so it can be swapped. Aliases are
 * bounded and duplicate keys rejected: every YAML we read is user input.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  visit,
} from "yaml";

/** A YAML document that did not parse; the message is the parser's, positions included. */
export class YamlError extends Error {
  override name = "YamlError";
}

const LIMITS = { maxAliasCount: 100, uniqueKeys: true, prettyErrors: false } as const;

/**
 * How deep collections may nest. The parser recurses once per level and only fails when the
 * stack overflows, seconds later for a long enough `[[[[…`; real documents nest a few levels.
 */
const MAX_YAML_DEPTH = 64;

/**
 * How many tokens one document may have. The library keeps several objects per token while it
 * parses, about 400 bytes each: 100,000 tokens (64 KiB of `x,x,x…`) filled the 48 MB heap the
 * provider first ran with and ended it. 1,000 objects of five fields each are 7,000.
 */
const MAX_YAML_TOKENS = 20_000;

/**
 * Tokens several documents may use between them: the `objects` parameter and each of its
 * items are parsed one by one, and their total is what a mount costs.
 */
export class TokenBudget {
  constructor(readonly total: number, public remaining: number = total) {}
}

/** A document that would take more tokens than its budget has left. */
export class TokenBudgetError extends YamlError {
  override name = "TokenBudgetError";
}

/**
 * Parses one YAML document with every scalar kept as the string it was written as (YAML's
 * failsafe schema), the way Go decodes the provider's string fields: `0644` stays "0644".
 * Duplicate keys are found here in linear time (the library compares every pair of keys), and
 * the library's warnings are not printed.
 */
export function parseYamlStrings(text: string, budget?: TokenBudget): unknown {
  if (nestingDepth(text) > MAX_YAML_DEPTH) {
    throw new YamlError(`collections nest more than ${MAX_YAML_DEPTH} levels deep`);
  }
  const limit = Math.min(MAX_YAML_TOKENS, budget?.remaining ?? Infinity);
  const tokens = tokenCount(text, limit);
  if (tokens > limit) {
    if (budget && budget.remaining < MAX_YAML_TOKENS) {
      throw new TokenBudgetError(
        `more than ${budget.total} YAML tokens in all (words, indicators, line breaks)`,
      );
    }
    throw new YamlError(`the YAML has more than ${MAX_YAML_TOKENS} tokens (words, indicators, line breaks)`);
  }
  if (budget) budget.remaining -= tokens;
  try {
    const document = parseDocument(text, {
      ...LIMITS,
      uniqueKeys: false,
      schema: "failsafe",
      logLevel: "error",
    });
    if (document.errors.length > 0) throw document.errors[0];
    const duplicate = duplicateKey(document);
    if (duplicate !== undefined) {
      throw new YamlError(`Map keys must be unique: ${JSON.stringify(duplicate)} is set twice`);
    }
    const circular = circularAlias(document);
    if (circular !== undefined) {
      throw new YamlError(`alias *${circular} refers to a collection that contains it`);
    }
    return document.toJS({ maxAliasCount: LIMITS.maxAliasCount });
  } catch (error) {
    throw new YamlError(firstLine(error));
  }
}

/**
 * An upper bound of how deep a document nests: open flow brackets, or the most block
 * indicators (`- `, `? `, `: `) on one line. Quoted text may hold such characters too; then it
 * over-counts, which only matters for text nobody writes.
 */
function nestingDepth(text: string): number {
  let flow = 0;
  let deepest = 0;
  let compact = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "[" || char === "{") deepest = Math.max(deepest, ++flow);
    else if (char === "]" || char === "}") flow = Math.max(0, flow - 1);
    else if (char === "\n") compact = 0;
    else if (
      flow === 0 && (char === "-" || char === "?" || char === ":") && /[ \t]/.test(text[i + 1] ?? "")
    ) {
      deepest = Math.max(deepest, flow + ++compact);
    }
  }
  return deepest;
}

/** How many tokens the lexer yields, counting no further than `limit + 1`. */
function tokenCount(text: string, limit: number): number {
  let count = 0;
  for (const _ of new Lexer().lex(text)) if (++count > limit) break;
  return count;
}

/** The name of an alias inside the collection it refers to (its value would contain itself). */
function circularAlias(document: Document): string | undefined {
  let found: string | undefined;
  visit(document, {
    Alias(_, alias) {
      const target = alias.resolve(document);
      const [start, end] = alias.range ?? [0, 0];
      if (target?.range && start >= target.range[0] && end <= target.range[1]) {
        found = alias.source;
        return visit.BREAK;
      }
    },
  });
  return found;
}

/** The first text key set twice in one mapping, anywhere in the document (aliases resolved). */
function duplicateKey(document: Document): string | undefined {
  const text = (node: unknown): string | undefined => {
    const target = isAlias(node) ? node.resolve(document) : node;
    return isScalar(target) ? String(target.value) : undefined;
  };
  const pending: unknown[] = [document.contents];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        const key = text(pair.key);
        if (key !== undefined && keys.has(key)) return key;
        if (key !== undefined) keys.add(key);
        pending.push(pair.value);
      }
    } else if (isSeq(node)) pending.push(...node.items);
  }
  return undefined;
}

/** A path into a YAML value: mapping keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/** One YAML document that can say on which line each of its values was written. */
export interface LocatedDocument {
  /** The document's value; `undefined` when it did not parse. */
  readonly value: unknown;
  /** The parser's message when the document did not parse. */
  readonly error?: string;
  /** The 1-based line the document (or its first error) starts on. */
  readonly line: number;
  /** The 1-based line of the value at `path`; of its key, for a mapping entry. */
  lineOf(path: YamlPath): number | undefined;
  /**
   * For a string written as a literal block (`|`), the line of its first text line: line n of
   * the string is line `textLineOf(path) + n - 1` of the source. Undefined for other styles,
   * whose lines do not map one to one.
   */
  textLineOf(path: YamlPath): number | undefined;
}

/**
 * Parses Kubernetes manifests (a multi-document stream) keeping positions. YAML 1.1 rules, as
 * Kubernetes reads manifests: `yes` and `on` are booleans there, and must be flagged as such.
 * A document that does not parse is returned with its error; the others still are.
 */
export function parseManifestDocuments(text: string): LocatedDocument[] {
  if (nestingDepth(text) > MAX_YAML_DEPTH) return [tooDeep()];
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { ...LIMITS, version: "1.1", lineCounter: lines });
  const list = Array.isArray(documents) ? documents : [documents];
  return list.map((document) => locate(document, lines));
}

/** Like {@link parseYamlStrings} (failsafe schema: every scalar a string), keeping positions. */
export function parseLocatedStrings(text: string): LocatedDocument {
  if (nestingDepth(text) > MAX_YAML_DEPTH) return tooDeep();
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { ...LIMITS, schema: "failsafe", lineCounter: lines });
  const list = Array.isArray(documents) ? documents : [documents];
  if (list.length === 0) return locate(undefined, lines);
  return locate(list[0], lines);
}

/** A document refused before parsing, for the same reason {@link parseYamlStrings} refuses it. */
function tooDeep(): LocatedDocument {
  return {
    value: undefined,
    error: `collections nest more than ${MAX_YAML_DEPTH} levels deep`,
    line: 1,
    lineOf: () => undefined,
    textLineOf: () => undefined,
  };
}

function locate(document: Document.Parsed | undefined, lines: LineCounter): LocatedDocument {
  const lineAt = (offset: number) => lines.linePos(offset).line;
  const node = (path: YamlPath): { key?: unknown; value: unknown } | undefined => {
    let current: unknown = document?.contents;
    let key: unknown;
    for (const step of path) {
      if (isMap(current)) {
        const pair = current.items.find((item) =>
          isPair(item) && isScalar(item.key) && item.key.value === step
        );
        if (!pair) return undefined;
        key = pair.key;
        current = pair.value;
      } else if (isSeq(current) && typeof step === "number") {
        key = undefined;
        current = current.items[step];
      } else return undefined;
    }
    return { key, value: current };
  };
  const rangeStart = (value: unknown) => (value as { range?: [number, number, number] } | null)?.range?.[0];
  const errors = document?.errors ?? [];
  const start = errors.length > 0 ? errors[0].pos[0] : document?.range[0] ?? 0;
  return {
    value: document && errors.length === 0
      ? document.toJS({ maxAliasCount: LIMITS.maxAliasCount })
      : undefined,
    error: errors.length > 0 ? firstLine(errors[0]) : undefined,
    line: lineAt(start),
    lineOf(path) {
      const found = node(path);
      const offset = rangeStart(found?.key) ?? rangeStart(found?.value);
      return offset === undefined ? undefined : lineAt(offset);
    },
    textLineOf(path) {
      const value = node(path)?.value;
      if (!isScalar(value) || value.type !== "BLOCK_LITERAL") return undefined;
      const offset = rangeStart(value);
      return offset === undefined ? undefined : lineAt(offset) + 1;
    },
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}
