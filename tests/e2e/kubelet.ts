/**
 * Plays kubelet for CSI inline volumes of the Secrets Store CSI Driver: reads the Pod and the
 * CSIDriver object from the API server, builds NodePublishVolume exactly from them (volume handle,
 * target path, volume context with pod info, service-account tokens requested from the API server
 * for the CSIDriver's `tokenRequests`, the decoded nodePublishSecretRef) and calls the driver's
 * CSI socket through the Go CSI client.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { DRIVER_NAME } from "./cluster.ts";
import type { Kube, KubeObject } from "./kube.ts";
import { run } from "../harness/child_process.ts";

/** The outcome of a CSI call: `OK` or a gRPC code with the driver's message. */
export interface CsiResult {
  code: string;
  message?: string;
}

/** A pod's CSI volume, as kubelet addresses it. */
export interface PodVolume {
  readonly namespace: string;
  readonly pod: string;
  readonly volume: string;
}

/** kubelet for one node: its root folder and the driver's socket. */
export class Kubelet {
  constructor(
    readonly kube: Kube,
    readonly root: string,
    readonly csiClient: string,
    readonly csiSocket: string,
  ) {}

  /** kubelet's target path: `<root>/pods/<uid>/volumes/kubernetes.io~csi/<volume>/mount`. */
  targetPath(uid: string, volume: string): string {
    return `${this.root}/pods/${uid}/volumes/kubernetes.io~csi/${volume}/mount`;
  }

  /** NodePublishVolume for one volume of a pod; a second call on a mounted volume is a republish. */
  async publish(ref: PodVolume): Promise<CsiResult> {
    const pod = await this.#pod(ref);
    const volume = (pod.spec.volumes as KubeObject[]).find((v) => v.name === ref.volume)?.csi;
    if (volume?.driver !== DRIVER_NAME) {
      throw new Error(`${ref.pod} has no ${DRIVER_NAME} volume ${ref.volume}`);
    }
    const driver = await this.kube.request("GET", `/apis/storage.k8s.io/v1/csidrivers/${DRIVER_NAME}`);
    const volumeContext: Record<string, string> = { ...(volume.volumeAttributes ?? {}) };
    if (driver.spec.podInfoOnMount) Object.assign(volumeContext, podInfo(pod));
    const secrets = volume.nodePublishSecretRef
      ? await this.#secretData(ref.namespace, volume.nodePublishSecretRef.name)
      : {};
    const tokens = await this.#serviceAccountTokens(pod, driver);
    if (tokens !== undefined) {
      // Where kubelet puts them depends on the CSIDriver's serviceAccountTokenInSecrets.
      if (driver.spec.serviceAccountTokenInSecrets) {
        secrets["csi.storage.k8s.io/serviceAccount.tokens"] = tokens;
      } else volumeContext["csi.storage.k8s.io/serviceAccount.tokens"] = tokens;
    }
    const targetPath = this.targetPath(pod.metadata.uid, ref.volume);
    // kubelet creates the volume's folder; the driver creates `mount` itself (CSI spec).
    await Deno.mkdir(targetPath.slice(0, targetPath.lastIndexOf("/")), { recursive: true });
    return await this.#call("NodePublishVolume", {
      volumeId: volumeHandle(pod.metadata.uid, ref.volume),
      targetPath,
      volumeCapability: { mount: {}, accessMode: { mode: "SINGLE_NODE_WRITER" } },
      readonly: volume.readOnly === true,
      secrets,
      volumeContext,
    });
  }

  /** NodeUnpublishVolume, as kubelet calls it when the pod goes away. */
  async unpublish(ref: PodVolume): Promise<CsiResult> {
    const pod = await this.#pod(ref);
    return await this.#call("NodeUnpublishVolume", {
      volumeId: volumeHandle(pod.metadata.uid, ref.volume),
      targetPath: this.targetPath(pod.metadata.uid, ref.volume),
    });
  }

  async #pod(ref: PodVolume): Promise<KubeObject> {
    return await this.kube.request("GET", `/api/v1/namespaces/${ref.namespace}/pods/${ref.pod}`);
  }

  async #secretData(namespace: string, name: string): Promise<Record<string, string>> {
    const secret = await this.kube.request("GET", `/api/v1/namespaces/${namespace}/secrets/${name}`);
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(secret.data ?? {})) {
      data[key] = Buffer.from(value as string, "base64").toString("utf8");
    }
    return data;
  }

  /** One pod-bound token per `tokenRequests` audience, JSON-encoded as kubelet does. */
  async #serviceAccountTokens(pod: KubeObject, driver: KubeObject): Promise<string | undefined> {
    const requests = (driver.spec.tokenRequests ?? []) as KubeObject[];
    if (requests.length === 0) return undefined;
    const tokens: Record<string, { token: string; expirationTimestamp: string }> = {};
    for (const request of requests) {
      const answer = await this.kube.request(
        "POST",
        `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${pod.spec.serviceAccountName}/token`,
        {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: {
            audiences: [request.audience],
            expirationSeconds: request.expirationSeconds ?? 3600,
            boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: pod.metadata.uid },
          },
        },
      );
      tokens[request.audience] = {
        token: answer.status.token,
        expirationTimestamp: answer.status.expirationTimestamp,
      };
    }
    return JSON.stringify(tokens);
  }

  async #call(method: string, request: KubeObject): Promise<CsiResult> {
    return JSON.parse(await run(this.csiClient, [this.csiSocket, method], JSON.stringify(request)));
  }
}

/** The pod keys kubelet adds to the volume context when the CSIDriver has `podInfoOnMount`. */
function podInfo(pod: KubeObject): Record<string, string> {
  return {
    "csi.storage.k8s.io/pod.name": pod.metadata.name,
    "csi.storage.k8s.io/pod.namespace": pod.metadata.namespace,
    "csi.storage.k8s.io/pod.uid": pod.metadata.uid,
    "csi.storage.k8s.io/serviceAccount.name": pod.spec.serviceAccountName,
    "csi.storage.k8s.io/ephemeral": "true",
  };
}

/** kubelet's handle of an inline volume: `csi-` + hex sha256(pod uid + volume name). */
export function volumeHandle(uid: string, volume: string): string {
  return `csi-${createHash("sha256").update(uid + volume).digest("hex")}`;
}
