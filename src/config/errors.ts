/**
 * A mount request that cannot succeed as written: bad JSON, a missing parameter, an object
 * field out of range. Raised before any network call and answered with gRPC InvalidArgument.
 */
export class InvalidMountConfigError extends Error {
  override name = "InvalidMountConfigError";
}
