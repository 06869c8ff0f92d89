/** The URL a token request takes through the AKS token proxy (identity binding). */
import assert from "node:assert/strict";
import { proxiedUrl } from "../../src/identity/token_proxy.ts";

Deno.test("the proxied URL is the proxy's origin and path, then the request's path and query", () => {
  const token = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token";
  assert.equal(
    proxiedUrl(token, "https://kubernetes.default.svc.cluster.local/"),
    "https://kubernetes.default.svc.cluster.local/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
  );
  assert.equal(
    proxiedUrl(`${token}?client-request-id=1`, "https://proxy.test:8443/identity-proxy"),
    "https://proxy.test:8443/identity-proxy/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token?client-request-id=1",
  );
  assert.equal(
    proxiedUrl(token, "https://proxy.test/a/b/"),
    "https://proxy.test/a/b/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
  );
});
