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
  try {
    compile(expression);
    return undefined;
  } catch (error) {
    // The parser's message names the expression's tokens, which come from the class, never a secret.
    const reason = error instanceof Error ? error.message : String(error);
    return `is not a JMESPath expression: ${reason.replace(/\s+/g, " ").trim()}`;
  }
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
