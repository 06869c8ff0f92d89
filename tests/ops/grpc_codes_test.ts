/**
 * The docs name every gRPC code a Mount can fail with, as pod events spell it (Go's names),
 * and say when: users read the code in `kubectl describe pod` and look it up there.
 */
import assert from "node:assert/strict";
import { InvalidMountConfigError } from "../../src/errors.ts";
import type { FailureKind } from "../../src/keyvault/errors.ts";
import { ObjectError } from "../../src/mount/object_error.ts";
import { ResponseTooLargeError } from "../../src/mount/response_size.ts";
import { goCodeName } from "../../src/ops/grpc_code_names.ts";
import { mountStatus } from "../../src/server/status.ts";

const ROOT = new URL("../../", import.meta.url);

/** Every failure kind (the Record type makes a new kind a compile error here until listed). */
const KINDS: Record<FailureKind, true> = {
  notFound: true,
  forbidden: true,
  unauthenticated: true,
  unavailable: true,
  deadline: true,
  cancelled: true,
  invalid: true,
  unsupported: true,
  unknown: true,
};

/** One error of each kind the server maps to a code. */
function everyMountError(): Error[] {
  return [
    ...Object.keys(KINDS).map((kind) =>
      new ObjectError("objectType:secret, objectName:a, objectVersion:", {
        kind: kind as FailureKind,
        text: "x",
      })
    ),
    new InvalidMountConfigError("x"),
    new ResponseTooLargeError("x"),
    new Error("x"),
  ];
}

/** The rows of the documentation's gRPC codes table: code name → when. */
function documentedCodes(): Map<string, string> {
  const pages = [new URL("README.md", ROOT), ...docsPages()].map((url) => Deno.readTextFileSync(url));
  const page = pages.find((text) => /^#+ gRPC codes$/m.test(text));
  assert.ok(page, "a section headed 'gRPC codes' in README.md or docs/");
  const section = page.slice(page.search(/^#+ gRPC codes$/m)).split(/\n#+ /)[0];
  const rows = section.split("\n").filter((line) => /^\| `\w+`/.test(line));
  return new Map(rows.map((row) => {
    const [code, when] = row.split("|").slice(1, 3).map((cell) => cell.trim());
    return [code.replace(/`/g, ""), when];
  }));
}

function docsPages(): URL[] {
  try {
    return [...Deno.readDirSync(new URL("docs/", ROOT))]
      .filter((entry) => entry.name.endsWith(".md"))
      .map((entry) => new URL(`docs/${entry.name}`, ROOT));
  } catch {
    return [];
  }
}

Deno.test("docs: the gRPC codes table names every code a Mount fails with, and nothing else", () => {
  const used = new Set(everyMountError().map((error) => goCodeName(mountStatus(error).code)));
  const documented = documentedCodes();
  assert.deepEqual([...documented.keys()].sort(), [...used].sort());
  for (const [code, when] of documented) assert.ok(when.length > 20, `${code} says when`);
  assert.match(documented.get("FailedPrecondition") ?? "", /objectEncoding/);
});
