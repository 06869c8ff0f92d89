import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import descriptor from "./generated/proto.json" with { type: "json" };
import * as messages from "./generated/proto.js";

/**
 * The service definitions grpc-js wants, from what `deno task proto` generated out of proto/ with
 * protobufjs's own generator: the methods from its JSON descriptor, each message's encoder and
 * decoder from its static code, which needs only `protobufjs/minimal` (no .proto parser and no
 * code generated at start, docs/performance.md). Messages decode as proto3 with defaults, field
 * names as written in the .proto files, 64-bit numbers as numbers.
 */

/** A node of the JSON descriptor (`pbjs -t json`): what is read of namespaces and services. */
interface DescriptorNode {
  readonly nested?: Readonly<Record<string, DescriptorNode>>;
  readonly methods?: Readonly<Record<string, DescriptorMethod>>;
  /** Messages' fields, enums' values: not read here. */
  readonly [other: string]: unknown;
}

interface DescriptorMethod {
  readonly requestType: string;
  readonly responseType: string;
  readonly requestStream?: boolean;
  readonly responseStream?: boolean;
}

/** What the static code gives every message type. */
interface MessageType {
  fromObject(object: { [key: string]: unknown }): object;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: { defaults: boolean; longs: NumberConstructor }): object;
}

/** The service `fullName` (package and name, e.g. `v1alpha1.CSIDriverProvider`) as grpc-js wants it. */
function serviceDefinition(fullName: string): grpc.ServiceDefinition {
  const scope = fullName.split(".").slice(0, -1);
  const service = nodeAt(descriptor, fullName.split("."));
  if (!service?.methods) throw new Error(`the generated descriptor has no service ${fullName}`);
  return Object.fromEntries(
    Object.entries(service.methods).map(([name, method]) => {
      const request = messageType(scope, method.requestType);
      const response = messageType(scope, method.responseType);
      return [name, {
        path: `/${fullName}/${name}`,
        requestStream: !!method.requestStream,
        responseStream: !!method.responseStream,
        requestSerialize: serializer(request),
        requestDeserialize: deserializer(request),
        responseSerialize: serializer(response),
        responseDeserialize: deserializer(response),
        originalName: name.replace(/^./, (first) => first.toLowerCase()),
      }];
    }),
  );
}

function nodeAt(root: DescriptorNode, path: readonly string[]): DescriptorNode | undefined {
  let node: DescriptorNode | undefined = root;
  for (const name of path) node = node?.nested?.[name];
  return node;
}

/**
 * The static type a method names, found as protobuf scopes names: a leading dot is absolute,
 * otherwise the innermost enclosing package that has it.
 */
function messageType(scope: readonly string[], name: string): MessageType {
  const path = name.replace(/^\./, "").split(".");
  const scopes = name.startsWith(".") ? [[]] : scope.map((_, end) => scope.slice(0, scope.length - end));
  for (const outer of [...scopes, []]) {
    const found = [...outer, ...path].reduce<unknown>(
      (node, part) => (node as Record<string, unknown> | undefined)?.[part],
      messages,
    );
    if (typeof found === "function") return found as unknown as MessageType;
  }
  throw new Error(`the generated code has no message ${name} (from ${scope.join(".")})`);
}

function serializer(type: MessageType): (value: object) => Buffer {
  return (value) => Buffer.from(type.encode(type.fromObject(value as { [key: string]: unknown })).finish());
}

function deserializer(type: MessageType): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), { defaults: true, longs: Number });
}

/** `v1alpha1.CSIDriverProvider`, the driver's provider service. */
export const providerService: grpc.ServiceDefinition = serviceDefinition("v1alpha1.CSIDriverProvider");
/** `grpc.health.v1.Health`. */
export const healthService: grpc.ServiceDefinition = serviceDefinition("grpc.health.v1.Health");
/** The health client constructor, for the health endpoint's check of the provider's own socket. */
export const HealthClient: grpc.ServiceClientConstructor = grpc.makeGenericClientConstructor(
  healthService,
  "Health",
);
