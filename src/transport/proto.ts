import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import protobuf from "protobufjs";
import healthProto from "../../proto/health.proto" with { type: "text" };
import providerProto from "../../proto/provider.proto" with { type: "text" };

/**
 * The service definitions, built from the .proto files embedded at build time (a text import
 * keeps them inside a compiled binary, so the provider needs no file access to load them).
 */
function load(text: string): grpc.GrpcObject {
  const root = protobuf.parse(text, { keepCase: true }).root;
  return grpc.loadPackageDefinition(
    fromJSON(root.toJSON(), { keepCase: true, defaults: true, longs: Number }),
  );
}

const provider = load(providerProto) as unknown as {
  v1alpha1: { CSIDriverProvider: grpc.ServiceClientConstructor };
};
const health = load(healthProto) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

/** `v1alpha1.CSIDriverProvider`, the driver's provider service. */
export const providerService: grpc.ServiceDefinition = provider.v1alpha1.CSIDriverProvider.service;
/** `grpc.health.v1.Health`. */
export const healthService: grpc.ServiceDefinition = health.grpc.health.v1.Health.service;
/** The health client constructor, for the health endpoint's check of the provider's own socket. */
export const HealthClient: grpc.ServiceClientConstructor = health.grpc.health.v1.Health;
