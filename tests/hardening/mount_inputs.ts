/**
 * Generators of hostile Mount requests for the fuzz tests: the three JSON fields the driver
 * sends (`attributes`, `secrets`, `permission`) and the `objects` YAML inside the attributes,
 * from almost right to plain garbage. Every value of `secrets` and every service-account token
 * carries {@link SECRET_MARK}, and every unparsable cloud file {@link FILE_MARK}, so a message
 * that echoes one is caught.
 */
import fc from "fast-check";
import { stringify } from "yaml";
import type { MountRequestFields } from "../../src/mount/mount_types.ts";
import { TENANT } from "../harness/spc.ts";

/** Marks every secret value; no error message may contain it. */
export const SECRET_MARK = "sEcReTmArK";
/** Marks the contents of a cloud environment file that does not parse. */
export const FILE_MARK = "fIlEmArK";
/** The cloud environment file the generated requests may name; any other path does not exist. */
export const CLOUD_FILE = "/provider/cloud.json";

/** One generated request and the cloud file the provider would read for it. */
export interface MountInput {
  readonly request: MountRequestFields;
  readonly cloudFile: string;
}

const GUID = fc.uuid();
const weird = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  fc.constantFrom(
    "",
    " ",
    "\n",
    "\u0000",
    "\u202e",
    "\ud800",
    "🔑",
    "null",
    "~",
    "0",
    "-1",
    "1e400",
    "true",
    "__proto__",
  ),
);
/** Long values, rarely: each costs time in every check that reads it. */
const huge = fc.oneof(
  fc.integer({ min: 200, max: 5_000 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 1_000, max: 70_000 }).map((n) => "é🔑".repeat(n)),
);
const text = fc.oneof({ arbitrary: weird, weight: 20 }, { arbitrary: huge, weight: 1 });

/** Path segments that each break one driver rule, or none. */
const segment = fc.oneof(
  fc.constantFrom("a", "db-password", "..", ".", "", "...", "..a", "a..", " ", "é", "🔑", "a\\b", "a\u0000b"),
  fc.constantFrom("a\nb", "C:", "\u202e", "\ud800x", "%2e%2e", "．．"),
  fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.integer({ min: 250, max: 260 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 120, max: 130 }).map((n) => "é".repeat(n)),
  fc.integer({ min: 60, max: 66 }).map((n) => "🔑".repeat(n)),
);
/** Aliases: the usual tricks, segments joined, and paths over 4096 bytes but not characters. */
export const pathTrick = fc.oneof(
  fc.constantFrom(
    "a/../..",
    "./a",
    "a//b",
    "a\\b",
    "a\u0000b",
    "/etc/shadow",
    "a/",
    "/",
    "..",
    "../x",
    "a/./b",
    "a/b/..",
    "C:\\x",
    "C:x",
    "\\\\server\\share",
    "file:///x",
    "..data",
    "a/\u0000",
  ),
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join("/")),
  fc.array(fc.integer({ min: 100, max: 127 }).map((n) => "é".repeat(n)), { minLength: 15, maxLength: 40 })
    .map((parts) => parts.join("/")),
  fc.constantFrom("x".repeat(255), "x".repeat(256), `${"a/".repeat(2047)}a`, `${"a/".repeat(2048)}a`),
);

/** Usually a value from `right`, sometimes one from `wrong`. */
function mostly(right: fc.Arbitrary<string>, wrong: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: right, weight: 8 }, wrong);
}

/** JMESPath expressions: real ones, broken ones, deep ones, long ones. */
const jmesExpression = fc.oneof(
  fc.constantFrom("username", "a.b", "replicas[*].host", "length(@)", "a || b", "`1`", "@", "*", "[0]"),
  fc.constantFrom("a.[", "users[0", "abs(", "", " ", "a..b", "&", "$x", "let $a = @ in $a"),
  fc.integer({ min: 1, max: 1_200 }).map((n) => `${"(".repeat(n)}a${")".repeat(n)}`),
  fc.integer({ min: 1, max: 600 }).map((n) => "[".repeat(n)),
  fc.stringMatching(/^[a-z.\[\]*0-9@|&`'"(),]{1,20}$/),
  weird,
);
/** One `jmesPath` entry: usually `{path, objectAlias}`, at times mis-keyed or not a mapping. */
const jmesEntry = fc.oneof(
  { arbitrary: fc.record({ path: jmesExpression, objectAlias: fc.constant("") }), weight: 6 },
  fc.dictionary(fc.constantFrom("path", "objectAlias", "Path", "objectalias", "__proto__"), weird, {
    maxKeys: 3,
  }),
  weird,
);

const good: Record<string, fc.Arbitrary<unknown>> = {
  objectName: fc.oneof(
    fc.constantFrom("db-password", "api-key"),
    fc.stringMatching(/^[A-Za-z0-9-]{1,30}$/),
    // Name patterns: every secret whose name matches.
    fc.constantFrom("*", "app-*", "*-key", "a*b*c", "**", "app_*", "*/x", "*".repeat(128)),
    fc.stringMatching(/^[A-Za-z0-9*-]{1,30}$/),
  ),
  objectType: fc.oneof(
    { arbitrary: fc.constantFrom("secret", "key", "cert"), weight: 8 },
    fc.constantFrom("Secret", "SECRET", "certificate", ""),
  ),
  objectAlias: fc.oneof(
    pathTrick,
    { arbitrary: fc.stringMatching(/^[a-z0-9]{1,8}(\/[a-z0-9]{1,8}){0,3}$/), weight: 3 },
  ),
  objectVersion: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.constantFrom("", "latest", "LATEST")),
  objectVersionHistory: mostly(
    fc.constantFrom("0", "1", "2", "5"),
    fc.constantFrom("1000", "1001", "-1", "1e3", "0x10", "+3", " 7 ", "99999999999"),
  ),
  objectFormat: mostly(fc.constantFrom("pem", "pfx", "PEM"), fc.constantFrom("der", "")),
  objectEncoding: mostly(
    fc.constantFrom("utf-8", "base64", "hex", "HEX"),
    fc.constantFrom("base32", "utf8", ""),
  ),
  keyvaultName: mostly(
    fc.stringMatching(/^[-A-Za-z0-9]{3,24}$/),
    fc.constantFrom(
      "ab",
      "x".repeat(25),
      "bad_vault",
      "https://demo.vault.azure.net/",
      "demo.vault.azure.net",
      " ",
    ),
  ),
  jmesPath: fc.array(jmesEntry, { maxLength: 4 }).chain((entries) =>
    // Aliases from the path generator, one per mapping entry that has an objectAlias key.
    fc.tuple(
      fc.constant(entries),
      fc.array(fc.oneof(pathTrick, fc.stringMatching(/^[a-z0-9]{1,8}$/)), {
        minLength: entries.length,
        maxLength: entries.length,
      }),
    ).map(([list, aliases]) =>
      list.map((entry, i) =>
        typeof entry === "object" && entry !== null && "objectAlias" in entry && entry.objectAlias === ""
          ? { ...entry, objectAlias: aliases[i] }
          : entry
      )
    )
  ),
  filePermission: mostly(
    fc.constantFrom("0644", "644", "0777", "0400", "0000"),
    fc.constantFrom("0778", "1777", "0o644", "420", "-1", "0x1ff", "07777"),
  ),
};
const FIELDS = Object.keys(good);

/** A field's value: usually plausible, sometimes of the wrong type or shape. */
function fieldValue(field: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: good[field], weight: 150 },
    { arbitrary: text, weight: 3 },
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(weird, { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), weird, { maxKeys: 2 }),
  );
}

/** One object entry as a mapping: a name and a type mostly, other fields at times, some misspelled. */
const objectEntry = fc.record({
  required: fc.record({ objectName: fieldValue("objectName"), objectType: fieldValue("objectType") }),
  optional: fc.dictionary(fc.constantFrom(...FIELDS.slice(2)), fc.constant(0), { maxKeys: 4 }),
  extra: fc.option(
    fc.tuple(
      fc.constantFrom("objectname", "objectAliass", "ObjectType", "__proto__", "constructor", "x"),
      weird,
    ),
    { freq: 6 },
  ),
  values: fc.record(Object.fromEntries(FIELDS.slice(2).map((field) => [field, fieldValue(field)]))),
}).map(({ required, optional, extra, values }) => {
  const entry: Record<string, unknown> = { ...required };
  for (const field of Object.keys(optional)) entry[field] = values[field];
  if (extra) Object.defineProperty(entry, extra[0], { value: extra[1], enumerable: true });
  return entry;
});

/** YAML that is not simply stringify(entry): hand-written lines, anchors, duplicates, flow. */
function rawLines(entry: Record<string, unknown>): string {
  const plain = (value: unknown) =>
    typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  return Object.entries(entry).map(([key, value]) => `${key}: ${plain(value)}`).join("\n");
}
const entryText = fc.oneof(
  { arbitrary: objectEntry.map((entry) => stringify(entry)), weight: 8 },
  objectEntry.map(rawLines),
  objectEntry.map((entry) => `${stringify(entry)}objectName: duplicate\nobjectName: twice\n`),
  objectEntry.map((entry) => `objectName: &n shared\nobjectAlias: *n\n${stringify(entry)}`),
  objectEntry.map((entry) => JSON.stringify(entry) ?? "null"),
  fc.constantFrom(
    "objectName: a\nobjectType: secret\nobjectName: b",
    "{objectName: a, objectType: secret}",
    "- objectName: a",
    "objectName: [a, b]\nobjectType: secret",
    "objectName: a\nobjectType: !!binary secret",
    "objectName: a\nobjectType: secret\n---\nobjectName: b\n",
    "? [a]\n: b\nobjectName: x\nobjectType: secret",
    "<<: {objectName: merged, objectType: secret}",
    "objectName: *undefined",
    "objectName: &x [a, *x]\nobjectType: secret",
    "objectName: &x {a: *x}\nobjectType: secret",
    "objectName: 'unterminated",
    "\tobjectName: tab",
  ),
  yamlSoup(),
);

/** Random text from YAML's special characters. */
function yamlSoup(): fc.Arbitrary<string> {
  const piece = fc.constantFrom(
    "array:",
    "- ",
    "  ",
    "\n",
    "|",
    ">",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "[",
    "]",
    "{",
    "}",
    ",",
    ": ",
    "? ",
    "#",
    "'",
    '"',
    "\\",
    "%YAML 1.2\n---\n",
    "<<: ",
    "objectName",
    "objectType",
    "secret",
    "\t",
    "\u0000",
    "\ufeff",
    "...",
  );
  return fc.array(fc.oneof({ arbitrary: piece, weight: 4 }, weird), { maxLength: 40 }).map((parts) =>
    parts.join("")
  );
}

function indent(text: string, spaces: number): string {
  return text.split("\n").map((line) => " ".repeat(spaces) + line).join("\n");
}

/** The `objects` parameter. */
export const objectsText: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.array(entryText, { minLength: 1, maxLength: 6 }).map((items) =>
      stringify({ array: items })
    ),
    weight: 10,
  },
  {
    arbitrary: fc.array(entryText, { minLength: 1, maxLength: 4 }).map((items) =>
      `array:\n${items.map((item) => `  - |\n${indent(item, 4)}`).join("\n")}\n`
    ),
    weight: 4,
  },
  fc.array(objectEntry, { maxLength: 3 }).map((entries) => stringify({ array: entries })),
  fc.constantFrom("array: &a [*a]", "a: &a {b: *a}\narray: []", "array: &a\n  - *a"),
  fc.constantFrom(
    "array:",
    "array: null",
    "array: []",
    "array: x",
    "- a",
    "array: {a: b}",
    "",
    "{}",
    "array: [1, 2]",
  ),
  fc.constantFrom(
    "Array:\n  - |\n    objectName: a\n    objectType: secret\n",
    "arrays: []",
    "array:\n- a\narray:\n- b",
  ),
  billionLaughs(),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => `array: ${"[".repeat(depth)}x${"]".repeat(depth)}`),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => `array:\n  - "${"- ".repeat(depth)}x"`),
  yamlSoup(),
  { arbitrary: manyObjects(), weight: 1 },
  { arbitrary: denseTokens(), weight: 1 },
  { arbitrary: padded(), weight: 1 },
  // The common case, weighted to be most of the inputs: a few entries, each mostly right.
  {
    arbitrary: fc.array(objectEntry, { minLength: 1, maxLength: 5 }).map((entries) =>
      stringify({ array: entries.map((entry) => stringify(entry)) })
    ),
    weight: 60,
  },
);

/** Anchors that expand to width^depth nodes, at the top level or inside an item. */
function billionLaughs(): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 2, max: 12 }), fc.boolean()).map(
    ([depth, width, nested]) => {
      const lines = ["l0: &l0 [lol]"];
      for (let level = 1; level <= depth; level++) {
        lines.push(`l${level}: &l${level} [${Array(width).fill(`*l${level - 1}`).join(", ")}]`);
      }
      if (!nested) return `${lines.join("\n")}\narray: *l${depth}\n`;
      return `array:\n  - |\n${
        indent(`${lines.join("\n")}\nobjectName: *l${depth}\nobjectType: secret`, 4)
      }\n`;
    },
  );
}

/** Many objects at once, around the count limit, sometimes with conflicting paths. */
function manyObjects(): fc.Arbitrary<string> {
  const count = fc.oneof(
    { arbitrary: fc.integer({ min: 20, max: 200 }), weight: 8 },
    fc.integer({ min: 990, max: 1_010 }),
  );
  return fc.tuple(count, fc.boolean()).map(([count, clash]) =>
    stringify({
      array: Array.from({ length: count }, (_, i) =>
        `objectName: o${i}\nobjectType: secret\nobjectAlias: ${
          clash && i % 97 === 1 ? "o0" : `d${i % 7}/o${i}`
        }\n`),
    })
  );
}

/** Many small tokens (flow items, tags, keys): memory and time per token are what costs. */
function denseTokens(): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: 1_000, max: 60_000 }), fc.constantFrom("flow", "tags", "keys", "items"))
    .map(
      ([count, kind]) => {
        switch (kind) {
          case "flow":
            return `array: [${"x,".repeat(count)}x]`;
          case "tags":
            return `${"!a ".repeat(count)}x`;
          case "keys":
            return Array.from({ length: count / 4 }, (_, i) => `k${i}: v`).join("\n");
          default:
            return `array:\n${
              Array.from({ length: 40 }, (_, i) => `  - |\n    [${i}${",x".repeat(count / 40)}]`).join("\n")
            }`;
        }
      },
    );
}

/** A valid document made long by a comment, around the size limit. */
function padded(): fc.Arbitrary<string> {
  return fc.integer({ min: 100_000, max: 140_000 }).map((size) =>
    `# ${"x".repeat(size)}\narray:\n  - |\n    objectName: a\n    objectType: secret\n`
  );
}

/** A service-account token parameter, well formed or not, always marked secret. */
const serviceAccountTokens = fc.oneof(
  fc.string({ maxLength: 8 }).map((tail) =>
    JSON.stringify({
      "api://AzureADTokenExchange": {
        token: `${SECRET_MARK}.${tail}`,
        expirationTimestamp: "2030-01-01T00:00:00Z",
      },
    })
  ),
  fc.string({ maxLength: 8 }).map((tail) =>
    `{"api://AzureADTokenExchange": {"token": "${SECRET_MARK}${tail}`
  ),
  fc.string({ maxLength: 8 }).map((tail) => `${SECRET_MARK}${tail}`),
  fc.string({ maxLength: 8 }).map((tail) => JSON.stringify({ other: { token: `${SECRET_MARK}${tail}` } })),
);

const BOOL_WORDS = fc.constantFrom(
  "true",
  "false",
  "1",
  "0",
  "t",
  "TRUE",
  "True",
  "tRue",
  "yes",
  "",
  " true ",
);

/** Parameters of a mount that plans, before mutations. */
const BASE_PARAMETERS: Readonly<Record<string, string>> = {
  keyvaultName: "demo-vault",
  tenantID: TENANT,
  secretProviderClass: "azure-spc",
  "csi.storage.k8s.io/pod.name": "nginx",
  "csi.storage.k8s.io/pod.namespace": "default",
  "csi.storage.k8s.io/pod.uid": "0b0c4a7e-5a43-4b4e-9c1a-2f3e4d5c6b7a",
  "csi.storage.k8s.io/serviceAccount.name": "default",
};

/** One change to a parameter: a hostile or plausible value, or `undefined` to drop it. */
const mutation: fc.Arbitrary<[string, string | undefined]> = fc.oneof(
  fc.tuple(
    fc.constant("keyvaultName"),
    fc.oneof(fc.stringMatching(/^[-A-Za-z0-9]{1,30}$/), text, fc.constant(undefined)),
  ),
  fc.tuple(
    fc.constantFrom("tenantID", "tenantId"),
    fc.oneof(GUID, fc.constantFrom("a/b", "t.onmicrosoft.com"), text, fc.constant(undefined)),
  ),
  fc.tuple(
    fc.constantFrom("csi.storage.k8s.io/pod.name", "csi.storage.k8s.io/pod.namespace"),
    fc.oneof(text, fc.constant(undefined)),
  ),
  fc.tuple(fc.constant("csi.storage.k8s.io/serviceAccount.tokens"), serviceAccountTokens),
  fc.tuple(
    fc.constant("cloudName"),
    fc.oneof(
      fc.constantFrom(
        "AzurePublicCloud",
        "azurechinacloud",
        "AzureStackCloud",
        "AZUREUSGOVERNMENT",
        "Mars",
        "",
      ),
      text,
    ),
  ),
  fc.tuple(fc.constant("cloudEnvFileName"), fc.oneof(fc.constant(CLOUD_FILE), pathTrick)),
  fc.tuple(fc.constantFrom("usePodIdentity", "useVMManagedIdentity", "useAzureTokenProxy"), BOOL_WORDS),
  fc.tuple(fc.constantFrom("userAssignedIdentityID", "clientID"), fc.oneof(GUID, text)),
  fc.tuple(fc.constantFrom("keyVaultName", "clientId", "secretObjects", "objectz", "objects "), weird),
  fc.tuple(weird, weird),
);

/** SecretProviderClass parameters plus pod info: the base, its objects, and a few changes. */
const parameters = fc.record({
  objects: fc.oneof({ arbitrary: objectsText, weight: 30 }, text),
  changes: fc.oneof(
    { arbitrary: fc.constant([]), weight: 2 },
    fc.array(mutation, { minLength: 1, maxLength: 3 }),
  ),
}).map(({ objects, changes }) => {
  const map: Record<string, string> = { ...BASE_PARAMETERS, objects };
  for (const [key, value] of changes) {
    if (value === undefined) delete map[key];
    else Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return map;
});

/** `attributes`: usually a JSON map of strings, sometimes wrong types or not JSON at all. */
const attributes = fc.oneof(
  { arbitrary: parameters.map((map) => JSON.stringify(map)), weight: 60 },
  parameters.chain((map) =>
    fc.tuple(
      fc.constantFrom(...Object.keys(map)),
      fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue()),
    ).map(([key, value]) => JSON.stringify({ ...map, [key]: value }))
  ),
  fc.json(),
  fc.string(),
  fc.constantFrom("", "null", "[]", "{", '{"a":', "\ufeff{}", "{}", '{"__proto__": {"objects": "x"}}'),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  parameters.chain((map) => fc.nat().map((cut) => JSON.stringify(map).slice(0, cut % 400))),
);

/** nodePublishSecretRef data, every value but the client id marked secret. */
const secretsMap = fc.record(
  {
    clientid: fc.oneof(GUID, weird),
    clientsecret: fc.string({ maxLength: 10 }).map((tail) => `${SECRET_MARK}${tail}`),
    ClientSecret: fc.string({ maxLength: 10 }).map((tail) => `${SECRET_MARK}${tail}`),
    other: fc.string({ maxLength: 10 }).map((tail) => `${SECRET_MARK}${tail}`),
    "csi.storage.k8s.io/serviceAccount.tokens": serviceAccountTokens,
  },
  { requiredKeys: [] },
);
const goodSecrets = fc.tuple(GUID, fc.string({ maxLength: 10 })).map(([clientid, tail]) =>
  JSON.stringify({ clientid, clientsecret: `${SECRET_MARK}${tail}` })
);
const secrets = fc.oneof(
  { arbitrary: goodSecrets, weight: 40 },
  { arbitrary: secretsMap.map((map) => JSON.stringify(map)), weight: 8 },
  secretsMap.chain((map) => fc.nat().map((cut) => JSON.stringify(map).slice(0, Math.max(1, cut % 120)))),
  secretsMap.map((map) => JSON.stringify(map).replace(/"$/, "")),
  secretsMap.map((map) => JSON.stringify(map).replace(`"${SECRET_MARK}`, `${SECRET_MARK}`)),
  secretsMap.map((map) => JSON.stringify(map).replace(":", ": x")),
  fc.string({ maxLength: 10 }).map((tail) => JSON.stringify({ clientsecret: [`${SECRET_MARK}${tail}`] })),
  fc.string({ maxLength: 10 }).map((tail) => `{"clientsecret": ${SECRET_MARK}${tail}}`),
  fc.string({ maxLength: 10 }).map((tail) => `["${SECRET_MARK}${tail}"]`),
  fc.constantFrom("null", "{}", "", "[]", "0", '""'),
);

/** `permission`: the driver sends a decimal number in JSON. */
const permission = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 0o777 }).map(String), weight: 40 },
  fc.integer().map(String),
  fc.double().map((n) => JSON.stringify(n) ?? "null"),
  fc.constantFrom(
    "420",
    "0644",
    "0x1a4",
    "1e400",
    "-0",
    "4.2e2",
    '"420"',
    "null",
    "",
    " 420 ",
    "420x",
    "[420]",
    "511",
    "512",
  ),
  fc.string({ maxLength: 6 }),
);

/** A cloud environment file: valid JSON (unmarked: its fields are quoted on purpose) or not. */
const cloudFile = fc.oneof(
  fc.record({
    name: weird,
    activeDirectoryEndpoint: fc.constantFrom("https://login.example.com/", "http://x", ""),
    keyVaultEndpoint: fc.constantFrom("https://vault.example.com", "ftp://x"),
    keyVaultDNSSuffix: fc.constantFrom("vault.example.com", ".vault.example.com", "bad suffix"),
  }, { requiredKeys: [] }).map((data) => JSON.stringify(data)),
  fc.string({ maxLength: 20 }).map((tail) => `{"name": "${FILE_MARK}${tail}" x`),
  fc.string({ maxLength: 20 }).map((tail) => `${FILE_MARK}${tail}`),
  fc.string({ maxLength: 20 }).map((tail) => `{"keyVaultEndpoint": ${FILE_MARK}${tail}}`),
);

/** A whole Mount request. */
export const mountInput: fc.Arbitrary<MountInput> = fc.record({
  request: fc.record({ attributes, secrets, permission }),
  cloudFile,
});
