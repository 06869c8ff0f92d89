/**
 * Runs real Azure SDK calls and prints their outcomes as one JSON line.
 *
 * Tests run this in a child `deno run` whose environment carries the
 * emulator's HTTPS_PROXY / NODE_EXTRA_CA_CERTS / AZURE_POD_IDENTITY_AUTHORITY_HOST,
 * because node:https reads NODE_EXTRA_CA_CERTS only at process start. Nothing
 * here knows about the emulator: it is what production code would do.
 *
 * Usage: deno run -A tests/emulator/sdk_probe.ts '<ProbeRequest JSON>'
 */
import {
  ClientAssertionCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from "@azure/identity";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";

/** Which credential the probe builds. */
export type ProbeCredential =
  | { kind: "clientSecret"; tenantId: string; clientId: string; clientSecret: string; authorityHost?: string }
  | { kind: "clientAssertion"; tenantId: string; clientId: string; assertion: string; authorityHost?: string }
  | { kind: "managedIdentity"; clientId?: string };

/** One SDK call. */
export type ProbeOp =
  | { op: "getSecret"; name: string; version?: string }
  | { op: "listSecretVersions"; name: string; maxPageSize?: number }
  | { op: "getKey"; name: string; version?: string }
  | { op: "getCertificate"; name: string }
  | { op: "getToken"; scope: string };

/** Input of the probe. */
export interface ProbeRequest {
  credential: ProbeCredential;
  vaultUrl: string;
  ops: ProbeOp[];
}

/** Outcome of one op: a JSON-friendly value or the error the SDK threw. */
export type ProbeResult =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; message: string; code?: string; statusCode?: number } };

function credentialOf(c: ProbeCredential): TokenCredential {
  switch (c.kind) {
    case "clientSecret":
      return new ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret, {
        authorityHost: c.authorityHost,
      });
    case "clientAssertion":
      return new ClientAssertionCredential(c.tenantId, c.clientId, () => Promise.resolve(c.assertion), {
        authorityHost: c.authorityHost,
      });
    case "managedIdentity":
      return c.clientId
        ? new ManagedIdentityCredential({ clientId: c.clientId })
        : new ManagedIdentityCredential();
  }
}

async function runOp(
  op: ProbeOp,
  clients: { secrets: SecretClient; keys: KeyClient; certs: CertificateClient; credential: TokenCredential },
): Promise<unknown> {
  switch (op.op) {
    case "getSecret": {
      const s = await clients.secrets.getSecret(op.name, { version: op.version });
      return {
        value: s.value,
        version: s.properties.version,
        contentType: s.properties.contentType,
        id: s.properties.id,
      };
    }
    case "listSecretVersions": {
      const pages: unknown[][] = [];
      const pager = clients.secrets.listPropertiesOfSecretVersions(op.name).byPage({
        maxPageSize: op.maxPageSize,
      });
      for await (const page of pager) {
        pages.push(
          page.map((p) => ({ version: p.version, enabled: p.enabled, created: p.createdOn?.getTime() })),
        );
      }
      return pages;
    }
    case "getKey": {
      const k = await clients.keys.getKey(op.name, { version: op.version });
      return {
        id: k.id,
        version: k.properties.version,
        keyType: k.keyType,
        managed: k.properties.managed ?? false,
      };
    }
    case "getCertificate": {
      const c = await clients.certs.getCertificate(op.name);
      return {
        id: c.id,
        keyId: c.keyId,
        secretId: c.secretId,
        version: c.properties.version,
        thumbprint: c.properties.x509ThumbprintString,
        cerLength: c.cer?.length ?? 0,
        subject: c.policy?.subject,
      };
    }
    case "getToken": {
      const t = await clients.credential.getToken(op.scope);
      return { expiresOnTimestamp: t?.expiresOnTimestamp };
    }
  }
}

async function main(): Promise<void> {
  const request = JSON.parse(Deno.args[0]) as ProbeRequest;
  const credential = credentialOf(request.credential);
  const clients = {
    secrets: new SecretClient(request.vaultUrl, credential),
    keys: new KeyClient(request.vaultUrl, credential),
    certs: new CertificateClient(request.vaultUrl, credential),
    credential,
  };
  const results: ProbeResult[] = [];
  for (const op of request.ops) {
    try {
      results.push({ ok: true, value: await runOp(op, clients) });
    } catch (err) {
      const e = err as { name?: string; message?: string; code?: string; statusCode?: number };
      results.push({
        ok: false,
        error: {
          name: e.name ?? "Error",
          message: e.message ?? String(err),
          code: e.code,
          statusCode: e.statusCode,
        },
      });
    }
  }
  console.log(JSON.stringify(results));
}

if (import.meta.main) await main();
