import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";

/**
 * The service definitions of proto/provider.proto and proto/health.proto, with their few
 * messages encoded and decoded here in the protobuf wire format. Building them with
 * protobufjs and @grpc/proto-loader at start-up held 4–5 MiB more in every idle provider
 * (docs/performance.md, Levers measured) for seven flat messages. Decoding is proto3's: every
 * field has its default when absent and unknown fields are skipped; encoding writes each field
 * the object has, as protobufjs does (tests/mount/response_size_test.ts pins the sizes).
 */

type Scalar = "string" | "bytes" | "int32";
interface Field {
  readonly name: string;
  readonly type: Scalar | Message;
  readonly repeated?: boolean;
  /** An enum's names and numbers (type int32); a name given when encoding is looked up here. */
  readonly values?: Readonly<Record<string, number>>;
}
/** A message: its fields by number. */
type Message = Readonly<Record<number, Field>>;

const ObjectVersion: Message = { 1: { name: "id", type: "string" }, 2: { name: "version", type: "string" } };
const VersionRequest: Message = { 1: { name: "version", type: "string" } };
const VersionResponse: Message = {
  1: { name: "version", type: "string" },
  2: { name: "runtime_name", type: "string" },
  3: { name: "runtime_version", type: "string" },
};
const MountRequest: Message = {
  1: { name: "attributes", type: "string" },
  2: { name: "secrets", type: "string" },
  3: { name: "target_path", type: "string" },
  4: { name: "permission", type: "string" },
  5: { name: "current_object_version", type: ObjectVersion, repeated: true },
};
const MountResponse: Message = {
  1: { name: "object_version", type: ObjectVersion, repeated: true },
  2: { name: "error", type: { 1: { name: "code", type: "string" } } },
  3: {
    name: "files",
    repeated: true,
    type: {
      1: { name: "path", type: "string" },
      2: { name: "mode", type: "int32" },
      3: { name: "contents", type: "bytes" },
    },
  },
};
const HealthCheckRequest: Message = { 1: { name: "service", type: "string" } };
const HealthCheckResponse: Message = {
  1: {
    name: "status",
    type: "int32",
    values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 },
  },
};
const HealthListRequest: Message = {};
const HealthListResponse: Message = {};

/** Encodes `object` as `message`: every field the object holds (not null), in field order. */
export function encode(message: Message, object: Record<string, unknown>): Buffer {
  const parts: Uint8Array[] = [];
  for (const [number, field] of Object.entries(message)) {
    const value = object[field.name];
    if (value === undefined || value === null) continue;
    for (const item of field.repeated ? value as unknown[] : [value]) {
      if (field.type === "int32") {
        const known = typeof item === "string" ? field.values?.[item] : undefined;
        parts.push(varint(Number(number) << 3), varint(known ?? (Number(item) | 0)));
        continue;
      }
      const bytes = field.type === "string"
        ? Buffer.from(String(item), "utf8")
        : field.type === "bytes"
        ? (typeof item === "string" ? Buffer.from(item, "base64") : item as Uint8Array)
        : encode(field.type, item as Record<string, unknown>);
      parts.push(varint((Number(number) << 3) | 2), varint(bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}

/** Decodes `bytes` as `message`, with proto3 defaults for absent fields. */
export function decode(message: Message, bytes: Uint8Array): Record<string, unknown> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const object: Record<string, unknown> = {};
  for (const field of Object.values(message)) {
    object[field.name] = field.repeated
      ? []
      : field.type === "string"
      ? ""
      : field.type === "bytes"
      ? Buffer.alloc(0)
      : field.type === "int32"
      ? 0
      : null;
  }
  let at = 0;
  const read = () => {
    let value = 0;
    for (let shift = 0;; shift += 7) {
      if (at >= buffer.length || shift > 63) throw new Error("invalid protobuf varint");
      const byte = buffer[at++];
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < buffer.length) {
    const tag = read() >>> 0;
    const wire = tag & 7;
    const field = message[tag >>> 3];
    if (wire === 0) {
      const value = read() | 0;
      if (field?.type === "int32") object[field.name] = value;
      continue;
    }
    const length = wire === 2 ? read() >>> 0 : wire === 1 ? 8 : wire === 5 ? 4 : -1;
    if (length < 0 || at + length > buffer.length) throw new Error("invalid protobuf message");
    const body = buffer.subarray(at, at += length);
    if (wire !== 2 || !field || field.type === "int32") continue;
    const value = field.type === "string"
      ? body.toString("utf8")
      : field.type === "bytes"
      ? Buffer.from(body)
      : decode(field.type, body);
    if (field.repeated) (object[field.name] as unknown[]).push(value);
    else object[field.name] = value;
  }
  return object;
}

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  if (value < 0) {
    // A negative int32 is sign-extended to 64 bits: always ten bytes.
    let big = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 9; i++, big >>= 7n) bytes.push(Number(big & 0x7fn) | 0x80);
    bytes.push(Number(big));
    return Uint8Array.from(bytes);
  }
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return Uint8Array.from(bytes);
}

function method(path: string, request: Message, response: Message, responseStream = false) {
  return {
    path,
    requestStream: false,
    responseStream,
    requestSerialize: (value: Record<string, unknown>) => encode(request, value),
    requestDeserialize: (bytes: Buffer) => decode(request, bytes),
    responseSerialize: (value: Record<string, unknown>) => encode(response, value),
    responseDeserialize: (bytes: Buffer) => decode(response, bytes),
    originalName: path.slice(path.lastIndexOf("/") + 1).replace(/^./, (first) => first.toLowerCase()),
  };
}

/** `v1alpha1.CSIDriverProvider`, the driver's provider service. */
export const providerService = {
  Version: method("/v1alpha1.CSIDriverProvider/Version", VersionRequest, VersionResponse),
  Mount: method("/v1alpha1.CSIDriverProvider/Mount", MountRequest, MountResponse),
} satisfies grpc.ServiceDefinition;
/** `grpc.health.v1.Health`. */
export const healthService = {
  Check: method("/grpc.health.v1.Health/Check", HealthCheckRequest, HealthCheckResponse),
  List: method("/grpc.health.v1.Health/List", HealthListRequest, HealthListResponse),
  Watch: method("/grpc.health.v1.Health/Watch", HealthCheckRequest, HealthCheckResponse, true),
} satisfies grpc.ServiceDefinition;
/** The health client constructor, for the health endpoint's check of the provider's own socket. */
export const HealthClient: grpc.ServiceClientConstructor = grpc.makeGenericClientConstructor(
  healthService,
  "Health",
);
