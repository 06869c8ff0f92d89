/**
 * Calls the provider with python3-grpcio (the gRPC C core): a client that shares no code
 * with grpc-js, like the driver's grpc-go.
 */
import { decodeBase64 } from "./bytes.ts";

const SCRIPT = new URL("./python_client.py", import.meta.url).pathname;

/** A MountResponse as the Python client decoded it, or the status it failed with. */
export interface PythonMountResult {
  object_version?: { id: string; version: string }[];
  files?: { path: string; mode: number; contents: Uint8Array }[];
  error?: { code: string; details: string };
}

/** Runs one call through the Python client. */
export async function pythonCall(
  socket: string,
  method: "Mount" | "Version" | "Health",
  request: Record<string, unknown> = {},
  deadlineSeconds = 30,
): Promise<Record<string, unknown>> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: [SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(JSON.stringify({ socket, method, request, deadline_seconds: deadlineSeconds })),
  );
  await writer.close();
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) throw new Error(`python client failed: ${new TextDecoder().decode(output.stderr)}`);
  return JSON.parse(stdout);
}

/** Mounts through the Python client and decodes file contents to bytes. */
export async function pythonMount(
  socket: string,
  request: { attributes: string; secrets: string; permission: string; target_path?: string },
): Promise<PythonMountResult> {
  const raw = await pythonCall(socket, "Mount", {
    target_path: "/var/lib/kubelet/pods/x/volumes/mount",
    ...request,
  });
  if (raw.error) return { error: raw.error as { code: string; details: string } };
  const files = (raw.files as { path: string; mode: number; contents: string }[]).map((file) => ({
    ...file,
    contents: decodeBase64(file.contents),
  }));
  return { object_version: raw.object_version as { id: string; version: string }[], files };
}
