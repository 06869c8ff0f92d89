import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import protobuf from "protobufjs";
import healthProto from "../../proto/health.proto" with { type: "text" };
import providerProto from "../../proto/provider.proto" with { type: "text" };

/**
 * The service definitions, from the .proto files embedded at build time (a text import keeps
 * them inside a compiled binary, so the provider needs no file access to load them). protobufjs
 * parses them and encodes and decodes the messages; the definitions grpc-js wants are built
 * here from its types, which is all @grpc/proto-loader would add at a cost of 4–5 MiB in every
 * idle provider (docs/performance.md). Messages decode as proto3 with defaults, field names as
 * written in the .proto files, 64-bit numbers as numbers.
 */
function services(text: string): Map<string, grpc.ServiceDefinition> {
  const root = protobuf.parse(text, { keepCase: true }).root.resolveAll();
  const found = new Map<string, grpc.ServiceDefinition>();
  const visit = (namespace: protobuf.NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Service) found.set(nested.name, serviceDefinition(nested));
      else if (nested instanceof protobuf.Namespace) visit(nested);
    }
  };
  visit(root);
  return found;
}

function serviceDefinition(service: protobuf.Service): grpc.ServiceDefinition {
  const prefix = service.fullName.replace(/^\./, "");
  return Object.fromEntries(service.methodsArray.map((method) => {
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    return [method.name, {
      path: `/${prefix}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: method.name.replace(/^./, (first) => first.toLowerCase()),
    }];
  }));
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => Buffer.from(type.encode(type.fromObject(value)).finish());
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), { defaults: true, longs: Number });
}

const provider = services(providerProto);
const health = services(healthProto);

/** `v1alpha1.CSIDriverProvider`, the driver's provider service. */
export const providerService: grpc.ServiceDefinition = provider.get("CSIDriverProvider")!;
/** `grpc.health.v1.Health`. */
export const healthService: grpc.ServiceDefinition = health.get("Health")!;
/** The health client constructor, for the health endpoint's check of the provider's own socket. */
export const HealthClient: grpc.ServiceClientConstructor = grpc.makeGenericClientConstructor(
  healthService,
  "Health",
);
