/**
 * AKS identity binding (`useAzureTokenProxy`) end to end: the provider process (production
 * permissions) mounts over its socket, its token request goes to the emulated cluster's token
 * proxy instead of Entra, with the proxy's TLS server name, and the emulator records what the
 * proxy, the API server and Key Vault saw.
 *
 * The provider trusts the cluster CA file when it exists; on a test machine it does not, so the
 * provider trusts the system roots plus NODE_EXTRA_CA_CERTS, the emulator's CA, which signs the
 * API server's and the token proxy's certificates. HTTPS_PROXY leads to the cluster's address.
 */
import assert from "node:assert/strict";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { type ProviderProcess, startProviderProcess } from "../harness/provider_process.ts";
import { type Emulator, startEmulator } from "../emulator/emulator.ts";
import {
  BINDING_AUDIENCE,
  BINDING_CLIENT,
  BOUND_SUBJECT,
  CODE,
  MODES,
  request,
  SEED,
  TENANT,
  TOKEN_PROXY_PATH as PROXY_PATH,
} from "./identity_fixtures.ts";
import { serviceAccountJwt } from "../harness/service_account.ts";

const AUDIENCE = BINDING_AUDIENCE;
const CA_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
const binding = MODES.identityBinding;

async function failure(client: ReturnType<typeof providerClient>, mount: ReturnType<typeof request>) {
  return await client.mount(mount).then(
    () => assert.fail("the mount should fail"),
    (e) => e as { code: number; details: string },
  );
}

/** Runs `body` with an emulator of the identity fixtures' {@link SEED} and a provider started with `args`. */
async function withWorld(
  args: (emulator: Emulator) => string[],
  body: (
    world: { emulator: Emulator; provider: ProviderProcess; client: ReturnType<typeof providerClient> },
  ) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const emulator = await startEmulator({ seed: SEED });
  const provider = await startProviderProcess({ env: { ...emulator.env(), ...env }, args: args(emulator) });
  const client = providerClient(provider.socketPath);
  try {
    await body({ emulator, provider, client });
    for (const token of emulator.issuedTokens()) {
      assert.ok(!provider.output().includes(token), "no issued token in the provider's logs");
    }
  } finally {
    client.close();
    await provider.stop();
    await emulator.close();
  }
}

/** The flags that point the provider at the emulated cluster's token proxy, by its URL and server name. */
const clusterProxyFlags = (emulator: Emulator): string[] => [
  `--token-proxy-url=${emulator.aksCluster.tokenProxyUrl}`,
  `--sni-name=${emulator.aksCluster.sniName}`,
];

const inCluster = (() => {
  try {
    return Deno.statSync(CA_FILE).isFile;
  } catch {
    return false;
  }
})();
const ignore = inCluster; // in a pod the provider trusts that CA only, not the emulator's

Deno.test({
  name:
    "identity binding: a mount exchanges the bound token at the token proxy, with its server name; a remount asks nothing",
  ignore,
  async fn() {
    await withWorld(
      clusterProxyFlags,
      async ({ emulator, client }) => {
        const first = await client.mount(request(binding()));
        assert.equal(text(first.files[0].contents), "public");

        const proxied = emulator.requests({ service: "tokenProxy" });
        assert.deepEqual(
          proxied.map(({ method, host, path, status, identity }) => ({
            method,
            host,
            path,
            status,
            identity,
          })),
          [{
            method: "POST",
            host: "kubernetes.default.svc.cluster.local",
            path: `${PROXY_PATH}${TENANT}/oauth2/v2.0/token`,
            status: 200,
            identity: "bound-mi",
          }],
          "one token request, on the proxy's path, for the bound identity",
        );
        assert.deepEqual(emulator.requests({ service: "entra" }), [], "Entra itself is never asked");
        assert.deepEqual(emulator.requests({ service: "apiserver" }), [], "--sni-name given: no probe");
        assert.deepEqual(
          emulator.tunnels(),
          [{
            host: "kubernetes.default.svc.cluster.local",
            serverName: emulator.aksCluster.sniName,
            backend: "tokenProxy",
          }],
        );
        const reads = emulator.requests({ service: "keyvault", status: 200 });
        assert.deepEqual(reads.map((r) => r.identity), ["bound-mi"], "Key Vault read as the bound identity");

        emulator.resetRequests();
        const second = await client.mount(request(binding()));
        assert.equal(text(second.files[0].contents), "public");
        assert.deepEqual(
          emulator.requests({ service: "tokenProxy" }),
          [],
          "the token is cached: no proxy call",
        );
        assert.deepEqual(emulator.tunnels(), []);
        assert.deepEqual(emulator.requests({ service: "keyvault", status: 200 }).map((r) => r.identity), [
          "bound-mi",
        ]);
      },
    );
  },
});

Deno.test({
  name:
    "identity binding: a token proxy in NO_PROXY is reached directly, with the same server name and trust",
  ignore,
  async fn() {
    await withWorld(
      (emulator) => [
        `--token-proxy-url=https://${emulator.aksCluster.tokenProxyAddress}${PROXY_PATH}`,
        `--sni-name=${emulator.aksCluster.sniName}`,
      ],
      async ({ emulator, client }) => {
        const mounted = await client.mount(request(binding()));
        assert.equal(text(mounted.files[0].contents), "public");
        const proxied = emulator.requests({ service: "tokenProxy" });
        assert.deepEqual(
          proxied.map(({ host, path, status }) => ({ host, path, status })),
          [{ host: "127.0.0.1", path: `${PROXY_PATH}${TENANT}/oauth2/v2.0/token`, status: 200 }],
        );
        assert.deepEqual(emulator.tunnels(), [], "not through the CONNECT proxy");
      },
      { NO_PROXY: "127.0.0.1" },
    );
  },
});

Deno.test({
  name:
    "identity binding: without --sni-name the server name comes from the API server certificate's cluster id",
  ignore,
  async fn() {
    await withWorld(
      (emulator) => [`--token-proxy-url=${emulator.aksCluster.tokenProxyUrl}`],
      async ({ emulator, client, provider }) => {
        const first = await client.mount(request(binding()));
        assert.equal(text(first.files[0].contents), "public");
        assert.deepEqual(
          emulator.tunnels().map(({ serverName, backend }) => ({ serverName, backend })),
          [
            { serverName: "kubernetes.default.svc.cluster.local", backend: "apiserver" },
            { serverName: emulator.aksCluster.sniName, backend: "tokenProxy" },
          ],
          "the API server is asked once for its certificate, then the proxy is reached by the computed name",
        );
        assert.equal(emulator.requests({ service: "apiserver" }).length, 1);
        assert.equal(emulator.requests({ service: "tokenProxy", status: 200 }).length, 1);

        // Another identity of the same cluster: the computed name is kept, the API server not asked again.
        emulator.resetRequests();
        const other = serviceAccountJwt({
          aud: AUDIENCE,
          sub: BOUND_SUBJECT,
          iss: "https://other-issuer.example/",
        });
        await client.mount(request(binding(other)));
        assert.deepEqual(emulator.requests({ service: "apiserver" }), []);
        assert.equal(emulator.requests({ service: "tokenProxy", status: 200 }).length, 1);
        assert.doesNotMatch(provider.output(), /ERROR/);
      },
    );
  },
});

Deno.test({
  name: "identity binding: when the server name cannot be computed, the mount says so and names --sni-name",
  ignore,
  async fn() {
    await withWorld(
      (emulator) => [`--token-proxy-url=${emulator.aksCluster.tokenProxyUrl}`],
      async ({ emulator, client }) => {
        // The API server's port comes from KUBERNETES_SERVICE_PORT; nothing answers on this one.
        const error = await failure(client, request(binding()));
        assert.equal(error.code, CODE.UNAUTHENTICATED, error.details);
        assert.match(
          error.details,
          /failed to get a token: identity binding: cannot compute the token proxy's TLS server name: TLS connect to the API server https:\/\/kubernetes\.default\.svc\.cluster\.local:8443\/ failed: .*\(set the provider's --sni-name flag to skip automatic SNI detection\)$/,
        );
        assert.deepEqual(emulator.requests({ service: "tokenProxy" }), []);
        assert.deepEqual(emulator.tunnels(), []);
      },
      { KUBERNETES_SERVICE_PORT: "8443" },
    );
  },
});

Deno.test({
  name: "identity binding: a wrong server name fails the handshake, before any token is asked for",
  ignore,
  async fn() {
    await withWorld(
      (
        emulator,
      ) => [`--token-proxy-url=${emulator.aksCluster.tokenProxyUrl}`, "--sni-name=a0000wrong.ests.aks"],
      async ({ emulator, client }) => {
        const error = await failure(client, request(binding()));
        assert.equal(error.code, CODE.UNAUTHENTICATED, error.details);
        assert.match(error.details, /a0000wrong\.ests\.aks/, "names the server name it sent");
        assert.match(error.details, /altnames/i, "the certificate does not name it");
        assert.deepEqual(
          emulator.tunnels().map(({ serverName, backend }) => ({ serverName, backend })),
          [{ serverName: "a0000wrong.ests.aks", backend: "apiserver" }],
          "the wrong name does not reach the token proxy",
        );
        assert.deepEqual(emulator.requests({ service: "tokenProxy" }), []);
        assert.deepEqual(emulator.requests({ service: "keyvault", status: 200 }), [], "nothing read");
      },
    );
  },
});

Deno.test({
  name: "identity binding: errors — wrong audience at the proxy, bad input before any call, two modes",
  ignore,
  async fn(t) {
    await withWorld(
      clusterProxyFlags,
      async ({ emulator, client }) => {
        await t.step("a token for another audience is refused by the proxy", async () => {
          // Filed under the binding audience but minted for workload identity's: only the proxy can tell.
          const wrong = serviceAccountJwt({ aud: "api://AzureADTokenExchange", sub: BOUND_SUBJECT });
          const error = await failure(client, request(binding(wrong)));
          assert.equal(error.code, CODE.UNAUTHENTICATED, error.details);
          assert.match(error.details, /AADSTS700212/);
          assert.match(error.details, /api:\/\/AzureADTokenExchange/);
          assert.deepEqual(emulator.requests({ service: "tokenProxy" }).map((r) => r.status), [400]);
          assert.deepEqual(emulator.requests({ service: "keyvault", status: 200 }), []);
        });

        await t.step("a service account that is not bound to the client id is refused", async () => {
          emulator.resetRequests();
          const stranger = serviceAccountJwt({
            aud: AUDIENCE,
            sub: "system:serviceaccount:default:stranger",
          });
          const error = await failure(client, request(binding(stranger)));
          assert.equal(error.code, CODE.UNAUTHENTICATED, error.details);
          assert.match(error.details, /AADSTS70021/);
        });

        await t.step("missing clientID or tokens: InvalidArgument before any network call", async () => {
          emulator.resetRequests();
          const cases: [Record<string, string>, RegExp][] = [
            [
              { useAzureTokenProxy: "true" },
              /^failed to mount objects, error: clientID is required for identity binding/,
            ],
            [
              { useAzureTokenProxy: "true", clientID: BINDING_CLIENT },
              /^failed to mount objects, error: service account tokens are required for identity binding: .*add \{audience: api:\/\/AKSIdentityBinding\} to spec.tokenRequests/,
            ],
            [
              {
                ...binding(serviceAccountJwt(), "api://AzureADTokenExchange").parameters,
              },
              /failed to parse service account token for identity binding, error: token for audience api:\/\/AKSIdentityBinding not found \(the driver sent tokens for: api:\/\/AzureADTokenExchange\)/,
            ],
            [
              { useAzureTokenProxy: "true", clientID: "/subscriptions/x/resourceGroups/y" },
              /clientID "\/subscriptions\/x\/resourceGroups\/y" is not a client id: it looks like a resource id/,
            ],
          ];
          for (const [parameters, message] of cases) {
            const error = await failure(client, request({ parameters }));
            assert.equal(error.code, CODE.INVALID_ARGUMENT, error.details);
            assert.match(error.details, message);
          }
          assert.deepEqual(
            emulator.requests(),
            [],
            "no call to the proxy, the API server, Entra or Key Vault",
          );
          assert.deepEqual(emulator.tunnels(), []);
        });

        await t.step("two identity modes at once: the Go provider's message", async () => {
          for (const other of ["usePodIdentity", "useVMManagedIdentity"]) {
            const error = await failure(
              client,
              request({ parameters: { ...binding().parameters, [other]: "true" } }),
            );
            assert.equal(error.code, CODE.INVALID_ARGUMENT);
            assert.match(
              error.details,
              new RegExp(
                `only one identity mode can be enabled at a time: ${other} and useAzureTokenProxy are both enabled ` +
                  `\\(choose one of usePodIdentity, useVMManagedIdentity, or useAzureTokenProxy\\)`,
              ),
            );
          }
          assert.deepEqual(emulator.requests(), []);
        });
      },
    );
  },
});
