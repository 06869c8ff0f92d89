import { Buffer } from "node:buffer";
import type { MountResult } from "./mount_types.ts";

/**
 * The Secrets Store CSI Driver's default `--max-call-recv-msg-size`: a larger MountResponse is
 * refused by its gRPC client with a bare ResourceExhausted after the provider did all the work.
 */
export const DRIVER_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * The most a Kubernetes Secret holds. The driver syncs mounted files into Secrets
 * (`secretObjects`) and only logs a warning for a response over this size; the sync fails.
 */
export const KUBERNETES_SECRET_MAX_BYTES = 1024 * 1024;

/** A mount whose files do not fit in one response the driver accepts. */
export class ResponseTooLargeError extends Error {
  override name = "ResponseTooLargeError";
}

/**
 * The size in bytes of the MountResponse protobuf for `result`, as the server encodes it (every
 * field of a File and an ObjectVersion written, the error field absent).
 */
export function mountResponseSize(result: MountResult): number {
  let size = 0;
  for (const { id, version } of result.objectVersions) {
    size += field(field(Buffer.byteLength(id, "utf8")) + field(Buffer.byteLength(version, "utf8")));
  }
  for (const { path, mode, contents } of result.files) {
    size += field(field(Buffer.byteLength(path, "utf8")) + 1 + varintLength(mode) + field(contents.length));
  }
  return size;
}

/** Describes a response that is too large: its size, the limit, and the largest files. */
export function responseTooLargeMessage(result: MountResult, size: number, limit: number): string {
  const largest = [...result.files].sort((a, b) => b.contents.length - a.contents.length).slice(0, 3)
    .map((file) => `${file.path} (${file.contents.length} bytes)`);
  return `the mount's ${result.files.length} files make a ${size}-byte response, over the ${limit}-byte ` +
    `limit of the driver's gRPC client (--max-call-recv-msg-size, 4 MiB by default); the largest are ` +
    `${largest.join(", ")}: split the objects over several SecretProviderClasses, or raise ` +
    "--max-call-recv-msg-size on the driver and --max-response-size here together";
}

/** A length-delimited field: its tag, its length as a varint, and its bytes. */
function field(length: number): number {
  return 1 + varintLength(length) + length;
}

function varintLength(value: number): number {
  if (value < 0) return 10;
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}
