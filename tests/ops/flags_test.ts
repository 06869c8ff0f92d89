/**
 * The provider's flags: the Go provider's names, defaults and syntax, clear errors for anything
 * else (checked by running main.ts as a user would), and the flags table in docs/operations.md kept in sync.
 */
import assert from "node:assert/strict";
import { FlagError, FLAGS, parseFlags, usage } from "../../src/ops/flags.ts";
import { productionPermissions } from "../harness/provider_process.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("defaults are the Go provider's", () => {
  const flags = parseFlags([]);
  assert.equal(flags.endpoint, "unix:///tmp/azure.sock");
  assert.equal(flags.constructPemChain, true);
  assert.equal(flags.writeCertAndKeyInSeparateFiles, false);
  assert.equal(flags.cloudName, "AzurePublicCloud");
  assert.equal(flags.healthzPort, 8989);
  assert.equal(flags.healthzPath, "/healthz");
  assert.equal(flags.healthzTimeoutMs, 5000);
  assert.equal(flags.metricsBackend, "prometheus");
  assert.equal(flags.prometheusPort, 8898);
  assert.equal(flags.logFormatJson, false);
  assert.equal(flags.verbosity, 0);
  assert.equal(flags.version, false);
  assert.equal(flags.tokenProxyUrl, "https://kubernetes.default.svc.cluster.local/");
  assert.equal(flags.sniName, "", "computed from the API server's certificate when needed");
  assert.deepEqual(flags.ignored, []);
});

Deno.test('identity binding\'s flags: the token proxy URL (a path kept, "" = the default) and the server name', () => {
  const flags = parseFlags([
    "--token-proxy-url=https://kubernetes.default.svc.cluster.local:8443/identity-proxy",
    "--sni-name=a0123456789abcdefghijklmnopqrstuv0123456789abcdefghi.ests.aks",
  ]);
  assert.equal(flags.tokenProxyUrl, "https://kubernetes.default.svc.cluster.local:8443/identity-proxy");
  assert.equal(flags.sniName, "a0123456789abcdefghijklmnopqrstuv0123456789abcdefghi.ests.aks");
  assert.deepEqual(flags.ignored, [], "no longer accepted-and-ignored");
  assert.equal(
    parseFlags(["--token-proxy-url="]).tokenProxyUrl,
    "https://kubernetes.default.svc.cluster.local/",
  );
});

Deno.test("Go flag syntax: one or two dashes, =value or the next argument, bare booleans, last wins", () => {
  const flags = parseFlags([
    "-endpoint",
    "unix:///provider/azure.sock",
    "--construct-pem-chain=false",
    "-write-cert-and-key-in-separate-files",
    "--cloud-name=AzureUSGovernmentCloud",
    "--healthz-port",
    "9000",
    "-healthz-path=/live",
    "--healthz-timeout=1m30s",
    "--metrics-backend=PROMETHEUS",
    "--prometheus-port=9100",
    "--log-format-json",
    "-v=3",
    "-v",
    "5",
  ]);
  assert.equal(flags.endpoint, "unix:///provider/azure.sock");
  assert.equal(flags.constructPemChain, false);
  assert.equal(flags.writeCertAndKeyInSeparateFiles, true);
  assert.equal(flags.cloudName, "AzureUSGovernmentCloud");
  assert.equal(flags.healthzPort, 9000);
  assert.equal(flags.healthzPath, "/live");
  assert.equal(flags.healthzTimeoutMs, 90_000);
  assert.equal(flags.metricsBackend, "prometheus");
  assert.equal(flags.prometheusPort, 9100);
  assert.equal(flags.logFormatJson, true);
  assert.equal(flags.verbosity, 5);
});

Deno.test("Go booleans and durations", () => {
  for (const word of ["1", "t", "T", "TRUE", "true", "True"]) {
    assert.equal(parseFlags([`--log-format-json=${word}`]).logFormatJson, true, word);
  }
  for (const word of ["0", "f", "F", "FALSE", "false", "False"]) {
    assert.equal(parseFlags([`--construct-pem-chain=${word}`]).constructPemChain, false, word);
  }
  const ms = (value: string) => parseFlags([`--healthz-timeout=${value}`]).healthzTimeoutMs;
  assert.equal(ms("250ms"), 250);
  assert.equal(ms("1.5s"), 1500);
  assert.equal(ms("2m"), 120_000);
  assert.equal(ms("1h"), 3_600_000);
  assert.equal(ms("1500us"), 1.5);
  assert.equal(ms("0"), 0);
});

Deno.test("compatibility-only flags (pprof, user agent, identity binding, klog) are accepted and reported", () => {
  const flags = parseFlags([
    "--custom-user-agent=team-a",
    "--enable-pprof=true",
    "--pprof-port=6061",
    "--logtostderr=true",
    "--alsologtostderr",
    "--vmodule=server=5",
    "--stderrthreshold=INFO",
  ]);
  assert.deepEqual(flags.ignored, [
    "custom-user-agent",
    "enable-pprof",
    "pprof-port",
    "logtostderr",
    "alsologtostderr",
    "stderrthreshold",
    "vmodule",
  ]);
  assert.throws(() => parseFlags(["--logtostderr=maybe"]), FlagError);
});

Deno.test("every invalid input is a FlagError that names the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /^flag provided but not defined: --bogus \(see --help\)$/],
    [["--healthz-prot=1"], /did you mean --healthz-port\?/],
    [["-V=2"], /did you mean -v\?/],
    [["-v=abc"], /invalid value "abc" for flag -v/],
    [
      ["--healthz-port=70000"],
      /invalid value "70000" for flag --healthz-port: want a whole number from 0 to 65535/,
    ],
    [["--prometheus-port=-1"], /for flag --prometheus-port/],
    [["--healthz-timeout=5"], /invalid duration "5" for flag --healthz-timeout: use e.g. 5s, 250ms, 1m30s/],
    [["--healthz-path=healthz"], /--healthz-path: must start with \//],
    [["--construct-pem-chain=yes"], /invalid boolean value "yes" for flag --construct-pem-chain/],
    [["--cloud-name=Mars"], /unknown cloud \(valid names: AzurePublicCloud, /],
    [["--metrics-backend=statsd"], /^unsupported metrics backend statsd \(only prometheus is supported\)$/],
    [["--endpoint=/tmp/azure.sock"], /for flag --endpoint: invalid endpoint: \/tmp\/azure.sock/],
    [["--endpoint"], /^flag needs an argument: --endpoint/],
    [["serve"], /unexpected argument "serve": the provider takes only flags/],
    [["--log-format-json", "false"], /unexpected argument "false"/],
    [["--", "x"], /unexpected argument "x"/],
    [
      ["--token-proxy-url=http://kubernetes.default.svc.cluster.local"],
      /^invalid value "http:\/\/kubernetes.default.svc.cluster.local" for flag --token-proxy-url: the token proxy is reached over https:\/\/, e.g. https:\/\/kubernetes.default.svc.cluster.local$/,
    ],
    [["--token-proxy-url=kubernetes.default.svc"], /--token-proxy-url: not a URL/],
    [["--token-proxy-url=https://u:p@proxy.test/"], /--token-proxy-url: it must not hold user info/],
    [
      ["--token-proxy-url=https://proxy.test/?a=1"],
      /--token-proxy-url: it must not have a query or a fragment/,
    ],
    [["--sni-name=not a name"], /invalid value "not a name" for flag --sni-name: want a DNS name/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseFlags(args), (error: Error) => {
      assert.ok(error instanceof FlagError, `${args}: ${error}`);
      assert.match(error.message, message, args.join(" "));
      return true;
    });
  }
});

/** Runs main.ts with the production permission list, as `deno task start` does. */
async function runMain(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...productionPermissions(), new URL("main.ts", ROOT).pathname, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

Deno.test("main.ts: an unknown or invalid flag prints one clear line and exits 2, before listening", async () => {
  const unknown = await runMain(["--endpoint=unix:///tmp/never-created.sock", "--healthz-prot=1"]);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.stderr,
    "error: flag provided but not defined: --healthz-prot; did you mean --healthz-port? (see --help)\n",
  );
  assert.equal(unknown.stdout, "");
  const invalid = await runMain(["--endpoint=unix:///tmp/never-created.sock", "-v=loud"]);
  assert.equal(invalid.code, 2);
  assert.equal(
    invalid.stderr,
    'error: invalid value "loud" for flag -v: want a whole number from 0 to 2147483647\n',
  );
  await assert.rejects(Deno.lstat("/tmp/never-created.sock"), Deno.errors.NotFound);
});

Deno.test("main.ts: --version prints JSON and exits 0; --help lists every flag", async () => {
  const version = await runMain(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  const printed = JSON.parse(version.stdout);
  const denoJson = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT)));
  assert.equal(printed.version, denoJson.version);
  assert.equal(printed.name, "secrets-store-csi-driver-provider-azure");
  const help = await runMain(["--help"]);
  assert.equal(help.code, 0);
  for (const name of Object.keys(FLAGS)) {
    assert.ok(help.stdout.includes(name.length === 1 ? ` -${name} ` : ` --${name}`), name);
  }
});

Deno.test("docs/operations.md: the flags table lists every flag with its default, and nothing else", () => {
  const readme = Deno.readTextFileSync(new URL("docs/operations.md", ROOT));
  const start = readme.indexOf("<!-- flags-table -->");
  const end = readme.indexOf("<!-- /flags-table -->");
  assert.ok(start >= 0 && end > start, "docs/operations.md has the flags table markers");
  const rows = readme.slice(start, end).split("\n").filter((line) => /^\| `-/.test(line));
  const table = new Map(rows.map((row) => {
    const [flag, defaultValue] = row.split("|").slice(1, 3).map((cell) => cell.trim());
    return [flag.replace(/^`-{1,2}|`$/g, ""), defaultValue.replace(/^`|`$/g, "")];
  }));
  assert.deepEqual([...table.keys()].sort(), Object.keys(FLAGS).sort());
  for (const [name, spec] of Object.entries(FLAGS)) {
    if (name === "unix-listener") continue; // its default depends on the OS; the row says so
    assert.equal(table.get(name), spec.default === "" ? "" : spec.default, `default of --${name}`);
  }
  // The klog flags, as --help lists them.
  const klog = usage().split("\n").find((line) => line.startsWith("  klog flags accepted and ignored: "))!;
  const klogFlags = klog.slice(klog.indexOf(":") + 2).split(" ");
  assert.ok(klogFlags.length > 10, klog);
  for (const flag of klogFlags) {
    assert.ok(readme.includes(`\`--${flag.replace(/^-+/, "")}\``), `klog flag ${flag}`);
  }
});

Deno.test("--nmi-address takes host:port, default localhost:2579", () => {
  assert.equal(parseFlags([]).nmiAddress, "localhost:2579");
  for (const address of ["127.0.0.1:2579", "nmi.kube-system:80", "[::1]:2579"]) {
    assert.equal(parseFlags([`--nmi-address=${address}`]).nmiAddress, address);
  }
  for (const address of ["localhost", "http://localhost:2579", "localhost:99999", ":2579"]) {
    assert.throws(
      () => parseFlags([`--nmi-address=${address}`]),
      (error: Error) =>
        error instanceof FlagError &&
        error.message ===
          `invalid value ${
            JSON.stringify(address)
          } for flag --nmi-address: want host:port, e.g. localhost:2579`,
    );
  }
});
