/**
 * Helpers for the emulator's own tests: run the real SDK in a child process (raw HTTPS through
 * the proxy: tests/harness/emulator.ts; service-account tokens: tests/harness/service_account.ts).
 */
import type { Emulator } from "./emulator.ts";
import type { ProbeRequest, ProbeResult } from "./sdk_probe.ts";
import { baseEnv } from "../harness/env.ts";
import { TENANT } from "../harness/spc.ts";

const PROBE = new URL("./sdk_probe.ts", import.meta.url);
const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** Seeded identities of seed.yaml used across tests. */
export const SP_APP = {
  clientId: "11111111-1111-1111-1111-111111111111",
  secret: "s3cr3t-value~for.demo_only",
};
export const SP_OUTSIDER = { clientId: "22222222-2222-2222-2222-222222222222", secret: "outsider-secret" };
export const SP_GETONLY = { clientId: "33333333-3333-3333-3333-333333333333", secret: "getonly-secret" };
export const WI_APP = { clientId: "44444444-4444-4444-4444-444444444444" };
export const VM_USER = { clientId: "55555555-5555-5555-5555-555555555555" };
export const DEMO_VAULT = "https://demo-vault.vault.azure.net";

let cached: Promise<void> | undefined;

// Resolve the SDK's npm packages once with the normal environment: the child
// runs with HTTPS_PROXY pointing at the emulator, which refuses registries.
function ensureProbeCached(): Promise<void> {
  return cached ??= (async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["cache", "--quiet", PROBE.pathname],
      cwd: REPO_ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`deno cache failed: ${new TextDecoder().decode(out.stderr)}`);
  })();
}

/** Runs SDK calls in a child process configured only through the emulator's env. */
export async function runProbe(
  emulator: Emulator,
  request: ProbeRequest,
  extraEnv: Record<string, string> = {},
): Promise<ProbeResult[]> {
  await ensureProbeCached();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--cached-only", PROBE.pathname, JSON.stringify(request)],
    cwd: REPO_ROOT,
    clearEnv: true,
    env: { ...baseEnv(), ...emulator.env(), ...extraEnv },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !stdout) {
    throw new Error(`probe failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(stdout.split("\n").at(-1)!);
}

/** The value of a successful probe result; throws with the SDK error otherwise. */
export function okValue<T = Record<string, unknown>>(result: ProbeResult): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value as T;
}

/** The error of a failed probe result; throws if it succeeded. */
export function errorOf(
  result: ProbeResult,
): { name: string; message: string; code?: string; statusCode?: number } {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

/** A client-credentials form for the Entra token endpoint. */
export function tokenForm(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      scope: "https://vault.azure.net/.default",
      ...fields,
    }).toString(),
  };
}

/** The seed tenant's Entra token endpoint. */
export const TOKEN_URL = `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`;

/**
 * Posts a client assertion for workload identity's app to the token endpoint through `fetch`
 * (the emulator's proxied fetch), and returns the status and the JSON body.
 */
export function assertionPoster(
  fetch: (url: string, init: RequestInit) => Promise<Response>,
  // deno-lint-ignore no-explicit-any
): (assertion: string) => Promise<{ status: number; body: any }> {
  return (assertion) =>
    fetch(
      TOKEN_URL,
      tokenForm({
        client_id: WI_APP.clientId,
        client_assertion: assertion,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      }),
    ).then(async (response) => ({ status: response.status, body: await response.json() }));
}
