import assert from "node:assert/strict";
import { evaluateJmesPath, JmesPathEvaluationError, jmesPathProblem } from "../../src/config/jmespath.ts";

Deno.test("jmesPath: expressions of the original specification compile and evaluate", () => {
  const json = { username: "app", port: 5432, replicas: [{ host: "a" }, { host: "b" }] };
  const cases: [string, unknown][] = [
    ["username", "app"],
    ["port", 5432],
    ["replicas[*].host", ["a", "b"]],
    ["replicas[?host == 'b'] | [0].host", "b"],
    ["{u: username, p: port}", { u: "app", p: 5432 }],
    ["length(replicas)", 2],
    ["missing", null],
  ];
  for (const [expression, expected] of cases) {
    assert.equal(jmesPathProblem(expression), undefined, expression);
    assert.deepEqual(evaluateJmesPath(expression, json), expected, expression);
  }
});

Deno.test("jmesPath: syntax errors, length and growth are refused before any value is seen", () => {
  assert.match(jmesPathProblem("a.[")!, /^is not a JMESPath expression: Syntax error/);
  assert.match(jmesPathProblem("a".repeat(1001))!, /^is 1001 characters long; at most 1000 are read$/);
  assert.match(jmesPathProblem("[*].[@, $]")!, /^uses the root reference \(\$\) or a variable/);
  assert.match(jmesPathProblem("let $a = @ in $a")!, /^uses the root reference \(\$\) or a variable/);
  assert.match(jmesPathProblem("replace(a, '', 'xx')")!, /^uses replace\(\)/);
  // Widths multiply: 8 × 8 is allowed, 8 × 8 × 2 is not.
  const eight = ".[@,@,@,@,@,@,@,@][]";
  assert.equal(jmesPathProblem(`[*]${eight}${eight}`), undefined);
  assert.match(jmesPathProblem(`[*]${eight}${eight}.[@,@][]`)!, /^selects more than 64 values per value/);
  // Deep nesting is judged without overflowing the stack.
  assert.equal(jmesPathProblem(`${"(".repeat(499)}a${")".repeat(499)}`), undefined);
});

Deno.test("jmesPath: a function given the wrong type fails with the library's first line, not the value", () => {
  assert.throws(
    () => evaluateJmesPath("abs(username)", { username: "s3cr3t-value" }),
    (e) =>
      e instanceof JmesPathEvaluationError && /^Invalid type: abs\(\)/.test(e.message) &&
      !e.message.includes("s3cr3t"),
  );
});
