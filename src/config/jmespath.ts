/**
 * The one place that knows which JMESPath library we use (`@jmespath-community/jmespath`, see
 * docs/development.md), so it can be swapped: expressions are compiled when the `objects`
 * parameter is read (a syntax error fails before any network call) and evaluated on a
 * secret's value when its files are made.
 */
import { compile, search } from "@jmespath-community/jmespath";

/** The longest expression read: real ones are a few dozen characters. */
export const MAX_JMESPATH_LENGTH = 1000;

/** Why `expression` is not a JMESPath expression, or `undefined` when it is one. */
export function jmesPathProblem(expression: string): string | undefined {
  if (expression.length > MAX_JMESPATH_LENGTH) {
    return `is ${expression.length} characters long; at most ${MAX_JMESPATH_LENGTH} are read`;
  }
  let ast: unknown;
  try {
    ast = compile(expression);
  } catch (error) {
    // The parser's message names the expression's tokens, which come from the class, never a secret.
    const reason = error instanceof Error ? error.message : String(error);
    return `is not a JMESPath expression: ${reason.replace(/\s+/g, " ").trim()}`;
  }
  const growth = growthProblem(ast);
  return growth ? `${growth}, which can make a result far larger than the secret: not evaluated` : undefined;
}

/**
 * How many values one value may become through multi-selects (`[a, b]`, `{a: a, b: b}`), all
 * of them multiplied as if nested: results stay within this factor of the secret's size.
 */
export const MAX_SELECT_FANOUT = 64;

/** Functions whose result can outgrow their input by a factor the expression chooses. */
const GROWING_FUNCTIONS = ["pad_left", "pad_right", "replace"];

/**
 * Why evaluating the expression could take memory or time out of proportion to the secret,
 * on the thread that serves every mount of the node: the root reference and variables (a
 * projection that repeats the whole value per element is quadratic), functions that pad or
 * replace, and multi-selects whose widths multiply beyond {@link MAX_SELECT_FANOUT}. A JSON
 * field needs none of these.
 */
function growthProblem(ast: unknown): string | undefined {
  let fanout = 1;
  const nodes: unknown[] = [ast];
  while (nodes.length > 0) {
    const node = nodes.pop();
    if (typeof node !== "object" || node === null) continue;
    const { type, name, children } = node as { type?: string; name?: string; children?: unknown[] };
    if (type === "Root" || type === "Variable" || type === "LetExpression") {
      return "uses the root reference ($) or a variable";
    }
    if (type === "Function" && GROWING_FUNCTIONS.includes(String(name))) return `uses ${name}()`;
    if ((type === "MultiSelectList" || type === "MultiSelectHash") && Array.isArray(children)) {
      fanout *= Math.max(1, children.length);
      if (fanout > MAX_SELECT_FANOUT) {
        return `selects more than ${MAX_SELECT_FANOUT} values per value through its multi-selects ([a, b], {a: a})`;
      }
    }
    nodes.push(...Object.values(node));
  }
  return undefined;
}

/** A JMESPath expression that failed on a value (a function given the wrong type, …). */
export class JmesPathEvaluationError extends Error {
  override name = "JmesPathEvaluationError";
}

/**
 * Evaluates `expression` on parsed JSON; `null` when it selects nothing. The library's errors
 * are about the expression's functions and types; only their first line is kept, and it is
 * never the value itself.
 */
export function evaluateJmesPath(expression: string, json: unknown): unknown {
  try {
    // deno-lint-ignore no-explicit-any
    return search(json as any, expression);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : "evaluation failed";
    throw new JmesPathEvaluationError(reason);
  }
}
